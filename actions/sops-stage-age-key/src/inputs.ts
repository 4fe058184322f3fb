import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  bool,
  duration,
  filePath,
  int,
  Invalid,
  list,
  oneOf,
  secretText,
  text,
} from '../../../shared/inputs.js';
import { reportArtifactInput } from '../../../shared/evidence.js';

import { forgeInputs } from '../../../shared/forge.js';

/** A known_hosts line: optional marker, host patterns, key type, base64 key, optional comment. */
const KNOWN_HOSTS_LINE =
  /^(@(cert-authority|revoked)\s+)?\S+\s+(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)\s+[A-Za-z0-9+/]+={0,2}(\s.*)?$/;

export const inputs = {
  'age-key': secretText({ multiline: true, expected: 'one or more AGE-SECRET-KEY-1… lines' }).required(),
  'key-file': filePath({ expected: 'the path where the key file is written' }),
  'replace-key-file': bool().default('false'),
  'export-env': bool().default('true'),
  'sops-config': filePath({ mustExist: 'file', expected: 'the path of an existing .sops.yaml' }).fallbackTo(
    (env) => {
      const ws = env.GITHUB_WORKSPACE || process.cwd();
      return fs.existsSync(path.join(ws, '.sops.yaml')) ? '.sops.yaml' : undefined;
    },
  ),
  'require-recipient': bool().default('true'),
  'verify-files': list({
    itemExpected: 'glob patterns of SOPS-encrypted files',
    item: (p) => (p.replace(/^!/, '').split('/').includes('..') ? new Invalid('a pattern without ..') : p),
  }),
  'target-host': text({
    pattern: /^([A-Za-z0-9_][A-Za-z0-9_.-]*@)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])$/,
    expected: 'user@host or host (a name, IPv4 or [IPv6] address)',
  }),
  'target-port': int({ min: 1, max: 65535 }).default('22'),
  'target-path': text({
    pattern: /^(\/[A-Za-z0-9_.@+-]+)+$/,
    expected: 'an absolute path of letters, digits and _ . @ + - (no spaces, no trailing /)',
  }).default('/var/lib/sops-nix/key.txt'),
  'target-mode': text({
    pattern: /^0?[4-7][0-7]0$/,
    expected: 'an octal mode like 0600, 0400 or 0640 that the owner can read and others cannot',
  }).default('0600'),
  'target-owner': text({
    pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/,
    expected: 'user or user:group (names or numeric ids)',
  }).default('root:root'),
  'target-sudo': oneOf(['auto', 'always', 'never'] as const).default('auto'),
  'target-timeout': duration({ min: 5000, max: 1_800_000 }).default('60s'),
  'ssh-key': secretText({ multiline: true, expected: 'an unencrypted OpenSSH private key' }),
  'ssh-config': filePath({ mustExist: 'file', expected: 'the path of an existing ssh_config file' }),
  'known-hosts': list({
    itemExpected: 'known_hosts lines (host patterns, key type, base64 key)',
    item: (line) => (KNOWN_HOSTS_LINE.test(line) ? line : new Invalid('a known_hosts line')),
    // Usually passed from a secret: it maps the fleet's host names, so it stays out of reports too.
  }).secret(),
  cleanup: bool().default('true'),
  'report-artifact': reportArtifactInput,

  ...forgeInputs,
};
