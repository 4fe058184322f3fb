import * as fs from 'node:fs';
import * as path from 'node:path';
import { urlUserInfo } from '../../../shared/credentials.js';
import { ActionError, INVALID_INPUT } from '../../../shared/errors.js';
import { registerSecret } from '../../../shared/secrets.js';
import { describeExit, lastLine, runTool, type ToolResult } from '../../../shared/tool.js';
import { classifyGitFailure, tellingLine, type GitFailureKind } from './git-errors.js';
import { classifyLfsAnswer, LfsError } from './lfs/errors.js';
import { pointerCandidates, pointersFromBatch, type LfsObject } from './lfs/pointers.js';

/** The git CLI as the mirror needs it; one method per intent so orchestration tests can pass a fake. */
export interface GitCli {
  /** Throws invalid-input when `dir` is not a git repository. */
  isShallow(dir: string): Promise<boolean>;
  /** `git show-ref --dereference` output (empty for a repository without refs). */
  showRefs(dir: string): Promise<string>;
  /** `git ls-remote --symref` output of the mirror. */
  lsRemote(dir: string, remote: string): Promise<string>;
  /**
   * `git push --porcelain -v` (with `--prune` when prune refspecs are given): returns the porcelain
   * report on stdout, the mirror's answer per ref. `dryRun` asks the mirror without changing it.
   */
  push(
    dir: string,
    remote: string,
    refspecs: readonly string[],
    opts: { atomic: boolean; prune: boolean; dryRun?: boolean },
  ): Promise<string>;
  /** The git-lfs version line, or undefined when git-lfs is not installed. */
  lfsVersion(): Promise<string | undefined>;
  /** Whether a `.gitattributes` in one of these commits' trees assigns the lfs filter. */
  hasLfsFilters(dir: string, revs: readonly string[]): Promise<boolean>;
  /** Every LFS pointer reachable from these commits (the whole history, not only the tips). */
  lfsPointers(dir: string, revs: readonly string[]): Promise<LfsObject[]>;
  /** Whether the local LFS store holds the object (right size). */
  lfsHasObject(dir: string, object: { oid: string; size: number }): Promise<boolean>;
  /** `git lfs fetch --all origin <revs>`; a failure is returned (classified), not thrown. */
  lfsFetch(dir: string, revs: readonly string[]): Promise<LfsError | undefined>;
  /** `git lfs push --object-id <remote> --stdin`: uploads exactly these objects. */
  lfsPushObjects(dir: string, remote: string, oids: readonly string[]): Promise<void>;
  /** The URL of the `origin` remote, if any (where the LFS objects come from). */
  originUrl(dir: string): Promise<string | undefined>;
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
  /** Environment for commands that talk to the mirror or the source (auth headers, no prompts). */
  remoteEnv: Record<string, string>;
  /** Environment for `git lfs fetch` from the source, given the URL of `origin`. */
  sourceEnv?: (origin: URL) => Record<string, string>;
  bin?: string;
  lsRemoteTimeoutMs?: number;
  pushTimeoutMs?: number;
}

function failed(what: string, r: ToolResult): GitCommandError {
  // With --porcelain the per-ref rejections are on stdout, git's and the remote's messages on stderr.
  const rejected = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('!'))
    .join('\n');
  const text = `${r.stderr}\n${rejected}`;
  const cls = classifyGitFailure(text, { timedOut: r.timedOut });
  // With prompts off, git reports a refused token as "could not read Username": say what happened.
  const line =
    cls.kind === 'auth' && /terminal prompts disabled/.test(r.stderr)
      ? 'the mirror refused the credentials (HTTP 401)'
      : tellingLine(text);
  const detail = r.timedOut ? `timed out (${lastLine(r.stderr) || 'no output'})` : line || describeExit(r);
  return new GitCommandError(cls.kind, cls.retryable, what, detail.replace(/\.$/, ''));
}

function lfsFailed(what: string, r: ToolResult): LfsError {
  const text = r.stderr.trim();
  const cls = r.timedOut
    ? { kind: 'network' as const, retryable: true }
    : /credentials for .* not found|terminal prompts disabled|could not read username/i.test(text)
      ? { kind: 'auth' as const, retryable: false }
      : classifyLfsAnswer(undefined, text);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Uploading|Downloading) LFS objects|^fetch: /.test(l));
  // git-lfs's own lines first: the server's message may run over several lines of its own.
  const telling =
    lines.find((l) => /^(LFS: |batch response: |\[[0-9a-f]{64}\] |error: )/.test(l)) ??
    lines.slice(-1)[0] ??
    '';
  return new LfsError(
    cls.kind,
    cls.retryable,
    `${what} failed: ${telling.slice(0, 300) || describeExit(r)}.`,
  );
}

export function createGitCli(opts: GitCliOptions): GitCli {
  const bin = opts.bin ?? 'git';
  const local = { LC_ALL: 'C', LANGUAGE: 'C', GIT_TERMINAL_PROMPT: '0' };
  const remote = { ...local, ...opts.remoteEnv };
  const git = (args: string[], extra: Partial<Parameters<typeof runTool>[0]> = {}) =>
    runTool({ bin, args, env: local, echo: 'stderr', ...extra });
  const mediaDirs = new Map<string, string>();
  const readOriginUrl = async (dir: string): Promise<string | undefined> => {
    const r = await git(['config', '--get', 'remote.origin.url'], {
      cwd: dir,
      timeoutMs: 30_000,
      echo: 'none',
    });
    return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  };

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
    async lsRemote(dir, url) {
      const r = await git(['ls-remote', '--symref', url], {
        cwd: dir,
        env: remote,
        timeoutMs: opts.lsRemoteTimeoutMs ?? 120_000,
        echo: 'stderr',
      });
      if (r.exitCode !== 0) throw failed(`Reading the mirror's refs (git ls-remote ${url})`, r);
      return r.stdout;
    },
    async push(dir, url, refspecs, { atomic, prune, dryRun }) {
      // core.abbrev=no: the porcelain report then names the mirror's old commits in full.
      const args = [
        '-c',
        'core.abbrev=no',
        'push',
        '--porcelain',
        '-v',
        ...(atomic ? ['--atomic'] : []),
        ...(prune ? ['--prune'] : []),
        ...(dryRun ? ['--dry-run'] : []),
        url,
        ...refspecs,
      ];
      const r = await git(args, {
        cwd: dir,
        env: remote,
        timeoutMs: opts.pushTimeoutMs ?? 30 * 60_000,
        echo: 'all',
        group: `git push${dryRun ? ' --dry-run' : ''} (${refspecs.length} refspec${refspecs.length === 1 ? '' : 's'})`,
      });
      if (r.exitCode !== 0) throw failed(`git push${dryRun ? ' --dry-run' : ''} to ${url}`, r);
      return r.stdout;
    },
    async lfsVersion() {
      const r = await git(['lfs', 'version'], { timeoutMs: 30_000, echo: 'none' });
      return r.exitCode === 0 ? r.stdout.trim() : undefined;
    },
    async hasLfsFilters(dir, revs) {
      if (revs.length === 0) return false;
      // `*` in a pathspec matches across `/`: the root .gitattributes and every nested one.
      const r = await git(['grep', '-q', '-e', 'filter=lfs', ...revs, '--', '*.gitattributes'], {
        cwd: dir,
        timeoutMs: 300_000,
        echo: 'none',
      });
      if (r.exitCode === 0) return true;
      if (r.exitCode === 1) return false;
      throw new ActionError(
        'tool-failed',
        `git grep for LFS filters failed: ${lastLine(r.stderr) || describeExit(r)}.`,
      );
    },
    async lfsPointers(dir, revs) {
      if (revs.length === 0) return [];
      // Blobs of 1024 bytes or more cannot be pointers: rev-list leaves them out itself.
      const list = await git(['rev-list', '--objects', '--filter=blob:limit=1024', '--stdin'], {
        cwd: dir,
        stdin: revs.join('\n') + '\n',
        timeoutMs: 30 * 60_000,
        echo: 'stderr',
      });
      if (list.exitCode !== 0)
        throw new ActionError(
          'tool-failed',
          `git rev-list failed: ${lastLine(list.stderr) || describeExit(list)}.`,
        );
      const check = await git(
        ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize) %(rest)'],
        { cwd: dir, stdin: list.stdout + '\n', timeoutMs: 30 * 60_000, echo: 'stderr' },
      );
      if (check.exitCode !== 0)
        throw new ActionError(
          'tool-failed',
          `git cat-file failed: ${lastLine(check.stderr) || describeExit(check)}.`,
        );
      const candidates = pointerCandidates(check.stdout);
      if (candidates.length === 0) return [];
      const chunks: Buffer[] = [];
      const blobs = await git(['cat-file', '--batch'], {
        cwd: dir,
        stdin: candidates.map((c) => c.sha).join('\n') + '\n',
        timeoutMs: 30 * 60_000,
        echo: 'stderr',
        onStdoutData: (c) => chunks.push(c),
      });
      if (blobs.exitCode !== 0)
        throw new ActionError(
          'tool-failed',
          `git cat-file failed: ${lastLine(blobs.stderr) || describeExit(blobs)}.`,
        );
      return pointersFromBatch(Buffer.concat(chunks), candidates);
    },
    async lfsHasObject(dir, { oid, size }) {
      let media = mediaDirs.get(dir);
      if (!media) {
        const r = await git(['lfs', 'env'], { cwd: dir, timeoutMs: 60_000, echo: 'none' });
        media = /^LocalMediaDir=(.+)$/m.exec(r.stdout)?.[1]?.trim();
        if (r.exitCode !== 0 || !media)
          throw new ActionError(
            'tool-failed',
            `git lfs env failed: ${lastLine(r.stderr) || describeExit(r)}.`,
          );
        mediaDirs.set(dir, media);
      }
      const stat = await fs.promises
        .stat(path.join(media, oid.slice(0, 2), oid.slice(2, 4), oid))
        .catch(() => undefined);
      return stat?.isFile() === true && stat.size === size;
    },
    async lfsFetch(dir, revs) {
      let origin: URL | undefined;
      const originUrl = (await readOriginUrl(dir)) ?? '';
      // A checkout may keep a token in origin's URL; git-lfs can print that URL in its errors.
      for (const part of urlUserInfo(originUrl)) registerSecret(part);
      try {
        origin = new URL(originUrl);
      } catch {
        origin = undefined; // a path or scp-like remote: git-lfs finds its way without our header
      }
      const r = await git(['lfs', 'fetch', '--all', 'origin', ...revs], {
        cwd: dir,
        env: { ...local, ...(origin && opts.sourceEnv ? opts.sourceEnv(origin) : {}) },
        timeoutMs: opts.pushTimeoutMs ?? 60 * 60_000,
        echo: 'all',
        group: `git lfs fetch --all origin (${revs.length} commit${revs.length === 1 ? '' : 's'})`,
      });
      return r.exitCode === 0 ? undefined : lfsFailed('git lfs fetch from origin', r);
    },
    async lfsPushObjects(dir, url, oids) {
      const r = await git(['lfs', 'push', '--object-id', url, '--stdin'], {
        cwd: dir,
        env: remote,
        stdin: oids.join('\n') + '\n',
        timeoutMs: opts.pushTimeoutMs ?? 60 * 60_000,
        echo: 'all',
        group: `git lfs push --object-id (${oids.length} object${oids.length === 1 ? '' : 's'})`,
      });
      if (r.exitCode !== 0) throw lfsFailed(`git lfs push to ${url}`, r);
    },
    originUrl: readOriginUrl,
  };
}
