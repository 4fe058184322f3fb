import { isSafePath, isUnitName } from '../ssh/remote-command.js';

/**
 * The few things the action does on a node, as fixed POSIX sh scripts sent on ssh's stdin to `sh -s --
 * ARGS…` (every value an argument, never spliced into the code; the log shows the short command line) and
 * the parsers of what they print. Lines the
 * action reads start with a per-run random nonce, so a login banner, a shell rc file or anything else the
 * node prints cannot pose as a result.
 *
 * What they rely on, per document:
 * - the system profile `/nix/var/nix/profiles/system` is a symlink to `system-<N>-link`, itself a
 *   symlink to the system's store path; `/run/current-system` is the running system (nix-env(1)
 *   "Profiles"; the NixOS activation script sets /run/current-system, nixpkgs
 *   nixos/modules/system/activation/activation-script.nix);
 * - `nix-env -p PROFILE --switch-generation N` only moves the profile link (nix-env(1)
 *   `--switch-generation`); `<system>/bin/switch-to-configuration switch|test` activates a system
 *   (NixOS manual, "What happens during a system switch?");
 * - `systemd-run --unit=U --on-active=T -- CMD` creates a transient `U.timer` + `U.service` that runs CMD
 *   once after T; `systemctl stop U.timer` cancels it; transient units do not survive a reboot
 *   (systemd-run(1), systemd.timer(5) `OnActiveSec=`, `AccuracySec=` defaults to one minute);
 * - `systemctl is-system-running --wait` prints the manager state and exits 0 only for `running`; `--wait`
 *   only waits out `initializing`/`starting` (systemctl(1)); `systemctl list-units --state=failed
 *   --plain --no-legend` lists failed units, unit name first.
 */
export interface Generation {
  /** What the profile points at, e.g. `system-42-link`. */
  profileLink: string;
  generation: number;
  /** The store path of that generation: the system that boots next. */
  profileSystem: string;
  /** The store path behind /run/current-system: what runs now. */
  running: string;
}

export interface ProbeResult {
  /** The profile and running-system links as absolute paths on the node (relative inputs resolved). */
  paths?: NodePaths;
  generation?: Generation;
  /** Why the generation could not be read, when it could not. */
  generationError?: string;
  /** nix-env on the node, resolved to its store path (needed to switch generations back). */
  nixEnv?: string;
  systemState?: SystemState;
}

export interface SystemState {
  state: string;
  /** Exit status of `timeout … systemctl is-system-running --wait` (124: still starting at the limit). */
  exitCode: number;
  failedUnits: string[];
}

export interface NodePaths {
  /**
   * The system profile, `/nix/var/nix/profiles/system` on NixOS. A relative path is resolved on the node
   * against the login directory (the tests' nodes keep their /nix and /run there).
   */
  profile: string;
  /** The running system's link, `/run/current-system` on NixOS. */
  currentSystem: string;
}

/** A script and its arguments: runs as `sh -s -- ARGS…` with the script on stdin. */
export interface RemoteScript {
  script: string;
  args: string[];
}

const PROBE = [
  'n=$1 profile=$2 current=$3 state=$4 limit=$5',
  `out() { printf '%s %s=%s\\n' "$n" "$1" "$2"; }`,
  'case $profile in /*) ;; *) profile=$(pwd)/$profile ;; esac',
  'case $current in /*) ;; *) current=$(pwd)/$current ;; esac',
  'out profile "$profile"',
  'out current-system "$current"',
  'out profile-link "$(readlink "$profile" 2>/dev/null)"',
  'out profile-system "$(readlink -f "$profile" 2>/dev/null)"',
  'out running "$(readlink -f "$current" 2>/dev/null)"',
  'p=$(command -v nix-env 2>/dev/null) && out nix-env "$(readlink -f "$p")"',
  'if [ "$state" = 1 ]; then',
  '  s=$(timeout "$limit" systemctl is-system-running --wait 2>/dev/null); rc=$?',
  '  out system-state "$s"; out system-state-rc "$rc"',
  '  systemctl list-units --state=failed --plain --no-legend --no-pager 2>/dev/null |',
  '    while read -r unit _rest; do out failed-unit "$unit"; done',
  'fi',
  'out end 1',
].join('\n');

/** Reads the generation (and with `withState` the manager state and failed units) in one round trip. */
export function probeScript(
  nonce: string,
  paths: NodePaths,
  withState: boolean,
  limitSeconds: number,
): RemoteScript {
  const limit = String(Math.max(1, Math.floor(limitSeconds)));
  return {
    script: PROBE,
    args: [nonce, paths.profile, paths.currentSystem, withState ? '1' : '0', limit],
  };
}

function nonceLines(stdout: string, nonce: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.startsWith(`${nonce} `)) continue;
    const body = line.slice(nonce.length + 1);
    const eq = body.indexOf('=');
    if (eq > 0) out.push([body.slice(0, eq), body.slice(eq + 1)]);
  }
  return out;
}

/** Undefined when the script did not run to its end (the connection failed or the shell broke it). */
export function parseProbe(stdout: string, nonce: string, paths: NodePaths): ProbeResult | undefined {
  const fields = nonceLines(stdout, nonce);
  const get = (k: string) => fields.find(([key]) => key === k)?.[1];
  if (get('end') !== '1') return undefined;
  const result: ProbeResult = {};
  const profile = get('profile') ?? '';
  const currentSystem = get('current-system') ?? '';
  if (isSafePath(profile) && isSafePath(currentSystem)) result.paths = { profile, currentSystem };
  const link = get('profile-link') ?? '';
  const m = /^[A-Za-z0-9._+-]+-(\d+)-link$/.exec(link);
  const profileSystem = get('profile-system') ?? '';
  const running = get('running') ?? '';
  if (!result.paths)
    result.generationError = `${paths.profile} or ${paths.currentSystem} is not a usable path on the node`;
  else if (!m)
    result.generationError = `${paths.profile} is not a link to a numbered generation ('${link || 'missing'}')`;
  else if (!isSafePath(profileSystem))
    result.generationError = `${paths.profile} resolves to an unusable path`;
  else if (!isSafePath(running))
    result.generationError = `${paths.currentSystem} resolves to an unusable path`;
  else result.generation = { profileLink: link, generation: Number(m[1]), profileSystem, running };
  const nixEnv = get('nix-env');
  if (nixEnv && isSafePath(nixEnv)) result.nixEnv = nixEnv;
  const state = get('system-state');
  if (state !== undefined) {
    result.systemState = {
      state: /^[a-z-]{1,32}$/.test(state) ? state : state === '' ? 'unknown' : 'unreadable',
      exitCode: Number(get('system-state-rc') ?? '1'),
      failedUnits: fields.filter(([k, v]) => k === 'failed-unit' && v !== '').map(([, v]) => v),
    };
  }
  return result;
}

export type RollbackGoal = 'switch' | 'test';

/**
 * The command that switches a node back to its recorded generation, for the timer and for an immediate
 * rollback. `switch`: move the profile back to generation N (so the boot loader entry follows) and
 * activate that generation; `test`: the profile never moved, activate what ran before. Every path is
 * checked against isSafePath, so the text holds neither quotes nor `$`/`%` for systemd to expand.
 */
export function revertCommand(goal: RollbackGoal, rec: Generation, profile: string, nixEnv?: string): string {
  for (const p of [rec.profileSystem, rec.running, profile]) {
    if (!isSafePath(p)) throw new Error(`unsafe path in the rollback command: ${p}`);
  }
  if (goal === 'test') return `${rec.running}/bin/switch-to-configuration test`;
  if (!nixEnv || !isSafePath(nixEnv)) throw new Error('nix-env was not found on the node');
  return (
    `${nixEnv} -p ${profile} --switch-generation ${rec.generation} && ` +
    `${rec.profileSystem}/bin/switch-to-configuration switch`
  );
}

const ARM = [
  'unit=$1 secs=$2 profile=$3 current=$4 link=$5 running=$6 desc=$7 revert=$8',
  // Fail closed: someone else deployed since the record, so "switch back" would mean something else.
  'if [ "$(readlink "$profile")" != "$link" ] || [ "$(readlink -f "$current")" != "$running" ]; then',
  '  echo "the system generation changed since it was recorded; no timer armed" >&2; exit 3',
  'fi',
  // AccuracySec defaults to one minute (systemd.timer(5)): the timer must fire when it says.
  'exec systemd-run --unit="$unit" --description="$desc" --on-active="${secs}s" \\',
  '  --timer-property=AccuracySec=1s -- /bin/sh -c "$revert"',
].join('\n');

export interface ArmPlan {
  unit: string;
  seconds: number;
  paths: NodePaths;
  recorded: Generation;
  revert: string;
}

export function armScript(plan: ArmPlan): RemoteScript {
  if (!isUnitName(plan.unit)) throw new Error(`invalid unit name ${plan.unit}`);
  return {
    script: ARM,
    args: [
      plan.unit,
      String(Math.ceil(plan.seconds)),
      plan.paths.profile,
      plan.paths.currentSystem,
      plan.recorded.profileLink,
      plan.recorded.running,
      `colmena-apply: switch back to generation ${plan.recorded.generation} unless cancelled`,
      plan.revert,
    ],
  };
}

const CANCEL = [
  'n=$1 unit=$2',
  'systemctl stop "$unit.timer" 2>&1',
  `printf '%s timer=%s\\n' "$n" "$(systemctl is-active "$unit.timer" 2>/dev/null)"`,
  `printf '%s service=%s\\n' "$n" "$(systemctl is-active "$unit.service" 2>/dev/null)"`,
  `printf '%s end=1\\n' "$n"`,
].join('\n');

export function cancelScript(nonce: string, unit: string): RemoteScript {
  if (!isUnitName(unit)) throw new Error(`invalid unit name ${unit}`);
  return { script: CANCEL, args: [nonce, unit] };
}

export interface CancelResult {
  /** `systemctl is-active` of the timer and its service after the stop (`inactive` when gone). */
  timer: string;
  service: string;
}

export function parseCancel(stdout: string, nonce: string): CancelResult | undefined {
  const fields = new Map(nonceLines(stdout, nonce));
  if (fields.get('end') !== '1') return undefined;
  return { timer: fields.get('timer') || 'inactive', service: fields.get('service') || 'inactive' };
}

const ROLLBACK = [
  'unit=$1 desc=$2 revert=$3',
  // The dead-man timer would otherwise switch back a second time later; a missing timer (already
  // fired, or lost in a reboot) is fine.
  'systemctl stop "$unit.timer" 2>/dev/null',
  // Run by the service manager, not by this ssh session: an activation that restarts sshd cannot cut it
  // short. --wait reports the result; --collect unloads the unit even when it fails.
  'exec systemd-run --unit="$unit-now" --description="$desc" --wait --collect -- /bin/sh -c "$revert"',
].join('\n');

export function rollbackScript(unit: string, generation: number, revert: string): RemoteScript {
  if (!isUnitName(unit)) throw new Error(`invalid unit name ${unit}`);
  return {
    script: ROLLBACK,
    args: [unit, `colmena-apply: switch back to generation ${generation} (checks failed)`, revert],
  };
}

/** True when the node runs the recorded generation again (and, for switch, boots it next). */
export function isBackOn(goal: RollbackGoal, now: Generation, recorded: Generation): boolean {
  if (goal === 'test') return now.running === recorded.running;
  return now.profileLink === recorded.profileLink && now.running === recorded.profileSystem;
}

/** True when anything changed since the record. */
export function changedSince(now: Generation, recorded: Generation): boolean {
  return now.profileLink !== recorded.profileLink || now.running !== recorded.running;
}
