// 3a. restic-restore-check vs restic cat config + snapshots + ls + check + restore --verify + sha256sum.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runActionTimed } from '../../lib/actions.mjs';
import { cachedFixture, linkTree } from '../../lib/fixture-cache.mjs';
import { interleave, mustRun, timeCommand } from '../../lib/measure.mjs';
import { largestStep, sh, stepBreakdown, writeScript } from '../../lib/script.mjs';
import { parseStart, toolCounter } from '../../lib/tool-counter.mjs';

const ACTION = 'restic-restore-check';
const SEED = '20261121';

/**
 * The sizes measured: the small row (1,000 files, 20 sampled) and the realistic one (issue 21: ≥ 10,000
 * files, ≥ 1 GB, 200 sampled). restic processes are counted at both sample sizes, 20 and 200.
 */
export const SIZES = {
  small: { files: 1000, minBytes: 512, maxBytes: 100 * 1024, sample: 20, otherSample: 200, cache: false },
  realistic: {
    files: 10_000,
    // 4 KiB to 212 KiB, 108 KiB on average: 1.03 GiB over 10,000 files.
    minBytes: 4 * 1024,
    maxBytes: 212 * 1024,
    sample: 200,
    otherSample: 20,
    cache: true,
  },
  smoke: { files: 20, minBytes: 512, maxBytes: 8 * 1024, sample: 1, otherSample: 20, cache: false },
};

/** Bumped whenever the generated repository changes, so a cached copy of an older one is never used. */
const FIXTURE_VERSION = 1;

/**
 * Random files (incompressible, as encrypted backups of media and archives are) in 20 folders, backed up
 * into a new restic repository in `dir/repo` (password in `dir/password`); `dir/hashes.json` maps each
 * file's path as stored in the snapshot to its sha256, so the data itself need not be kept.
 */
async function buildRepository(dir, { files, minBytes, maxBytes }, log = () => {}) {
  const data = path.join(dir, 'data');
  const repo = path.join(dir, 'repo');
  const passwordFile = path.join(dir, 'password');
  fs.writeFileSync(passwordFile, 'bench-restic-password-' + randomBytes(8).toString('hex'), { mode: 0o600 });
  const hashes = {};
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const sub = path.join(data, `d${String(i % 20).padStart(2, '0')}`);
    if (i < 20) fs.mkdirSync(sub, { recursive: true });
    const body = randomBytes(minBytes + Math.floor(Math.random() * (maxBytes - minBytes)));
    const file = path.join(sub, `f${i}.bin`);
    fs.writeFileSync(file, body);
    hashes[file] = createHash('sha256').update(body).digest('hex');
    bytes += body.length;
  }
  fs.writeFileSync(path.join(dir, 'hashes.json'), JSON.stringify(hashes));
  log(`  fixture: ${files} files, ${(bytes / 2 ** 20).toFixed(0)} MiB written; restic backup next`);
  const env = {
    ...process.env,
    RESTIC_REPOSITORY: repo,
    RESTIC_PASSWORD_FILE: passwordFile,
    RESTIC_CACHE_DIR: path.join(dir, 'setup-cache'),
  };
  await mustRun('restic', ['init'], { env });
  await mustRun('restic', ['backup', '--host', 'bench', data], { env, timeoutMs: 3_600_000 });
  // Only the repository is needed from here on: the script checks restored files against hashes.json.
  fs.rmSync(data, { recursive: true, force: true });
  fs.rmSync(env.RESTIC_CACHE_DIR, { recursive: true, force: true });
  return { files, bytes };
}

function mkdir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function measure(ctx, target, size = 'small') {
  const spec = ctx.smoke ? SIZES.smoke : SIZES[size];
  const dir = fs.mkdtempSync(path.join(ctx.tmp, `overhead-restic-${size}-`));
  fs.mkdirSync(dir, { recursive: true });
  const { files, minBytes, maxBytes } = spec;
  const fixture = spec.cache
    ? await cachedFixture(ctx, 'restic-repository', FIXTURE_VERSION, { files, minBytes, maxBytes }, (d) =>
        buildRepository(d, { files, minBytes, maxBytes }, ctx.log),
      )
    : { dir: path.join(dir, 'fixture'), info: await buildRepository(mkdir(path.join(dir, 'fixture')), spec) };
  const { bytes } = fixture.info;
  // A linked copy: the runs' lock files never touch the cached repository.
  const repo = path.join(dir, 'repo');
  linkTree(path.join(fixture.dir, 'repo'), repo);
  const passwordFile = path.join(fixture.dir, 'password');
  const password = fs.readFileSync(passwordFile, 'utf8');
  const hashes = JSON.parse(fs.readFileSync(path.join(fixture.dir, 'hashes.json'), 'utf8'));
  const SAMPLE = Math.min(spec.sample, files);
  const OTHER = Math.min(spec.otherSample, files);

  const inputs = { repository: repo, password, 'sample-files': String(SAMPLE), 'sample-seed': SEED };
  const action = (extra = {}, extraEnv = {}) =>
    runActionTimed(ctx, ACTION, {
      inputs: { ...inputs, ...extra },
      dir: path.join(dir, 'runner'),
      env: extraEnv,
    });
  // Counts restic starts (the PATH recorder) and records their arguments: the sample is read from the
  // action's own `restic restore --include …` (its report lists at most 50 files by name).
  const counter = toolCounter(dir, ['restic']);
  const subs = (starts) => starts.map((l) => parseStart(l).sub);
  // One run up front (it is the action's warm-up): it must pass, and its report names the files its
  // seeded sample restores, so the shell script restores and verifies exactly the same files.
  const { result: probe, starts: actionStarts } = await counter.count(() => action({}, counter.env));
  if (probe.code !== 0)
    throw new Error(`${ACTION} failed on the benchmark data: ${probe.error ?? probe.code}`);
  const restores = actionStarts.map(parseStart).filter((s) => s.sub === 'restore');
  if (restores.length !== 1)
    throw new Error(`${ACTION} started restic restore ${restores.length} times, not once`);
  const sampled = restores[0].args.flatMap((arg, i, all) => (all[i - 1] === '--include' ? [arg] : []));
  if (sampled.length !== SAMPLE)
    throw new Error(
      `${ACTION} restored ${sampled.length} files (restic restore --include), expected ${SAMPLE}`,
    );
  const listed = (probe.report?.result?.restore?.files ?? []).map((f) => f.path);
  if (listed.length === 0 || listed.some((p) => !sampled.includes(p)))
    throw new Error(`${ACTION}'s report names files it did not pass to restic restore`);
  // Issue 21: the same number of restic processes at another sample size (20 and 200).
  const { result: other, starts: otherStarts } = await counter.count(() =>
    action({ 'sample-files': String(OTHER) }, counter.env),
  );
  if (other.code !== 0) throw new Error(`${ACTION} failed with sample-files ${OTHER}: ${other.error}`);
  const manifest = path.join(dir, 'manifest.sha256');
  const unknown = sampled.filter((p) => hashes[p] === undefined);
  if (unknown.length > 0) throw new Error(`${ACTION} sampled files not in the data: ${unknown.slice(0, 3)}`);
  fs.writeFileSync(manifest, sampled.map((p) => `${hashes[p]}  .${p}`).join('\n') + '\n');
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
  const constant = actionStarts.length === otherStarts.length;
  const counts = [
    [SAMPLE, actionStarts.length],
    [OTHER, otherStarts.length],
  ].sort((x, y) => x[0] - y[0]);
  return {
    subject: size === 'small' ? ACTION : `${ACTION} (${files.toLocaleString('en')} files, ${SAMPLE} sampled)`,
    variants: [a, b],
    ratio: a.median / b.median,
    ratioOf: 'action / shell script',
    target,
    details: [
      `data: ${files} files, ${(bytes / 2 ** 20).toFixed(1)} MB of random bytes, one snapshot in a local ` +
        `repository (restic ${probe.report?.result?.resticVersion ?? '?'}); check = structure; ${SAMPLE} ` +
        `files sampled (seed ${SEED}) and the same ${SAMPLE} restored by the script` +
        (spec.cache
          ? `; repository ${fixture.cached ? 'from the bench cache' : 'built for this run and cached'} ` +
            `(${fixture.dir}, built in ${fixture.buildSeconds} s)`
          : ''),
      `script: restic ${subs(scriptStarts).join(', ')} (${scriptStarts.length} restic processes): restore latest ` +
        `--verify --include ×${SAMPLE}, then sha256sum -c of the restored files against the source files`,
      `action: restic ${subs(actionStarts).join(', ')} (${actionStarts.length} restic processes): restore --verify, ` +
        "then every restored file's size and modification time checked against the listing and its sha256 taken",
      `restic processes per check: ${counts.map(([n, c]) => `${c} at sample-files ${n}`).join(', ')} ` +
        `(${constant ? 'constant' : 'NOT constant'})`,
      stepBreakdown(reports),
    ],
    note:
      largestStep(reports) +
      'Beyond the script, the action starts `restic version` (its exit codes differ by version) and checks ' +
      "each restored file's size and time against the listing; the step breakdown above shows where the time goes.",
  };
}
