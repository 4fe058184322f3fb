import * as os from 'node:os';
import { ActionError } from '../../../../shared/errors.js';
import { checkTimeout } from '../check-timeout.js';
import { formatDuration } from '../../../../shared/inputs.js';
import { redact } from '../../../../shared/secrets.js';
import { LineSplitter, runTool, type ToolResult } from '../../../../shared/tool.js';
import { classifyFailure, failureToError } from './restic-failure.js';
import {
  parseLsLine,
  parseRepositoryId,
  parseSnapshots,
  ResticJsonError,
  unloadedSnapshotLines,
  type Snapshot,
  type TreeNode,
} from './restic-json.js';
import { assertSupported, exitCodesOf, parseResticVersion, type ResticVersion } from './restic-version.js';
import { parseRestoreVerification } from './restore-output.js';
import { RetryWatch } from './retry-watch.js';
import type { SnapshotFilter } from '../snapshot/snapshot-freshness.js';

/** What the restore check needs from restic, named for intent; tests inject a fake. */
export interface ResticCli {
  version(): Promise<ResticVersion>;
  /**
   * Reachability and password: reads the repository config (the documented probe). Its output names the
   * repository's id (undefined if restic printed something else), which keys restic's cache.
   */
  openRepository(): Promise<{ id?: string }>;
  snapshots(filter: SnapshotFilter): Promise<Snapshot[]>;
  /** Streams the snapshot's tree, one node at a time. */
  listTree(snapshotId: string, onNode: (node: TreeNode) => void): Promise<void>;
  check(readDataSubset?: string): Promise<CheckOutcome>;
  /**
   * Restores the included paths with `--verify`: restic reads every restored file back and compares it
   * with the snapshot's blob IDs. A difference it finds is `restore-mismatch`.
   */
  restore(snapshotId: string, target: string, includes: readonly string[]): Promise<RestoreOutcome>;
}

export interface RestoreOutcome {
  /** How many files restic read back and found equal to the repository's content. */
  verifiedFiles: number;
}

export interface CheckOutcome {
  ok: boolean;
  /** restic's error lines (redacted, at most a few) when the check found problems. */
  errors: string[];
}

export interface ResticCliOptions {
  bin: string;
  /** Everything restic needs in its environment (repository, password file, cache, backend env). */
  env: Record<string, string | undefined>;
  noLock: boolean;
  /** Epoch ms by which every restic run must have finished (the 'timeout' input). */
  deadline: number;
  timeoutMs: number;
  unreachableAfterMs: number;
  /** The repository as it may be shown (credentials removed). */
  repositoryLabel: string;
}

/** Patterns in restore includes are restic filter patterns (filepath.Match): escape their specials. */
export function escapePattern(p: string): string {
  return p.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

const CHECK_ERROR =
  /error|does not match|not referenced|missing|invalid|damaged|corrupt|unexpected|not found|failed|Fatal/i;

/** restic's own lines that name what `check` found, without progress noise. */
export function checkErrorLines(output: string, max = 5): string[] {
  return output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && CHECK_ERROR.test(l) && !/^no errors were found/.test(l))
    .slice(0, max)
    .map((l) => redact(l).slice(0, 300));
}

/**
 * Whether the lock's holder still runs, judged as restic judges staleness (internal/restic/lock.go, Stale):
 * only a process on this very host can be looked at.
 */
export function lockHolderState(
  host: string,
  pid: number,
  thisHost = os.hostname(),
): 'running' | 'gone' | 'elsewhere' {
  if (host !== thisHost) return 'elsewhere';
  try {
    process.kill(pid, 0);
    return 'running';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? 'running' : 'gone';
  }
}

export function createResticCli(o: ResticCliOptions): ResticCli {
  let version: ResticVersion | undefined;
  const codes = () => (version ? exitCodesOf(version) : {});
  const global = o.noLock ? ['--no-lock'] : [];

  /** `sub` is the restic command as named in messages (`cat config`, `ls`, …). */
  async function restic(
    sub: string,
    args: string[],
    extra: { onStdoutData?: (c: Buffer) => void; echo?: 'all' | 'stderr' } = {},
  ): Promise<ToolResult> {
    const remaining = o.deadline - Date.now();
    if (remaining <= 0) throw checkTimeout(`before restic ${sub}`, o.timeoutMs);
    const watch = new RetryWatch(o.unreachableAfterMs);
    const abort = new AbortController();
    const poll = setInterval(() => {
      if (watch.expired()) abort.abort();
    }, 500);
    poll.unref();
    try {
      const r = await runTool({
        bin: o.bin,
        binInput: 'restic-binary',
        args: [...global, ...sub.split(' '), ...args],
        env: o.env,
        timeoutMs: remaining,
        echo: extra.echo ?? 'stderr',
        onStdoutData: extra.onStdoutData,
        abort: abort.signal,
        onLine: (stream, line) => {
          if (stream === 'stderr' && watch.observe(line)) abort.abort();
        },
      });
      if (r.timedOut) throw checkTimeout(`restic ${sub}`, o.timeoutMs);
      if (r.aborted) {
        throw new ActionError(
          'unreachable',
          `restic ${sub} kept failing to reach '${o.repositoryLabel}' for ${formatDuration(o.unreachableAfterMs)} and was stopped: ${redact(watch.lastRetry).slice(0, 300)}.`,
          "Check that the backend is up and reachable from this runner; raise 'unreachable-after' if it is only slow.",
        );
      }
      return r;
    } finally {
      clearInterval(poll);
    }
  }

  function fail(sub: string, r: ToolResult, fallbackReason: string): never {
    const failure = classifyFailure(codes(), r.exitCode, r.stderr);
    if (failure.lock) failure.lock.holder = lockHolderState(failure.lock.host, Number(failure.lock.pid));
    throw failureToError(failure, {
      command: `restic ${sub}`,
      repository: o.repositoryLabel,
      fallbackReason,
      versionText: version?.text ?? 'unknown',
    });
  }

  return {
    async version() {
      const r = await restic('version', []);
      if (r.exitCode !== 0) fail('version', r, 'invalid-input');
      version = assertSupported(parseResticVersion(r.stdout), r.stdout);
      return version;
    },

    async openRepository() {
      // The config is never cached; without a cache restic leaves the cache directory alone, so the
      // repository's cache can still be filled from the Actions cache before the next command.
      const r = await restic('cat config', ['--no-cache'], { echo: 'stderr' });
      if (r.exitCode !== 0) fail('cat config', r, 'unreachable');
      return { id: parseRepositoryId(r.stdout) };
    },

    async snapshots(filter) {
      const args = ['--json'];
      if (filter.host) args.push('--host', filter.host);
      if (filter.tags.length > 0) args.push('--tag', filter.tags.join(','));
      const r = await restic('snapshots', args);
      if (r.exitCode !== 0) fail('snapshots', r, 'integrity');
      const unloaded = unloadedSnapshotLines(r.stderr);
      // restic left those snapshots out and exited 0: the newest may be among them, so no snapshot in
      // the listing can be called the latest.
      if (unloaded.length > 0)
        throw new ActionError(
          'integrity',
          `restic snapshots could not read ${unloaded.length === 1 ? 'a snapshot' : `${unloaded.length} snapshots`} of the repository and left ${unloaded.length === 1 ? 'it' : 'them'} out: ${redact(unloaded[0]).slice(0, 300)}.`,
          'The latest snapshot cannot be told without it: run `restic check` and repair the repository (`restic repair snapshots`, 0.16+), then take a fresh backup.',
        );
      try {
        return parseSnapshots(r.stdout);
      } catch (e) {
        if (e instanceof ResticJsonError)
          throw new ActionError('integrity', `${e.message}.`, 'See the restic output above.');
        throw e;
      }
    },

    async listTree(snapshotId, onNode) {
      let parseError: ResticJsonError | undefined;
      const lines = new LineSplitter((ls) => {
        for (const line of ls) {
          if (parseError) return;
          try {
            const node = parseLsLine(line);
            if (node) onNode(node);
          } catch (e) {
            if (e instanceof ResticJsonError) parseError = e;
            else throw e;
          }
        }
      });
      const r = await restic('ls', ['--json', snapshotId], { onStdoutData: (c) => lines.push(c) });
      lines.end();
      if (r.exitCode !== 0) fail('ls', r, 'integrity');
      if (parseError)
        throw new ActionError('integrity', `${parseError.message}.`, 'See the restic output above.');
    },

    async check(readDataSubset) {
      const args = readDataSubset ? [`--read-data-subset=${readDataSubset}`] : [];
      const r = await restic('check', args, { echo: 'all' });
      if (r.exitCode === 0) return { ok: true, errors: [] };
      const classified = classifyFailure(codes(), r.exitCode, r.stderr);
      // Exit 1 without an access problem means restic found damage: that is the check's answer.
      if (classified.kind === 'other')
        return { ok: false, errors: checkErrorLines(`${r.stdout}\n${r.stderr}`) };
      return fail('check', r, 'integrity');
    },

    async restore(snapshotId, target, includes) {
      const args = [
        snapshotId,
        '--target',
        target,
        '--verify',
        ...includes.flatMap((p) => ['--include', escapePattern(p)]),
      ];
      const r = await restic('restore', args, { echo: 'all' });
      const verification = parseRestoreVerification(r.stdout, r.stderr, target);
      if (r.exitCode !== 0) {
        // Problems reported once verification started are differences on disk, not read errors.
        if (verification.started && classifyFailure(codes(), r.exitCode, r.stderr).kind === 'other')
          throw new ActionError(
            'restore-mismatch',
            `restic restore --verify found restored files that differ from the repository: ${verification.problems.slice(0, 3).join('; ') || 'see the restic output above'}.`,
            'Restores from this repository cannot be trusted as they are: run `restic check --read-data`, and check the disk and restic version of this runner.',
          );
        fail('restore', r, 'integrity');
      }
      if (verification.verified === undefined)
        throw new ActionError(
          'restore-mismatch',
          `restic restore --verify exited 0 without reporting that it verified the restored files (restic ${version?.text ?? 'unknown'}), so they cannot be confirmed against the repository.`,
          'Use restic 0.14 to 0.18 (or point restic-binary at one); run the restore by hand with --verify to see what it prints.',
        );
      return { verifiedFiles: verification.verified };
    },
  };
}
