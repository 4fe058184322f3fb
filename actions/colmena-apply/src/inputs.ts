import {
  Invalid,
  bool,
  duration,
  filePath,
  int,
  keyValues,
  list,
  oneOf,
  secretText,
  text,
} from '../../../shared/inputs.js';
import { flakeUriCredentials, nixOptionCredentials } from './nix-options.js';
import { parseSelector } from './colmena/node-selector.js';
import { CHECK_EXPECTED, parseCheck } from './safety/checks.js';
import { reportArtifactInput } from '../../../shared/evidence.js';

import { forgeInputs } from '../../../shared/forge.js';

export const GOALS = ['build', 'push', 'switch', 'boot', 'test', 'dry-activate', 'upload-keys'] as const;

/**
 * Flags the action sets itself from inputs. Passing them again through extra-args would make the preview
 * (node resolution, reboot watchdog) disagree with what colmena does, so they are refused there.
 */
const OWNED_FLAGS = [
  '--on',
  '-f',
  '--config',
  '--reboot',
  '--keep-result',
  '--build-on-target',
  '-p',
  '--parallel',
  '--impure',
  '--show-trace',
  '--nix-option',
];

function extraArg(item: string): string | Invalid {
  const flag = item.split('=')[0];
  if (OWNED_FLAGS.includes(flag) || /^-p\d/.test(item))
    return new Invalid(`a flag the action does not set itself (use the input for ${flag})`);
  return item;
}

/**
 * A path on the node, used as given (not resolved against the workspace). It ends up in the rollback
 * command a systemd unit runs, so it is held to the rules of ssh/remote-command.ts isSafePath: letters,
 * digits and `. _ + -` only, no `.`/`..` segments (so no quotes, `$`, `%` or spaces). A relative path is
 * resolved on the node against the login directory (the test nodes keep their /nix and /run there).
 */
const SEGMENT = '(?!\\.\\.?(?:/|$))[A-Za-z0-9._+-]+';
const NODE_PATH = new RegExp(`^/?${SEGMENT}(?:/${SEGMENT})*$`);
const nodePath = () =>
  text({ pattern: NODE_PATH, expected: 'a path on the node (letters, digits, . _ + - and /)' });

export const inputs = {
  'working-directory': filePath({ mustExist: 'dir' }).default('.'),
  // Credentials in a flake URI are registered before any input is parsed, then refused (converge.ts).
  config: text({ expected: 'a hive file (hive.nix, flake.nix) or flake URI' }).withCredentials(
    flakeUriCredentials,
  ),
  on: list({
    separator: 'newline-or-comma',
    itemExpected: 'node selectors (names, globs like edge-*, or @tag)',
    item: (s) => (parseSelector(s) ? s : new Invalid('a valid name, glob or @tag glob')),
  }),
  'allow-apply-all': bool().default('false'),
  goal: oneOf(GOALS).default('switch'),
  'build-on-target': bool().default('false'),
  parallel: int({ min: 0, max: 1000 }),
  reboot: bool().default('false'),
  'reboot-timeout': duration({ min: 1000, max: 86_400_000 }).default('10m'),
  'keep-result': bool().default('false'),
  impure: bool().default('false'),
  'show-trace': bool().default('false'),
  // Not secret, so credentials are refused (converge.ts); they are registered first so that even the
  // refusal, the report's inputs and the log cannot show them.
  'nix-options': keyValues({
    keyPattern: /^[a-z][a-z0-9-]*$/,
    keyExpected: 'Nix option names like max-jobs',
  }).withCredentials(nixOptionCredentials),
  'extra-args': list({ separator: 'newline', itemExpected: 'colmena arguments', item: extraArg }),
  'ssh-config': filePath({ mustExist: 'file' }),
  // Host keys are public, but workflows pass them from secrets; as a secret they stay out of the report.
  'known-hosts': secretText({
    multiline: true,
    expected: 'known_hosts lines (host patterns, key type, key)',
  }),
  timeout: duration({ min: 1000, max: 86_400_000 }).default('60m'),
  'dry-activate-first': bool().default('false'),
  rollback: bool().default('false'),
  'confirm-timeout': duration({ min: 10_000, max: 3_600_000 }).default('5m'),
  'health-check': bool().default('false'),
  checks: list({ separator: 'newline', itemExpected: CHECK_EXPECTED, item: parseCheck }),
  'check-timeout': duration({ min: 1000, max: 1_800_000 }).default('60s'),
  'allow-degraded': bool().default('false'),
  'system-profile': nodePath().default('/nix/var/nix/profiles/system'),
  'current-system': nodePath().default('/run/current-system'),
  'colmena-binary': text({ pattern: /^\S+$/, expected: 'a command name or path without spaces' }).default(
    'colmena',
  ),
  'report-artifact': reportArtifactInput,

  ...forgeInputs,
};
