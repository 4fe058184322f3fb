import { describe, expect, test } from '@jest/globals';
import { ActionError } from '../../../shared/errors.js';
import { GitCommandError, type GitCli } from '../../../actions/push-mirror/src/git-cli.js';
import { runMirror, type MirrorDeps, type MirrorSettings } from '../../../actions/push-mirror/src/mirror.js';
import type { ForgejoApi, PushMirror } from '../../../actions/push-mirror/src/forgejo-api.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const T = 'e'.repeat(40);

/** A fake git: the source is show-ref text, the mirror a map the fake push really edits. */
class FakeGit implements GitCli {
  shallow = false;
  lfs: string | undefined = undefined;
  source = [
    `${B} refs/heads/main`,
    `${A} refs/remotes/origin/feature`,
    `${T} refs/tags/v1`,
    `${A} refs/tags/v1^{}`,
    `${A} refs/pull/3/head`,
  ].join('\n');
  mirror = new Map<string, string>([
    ['refs/heads/main', A],
    ['refs/heads/gone', A],
  ]);
  /** Errors thrown by the next push calls, in order. */
  pushFailures: GitCommandError[] = [];
  /** Applied after each successful push (something else writing the mirror). */
  afterPush?: (m: Map<string, string>) => void;
  pushes: Array<{ refspecs: readonly string[]; atomic: boolean }> = [];
  lsRemotes = 0;

  async isShallow() {
    return this.shallow;
  }
  async showRefs() {
    return this.source;
  }
  async lsRemote() {
    this.lsRemotes++;
    const lines = ['ref: refs/heads/main\tHEAD'];
    if (this.mirror.has('refs/heads/main')) lines.push(`${this.mirror.get('refs/heads/main')}\tHEAD`);
    for (const [ref, sha] of this.mirror) {
      lines.push(`${sha}\t${ref}`);
      if (sha === T) lines.push(`${A}\t${ref}^{}`);
    }
    return lines.join('\n');
  }
  async push(_dir: string, _remote: string, refspecs: readonly string[], opts: { atomic: boolean }) {
    this.pushes.push({ refspecs, atomic: opts.atomic });
    const failure = this.pushFailures.shift();
    if (failure) throw failure;
    const shaOf = new Map(
      this.source
        .split('\n')
        .map((l) => l.split(' '))
        .map(([sha, ref]) => [ref, sha] as [string, string]),
    );
    for (const spec of refspecs) {
      const [from, to] = spec.replace(/^\+/, '').split(':');
      if (from === '') {
        if (!this.mirror.delete(to))
          throw new GitCommandError('push-failed', false, 'git push', `unable to delete '${to}'`);
      } else this.mirror.set(to, shaOf.get(from)!);
    }
    this.afterPush?.(this.mirror);
  }
  async lfsVersion() {
    return this.lfs;
  }
  async lfsPush() {}
}

function settings(over: Partial<MirrorSettings> = {}): MirrorSettings {
  return {
    mode: 'push',
    remoteUrl: new URL('https://github.com/ex/infra.git'),
    hasToken: true,
    sourceDir: '/src',
    refs: ['refs/heads/*', 'refs/tags/*'],
    prune: true,
    force: true,
    retries: 3,
    verify: true,
    lfs: false,
    dryRun: false,
    repository: 'ex/infra',
    waitTimeoutMs: 10_000,
    ...over,
  };
}

function deps(git: GitCli, forgejo?: ForgejoApi) {
  const log = {
    info: [] as string[],
    warn: [] as string[],
    steps: [] as string[],
    skipped: [] as string[],
    slept: [] as number[],
  };
  let t = 0;
  const d: MirrorDeps = {
    git,
    forgejo,
    step: async (name, fn) => {
      log.steps.push(name);
      return fn();
    },
    skip: (name, why) => void log.skipped.push(`${name}: ${why}`),
    info: (l) => void log.info.push(l),
    warn: (l) => void log.warn.push(l),
    sleep: async (ms) => {
      log.slept.push(ms);
      t += ms;
    },
    random: () => 0.5,
    now: () => t,
    pollMs: 2000,
    retryBaseMs: 2000,
  };
  return { d, log };
}

const net = () => new GitCommandError('network', true, 'git push', 'The requested URL returned error: 503');

describe('push mode', () => {
  test('plans, pushes exactly the changed branches and tags, prunes, and verifies', async () => {
    const git = new FakeGit();
    const { d } = deps(git);
    const out = await runMirror(settings(), d);
    expect(out.error).toBeUndefined();
    expect(git.pushes).toEqual([
      {
        refspecs: [
          '+refs/remotes/origin/feature:refs/heads/feature',
          '+refs/tags/v1:refs/tags/v1',
          '+refs/heads/main:refs/heads/main',
          ':refs/heads/gone',
        ],
        atomic: true,
      },
    ]);
    expect([...git.mirror.keys()].sort()).toEqual(['refs/heads/feature', 'refs/heads/main', 'refs/tags/v1']);
    expect(out.verification).toBe('passed');
    expect(out.mirrorHead).toBe(B);
  });

  test.each<[string, (g: FakeGit) => void, Partial<MirrorSettings>, string]>([
    ['shallow source', (g) => (g.shallow = true), {}, 'shallow-clone'],
    ['nothing in scope', (g) => (g.source = `${A} refs/pull/1/head`), {}, 'invalid-input'],
    ['lfs without git-lfs', () => undefined, { lfs: true }, 'invalid-input'],
    [
      'bad token',
      (g) => g.pushFailures.push(new GitCommandError('auth', false, 'git push', 'Authentication failed')),
      {},
      'auth',
    ],
    [
      'protected branch',
      (g) => g.pushFailures.push(new GitCommandError('protected-branch', false, 'git push', 'GH006')),
      {},
      'protected-branch',
    ],
    ['network for good', (g) => g.pushFailures.push(net(), net(), net(), net()), {}, 'network'],
    ['tampered mirror', (g) => (g.afterPush = (m) => m.set('refs/heads/rogue', A)), {}, 'verify-mismatch'],
  ])('%s fails as %s', async (_what, arrange, over, reason) => {
    const git = new FakeGit();
    arrange(git);
    const { d } = deps(git);
    const out = await runMirror(settings(over), d);
    expect(out.error).toBeInstanceOf(ActionError);
    expect((out.error as ActionError).reason).toBe(reason);
    expect((out.error as ActionError).hint).toBeTruthy();
  });

  test('auth and permission failures are not retried', async () => {
    const git = new FakeGit();
    git.pushFailures.push(
      new GitCommandError('permission-workflows', false, 'git push', 'refusing to allow'),
    );
    const { d, log } = deps(git);
    await runMirror(settings(), d);
    expect(git.pushes).toHaveLength(1);
    expect(log.slept).toEqual([]);
  });

  test('a network failure is retried with backoff, re-planning so a done deletion is not repeated', async () => {
    const git = new FakeGit();
    git.pushFailures.push(net());
    // The failed attempt had already deleted the branch on the mirror.
    git.afterPush = undefined;
    const { d, log } = deps(git);
    const origPush = git.push.bind(git);
    git.push = async (...args) => {
      if (git.pushes.length === 0) git.mirror.delete('refs/heads/gone');
      return origPush(...args);
    };
    const out = await runMirror(settings(), d);
    expect(out.error).toBeUndefined();
    expect(git.pushes).toHaveLength(2);
    expect(git.pushes[1].refspecs).not.toContain(':refs/heads/gone');
    expect(log.slept).toEqual([1500]);
    expect(log.warn[0]).toMatch(/attempt 1 of 4 failed .*retrying in 1\.5s/);
    expect(out.plan!.deleted).toHaveLength(1);
  });

  test('a server without atomic pushes gets a plain push and a warning', async () => {
    const git = new FakeGit();
    git.pushFailures.push(
      new GitCommandError(
        'atomic-unsupported',
        false,
        'git push',
        'the receiving end does not support --atomic push',
      ),
    );
    const { d, log } = deps(git);
    const out = await runMirror(settings(), d);
    expect(out.error).toBeUndefined();
    expect(git.pushes.map((p) => p.atomic)).toEqual([true, false]);
    expect(log.warn.join()).toMatch(/atomic/);
  });

  test('dry run plans but never pushes', async () => {
    const git = new FakeGit();
    const { d, log } = deps(git);
    const out = await runMirror(settings({ dryRun: true }), d);
    expect(git.pushes).toEqual([]);
    expect(out.plan!.created.map((c) => c.ref)).toEqual(['refs/heads/feature', 'refs/tags/v1']);
    expect(out.verification).toBe('skipped');
    expect(log.skipped).toEqual(['push: dry run']);
  });

  test('an up-to-date mirror is not pushed to, and still verified', async () => {
    const git = new FakeGit();
    git.source = `${A} refs/heads/main`;
    git.mirror = new Map([['refs/heads/main', A]]);
    const { d } = deps(git);
    const out = await runMirror(settings(), d);
    expect(git.pushes).toEqual([]);
    expect(out.verification).toBe('passed');
  });

  test('verify false skips the second ls-remote and reports the pushed head', async () => {
    const git = new FakeGit();
    const { d } = deps(git);
    const out = await runMirror(settings({ verify: false }), d);
    expect(git.lsRemotes).toBe(1);
    expect(out.verification).toBe('skipped');
    expect(out.mirrorHead).toBe(B);
  });
});

describe('forgejo-sync mode', () => {
  function forgejo(lists: PushMirror[][]): ForgejoApi & { posts: number } {
    let i = 0;
    const api = {
      posts: 0,
      listPushMirrors: async () => lists[Math.min(i++, lists.length - 1)],
      syncPushMirrors: async () => {
        api.posts++;
        return { status: 200, message: '' };
      },
    };
    return api;
  }
  const m = (u: string | null): PushMirror => ({
    remote_name: 'r',
    remote_address: 'https://github.com/ex/infra.git',
    last_update: u,
    last_error: '',
  });

  test('with remote-url and token: plan first, sync, then verify what Forgejo pushed', async () => {
    const git = new FakeGit();
    const api = forgejo([[m(null)], [m('2026-03-01T10:00:00Z')]]);
    // Forgejo's own push brings the mirror to the source state.
    api.syncPushMirrors = async () => {
      await git.push(
        '',
        '',
        [
          '+refs/remotes/origin/feature:refs/heads/feature',
          '+refs/tags/v1:refs/tags/v1',
          '+refs/heads/main:refs/heads/main',
          ':refs/heads/gone',
        ],
        { atomic: true },
      );
      return { status: 200, message: '' };
    };
    const { d } = deps(git, api);
    const out = await runMirror(settings({ mode: 'forgejo-sync' }), d);
    expect(out.error).toBeUndefined();
    expect(out.plan).toBeDefined();
    expect(out.verification).toBe('passed');
  });

  test('without remote-url nothing is read from git and verification is skipped', async () => {
    const git = new FakeGit();
    const api = forgejo([[m(null)], [m('2026-03-01T10:00:00Z')]]);
    const { d } = deps(git, api);
    const out = await runMirror(settings({ mode: 'forgejo-sync', remoteUrl: undefined, hasToken: false }), d);
    expect(out.error).toBeUndefined();
    expect(git.lsRemotes).toBe(0);
    expect(out.verification).toBe('skipped');
    expect(out.verificationNote).toMatch(/remote-url/);
    expect(api.posts).toBe(1);
  });

  test('dry run does not trigger Forgejo', async () => {
    const api = forgejo([[m(null)]]);
    const { d } = deps(new FakeGit(), api);
    await runMirror(settings({ mode: 'forgejo-sync', dryRun: true }), d);
    expect(api.posts).toBe(0);
  });
});
