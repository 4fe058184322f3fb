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
import { forgeInputs } from '../../../shared/forge.js';
import { parseSelector } from './node-selector.js';

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

export const inputs = {
  'working-directory': filePath({ mustExist: 'dir' }).default('.'),
  config: text({ expected: 'a hive file (hive.nix, flake.nix) or flake URI' }),
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
  'nix-options': keyValues({
    keyPattern: /^[a-z][a-z0-9-]*$/,
    keyExpected: 'Nix option names like max-jobs',
  }),
  'extra-args': list({ separator: 'newline', itemExpected: 'colmena arguments', item: extraArg }),
  'ssh-config': filePath({ mustExist: 'file' }),
  // Host keys are public, but workflows pass them from secrets; as a secret they stay out of the report.
  'known-hosts': secretText({
    multiline: true,
    expected: 'known_hosts lines (host patterns, key type, key)',
  }),
  timeout: duration({ min: 1000, max: 86_400_000 }).default('60m'),
  'dry-activate-first': bool().default('false'),
  'colmena-binary': text({ pattern: /^\S+$/, expected: 'a command name or path without spaces' }).default(
    'colmena',
  ),
  ...forgeInputs,
};
