// 2. Cold start: each bundle run with inputs that fail validation, vs a bare `node -e 0`, on node 20 and
// node 24, with the loader's compile cache cold and warm (issue 21 item 5).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ALL_ACTIONS,
  actionYml,
  builtActions,
  notBuilt,
  readFileCommands,
  runnerEnv,
} from '../lib/actions.mjs';
import { interleave, timeCommand } from '../lib/measure.mjs';
import { findNode } from '../lib/nodes.mjs';
import { fmt } from '../lib/results.mjs';

export const id = '2';
export const name = 'cold-start';
export const title = 'Cold start';
export const method =
  "Wall time from spawn to exit of `node dist/<name>/index.js` (the loader, which enables Node's module " +
  'compile cache under RUNNER_TOOL_CACHE and imports the bundle action.js) in a runner-like environment ' +
  '(INPUT_* with action.yml defaults, RUNNER_TEMP, GITHUB_OUTPUT/STATE/ENV files) with one input made ' +
  'invalid, so the action loads, validates its inputs, fails through the one failure path, writes its ' +
  'report and exits 1 before any tool is spawned; reported as milliseconds added to `node -e 0` of the ' +
  'same node binary (difference of the medians). Node 20 and node 24 (BENCH_NODE20 / BENCH_NODE24, else ' +
  'the running node, else `node` on PATH; a missing one is reported as not measured). Cache cold: an ' +
  'empty RUNNER_TOOL_CACHE every run (node compiles the bundle and writes the cache); warm: a cache ' +
  'filled by an untimed run before the rounds. Node 20 has no compile cache (one variant). Every variant ' +
  'of both nodes is interleaved in one round. Target: node 24, warm cache ≤ 100 ms added (median).';

/** The node majors measured: what Forgejo runners in host mode may have on PATH, and `using: node24`. */
const NODES = [20, 24];
const LIMIT_MS = 100;
const TARGET = { on: 'value', op: '<=', limit: LIMIT_MS, text: `node 24 warm cache ≤ ${LIMIT_MS} ms added` };

/** One input change that fails validation, found in action.yml (no domain knowledge needed). */
export function failingInput(yml) {
  const inputs = Object.entries(yml?.inputs ?? {});
  const required = inputs.find(([, d]) => d?.required === true && d?.default === undefined);
  if (required) return { omit: [required[0]], inputs: {}, how: `required input '${required[0]}' not given` };
  const bool = inputs.find(([, d]) => d?.default === 'true' || d?.default === 'false');
  if (bool)
    return { omit: [], inputs: { [bool[0]]: 'maybe' }, how: `boolean input '${bool[0]}' set to 'maybe'` };
  const dur = inputs.find(([, d]) => /^\d+[smhd]$/.test(String(d?.default ?? '')));
  if (dur) return { omit: [], inputs: { [dur[0]]: 'soon' }, how: `duration input '${dur[0]}' set to 'soon'` };
  const int = inputs.find(([, d]) => /^\d+$/.test(String(d?.default ?? '')));
  if (int) return { omit: [], inputs: { [int[0]]: 'many' }, how: `integer input '${int[0]}' set to 'many'` };
  return undefined;
}

export async function run(ctx) {
  const rows = [];
  const subjects = [];
  for (const action of builtActions(ctx)) {
    const yml = actionYml(ctx, action);
    const bad = failingInput(yml);
    if (!yml || !bad) {
      rows.push({ subject: action, status: 'error', reason: 'no action.yml input to make invalid' });
      continue;
    }
    // main is what the runner starts: the path from action.yml (normally ../../dist/<name>/index.js).
    const main = path.resolve(ctx.root, 'actions', action, yml.runs?.main ?? `../../dist/${action}/index.js`);
    subjects.push({ action, bad, main });
  }
  const nodes = NODES.map((n) => findNode(n));
  let coldRuns = 0;
  const variants = [];
  const groups = [];
  for (const node of nodes.filter((n) => n.bin)) {
    const caches = node.compileCache ? ['cold', 'warm'] : ['none'];
    const base = path.join(ctx.tmp, 'cold-start', `node${node.major}`);
    // The warm cache: one directory per node, filled by the priming runs below before anything is timed.
    const warmToolCache = path.join(base, 'tool-cache-warm');
    fs.mkdirSync(warmToolCache, { recursive: true });
    const bare = {
      label: `node${node.major}: node -e 0`,
      run: async () => {
        const r = await timeCommand(node.bin, ['-e', '0']);
        if (r.code !== 0) throw new Error(`${node.bin} -e 0 exited ${r.code}`);
        return { value: r.ms };
      },
    };
    variants.push(bare);
    const group = { node, bare, subjects: [] };
    for (const s of subjects) {
      for (const cache of caches) {
        const dir = path.join(base, `${s.action}-${cache}`);
        const v = {
          label: `node${node.major}: ${s.action} (${cache})`,
          run: async () => {
            fs.rmSync(dir, { recursive: true, force: true });
            const { env, workspace, outputFile } = runnerEnv(ctx, s.action, {
              inputs: s.bad.inputs,
              omit: s.bad.omit,
              dir,
            });
            // The loader keeps its cache under RUNNER_TOOL_CACHE: an empty one per run is a cold cache.
            if (cache === 'cold') {
              env.RUNNER_TOOL_CACHE = path.join(base, `tool-cache-cold-${++coldRuns}`);
              fs.mkdirSync(env.RUNNER_TOOL_CACHE, { recursive: true });
            } else env.RUNNER_TOOL_CACHE = warmToolCache;
            const r = await timeCommand(node.bin, [s.main], { env, cwd: workspace });
            const cached =
              cache === 'none'
                ? 0
                : countFiles(path.join(env.RUNNER_TOOL_CACHE, 'edge-actions-compile-cache'));
            if (cache === 'cold') fs.rmSync(env.RUNNER_TOOL_CACHE, { recursive: true, force: true });
            const outputs = readFileCommands(outputFile);
            return {
              value: r.ms,
              code: r.code,
              cached,
              failureReason: outputs['failure-reason'],
              error: (r.stdout + r.stderr).split('\n').find((l) => l.startsWith('::error::')),
            };
          },
        };
        variants.push(v);
        group.subjects.push({ s, cache, v });
      }
    }
    groups.push(group);
  }
  const runs = Math.max(ctx.runs, ctx.smoke ? 1 : 15);
  // Prime the warm caches (untimed), whatever the warm-up setting: warm means "a run has been here before".
  for (const g of groups)
    for (const x of g.subjects.filter((x) => x.cache === 'warm')) await x.v.run({ warmup: true, round: -99 });
  const results = await interleave(variants, { warmup: ctx.warmup, runs });
  const byLabel = new Map(results.map((r) => [r.label, r]));
  for (const g of groups) {
    const bare = byLabel.get(g.bare.label);
    for (const { s, cache, v } of g.subjects) {
      const r = byLabel.get(v.label);
      const d = r.details;
      const added = r.median - bare.median;
      const target = g.node.major === 24 && cache === 'warm' ? TARGET : undefined;
      const cacheText =
        cache === 'none'
          ? 'no compile cache (module.enableCompileCache is absent in this node)'
          : `${cache} compile cache`;
      const row = {
        subject: `${s.action} (node ${g.node.major}, ${cache === 'none' ? 'no cache' : `${cache} cache`})`,
        value: added,
        unit: 'ms',
        summary: `+${fmt(added)} ms added (bundle ${fmt(r.median)} ms)`,
        ratio: r.median / bare.median,
        ratioOf: 'bundle / node -e 0, information: the target is on the ms added',
        variants: [
          { ...r, label: 'bundle', details: undefined },
          { ...bare, label: 'node -e 0', details: undefined },
        ],
        target,
        details: [
          `ms added = median of the bundle (${fmt(r.median)} ms) − median of node -e 0 (${fmt(bare.median)} ms), ` +
            `same node binary, same rounds; ratio ${fmt(r.median / bare.median)}×`,
          `node: ${g.node.version} (${g.node.bin}, found through ${g.node.how}); ${cacheText}` +
            (cache === 'none' ? '' : `; ${d.cached} files in the cache directory after the last run`),
          `invalid input: ${s.bad.how}`,
          `exit code ${d.code}, failure-reason '${d.failureReason ?? 'none'}'`,
          d.error ? `error line: ${d.error.slice(0, 200)}` : 'no ::error:: line',
          `${runs} interleaved rounds (cheap to run, so more than the minimum of 5)`,
          `bundle ${(fs.statSync(path.join(path.dirname(s.main), 'action.js')).size / 2 ** 20).toFixed(2)} MB (see section 1)`,
        ],
        ...(target && added > LIMIT_MS
          ? {
              note:
                'Why: no tool runs before the failure, so the time over the bare start is node reading the ' +
                'bundle (compiled code from the cache when warm), the top-level code of the modules it ' +
                'imports, input validation, the report and the file commands.',
            }
          : {}),
      };
      if (d.code !== 1) {
        row.status = 'error';
        row.reason = `the bundle exited ${d.code} instead of failing validation with 1`;
      } else if (cache === 'warm' && !(d.cached > 0)) {
        row.status = 'error';
        row.reason = 'the warm compile cache directory is empty: the loader did not enable the cache';
      }
      rows.push(row);
    }
  }
  for (const n of nodes.filter((x) => !x.bin)) {
    const row = {
      subject: `node ${n.major}`,
      status: n.error ? 'error' : 'not measured',
      reason: n.missing,
      ...(n.major === 24 ? { target: TARGET } : {}),
    };
    rows.push(row);
  }
  for (const action of ALL_ACTIONS.filter((a) => !builtActions(ctx).includes(a)))
    rows.push(notBuilt(action, TARGET));
  return rows;
}

function countFiles(dir) {
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n++;
  return n;
}
