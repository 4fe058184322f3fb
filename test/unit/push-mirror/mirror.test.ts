import { describe, expect, test } from '@jest/globals';
import { ActionError } from '../../../shared/errors.js';
import { GitCommandError, type GitCli } from '../../../actions/push-mirror/src/git-cli.js';
import { runMirror, type MirrorDeps, type MirrorSettings } from '../../../actions/push-mirror/src/mirror.js';
import type { ForgejoApi, PushMirror } from '../../../actions/push-mirror/src/forgejo-api.js';
import type { LfsBatchApi } from '../../../actions/push-mirror/src/lfs/batch-api.js';
import type { LfsObject } from '../../../actions/push-mirror/src/lfs/pointers.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const T = 'e'.repeat(40);

/**
 * A fake git: the source is show-ref text, the mirror a map the fake push really edits, answering with
 * git's porcelain report (`<flag>\t<from>:<to>\t<summary>`, glob refspecs with --prune deleting what no refspec
 * writes). LFS: pointers the history reaches, a local store filled by lfsFetch from the source's objects.
 */
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
  pushes: Array<{ refspecs: readonly string[]; atomic: boolean; dryRun: boolean }> = [];
  lsRemotes = 0;
  /** What happened, in order (LFS uploads must come before the ref push). */
  events: string[] = [];
  lfsFilters = false;
  lfsObjects: LfsObject[] = [];
  localObjects = new Set<string>();
  sourceObjects = new Set<string>();
  lfsUploads: string[][] = [];
  uploadTo?: Set<string>;

  async isShallow() {
    return this.shallow;
  }
  async showRefs() {
    return this.source;
  }
  async lsRemote() {
    this.lsRemotes++;
    this.events.push('ls-remote');
    const lines = ['ref: refs/heads/main\tHEAD'];
    if (this.mirror.has('refs/heads/main')) lines.push(`${this.mirror.get('refs/heads/main')}\tHEAD`);
    for (const [ref, sha] of this.mirror) {
      lines.push(`${sha}\t${ref}`);
      if (sha === T) lines.push(`${A}\t${ref}^{}`);
    }
    return lines.join('\n');
  }
  async push(
    _dir: string,
    _remote: string,
    refspecs: readonly string[],
    opts: { atomic: boolean; prune: boolean; dryRun?: boolean },
  ) {
    this.pushes.push({ refspecs, atomic: opts.atomic, dryRun: Boolean(opts.dryRun) });
    this.events.push(opts.dryRun ? 'push --dry-run' : 'push');
    const failure = this.pushFailures.shift();
    if (failure) throw failure;
    // git's matching (remote.c match_push_refs): explicit refspecs first; then each local ref, in name
    // order, through the first glob whose source side matches it, skipping a destination already
    // written; with --prune, a mirror ref matching a glob's destination whose source does not exist is
    // deleted; negative refspecs drop destination names (git 2.39).
    const shaOf = new Map(
      this.source
        .split('\n')
        .map((l) => l.split(' '))
        .filter(([, ref]) => !ref.endsWith('^{}'))
        .map(([sha, ref]) => [ref, sha] as [string, string])
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    const target = new Map(this.mirror);
    const writes = new Map<string, string>();
    const globs: Array<{ from: RegExp; to: string; fromText: string }> = [];
    const negative = refspecs.filter((r) => r.startsWith('^')).map((r) => r.slice(1));
    for (const spec of refspecs) {
      if (spec.startsWith('^')) continue;
      const [from, to] = spec.replace(/^\+/, '').split(':');
      if (from.includes('*')) {
        const [pre, post] = from.split('*');
        globs.push({ from: new RegExp(`^${pre}(.*)${post}$`), to, fromText: from });
      } else if (!writes.has(to)) writes.set(to, from);
    }
    for (const ref of shaOf.keys()) {
      const g = globs.find((x) => x.from.test(ref));
      if (!g) continue;
      const to = g.to.replace('*', g.from.exec(ref)![1]);
      if (!writes.has(to)) writes.set(to, ref);
    }
    if (opts.prune) {
      for (const ref of target.keys()) {
        if (writes.has(ref)) continue;
        const g = globs.find((x) => new RegExp(`^${x.to.replace('*', '(.*)')}$`).test(ref));
        if (!g) continue;
        const src = g.fromText.replace('*', new RegExp(`^${g.to.replace('*', '(.*)')}$`).exec(ref)![1]);
        if (!shaOf.has(src)) writes.set(ref, '');
      }
    }
    const report: string[] = [];
    for (const [to, from] of writes) {
      if (negative.includes(to)) continue;
      const old = target.get(to);
      if (from === '') {
        if (target.delete(to)) report.push(`-\t:${to}\t[deleted]`);
        continue;
      }
      const sha = shaOf.get(from)!;
      if (!old) report.push(`*\t${from}:${to}\t[new branch]`);
      else if (old === sha) report.push(`=\t${from}:${to}\t[up to date]`);
      else report.push(`+\t${from}:${to}\t${old}...${sha} (forced update)`);
      target.set(to, sha);
    }
    if (!opts.dryRun) {
      this.mirror = target;
      this.afterPush?.(this.mirror);
    }
    return `To https://github.com/ex/infra.git\n${report.join('\n')}\nDone\n`;
  }
  async lfsVersion() {
    return this.lfs;
  }
  async hasLfsFilters() {
    return this.lfsFilters;
  }
  async lfsPointers() {
    this.events.push('lfs scan');
    return this.lfsObjects;
  }
  async lfsHasObject(_dir: string, o: { oid: string }) {
    return this.localObjects.has(o.oid);
  }
  async lfsFetch() {
    this.events.push('lfs fetch');
    for (const o of this.lfsObjects) if (this.sourceObjects.has(o.oid)) this.localObjects.add(o.oid);
    return undefined;
  }
  async lfsPushObjects(_dir: string, _remote: string, oids: readonly string[]) {
    this.events.push('lfs push');
    this.lfsUploads.push([...oids]);
    for (const oid of oids) this.uploadTo?.add(oid);
  }
  async originUrl() {
    return 'https://forgejo.example.org/ops/infra.git';
  }
}

/** The mirror's LFS batch API: `objects` is what it stores. */
class FakeLfsApi implements LfsBatchApi {
  objects = new Set<string>();
  calls: Array<{ operation: string; oids: string[] }> = [];
  sizeLimit?: number;
  async batch(operation: 'upload' | 'download', objects: ReadonlyArray<{ oid: string; size: number }>) {
    this.calls.push({ operation, oids: objects.map((o) => o.oid) });
    return objects.map(({ oid, size }) => {
      if (operation === 'upload' && this.sizeLimit !== undefined && size > this.sizeLimit) {
        return {
          oid,
          size,
          actions: [],
          error: { code: 422, message: `Size must be less than or equal to ${this.sizeLimit}` },
        };
      }
      if (operation === 'upload')
        return { oid, size, actions: this.objects.has(oid) ? [] : ['upload', 'verify'] };
      return this.objects.has(oid)
        ? { oid, size, actions: ['download'] }
        : { oid, size, actions: [], error: { code: 404, message: 'Object does not exist' } };
    });
  }
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
    lfs: 'false',
    hasSourceToken: true,
    dryRun: false,
    repository: 'ex/infra',
    waitTimeoutMs: 10_000,
    ...over,
  };
}

function deps(git: GitCli, forgejo?: ForgejoApi, lfs: LfsBatchApi = new FakeLfsApi()) {
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
    lfs,
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

const ALL_REFSPECS = [
  '+refs/heads/*:refs/heads/*',
  '+refs/remotes/origin/*:refs/heads/*',
  '+refs/tags/*:refs/tags/*',
  '^refs/remotes/origin/HEAD',
  '^refs/heads/HEAD',
];

describe('push mode', () => {
  test('one push writes every branch and tag and prunes, then one read verifies', async () => {
    const git = new FakeGit();
    const { d } = deps(git);
    const out = await runMirror(settings(), d);
    expect(out.error).toBeUndefined();
    expect(git.pushes).toEqual([{ refspecs: ALL_REFSPECS, atomic: true, dryRun: false }]);
    expect(git.events).toEqual(['push', 'ls-remote']);
    expect([...git.mirror.keys()].sort()).toEqual(['refs/heads/feature', 'refs/heads/main', 'refs/tags/v1']);
    // The plan is the mirror's own report of the push.
    expect(out.plan!.created.map((c) => c.ref)).toEqual(['refs/heads/feature', 'refs/tags/v1']);
    expect(out.plan!.updated).toEqual([
      { ref: 'refs/heads/main', before: A, after: B, from: 'refs/heads/main' },
    ]);
    expect(out.plan!.deleted.map((c) => c.ref)).toEqual(['refs/heads/gone']);
    expect(out.verification).toBe('passed');
    expect(out.mirrorHead).toBe(B);
  });

  test('origin/HEAD never becomes a mirror branch; a mirror branch named HEAD fails the verification', async () => {
    const git = new FakeGit();
    git.source += `\n${B} refs/remotes/origin/HEAD`;
    const clean = await runMirror(settings(), deps(git).d);
    expect(clean.error).toBeUndefined();
    expect(git.mirror.has('refs/heads/HEAD')).toBe(false);
    // Left by a script that pushed refs/remotes/origin/*: neither pushed nor pruned, but named.
    git.mirror.set('refs/heads/HEAD', A);
    const out = await runMirror(settings(), deps(git).d);
    expect((out.error as ActionError).reason).toBe('verify-mismatch');
    expect((out.error as ActionError).message).toContain('refs/heads/HEAD (only on the mirror');
  });

  test('patterns git cannot prune by itself are pruned from a listing read before the push', async () => {
    const git = new FakeGit();
    git.mirror.set('refs/heads/release', A);
    const { d } = deps(git);
    const out = await runMirror(
      settings({ refs: ['refs/heads/main', 'refs/heads/release', 'refs/tags/*'] }),
      d,
    );
    expect(out.error).toBeUndefined();
    expect(git.events).toEqual(['ls-remote', 'push', 'ls-remote']);
    expect(git.pushes[0].refspecs).toEqual([
      '+refs/tags/*:refs/tags/*',
      '+refs/heads/main:refs/heads/main',
      ':refs/heads/release',
    ]);
    expect(git.mirror.has('refs/heads/release')).toBe(false);
    // Out of scope: never touched.
    expect(git.mirror.has('refs/heads/gone')).toBe(true);
  });

  test.each<[string, (g: FakeGit) => void, Partial<MirrorSettings>, string]>([
    ['shallow source', (g) => (g.shallow = true), {}, 'shallow-clone'],
    ['nothing in scope', (g) => (g.source = `${A} refs/pull/1/head`), {}, 'invalid-input'],
    ['lfs without git-lfs', () => undefined, { lfs: 'true' }, 'invalid-input'],
    [
      'lfs auto with filters but without git-lfs',
      (g) => (g.lfsFilters = true),
      { lfs: 'auto' },
      'invalid-input',
    ],
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

  test('a network failure is retried with backoff; the same push again is safe', async () => {
    const git = new FakeGit();
    git.pushFailures.push(net());
    const { d, log } = deps(git);
    const origPush = git.push.bind(git);
    git.push = async (...args) => {
      // The failed attempt had already deleted the branch on the mirror.
      if (git.pushes.length === 0) git.mirror.delete('refs/heads/gone');
      return origPush(...args);
    };
    const out = await runMirror(settings(), d);
    expect(out.error).toBeUndefined();
    expect(git.pushes.map((p) => p.refspecs)).toEqual([ALL_REFSPECS, ALL_REFSPECS]);
    expect(log.slept).toEqual([1500]);
    expect(log.warn[0]).toMatch(/attempt 1 of 4 failed .*retrying in 1\.5s/);
    expect(out.verification).toBe('passed');
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

  test('dry run asks the mirror with push --dry-run and changes nothing', async () => {
    const git = new FakeGit();
    const before = new Map(git.mirror);
    const { d, log } = deps(git);
    const out = await runMirror(settings({ dryRun: true }), d);
    expect(git.pushes.map((p) => p.dryRun)).toEqual([true]);
    expect(git.mirror).toEqual(before);
    expect(out.plan!.created.map((c) => c.ref)).toEqual(['refs/heads/feature', 'refs/tags/v1']);
    expect(out.plan!.deleted.map((c) => c.ref)).toEqual(['refs/heads/gone']);
    expect(out.verification).toBe('skipped');
    expect(log.skipped).toEqual(['push: dry run']);
  });

  test('an up-to-date mirror reports everything unchanged and is still verified', async () => {
    const git = new FakeGit();
    git.source = `${A} refs/heads/main`;
    git.mirror = new Map([['refs/heads/main', A]]);
    const { d } = deps(git);
    const out = await runMirror(settings(), d);
    expect(out.pushed).toBe(false);
    expect(out.plan!.unchanged.map((c) => c.ref)).toEqual(['refs/heads/main']);
    expect(out.verification).toBe('passed');
  });

  test('verify false reads nothing from the mirror after the push', async () => {
    const git = new FakeGit();
    const { d } = deps(git);
    const out = await runMirror(settings({ verify: false }), d);
    expect(git.lsRemotes).toBe(0);
    expect(out.verification).toBe('skipped');
    expect(out.mirrorHead).toBeUndefined();
  });
});

describe('push mode with Git LFS', () => {
  const obj = (n: number, size = 1000): LfsObject => ({
    oid: String(n).repeat(64).slice(0, 64),
    size,
    path: `big/${n}.bin`,
  });

  function lfsGit(): FakeGit {
    const git = new FakeGit();
    git.lfs = 'git-lfs/3.3.0';
    git.lfsObjects = [obj(1), obj(2), obj(3, 5000)];
    for (const o of git.lfsObjects) git.sourceObjects.add(o.oid);
    return git;
  }

  test('objects are fetched, the missing ones uploaded before the refs, and every one verified', async () => {
    const git = lfsGit();
    git.localObjects.add(obj(1).oid);
    const api = new FakeLfsApi();
    api.objects.add(obj(2).oid);
    git.uploadTo = api.objects;
    const { d } = deps(git, undefined, api);
    const out = await runMirror(settings({ lfs: 'true' }), d);
    expect(out.error).toBeUndefined();
    expect(git.events).toEqual(['lfs scan', 'lfs fetch', 'lfs push', 'push', 'ls-remote']);
    expect(git.lfsUploads).toEqual([[obj(1).oid, obj(3).oid]]);
    expect(out.lfs!.counts).toMatchObject({
      objects: 3,
      fetched: 2,
      uploaded: 2,
      uploadedBytes: 6000,
      present: 1,
      presentBytes: 1000,
    });
    expect(api.calls.map((c) => c.operation)).toEqual(['upload', 'download']);
    expect(out.lfs!.verified).toBe(true);
    expect(out.verification).toBe('passed');
  });

  test('an object the source lacks fails before any ref is pushed, naming file and oid', async () => {
    const git = lfsGit();
    git.sourceObjects.delete(obj(2).oid);
    const { d } = deps(git);
    const out = await runMirror(settings({ lfs: 'true' }), d);
    expect((out.error as ActionError).reason).toBe('lfs-missing-object');
    expect((out.error as ActionError).message).toContain(`big/2.bin (oid ${obj(2).oid})`);
    expect(git.pushes).toEqual([]);
    expect(git.lfsUploads).toEqual([]);
  });

  test('an object the mirror refuses as too large fails as lfs-too-large before any ref', async () => {
    const git = lfsGit();
    const api = new FakeLfsApi();
    api.sizeLimit = 2000;
    const { d } = deps(git, undefined, api);
    const out = await runMirror(settings({ lfs: 'true' }), d);
    expect((out.error as ActionError).reason).toBe('lfs-too-large');
    expect((out.error as ActionError).message).toContain('big/3.bin');
    expect(git.pushes).toEqual([]);
  });

  test('an object the mirror lost after the upload fails the verification', async () => {
    const git = lfsGit();
    const api = new FakeLfsApi();
    git.uploadTo = api.objects;
    git.afterPush = () => api.objects.delete(obj(3).oid);
    const { d } = deps(git, undefined, api);
    const out = await runMirror(settings({ lfs: 'true' }), d);
    expect((out.error as ActionError).reason).toBe('verify-mismatch');
    expect((out.error as ActionError).message).toContain('big/3.bin');
    expect(out.lfs!.unresolved!.map((o) => o.oid)).toEqual([obj(3).oid]);
    expect(out.verification).toBe('failed');
  });

  test.each([
    [true, ['lfs scan', 'lfs fetch', 'lfs push', 'push', 'ls-remote']],
    [false, ['push', 'ls-remote']],
  ])('lfs auto with LFS filters in the pushed heads: %s', async (filters, events) => {
    const git = lfsGit();
    git.lfsFilters = filters;
    const api = new FakeLfsApi();
    git.uploadTo = api.objects;
    const { d } = deps(git, undefined, api);
    const out = await runMirror(settings({ lfs: 'auto' }), d);
    expect(out.error).toBeUndefined();
    expect(git.events).toEqual(events);
    expect(out.lfs!.enabled).toBe(filters);
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
        { atomic: true, prune: false },
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
