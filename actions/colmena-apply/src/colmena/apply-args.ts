import type { Goal } from './node-log-parser.js';
import { onArgument } from './node-selector.js';

/**
 * The colmena command lines, from the settings only (pure, so tests cover every flag). Flag names are
 * those of both 0.4.0 and 0.5 (src/cli.rs global flags, src/command/apply.rs DeployOpts).
 */
export interface ApplySettings {
  config?: string;
  on?: readonly string[];
  goal: Goal;
  buildOnTarget: boolean;
  parallel?: number;
  reboot: boolean;
  keepResult: boolean;
  impure: boolean;
  showTrace: boolean;
  nixOptions?: Readonly<Record<string, string>>;
  extraArgs?: readonly string[];
}

export function globalArgs(s: ApplySettings): string[] {
  const args: string[] = [];
  if (s.config) args.push('-f', s.config);
  if (s.showTrace) args.push('--show-trace');
  if (s.impure) args.push('--impure');
  for (const [name, value] of Object.entries(s.nixOptions ?? {})) args.push('--nix-option', name, value);
  return args;
}

/**
 * `apply <goal> …`, or the `upload-keys` subcommand: the apply goal for keys is `keys` in 0.4 and
 * `upload-keys` in 0.5 (src/nix/deployment/goal.rs), the subcommand has the same name in both.
 * The goal is always explicit: with `--reboot` colmena would otherwise switch the default to `boot`.
 */
export function applyArgs(s: ApplySettings, goal: Goal = s.goal): string[] {
  const args = goal === 'upload-keys' ? ['upload-keys'] : ['apply', goal];
  if (s.on && s.on.length > 0) args.push('--on', onArgument(s.on));
  if (s.parallel !== undefined) args.push('--parallel', String(s.parallel));
  const activates = goal === 'switch' || goal === 'boot' || goal === 'test';
  if (s.reboot && activates) args.push('--reboot');
  if (s.keepResult && goal !== 'upload-keys') args.push('--keep-result');
  if (s.buildOnTarget && goal !== 'upload-keys') args.push('--build-on-target');
  args.push(...(s.extraArgs ?? []));
  return args;
}
