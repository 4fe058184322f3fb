// 7. push-mirror with Git LFS: a first mirror of a repository with 200 LFS objects (200 MB) vs doing
// it by hand with `git lfs push --all` + `git push` (+ the `git ls-remote` check).
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { landed, notBuilt, runActionTimed } from '../lib/actions.mjs';
import { startGitServer } from '../lib/git-server.mjs';
import { interleave, mustRun, timeCommand } from '../lib/measure.mjs';
import { largestStep, sh, stepBreakdown, writeScript } from '../lib/script.mjs';

export const id = '7';
export const name = 'lfs-mirror';
export const title = 'push-mirror with Git LFS';
export const method =
  'A repository whose history (main, 20 commits, a tag) holds 200 LFS objects of 1 MB of random bytes ' +
  '(200 MB) is mirrored to an empty mirror: git http-backend plus a Git LFS batch/basic-transfer server ' +
  'on loopback behind one Basic-auth front. The checkout already has the objects in its LFS store, so ' +
  'both sides upload all 200 and nothing is downloaded. A: push-mirror with `lfs: true` as a runner runs ' +
  'it (pointer scan, batch check, `git lfs push --object-id`, ref push, ls-remote and LFS batch ' +
  'verification). B: a `sh` script doing it by hand: `git lfs push --all <url> main`, `git push --atomic ' +
  '--prune` of heads and tags, `git ls-remote`. The mirror (refs and LFS store) is emptied before every ' +
  'run (untimed); interleaved. Target: ratio ≤ 1.10 (the transfer dominates).';

const ACTION = 'push-mirror';
const TARGET = { on: 'ratio', op: '<=', limit: 1.1, text: 'time ratio ≤ 1.10' };

function pointer(oid, size) {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
}

export async function run(ctx) {
  if (!landed(ctx, ACTION)) return [notBuilt(ACTION, TARGET)];
  const count = ctx.smoke ? 10 : 200;
  const size = ctx.smoke ? 100 * 1024 : 1024 * 1024;
  const dir = path.join(ctx.tmp, 'lfs-mirror');
  const source = path.join(dir, 'source');
  const token = 'ghp_bench' + randomBytes(16).toString('hex');
  fs.mkdirSync(dir, { recursive: true });
  const server = await startGitServer({ root: path.join(dir, 'server'), token, lfs: true });
  try {
    const env = { ...process.env, LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const git = (cwd, args) => mustRun('git', args, { cwd, env });
    await git(dir, ['init', '--quiet', '-b', 'main', source]);
    await git(source, ['config', 'user.name', 'Bench']);
    await git(source, ['config', 'user.email', 'bench@example.org']);
    fs.writeFileSync(path.join(source, '.gitattributes'), '*.bin filter=lfs diff=lfs merge=lfs -text\n');
    const store = path.join(source, '.git', 'lfs', 'objects');
    // The objects are written straight into the checkout's LFS store (as a checkout with lfs: true has
    // them) and their pointers committed, 10 per commit.
    for (let i = 0; i < count; i++) {
      const content = randomBytes(size);
      const oid = createHash('sha256').update(content).digest('hex');
      fs.mkdirSync(path.join(store, oid.slice(0, 2), oid.slice(2, 4)), { recursive: true });
      fs.writeFileSync(path.join(store, oid.slice(0, 2), oid.slice(2, 4), oid), content);
      fs.mkdirSync(path.join(source, 'assets'), { recursive: true });
      fs.writeFileSync(path.join(source, 'assets', `f${i}.bin`), pointer(oid, size));
      if (i % 10 === 9 || i === count - 1) {
        await git(source, ['add', '.gitattributes', 'assets']);
        await git(source, ['commit', '--quiet', '-m', `assets up to ${i}`]);
      }
    }
    await git(source, ['tag', 'v1']);
    const url = server.url('mirror');
    const mirror = server.repoDir('mirror');
    const lfsStore = path.join(dir, 'server', 'lfs', 'mirror');
    const resetMirror = async () => {
      fs.rmSync(mirror, { recursive: true, force: true });
      fs.rmSync(lfsStore, { recursive: true, force: true });
      await git(dir, ['init', '--quiet', '--bare', '-b', 'main', mirror]);
    };
    const credential = Buffer.from(`x-access-token:${token}`).toString('base64');
    fs.writeFileSync(path.join(dir, 'credential'), credential, { mode: 0o600 });
    const origin = new URL(url).origin;
    const script = writeScript(path.join(dir, 'raw.sh'), [
      `export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_COUNT=2`,
      `export GIT_CONFIG_KEY_0=credential.helper GIT_CONFIG_VALUE_0=`,
      `export GIT_CONFIG_KEY_1=${sh(`http.${origin}/.extraheader`)}`,
      `export GIT_CONFIG_VALUE_1="AUTHORIZATION: basic $(cat ${sh(path.join(dir, 'credential'))})"`,
      `cd ${sh(source)}`,
      `git lfs push --all ${sh(url)} main`,
      `git push --atomic --prune ${sh(url)} '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*'`,
      `git ls-remote ${sh(url)} >/dev/null`,
    ]);
    const inputs = { 'remote-url': url, token, 'source-dir': source, lfs: 'true' };
    const uploaded = () => (fs.existsSync(lfsStore) ? fs.readdirSync(lfsStore).length : 0);
    const reports = [];
    const [a, b] = await interleave(
      [
        {
          label: ACTION,
          run: async ({ warmup }) => {
            await resetMirror();
            const r = await runActionTimed(ctx, ACTION, { inputs, dir: path.join(dir, 'runner'), env });
            if (r.code !== 0) throw new Error(`${ACTION} failed: ${r.error ?? r.code}`);
            if (uploaded() !== count || r.outputs['lfs-uploaded'] !== String(count))
              throw new Error(`${ACTION} uploaded ${uploaded()} of ${count} objects`);
            if (!warmup) reports.push(r.report);
            return { value: r.ms, outputs: r.outputs };
          },
        },
        {
          label: 'git lfs push --all + git push',
          run: async () => {
            await resetMirror();
            const r = await timeCommand('sh', [script], { env });
            if (r.code !== 0) throw new Error(`raw script failed: ${(r.stderr || r.stdout).slice(-300)}`);
            if (uploaded() !== count)
              throw new Error(`the raw script uploaded ${uploaded()} of ${count} objects`);
            return { value: r.ms };
          },
        },
      ],
      { warmup: ctx.warmup, runs: ctx.runs },
    );
    const out = a.details?.outputs ?? {};
    return [
      {
        subject: `${ACTION} lfs (${count} objects, ${Math.round((count * size) / 1e6)} MB)`,
        variants: [a, b].map((v) => ({ ...v, details: undefined })),
        ratio: a.median / b.median,
        ratioOf: 'action / by hand',
        target: TARGET,
        details: [
          `data: ${count} LFS objects of ${size} bytes in 20 commits on main and a tag; mirror emptied before every run`,
          'remote: git http-backend and an LFS batch/basic-transfer server on loopback behind Basic auth',
          `action outputs: created ${out.created}, lfs-uploaded ${out['lfs-uploaded']}, lfs-present ${out['lfs-present']}, verified ${out.verified}`,
          stepBreakdown(reports),
        ],
        note:
          largestStep(reports) +
          'The action does more than the script: it lists the pointers itself (rev-list, cat-file), asks ' +
          'the batch API which objects the mirror lacks before git-lfs asks again, and verifies every ' +
          'object with a batch download request after the push.',
      },
    ];
  } finally {
    await server.stop();
  }
}
