#!/usr/bin/env node
// The suite's cost over the raw tools, measured side by side (issue 10). See bench/README.md.
//
//   node bench/run.mjs                 full run, writes bench/results.json and bench/results.md
//   node bench/run.mjs --smoke         one round, tiny sizes, writes into a temp dir (CI: "does it still run")
//   options: --only 2,6   --runs N   --warmup N   --out DIR   --keep-temp
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { finish, writeResults } from './lib/results.mjs';
import { bundleSettled, workerBundle } from './lib/workers.mjs';
import * as bundleSize from './suites/bundle-size.mjs';
import * as coldStart from './suites/cold-start.mjs';
import * as overhead from './suites/overhead.mjs';
import * as stateArchive from './suites/state-archive.mjs';
import * as k3sEval from './suites/k3s-eval.mjs';
import * as redaction from './suites/redaction.mjs';
import * as lfsMirror from './suites/lfs-mirror.mjs';
import * as rehearse from './suites/rehearse.mjs';
import * as realistic from './suites/realistic.mjs';
import * as latency from './suites/latency.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SUITES = [
  bundleSize,
  coldStart,
  overhead,
  stateArchive,
  k3sEval,
  redaction,
  lfsMirror,
  rehearse,
  realistic,
  latency,
];

function parseArgs(argv) {
  const o = {
    smoke: false,
    only: undefined,
    runs: undefined,
    warmup: undefined,
    out: undefined,
    keepTemp: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--smoke') o.smoke = true;
    else if (a === '--only') o.only = next().split(',');
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--keep-temp') o.keepTemp = true;
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: node bench/run.mjs [--smoke] [--only 1,2,…] [--runs N] [--warmup N] [--out DIR] [--keep-temp]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.runs !== undefined && !(o.runs >= 1)) throw new Error('--runs must be ≥ 1');
  if (!o.smoke && o.runs !== undefined && o.runs < 5) console.warn('note: fewer than 5 runs is not a result');
  return o;
}

function quiet(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return 'unavailable';
  }
}

function environment() {
  const cpus = os.cpus();
  const dirty = quiet('git', ['status', '--porcelain', '--', 'actions', 'shared', 'dist']) !== '';
  return {
    date: new Date().toISOString(),
    commit: quiet('git', ['rev-parse', '--short', 'HEAD']) + (dirty ? ' (+ uncommitted changes)' : ''),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    tools: {
      git: quiet('git', ['--version']),
      restic: quiet('restic', ['version']),
      terraform: quiet('terraform', ['version']).split('\n')[0],
      tofu: quiet('tofu', ['version']).split('\n')[0],
      tar: quiet('tar', ['--version']).split('\n')[0],
      gzip: quiet('gzip', ['--version']).split('\n')[0],
    },
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  // A smoke run never writes under bench/: its (throw-away) results go to a temp dir of their own.
  const out =
    opts.out ??
    (opts.smoke ? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-')) : path.join(ROOT, 'bench'));
  const env = environment();
  const ctx = {
    root: ROOT,
    dist: path.join(ROOT, 'dist'),
    tmp,
    smoke: opts.smoke,
    runs: opts.runs ?? (opts.smoke ? 1 : 5),
    warmup: opts.warmup ?? (opts.smoke ? 0 : 1),
    log: (msg) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`),
  };
  const rows = [];
  const sections = {};
  let errors = 0;
  const unknown = (opts.only ?? []).filter((o) => !SUITES.some((s) => s.id === o || s.name === o));
  if (unknown.length > 0)
    throw new Error(
      `--only: no benchmark ${unknown.join(', ')} (${SUITES.map((s) => `${s.id} ${s.name}`).join(', ')})`,
    );
  const selected = SUITES.filter((s) => !opts.only || opts.only.includes(s.id) || opts.only.includes(s.name));
  try {
    // Bundle first and wait: ncc must not compete with any measurement for the CPUs.
    if (selected.some((s) => s.needsWorker?.(ctx))) {
      ctx.log('bundling bench/workers/index.ts with scripts/bundle.mjs');
      workerBundle(ctx);
      // A full run waits so ncc never competes with a measurement; a smoke run's numbers mean nothing,
      // so it goes on with the benchmarks that need no bundle meanwhile.
      if (!opts.smoke) await bundleSettled(ctx);
    }
    for (const suite of selected) {
      sections[suite.id] = { title: suite.title, method: suite.method };
      ctx.log(`${suite.id}. ${suite.title}`);
      const t0 = performance.now();
      let produced;
      try {
        produced = await suite.run(ctx);
      } catch (e) {
        produced = [{ subject: 'all', status: 'error', reason: e.message }];
        console.error(e.stack ?? e);
      }
      for (const r of produced) {
        const row = finish({ section: suite.id, title: suite.title, smoke: opts.smoke, ...r });
        if (row.status === 'error') errors++;
        rows.push(row);
        ctx.log(
          `  ${row.subject}: ${row.status}${row.by ? ' — ' + row.by : ''}${row.reason ? ' — ' + row.reason : ''}`,
        );
      }
      ctx.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    if (!opts.keepTemp) fs.rmSync(tmp, { recursive: true, force: true });
    else console.log(`temp files kept in ${tmp}`);
  }
  env.loadEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
  env.durationS = Math.round((performance.now() - started) / 100) / 10;
  if (env.loadStart[0] > env.cpus * 0.5 || env.loadEnd[0] > env.cpus * 0.5)
    env.notes = [
      `The machine was busy (load average ${env.loadStart[0]} → ${env.loadEnd[0]} on ${env.cpus} CPUs): ` +
        'ratios are indicative only; re-run on a quiet machine for the record.',
    ];
  const doc = {
    issue: 10,
    smoke: opts.smoke,
    method: { warmup: ctx.warmup, runs: ctx.runs, interleaved: true, statistic: 'median' },
    environment: env,
    sections,
    rows,
  };
  const written = writeResults(out, doc);
  console.log(`wrote ${written.json} and ${written.md} in ${env.durationS} s`);
  if (errors > 0) {
    console.error(`${errors} benchmark(s) failed to run`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(process.env.BENCH_DEBUG ? (e.stack ?? e) : `bench: ${e.message ?? e}`);
  process.exit(1);
});
