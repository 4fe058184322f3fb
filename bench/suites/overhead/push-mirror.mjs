// 3b. push-mirror (incremental push of 50 new commits + verification) vs git push + git ls-remote.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runActionTimed } from '../../lib/actions.mjs';
import { cachedFixture, linkTree } from '../../lib/fixture-cache.mjs';
import { startGitServer } from '../../lib/git-server.mjs';
import { startLatencyRelay } from '../../lib/latency-relay.mjs';
import { interleave, mustRun, timeCommand } from '../../lib/measure.mjs';
import { largestStep, sh, stepBreakdown, writeScript } from '../../lib/script.mjs';
import { describeStarts, toolCounter } from '../../lib/tool-counter.mjs';

const ACTION = 'push-mirror';

/** Bumped whenever the generated repositories change, so a cached copy of older ones is never used. */
const FIXTURE_VERSION = 1;

/**
 * The small row, and the realistic one (issue 21: ≥ 2,000 refs and ≥ 20,000 commits, 50 new ones pushed).
 * Refs: main, `branches` more branches and `tags` tags (every other one annotated).
 */
export const SIZES = {
  small: { commits: 400, branches: 1, tags: 5, files: 200, newCommits: 50, cache: false },
  realistic: { commits: 20_000, branches: 400, tags: 1_600, files: 200, newCommits: 50, cache: true },
  smoke: { commits: 20, branches: 1, tags: 5, files: 200, newCommits: 5, cache: false },
};

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

/** The refs beside main: `branches` branches and `tags` tags spread over the history (marks 1…commits). */
function refsStream({ commits, branches, tags }) {
  const out = [];
  const at = (i, n) => Math.max(1, commits - Math.floor(((i + 1) * commits) / (n + 1)));
  for (let i = 0; i < branches; i++) {
    const name = branches === 1 ? 'release' : `topic/${String(i).padStart(4, '0')}`;
    out.push(`reset refs/heads/${name}`, `from :${at(i, branches)}`, '');
  }
  for (let i = 0; i < tags; i++) {
    const name = `v1.${i + 1}`;
    if (i % 2 === 0) {
      out.push(`reset refs/tags/${name}`, `from :${at(i, tags)}`, '');
    } else {
      const msg = `release ${name}\n`;
      out.push(
        `tag ${name}`,
        `from :${at(i, tags)}`,
        `tagger Bench <bench@example.org> ${1_790_000_000 + i} +0000`,
        `data ${Buffer.byteLength(msg)}`,
        msg,
      );
    }
  }
  return out.join('\n') + '\n';
}

/**
 * `dir/source`: a checkout whose main has `commits` + `newCommits` commits, plus the other refs;
 * `dir/mirror-pristine.git`: the mirror as the last run left it (everything but the new commits).
 */
async function buildRepositories(dir, spec, log = () => {}) {
  const git = (cwd, args, input) =>
    mustRun('git', args, { cwd, input, env: { ...process.env, LC_ALL: 'C' }, timeoutMs: 3_600_000 });
  const source = path.join(dir, 'source');
  const pristine = path.join(dir, 'mirror-pristine.git');
  await git(dir, ['init', '--quiet', '-b', 'main', source]);
  await git(source, ['fast-import', '--quiet'], history(spec.commits, spec.files) + refsStream(spec));
  log(`  fixture: ${spec.commits} commits imported; mirror clone and ${spec.newCommits} new commits next`);
  await git(dir, ['clone', '--quiet', '--mirror', source, pristine]);
  // Then the new commits on main: the incremental push each run makes.
  const head = (await git(source, ['rev-parse', 'main'])).stdout.trim();
  await git(source, ['fast-import', '--quiet'], history(spec.newCommits, spec.files, spec.commits + 1, head));
  await git(source, ['reset', '--quiet', '--hard', 'main']);
  const refs = (await git(source, ['for-each-ref', '--format=%(refname)'])).stdout.trim().split('\n').length;
  return { refs };
}

function mkdir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * `rttMs`: the mirror is reached through bench/lib/latency-relay.mjs, which adds that round-trip time
 * (section 10); otherwise directly on loopback.
 */
export async function measure(ctx, target, size = 'small', { rttMs } = {}) {
  const spec = ctx.smoke ? SIZES.smoke : SIZES[size];
  const dir = fs.mkdtempSync(path.join(ctx.tmp, `overhead-push-mirror-${size}-`));
  const token = 'ghp_bench' + randomBytes(16).toString('hex');
  fs.mkdirSync(dir, { recursive: true });
  const params = { ...spec, cache: undefined };
  const fixture = spec.cache
    ? await cachedFixture(ctx, 'mirror-repositories', FIXTURE_VERSION, params, (d) =>
        buildRepositories(d, spec, ctx.log),
      )
    : {
        dir: path.join(dir, 'fixture'),
        info: await buildRepositories(mkdir(path.join(dir, 'fixture')), spec),
      };
  // Linked copies: nothing a run writes reaches the cached repositories.
  const source = path.join(dir, 'source');
  linkTree(path.join(fixture.dir, 'source'), source);
  const pristine = path.join(fixture.dir, 'mirror-pristine.git');
  const server = await startGitServer({ root: path.join(dir, 'server'), token });
  const relay = rttMs
    ? await startLatencyRelay({ targetPort: new URL(server.url('x')).port, rttMs })
    : undefined;
  try {
    const git = (cwd, args, input) =>
      mustRun('git', args, { cwd, input, env: { ...process.env, LC_ALL: 'C' } });
    const { commits: base, newCommits } = spec;

    const mirror = server.repoDir('mirror');
    const direct = server.url('mirror');
    const url = relay ? direct.replace(`:${new URL(direct).port}/`, `:${relay.port}/`) : direct;
    // Every run starts from the same mirror: the old history, as if the last mirror run was yesterday.
    const resetMirror = () => {
      fs.rmSync(mirror, { recursive: true, force: true });
      linkTree(pristine, mirror);
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

    // Untimed probes: the git processes (top-level starts through PATH) and HTTP requests of each side.
    const counter = toolCounter(dir, ['git']);
    const probe = async (run) => {
      resetMirror();
      const before = server.requests();
      const connectionsBefore = relay?.connections() ?? 0;
      const { result, starts } = await counter.count(run);
      if (result.code !== 0)
        throw new Error(`probe run failed: ${result.error ?? result.stderr ?? result.code}`);
      if ((await mirrorHead()) !== expectHead) throw new Error('a probe run left the mirror behind');
      return {
        starts,
        requests: server.requests() - before,
        connections: (relay?.connections() ?? 0) - connectionsBefore,
      };
    };
    const probeA = await probe(() =>
      runActionTimed(ctx, ACTION, { inputs, dir: path.join(dir, 'runner'), env: counter.env }),
    );
    const probeB = await probe(() =>
      timeCommand('sh', [script], { env: { ...process.env, ...counter.env } }),
    );

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
      subject:
        size === 'small'
          ? ACTION
          : `${ACTION} (${fixture.info.refs.toLocaleString('en')} refs, ${(base + newCommits).toLocaleString('en')} commits` +
            `${rttMs ? `, ${rttMs} ms round trip` : ''})`,
      variants: [a, b].map((v) => ({ ...v, details: undefined })),
      ratio: a.median / b.median,
      ratioOf: 'action / shell script',
      target,
      details: [
        `data: ${base} commits on main, ${spec.branches} more branch(es) and ${spec.tags} tags (every other ` +
          `one annotated; ${fixture.info.refs} refs in all) already mirrored; ${newCommits} new ` +
          'commits on main (3 files changed each) pushed each run; the mirror is restored to the old state ' +
          'before every run (untimed)',
        'remote: a real smart-HTTP server on loopback (`git http-backend` as CGI behind a Node front ' +
          'with HTTP Basic auth), not a file:// remote' +
          (relay
            ? `; reached through a relay adding ${rttMs} ms per round trip and one more per new TCP ` +
              `connection (bench/lib/latency-relay.mjs: netem is not available on this kernel); TCP ` +
              `connections per run: action ${probeA.connections}, script ${probeB.connections}`
            : ''),
        `script: git push --atomic --prune with +refs/heads/* and +refs/tags/*, then git ls-remote; ` +
          `${requestsB} HTTP requests; git processes: ${describeStarts(probeB.starts)}`,
        `action: git push --porcelain --atomic --prune with a constant set of glob and negative refspecs ` +
          `(heads, origin's remote-tracking branches as heads, tags; not HEAD), its porcelain report as the ` +
          `plan, verification of what the mirror holds after the push; ${requestsA} HTTP requests; git processes (counted on PATH in an untimed run): ` +
          `${describeStarts(probeA.starts)}; outputs: created ${out.created}, updated ${out.updated}, ` +
          `unchanged ${out.unchanged}, verified ${out.verified}`,
        stepBreakdown(reports),
      ],
      note:
        largestStep(reports) +
        'Where the action costs more: Node start-up and the bundle (see cold start) and the local git ' +
        "processes listed above beyond the script's; the HTTP request counts show the round trips each " +
        'side makes to the mirror, which is what grows with network latency.',
    };
  } finally {
    await relay?.stop();
    await server.stop();
  }
}
