// 3b. push-mirror (incremental push of 50 new commits + verification) vs git push + git ls-remote.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runActionTimed } from '../../lib/actions.mjs';
import { startGitServer } from '../../lib/git-server.mjs';
import { interleave, mustRun, timeCommand } from '../../lib/measure.mjs';
import { largestStep, sh, stepBreakdown, writeScript } from '../../lib/script.mjs';

const ACTION = 'push-mirror';
const NEW_COMMITS = 50;

/** A `git fast-import` stream: `count` commits on main, each changing a few of `files` text files. */
function history(count, files, startMark = 1, parent) {
  const out = [];
  let t = 1_790_000_000;
  for (let i = 0; i < count; i++) {
    const mark = startMark + i;
    const msg = `change ${mark}\n`;
    out.push(
      'commit refs/heads/main',
      `mark :${mark}`,
      `committer Bench <bench@example.org> ${t + mark * 60} +0000`,
    );
    out.push(`data ${Buffer.byteLength(msg)}`, msg.trimEnd());
    if (i === 0 && parent) out.push(`from ${parent}`);
    for (let k = 0; k < 3; k++) {
      const body = `${randomBytes(600).toString('base64')}\nrevision ${mark}\n`;
      out.push(
        `M 100644 inline src/f${(mark * 7 + k * 13) % files}.txt`,
        `data ${Buffer.byteLength(body)}`,
        body,
      );
    }
  }
  return out.join('\n') + '\n';
}

export async function measure(ctx, target) {
  const dir = path.join(ctx.tmp, 'overhead-push-mirror');
  const source = path.join(dir, 'source');
  const token = 'ghp_bench' + randomBytes(16).toString('hex');
  fs.mkdirSync(dir, { recursive: true });
  const server = await startGitServer({ root: path.join(dir, 'server'), token });
  try {
    const git = (cwd, args, input) =>
      mustRun('git', args, { cwd, input, env: { ...process.env, LC_ALL: 'C' } });
    const base = ctx.smoke ? 20 : 400;
    const newCommits = ctx.smoke ? 5 : NEW_COMMITS;
    // The canonical history, with a second branch and tags, as the mirror already has it.
    await git(dir, ['init', '--quiet', '-b', 'main', source]);
    await git(source, ['fast-import', '--quiet'], history(base, 200));
    await git(source, ['branch', 'release', 'main~3']);
    for (let i = 1; i <= 5; i++) await git(source, ['tag', `v1.${i}`, `main~${i * 2}`]);
    await git(source, ['reset', '--quiet', '--hard', 'main']);
    const pristine = path.join(dir, 'mirror-pristine.git');
    await git(dir, ['init', '--quiet', '--bare', '-b', 'main', pristine]);
    await git(source, ['push', '--quiet', '--mirror', pristine]);
    // Then 50 new commits on main: the incremental push each run makes.
    const head = (await git(source, ['rev-parse', 'main'])).stdout.trim();
    await git(source, ['fast-import', '--quiet'], history(newCommits, 200, base + 1, head));
    await git(source, ['reset', '--quiet', '--hard', 'main']);

    const mirror = server.repoDir('mirror');
    const url = server.url('mirror');
    // Every run starts from the same mirror: the old history, as if the last mirror run was yesterday.
    const resetMirror = () => {
      fs.rmSync(mirror, { recursive: true, force: true });
      fs.cpSync(pristine, mirror, { recursive: true });
    };
    const credential = Buffer.from(`x-access-token:${token}`).toString('base64');
    const origin = new URL(url).origin;
    // The same way of passing the token as the action: config through the environment, not argv.
    const script = writeScript(path.join(dir, 'raw.sh'), [
      `export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_COUNT=2`,
      `export GIT_CONFIG_KEY_0=credential.helper GIT_CONFIG_VALUE_0=`,
      `export GIT_CONFIG_KEY_1=${sh(`http.${origin}/.extraheader`)}`,
      `export GIT_CONFIG_VALUE_1="AUTHORIZATION: basic $(cat ${sh(path.join(dir, 'credential'))})"`,
      `cd ${sh(source)}`,
      `git push --atomic --prune ${sh(url)} '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*'`,
      `git ls-remote ${sh(url)} >/dev/null`,
    ]);
    fs.writeFileSync(path.join(dir, 'credential'), credential, { mode: 0o600 });
    const inputs = { 'remote-url': url, token, 'source-dir': source };
    const expectHead = (await git(source, ['rev-parse', 'main'])).stdout.trim();
    const mirrorHead = async () => (await git(mirror, ['rev-parse', 'refs/heads/main'])).stdout.trim();

    const reports = [];
    let requestsA = 0;
    let requestsB = 0;
    const [a, b] = await interleave(
      [
        {
          label: ACTION,
          run: async ({ warmup }) => {
            resetMirror();
            const before = server.requests();
            const r = await runActionTimed(ctx, ACTION, { inputs, dir: path.join(dir, 'runner') });
            if (r.code !== 0) throw new Error(`${ACTION} failed: ${r.error ?? r.code}`);
            if ((await mirrorHead()) !== expectHead) throw new Error(`${ACTION} left the mirror behind`);
            if (!warmup) reports.push(r.report);
            requestsA = server.requests() - before;
            return { value: r.ms, outputs: r.outputs };
          },
        },
        {
          label: 'shell script',
          run: async () => {
            resetMirror();
            const before = server.requests();
            const r = await timeCommand('sh', [script]);
            if (r.code !== 0) throw new Error(`raw git script failed: ${(r.stderr || r.stdout).slice(-300)}`);
            if ((await mirrorHead()) !== expectHead)
              throw new Error('the raw git script left the mirror behind');
            requestsB = server.requests() - before;
            return { value: r.ms };
          },
        },
      ],
      { warmup: ctx.warmup, runs: ctx.runs },
    );
    const out = a.details?.outputs ?? {};
    return {
      subject: ACTION,
      variants: [a, b].map((v) => ({ ...v, details: undefined })),
      ratio: a.median / b.median,
      ratioOf: 'action / shell script',
      target,
      details: [
        `data: ${base} commits on main, a release branch and 5 tags already mirrored; ${newCommits} new ` +
          'commits on main (3 files changed each) pushed each run; the mirror is restored to the old state ' +
          'before every run (untimed)',
        'remote: a real smart-HTTP server on loopback (`git http-backend` as CGI behind a Node front ' +
          'with HTTP Basic auth), not a file:// remote',
        `script: git push --atomic --prune with +refs/heads/* and +refs/tags/*, then git ls-remote ` +
          `(${requestsB} HTTP requests)`,
        `action: rev-parse --is-shallow-repository, show-ref, git push --porcelain --atomic --prune ` +
          `with one refspec per branch and tag plus prune refspecs (its report is the plan), ls-remote ` +
          `--symref (verify) (${requestsA} HTTP requests); ` +
          `outputs: created ${out.created}, updated ${out.updated}, unchanged ${out.unchanged}, verified ${out.verified}`,
        stepBreakdown(reports),
      ],
      note:
        largestStep(reports) +
        'Where the action costs more: Node start-up and the bundle (see cold start) and two local git ' +
        'processes (shallow check, show-ref); it makes the same two round trips to the mirror as the ' +
        'script (push, then ls-remote), so the difference does not grow with network latency.',
    };
  } finally {
    await server.stop();
  }
}
