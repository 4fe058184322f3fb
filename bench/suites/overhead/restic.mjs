// 3a. restic-restore-check vs restic cat config + snapshots + ls + check + restore --verify + sha256sum.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runActionTimed } from '../../lib/actions.mjs';
import { interleave, mustRun, timeCommand } from '../../lib/measure.mjs';
import { largestStep, sh, stepBreakdown, writeScript } from '../../lib/script.mjs';

const ACTION = 'restic-restore-check';
const FULL_SAMPLE = 20;
/** The second sample size at which restic processes are counted (issue 21: the same count at 20 and 200). */
const LARGE_SAMPLE = 200;
const SEED = '20261121';

function makeData(dir, files, maxBytes) {
  let total = 0;
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${String(i % 20).padStart(2, '0')}`);
    fs.mkdirSync(sub, { recursive: true });
    const size = 512 + Math.floor(Math.random() * maxBytes);
    fs.writeFileSync(path.join(sub, `f${i}.bin`), randomBytes(size));
    total += size;
  }
  return total;
}

/**
 * A `restic` first on PATH that records each start, then runs the real one. Used for the untimed probe
 * runs only, to show how many restic processes each side starts.
 */
function resticCounter(dir) {
  const bin = path.join(dir, 'count-bin');
  const log = path.join(dir, 'restic-starts.log');
  const real = (process.env.PATH ?? '')
    .split(':')
    .map((d) => path.join(d, 'restic'))
    .find((f) => fs.existsSync(f));
  if (!real) throw new Error('restic is not on PATH');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'restic'),
    `#!/bin/sh\nprintf '%s\\n' "$1" >> ${sh(log)}\nexec ${sh(real)} "$@"\n`,
    {
      mode: 0o755,
    },
  );
  return {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    /** Runs `fn`; returns its result and the restic subcommands started meanwhile. */
    async count(fn) {
      fs.writeFileSync(log, '');
      const result = await fn();
      return { result, starts: fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) };
    },
  };
}

export async function measure(ctx, target) {
  const dir = path.join(ctx.tmp, 'overhead-restic');
  const data = path.join(dir, 'data');
  const repo = path.join(dir, 'repo');
  const passwordFile = path.join(dir, 'password');
  const password = 'bench-restic-password-' + randomBytes(8).toString('hex');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(passwordFile, password, { mode: 0o600 });
  const files = ctx.smoke ? 20 : 1000;
  // The issue's job samples 20 files; the smoke run only checks that the benchmark still works.
  const SAMPLE = ctx.smoke ? 1 : FULL_SAMPLE;
  const LARGE = Math.min(LARGE_SAMPLE, files);
  const bytes = makeData(data, files, ctx.smoke ? 8 * 1024 : 100 * 1024);
  const env = {
    ...process.env,
    RESTIC_REPOSITORY: repo,
    RESTIC_PASSWORD_FILE: passwordFile,
    RESTIC_CACHE_DIR: path.join(dir, 'setup-cache'),
  };
  await mustRun('restic', ['init'], { env });
  await mustRun('restic', ['backup', '--host', 'bench', data], { env });

  const inputs = { repository: repo, password, 'sample-files': String(SAMPLE), 'sample-seed': SEED };
  const action = (extra = {}, extraEnv = {}) =>
    runActionTimed(ctx, ACTION, {
      inputs: { ...inputs, ...extra },
      dir: path.join(dir, 'runner'),
      env: extraEnv,
    });
  const counter = resticCounter(dir);
  // One run up front (it is the action's warm-up): it must pass, and its report names the files its
  // seeded sample restores, so the shell script restores and verifies exactly the same files.
  const { result: probe, starts: actionStarts } = await counter.count(() => action({}, counter.env));
  if (probe.code !== 0)
    throw new Error(`${ACTION} failed on the benchmark data: ${probe.error ?? probe.code}`);
  const sampled = (probe.report?.result?.restore?.files ?? []).map((f) => f.path);
  if (sampled.length !== Math.min(SAMPLE, files))
    throw new Error(`${ACTION}'s report lists ${sampled.length} restored files, expected ${SAMPLE}`);
  // Issue 21: the same number of restic processes at a much larger sample.
  const { result: large, starts: largeStarts } = await counter.count(() =>
    action({ 'sample-files': String(LARGE) }, counter.env),
  );
  if (large.code !== 0) throw new Error(`${ACTION} failed with sample-files ${LARGE}: ${large.error}`);
  const manifest = path.join(dir, 'manifest.sha256');
  fs.writeFileSync(
    manifest,
    sampled.map((p) => `${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}  .${p}`).join('\n') +
      '\n',
  );
  // What a careful operator's script does for the same guarantee: list the snapshot (a sample is drawn
  // from the listing), check, restore the sample with restic's own verification against the repository
  // (--verify), and hash every restored file (here against the source files).
  const script = writeScript(path.join(dir, 'raw.sh'), [
    `export RESTIC_REPOSITORY=${sh(repo)} RESTIC_PASSWORD_FILE=${sh(passwordFile)}`,
    // A cache private to the run, as the action uses (nothing read comes from an earlier run).
    'work=$(mktemp -d)',
    'export RESTIC_CACHE_DIR="$work/cache"',
    'restic cat config >/dev/null',
    'restic snapshots --json >"$work/snapshots.json"',
    'restic ls --json latest >"$work/tree.json"',
    'restic check',
    `restic restore latest --target "$work/restore" --verify ${sampled.map((p) => `--include ${sh(p)}`).join(' ')}`,
    `(cd "$work/restore" && sha256sum -c --quiet ${sh(manifest)})`,
    'rm -rf "$work"',
  ]);

  const reports = [];
  const raw = async (extraEnv = {}) => {
    const r = await timeCommand('sh', [script], { env: { ...process.env, ...extraEnv } });
    if (r.code !== 0) throw new Error(`raw restic script failed: ${(r.stderr || r.stdout).slice(-300)}`);
    return { value: r.ms };
  };
  const { starts: scriptStarts } = await counter.count(() => raw(counter.env));
  for (let w = 0; w < ctx.warmup; w++) {
    if (w > 0) await action();
    await raw();
  }
  const [a, b] = await interleave(
    [
      {
        label: ACTION,
        run: async ({ warmup }) => {
          const r = await action();
          if (r.code !== 0) throw new Error(`${ACTION} failed: ${r.error ?? r.code}`);
          if (!warmup) reports.push(r.report);
          return { value: r.ms };
        },
      },
      { label: 'shell script', run: () => raw() },
    ],
    { warmup: 0, runs: ctx.runs },
  );
  const constant = actionStarts.length === largeStarts.length;
  return {
    subject: ACTION,
    variants: [a, b],
    ratio: a.median / b.median,
    ratioOf: 'action / shell script',
    target,
    details: [
      `data: ${files} files, ${(bytes / 2 ** 20).toFixed(1)} MB, one snapshot in a local repository ` +
        `(restic ${probe.report?.result?.resticVersion ?? '?'}); check = structure; ${SAMPLE} files sampled ` +
        `(seed ${SEED}) and the same ${SAMPLE} restored by the script`,
      `script: restic ${scriptStarts.join(', ')} (${scriptStarts.length} restic processes): restore latest ` +
        `--verify --include ×${SAMPLE}, then sha256sum -c of the restored files against the source files`,
      `action: restic ${actionStarts.join(', ')} (${actionStarts.length} restic processes): restore --verify, ` +
        "then every restored file's size and modification time checked against the listing and its sha256 taken",
      `restic processes per check: ${actionStarts.length} at sample-files ${SAMPLE}, ${largeStarts.length} at ` +
        `sample-files ${LARGE} (${constant ? 'constant' : 'NOT constant'})`,
      stepBreakdown(reports),
    ],
    note:
      largestStep(reports) +
      'Beyond the script, the action starts `restic version` (its exit codes differ by version) and checks ' +
      "each restored file's size and time against the listing; the step breakdown above shows where the time goes.",
  };
}
