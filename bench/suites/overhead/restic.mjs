// 3a. restic-restore-check vs restic cat config + snapshots + check + restore + sha256sum.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runActionTimed } from '../../lib/actions.mjs';
import { interleave, mustRun, timeCommand } from '../../lib/measure.mjs';
import { largestStep, sh, stepBreakdown, writeScript } from '../../lib/script.mjs';

const ACTION = 'restic-restore-check';
const FULL_SAMPLE = 20;
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
  const action = () => runActionTimed(ctx, ACTION, { inputs, dir: path.join(dir, 'runner') });
  // One run up front (it is the action's warm-up): it must pass, and its report names the files its
  // seeded sample restores, so the shell script restores and verifies exactly the same files.
  const probe = await action();
  if (probe.code !== 0)
    throw new Error(`${ACTION} failed on the benchmark data: ${probe.error ?? probe.code}`);
  const sampled = (probe.report?.result?.restore?.files ?? []).map((f) => f.path);
  if (sampled.length !== Math.min(SAMPLE, files))
    throw new Error(`${ACTION}'s report lists ${sampled.length} restored files, expected ${SAMPLE}`);
  const manifest = path.join(dir, 'manifest.sha256');
  fs.writeFileSync(
    manifest,
    sampled.map((p) => `${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}  .${p}`).join('\n') +
      '\n',
  );
  const script = writeScript(path.join(dir, 'raw.sh'), [
    `export RESTIC_REPOSITORY=${sh(repo)} RESTIC_PASSWORD_FILE=${sh(passwordFile)}`,
    // A cache private to the run, as the action uses (nothing read comes from an earlier run).
    'work=$(mktemp -d)',
    'export RESTIC_CACHE_DIR="$work/cache"',
    'restic cat config >/dev/null',
    'restic snapshots --json >"$work/snapshots.json"',
    'restic check',
    `restic restore latest --target "$work/restore" ${sampled.map((p) => `--include ${sh(p)}`).join(' ')}`,
    `(cd "$work/restore" && sha256sum -c --quiet ${sh(manifest)})`,
    'rm -rf "$work"',
  ]);

  const reports = [];
  const raw = async () => {
    const r = await timeCommand('sh', [script]);
    if (r.code !== 0) throw new Error(`raw restic script failed: ${(r.stderr || r.stdout).slice(-300)}`);
    return { value: r.ms };
  };
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
      { label: 'shell script', run: raw },
    ],
    { warmup: 0, runs: ctx.runs },
  );
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
      `script: restic cat config, snapshots --json, check, restore latest --include ×${SAMPLE}, ` +
        'sha256sum -c against the source files (4 restic processes)',
      `action: restic version, cat config, snapshots --json, ls --json, check, restore --include ×${SAMPLE}, ` +
        `then per file \`restic dump\` hashed against the restored file (${5 + SAMPLE} restic processes; each ` +
        'one opens the repository, i.e. derives the key with scrypt)',
      stepBreakdown(reports),
    ],
    note:
      largestStep(reports) +
      'Why the action costs more: it verifies every restored file against the repository with its own ' +
      '`restic dump` (one extra restic process per file, each paying restic start-up and key derivation), plus ' +
      '`restic version` and `restic ls`; the script trusts the restore and compares with the live source ' +
      'files instead. The step breakdown above shows where the time goes.',
  };
}
