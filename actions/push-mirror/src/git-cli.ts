import { ActionError, INVALID_INPUT } from '../../../shared/errors.js';
import { describeExit, lastLine, runTool, type ToolResult } from '../../../shared/tool.js';
import { classifyGitFailure, tellingLine, type GitFailureKind } from './git-errors.js';

/** The git CLI as the mirror needs it; one method per intent so orchestration tests can pass a fake. */
export interface GitCli {
  /** Throws invalid-input when `dir` is not a git repository. */
  isShallow(dir: string): Promise<boolean>;
  /** `git show-ref --dereference` output (empty for a repository without refs). */
  showRefs(dir: string): Promise<string>;
  /** `git ls-remote --symref` output of the mirror. */
  lsRemote(dir: string, remote: string): Promise<string>;
  push(dir: string, remote: string, refspecs: readonly string[], opts: { atomic: boolean }): Promise<void>;
  /** The git-lfs version line, or undefined when git-lfs is not installed. */
  lfsVersion(): Promise<string | undefined>;
  lfsPush(dir: string, remote: string): Promise<void>;
}

/** A failed git command against the mirror, classified from its stderr. */
export class GitCommandError extends ActionError {
  constructor(
    readonly kind: GitFailureKind,
    readonly retryable: boolean,
    readonly what: string,
    readonly detail: string,
  ) {
    super(kind, `${what} failed: ${detail}.`);
    this.name = 'GitCommandError';
  }
}

export interface GitCliOptions {
  /** Environment for commands that talk to the mirror (auth header, no prompts). */
  remoteEnv: Record<string, string>;
  bin?: string;
  lsRemoteTimeoutMs?: number;
  pushTimeoutMs?: number;
}

function failed(what: string, r: ToolResult): GitCommandError {
  const cls = classifyGitFailure(r.stderr, { timedOut: r.timedOut });
  // With prompts off, git reports a refused token as "could not read Username": say what happened.
  const line =
    cls.kind === 'auth' && /terminal prompts disabled/.test(r.stderr)
      ? 'the mirror refused the credentials (HTTP 401)'
      : tellingLine(r.stderr);
  const detail = r.timedOut ? `timed out (${lastLine(r.stderr) || 'no output'})` : line || describeExit(r);
  return new GitCommandError(cls.kind, cls.retryable, what, detail.replace(/\.$/, ''));
}

export function createGitCli(opts: GitCliOptions): GitCli {
  const bin = opts.bin ?? 'git';
  const local = { LC_ALL: 'C', LANGUAGE: 'C', GIT_TERMINAL_PROMPT: '0' };
  const git = (args: string[], extra: Partial<Parameters<typeof runTool>[0]> = {}) =>
    runTool({ bin, args, env: local, echo: 'stderr', ...extra });

  return {
    async isShallow(dir) {
      const r = await git(['rev-parse', '--is-shallow-repository'], { cwd: dir, timeoutMs: 30_000 });
      if (r.exitCode !== 0) {
        throw new ActionError(
          INVALID_INPUT,
          `Input 'source-dir' is invalid: '${dir}' is not a git repository (${lastLine(r.stderr) || describeExit(r)}).`,
          'Point source-dir at a full clone (actions/checkout with fetch-depth: 0).',
        );
      }
      return r.stdout.trim() === 'true';
    },
    async showRefs(dir) {
      const r = await git(['show-ref', '--dereference'], { cwd: dir, timeoutMs: 120_000, echo: 'none' });
      // show-ref exits 1 when the repository has no refs at all: an empty source, not an error.
      if (r.exitCode === 1 && r.stdout.trim() === '' && r.stderr.trim() === '') return '';
      if (r.exitCode !== 0)
        throw new ActionError(
          'tool-failed',
          `git show-ref failed: ${lastLine(r.stderr) || describeExit(r)}.`,
        );
      return r.stdout;
    },
    async lsRemote(dir, remote) {
      const r = await git(['ls-remote', '--symref', remote], {
        cwd: dir,
        env: { ...local, ...opts.remoteEnv },
        timeoutMs: opts.lsRemoteTimeoutMs ?? 120_000,
        echo: 'stderr',
      });
      if (r.exitCode !== 0) throw failed(`Reading the mirror's refs (git ls-remote ${remote})`, r);
      return r.stdout;
    },
    async push(dir, remote, refspecs, { atomic }) {
      const args = ['push', ...(atomic ? ['--atomic'] : []), remote, ...refspecs];
      const r = await git(args, {
        cwd: dir,
        env: { ...local, ...opts.remoteEnv },
        timeoutMs: opts.pushTimeoutMs ?? 30 * 60_000,
        echo: 'all',
        group: `git push (${refspecs.length} ref${refspecs.length === 1 ? '' : 's'})`,
      });
      if (r.exitCode !== 0) throw failed(`git push to ${remote}`, r);
    },
    async lfsVersion() {
      const r = await git(['lfs', 'version'], { timeoutMs: 30_000, echo: 'none' });
      return r.exitCode === 0 ? r.stdout.trim() : undefined;
    },
    async lfsPush(dir, remote) {
      const r = await git(['lfs', 'push', '--all', remote], {
        cwd: dir,
        env: { ...local, ...opts.remoteEnv },
        timeoutMs: opts.pushTimeoutMs ?? 60 * 60_000,
        echo: 'all',
        group: 'git lfs push --all',
      });
      if (r.exitCode !== 0) throw failed(`git lfs push to ${remote}`, r);
    },
  };
}
