import { ActionError, INVALID_INPUT } from '../../../../shared/errors.js';

/**
 * restic changed its contract in 0.17: exit codes 10 (no repository), 11 (lock failed) and, from 0.17.1,
 * 12 (wrong password); `ls --json` added `message_type` beside the deprecated `struct_type`
 * (cmd/restic/main.go and cmd_ls.go of v0.17.0/v0.17.1). Older versions exit 1 for all of these, so
 * their stderr is what tells the failures apart.
 */
export interface ResticVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

export const OLDEST_SUPPORTED = { major: 0, minor: 14, patch: 0 };
export const NEWEST_TESTED = { major: 0, minor: 18, patch: 1 };

/** Parses the first line of `restic version`, e.g. `restic 0.14.0 compiled with go1.19.8 on linux/amd64`. */
export function parseResticVersion(output: string): ResticVersion | undefined {
  const m = /restic (\d+)\.(\d+)\.(\d+)\S*/.exec(output);
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    text: m[0].slice('restic '.length),
  };
}

function compare(a: Omit<ResticVersion, 'text'>, b: Omit<ResticVersion, 'text'>): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function atLeast(v: ResticVersion, major: number, minor: number, patch = 0): boolean {
  return compare(v, { major, minor, patch }) >= 0;
}

/** Which exit codes this version uses for which failure (undefined: that code does not exist yet). */
export interface ExitCodes {
  noRepository?: number;
  locked?: number;
  wrongPassword?: number;
}

export function exitCodesOf(v: ResticVersion): ExitCodes {
  return {
    noRepository: atLeast(v, 0, 17) ? 10 : undefined,
    locked: atLeast(v, 0, 17) ? 11 : undefined,
    wrongPassword: atLeast(v, 0, 17, 1) ? 12 : undefined,
  };
}

/** Refuses versions older than the oldest one this action is tested with; newer ones only warn. */
export function assertSupported(v: ResticVersion | undefined, raw: string): ResticVersion {
  if (!v) {
    throw new ActionError(
      INVALID_INPUT,
      `Could not read the restic version from '${raw.slice(0, 80)}'.`,
      "Point 'restic-binary' at a restic executable.",
    );
  }
  if (compare(v, OLDEST_SUPPORTED) < 0) {
    throw new ActionError(
      INVALID_INPUT,
      `restic ${v.text} is too old: this action needs restic 0.14.0 or newer.`,
      "Install a newer restic or point 'restic-binary' at one.",
    );
  }
  return v;
}

export function newerThanTested(v: ResticVersion): boolean {
  return compare(v, NEWEST_TESTED) > 0 && !(v.major === 0 && v.minor === NEWEST_TESTED.minor);
}
