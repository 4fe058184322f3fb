import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Small repositories for the push-mirror tests: a "Forgejo" canonical bare repository and a full clone
 * of it laid out like actions/checkout with fetch-depth: 0 (one local branch, the others as
 * refs/remotes/origin/*, tags, plus a refs/pull/* ref that must never reach the mirror).
 */
const ENV = {
  GIT_AUTHOR_NAME: 'Mirror Test',
  GIT_AUTHOR_EMAIL: 'mirror@example.org',
  GIT_COMMITTER_NAME: 'Mirror Test',
  GIT_COMMITTER_EMAIL: 'mirror@example.org',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

export function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...ENV, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

export function commit(dir: string, file: string, content: string, message = `change ${file}`): string {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), content);
  git(dir, ['add', file]);
  git(dir, ['commit', '--quiet', '-m', message]);
  return git(dir, ['rev-parse', 'HEAD']);
}

export interface SourceRepos {
  /** The canonical bare repository (what Forgejo holds). */
  canonical: string;
  /** A full clone of it, as a job's workspace. */
  clone: string;
  base: string;
}

/** main (2 commits), feature (1 more), annotated v1.0, lightweight v1.1, refs/pull/1/head. */
export function createSourceRepos(): SourceRepos {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pm-src-'));
  const work = path.join(base, 'work');
  const canonical = path.join(base, 'canonical.git');
  const clone = path.join(base, 'clone');
  git(base, ['init', '--quiet', '-b', 'main', work]);
  commit(work, 'README.md', '# demo\n');
  commit(work, 'src/app.txt', 'v1\n');
  git(work, ['tag', '-a', 'v1.0', '-m', 'release 1.0']);
  git(work, ['checkout', '--quiet', '-b', 'feature']);
  commit(work, 'src/feature.txt', 'feature\n');
  git(work, ['tag', 'v1.1']);
  git(work, ['checkout', '--quiet', 'main']);
  git(base, ['clone', '--quiet', '--bare', work, canonical]);
  // What Forgejo keeps for a pull request; GitHub refuses refs/pull/* pushes.
  git(canonical, ['update-ref', 'refs/pull/1/head', git(work, ['rev-parse', 'feature'])]);
  git(base, ['clone', '--quiet', `file://${canonical}`, clone]);
  git(clone, ['fetch', '--quiet', 'origin', '+refs/pull/*:refs/pull/*']);
  fs.rmSync(work, { recursive: true, force: true });
  return { canonical, clone, base };
}

/** `git ls-remote`-like view of a bare repository: ref → sha (peeled tags as `<ref>^{}`). */
export function refsOf(bareOrClone: string): Record<string, string> {
  let out: string;
  try {
    out = git(bareOrClone, ['show-ref', '--dereference']);
  } catch {
    return {}; // show-ref exits 1 for a repository without refs
  }
  const refs: Record<string, string> = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const [sha, ref] = line.split(' ');
    refs[ref] = sha;
  }
  return refs;
}

export interface LfsSource {
  /** The bare repository the git server serves as `<name>.git` (what Forgejo holds). */
  canonical: string;
  /** A working clone used to add commits to the canonical repository. */
  work: string;
  /** The job's checkout: origin is the server's URL; main is local, other branches refs/remotes/origin/*. */
  clone: string;
  base: string;
}

const LFS_ATTRIBUTES = '*.bin filter=lfs diff=lfs merge=lfs -text\n';

/**
 * Commits LFS pointer files (as `git lfs track` + `git add` would; the pointer format is git-lfs
 * docs/spec.md) and returns the contents so a test can put them on the LFS server (or leave one out).
 */
export function commitLfsFiles(
  dir: string,
  files: Record<string, Buffer>,
  pointer: (content: Buffer) => string,
  message = 'add LFS files',
): string {
  if (!fs.existsSync(path.join(dir, '.gitattributes')))
    fs.writeFileSync(path.join(dir, '.gitattributes'), LFS_ATTRIBUTES);
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), pointer(content));
  }
  git(dir, ['add', '.gitattributes', ...Object.keys(files)]);
  git(dir, ['commit', '--quiet', '-m', message]);
  return git(dir, ['rev-parse', 'HEAD']);
}

/**
 * A source for the LFS tests: `canonical` is served by the test git server at `url`; the checkout has
 * pointer files only (no LFS content, as actions/checkout leaves it without `lfs: true`).
 */
export function createLfsSource(canonical: string, url: string, build: (work: string) => void): LfsSource {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pm-lfs-'));
  const work = path.join(base, 'work');
  const clone = path.join(base, 'clone');
  git(base, ['init', '--quiet', '-b', 'main', work]);
  commit(work, 'README.md', '# lfs demo\n');
  build(work);
  git(work, ['push', '--quiet', '--all', canonical]);
  git(work, ['push', '--quiet', '--tags', canonical]);
  git(base, ['clone', '--quiet', canonical, clone]);
  git(clone, ['remote', 'set-url', 'origin', url]);
  return { canonical, work, clone, base };
}

/** Brings new canonical commits into the checkout (a later job's checkout), without talking HTTP. */
export function refreshClone(src: LfsSource): void {
  git(src.work, ['push', '--quiet', '--all', src.canonical]);
  git(src.clone, [
    'fetch',
    '--quiet',
    '--prune',
    src.canonical,
    '+refs/heads/*:refs/remotes/origin/*',
    '+refs/tags/*:refs/tags/*',
  ]);
  git(src.clone, ['merge', '--quiet', '--ff-only', 'refs/remotes/origin/main']);
}
