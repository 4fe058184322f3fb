import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createArgvRecorder, type ArgvRecorder } from '../../support/argv-recorder.js';
import { startGitServer, type GitServer } from '../../support/push-mirror-git-server.js';
import { commit, git, refsOf } from '../../support/push-mirror-repos.js';
import { errorLines, runAction, type ActionRun } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';

/**
 * Issue 21 (cost at real scale): git matches every local ref against every refspec, so one explicit
 * refspec per ref made the push cost grow with refs². The push must pass a number of refspecs that does
 * not depend on how many branches and tags are mirrored — counted in the real `git push` argv — while
 * mirroring exactly the same thing: remote-tracking branches as branches, a local branch over its
 * remote-tracking twin, no origin/HEAD, tags, and prune of what the source no longer has.
 */
const TOKEN = 'mirror-token-refspec-count';

let server: GitServer;
let recorder: ArgvRecorder;
const cleanup: string[] = [];

beforeAll(async () => {
  requireTool('git');
  server = await startGitServer({ token: TOKEN });
  recorder = createArgvRecorder(['git']);
  cleanup.push(recorder.binDir);
});

afterAll(async () => {
  await server?.stop();
  for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A checkout like actions/checkout with fetch-depth: 0 of a repository with `n` branches and `n` tags
 * (three of them annotated): main and `b1` local (`b1` one commit ahead of origin/b1), the other
 * branches only as refs/remotes/origin/*, plus origin/HEAD.
 */
function checkoutWith(n: number): { clone: string; expected: Record<string, string> } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pm-scale-'));
  cleanup.push(base);
  const work = path.join(base, 'work');
  const canonical = path.join(base, 'canonical.git');
  const clone = path.join(base, 'clone');
  git(base, ['init', '--quiet', '-b', 'main', work]);
  const shas = ['one', 'two', 'three'].map((c) => commit(work, 'f.txt', `${c}\n`));
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) lines.push(`create refs/heads/b${i} ${shas[i % shas.length]}`);
  for (let i = 4; i <= n; i++) lines.push(`create refs/tags/t${i} ${shas[i % shas.length]}`);
  execFileSync('git', ['update-ref', '--stdin'], { cwd: work, input: lines.join('\n') + '\n' });
  for (let i = 1; i <= Math.min(3, n); i++) git(work, ['tag', '-a', `t${i}`, '-m', `tag ${i}`, shas[i - 1]]);
  git(base, ['clone', '--quiet', '--bare', work, canonical]);
  git(base, ['clone', '--quiet', `file://${canonical}`, clone]);
  git(clone, ['checkout', '--quiet', '-b', 'b1', 'origin/b1']);
  commit(clone, 'local.txt', 'made in the job\n');
  git(clone, ['checkout', '--quiet', 'main']);
  const expected = Object.fromEntries(
    Object.entries(refsOf(canonical)).filter(([r]) => /^refs\/(heads|tags)\//.test(r)),
  );
  expected['refs/heads/b1'] = git(clone, ['rev-parse', 'refs/heads/b1']);
  return { clone, expected };
}

function pushArgv(calls: string[][], url: string): string[][] {
  return calls.filter((argv) => argv.includes('push') && argv.includes(url));
}

async function mirrorAtScale(n: number): Promise<{ run: ActionRun; refspecs: string[] }> {
  const { clone, expected } = checkoutWith(n);
  const repo = `scale-${n}`;
  const mirrorDir = server.createRepo(repo);
  // Stale refs the source no longer has: prune must delete them in the same push.
  git(clone, ['push', '--quiet', mirrorDir, 'main:refs/heads/gone', 'main:refs/tags/gone']);
  const before = recorder.calls().length;
  const run = await runAction({
    action: 'push-mirror',
    inputs: { 'remote-url': server.url(repo), token: TOKEN, retries: '0' },
    workspace: clone,
    env: { PATH: recorder.path },
    timeoutMs: 300_000,
  });
  cleanup.push(run.runnerTemp);
  if (run.exitCode !== 0) console.log(errorLines(run.log).join('\n'));
  expect(run.exitCode).toBe(0);
  expect(run.outputs).toMatchObject({
    created: String(2 * n + 1),
    deleted: '2',
    verified: 'true',
  });
  const mirrored = Object.fromEntries(
    Object.entries(refsOf(mirrorDir)).filter(([r]) => /^refs\/(heads|tags)\//.test(r)),
  );
  expect(mirrored).toEqual(expected);
  expect(Object.keys(refsOf(mirrorDir)).filter((r) => !/^refs\/(heads|tags)\//.test(r))).toEqual([]);
  const pushes = pushArgv(recorder.calls().slice(before), server.url(repo));
  expect(pushes).toHaveLength(1);
  const argv = pushes[0];
  return { run, refspecs: argv.slice(argv.indexOf(server.url(repo)) + 1) };
}

describe('push-mirror at scale', () => {
  test('the refspecs passed to git push do not grow with the number of refs (5 and 500)', async () => {
    const small = await mirrorAtScale(5);
    const large = await mirrorAtScale(500);
    expect(large.refspecs).toEqual(small.refspecs);
    expect(small.refspecs.length).toBeLessThanOrEqual(5);
    // And the refs it mirrored are the source's, not one explicit refspec per ref.
    expect(large.run.outputs.created).toBe('1001');
    // Generous: the machine is shared; nothing here asserts on time.
  }, 600_000);
});
