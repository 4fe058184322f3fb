// 8. The recovery drill: tofu-plan-with-state-backup in rehearse mode vs a shell script doing
// rclone copyto + sha256sum -c + tar xzf + plan -detailed-exitcode (issue 14).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { landed, notBuilt, runActionTimed } from '../lib/actions.mjs';
import { interleave, mustRun, timeCommand } from '../lib/measure.mjs';
import { largestStep, sh, stepBreakdown, writeScript } from '../lib/script.mjs';

export const id = '8';
export const name = 'rehearse';
export const title = 'Recovery drill (rehearse) vs raw commands';
export const method =
  'A stack of 100 `terraform_data` resources applied once by the action with an off-site copy to a ' +
  '`:local:` rclone remote; then, interleaved, the action in `mode: rehearse` (run as a runner runs it, ' +
  'main and post: list the remote, fetch the newest archive of the state and its .sha256 into a ' +
  'private dir, verify, restore into a scratch state, init with its own TF_DATA_DIR, plan ' +
  '-detailed-exitcode with the var file, report) vs a `sh` script: `rclone copyto` of the same archive ' +
  'and its .sha256, `sha256sum -c`, `tar xzf` into a scratch dir, `plan -detailed-exitcode` in a ' +
  'directory initialised once beforehand whose local backend points at the scratch state, remove the ' +
  'scratch dir. Both must find no changes. Target: ratio ≤ 1.15.';

const ACTION = 'tofu-plan-with-state-backup';
const LIMIT = 1.15;
const TARGET = { on: 'ratio', op: '<=', limit: LIMIT, text: `ratio ≤ ${LIMIT}` };

function stack(count, backendPath) {
  return [
    'variable "run_id" {',
    '  type = string',
    '}',
    ...(backendPath
      ? ['terraform {', '  backend "local" {', `    path = ${JSON.stringify(backendPath)}`, '  }', '}']
      : []),
    'resource "terraform_data" "node" {',
    `  count = ${count}`,
    '  input = { run = var.run_id, index = count.index, role = "edge" }',
    '}',
    'output "nodes" {',
    '  value = length(terraform_data.node)',
    '}',
    '',
  ].join('\n');
}

function tofuBinary() {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (fs.existsSync(path.join(dir, 'tofu'))) return 'tofu';
  }
  return 'terraform';
}

export async function run(ctx) {
  if (!landed(ctx, ACTION)) return [notBuilt(`${ACTION} (rehearse mode)`, TARGET)];
  const dir = path.join(ctx.tmp, 'rehearse');
  const tofu = tofuBinary();
  const count = ctx.smoke ? 3 : 100;
  const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  const p = {
    stack: path.join(dir, 'stack-action'),
    raw: path.join(dir, 'stack-raw'),
    // The state directory must be private (the action refuses one others can read).
    state: path.join(dir, 'state', 'terraform.tfstate'),
    remote: path.join(dir, 'remote'),
    scratch: path.join(dir, 'raw-scratch'),
    vars: path.join(dir, 'run.tfvars'),
  };
  for (const d of [p.stack, p.raw, p.remote]) fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync(path.dirname(p.state), { recursive: true, mode: 0o700 });
  fs.writeFileSync(p.vars, 'run_id = "drill"\n');
  fs.writeFileSync(path.join(p.stack, 'main.tf'), stack(count));
  fs.writeFileSync(path.join(p.raw, 'main.tf'), stack(count, path.join(p.scratch, 'terraform.tfstate')));
  const remote = `:local:${p.remote}`;
  const inputs = {
    'working-directory': p.stack,
    'state-path': p.state,
    'var-files': p.vars,
    'backup-remote': remote,
    'tofu-binary': tofu,
  };
  const runAction = (mode) =>
    runActionTimed(ctx, ACTION, {
      dir: path.join(dir, 'runner'),
      env: { TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
      inputs: { ...inputs, mode },
    });

  // The applied stack and its off-site archive (the state the apply wrote, copied right after it).
  const applied = await runAction('apply');
  if (applied.code !== 0) throw new Error(`${ACTION} apply failed: ${applied.error ?? applied.code}`);
  const archive = path.basename(applied.outputs['after-apply-remote'] ?? '');
  if (!fs.existsSync(path.join(p.remote, archive)))
    throw new Error(`${ACTION} apply left no off-site archive (after-apply-remote '${archive}')`);
  // The raw side's working directory is initialised once (its backend already points at the scratch).
  await mustRun(tofu, ['init', '-input=false', '-no-color'], { cwd: p.raw, env });

  const script = writeScript(path.join(dir, 'raw.sh'), [
    `rm -rf ${sh(p.scratch)} && mkdir -m 700 ${sh(p.scratch)}`,
    `rclone copyto ${sh(`${remote}/${archive}`)} ${sh(path.join(p.scratch, archive))}`,
    `rclone copyto ${sh(`${remote}/${archive}.sha256`)} ${sh(path.join(p.scratch, `${archive}.sha256`))}`,
    `(cd ${sh(p.scratch)} && sha256sum -c ${sh(`${archive}.sha256`)} >/dev/null)`,
    `tar xzf ${sh(path.join(p.scratch, archive))} -C ${sh(p.scratch)}`,
    `cd ${sh(p.raw)}`,
    `${tofu} plan -input=false -no-color -detailed-exitcode -var-file=${sh(p.vars)} >/dev/null`,
    `rm -rf ${sh(p.scratch)}`,
  ]);

  const reports = [];
  let last;
  const [a, b] = await interleave(
    [
      {
        label: ACTION,
        run: async ({ warmup }) => {
          const before = fs.readFileSync(p.state);
          const r = await runAction('rehearse');
          if (r.code !== 0) throw new Error(`${ACTION} rehearse failed: ${r.error ?? r.code}`);
          if (r.outputs['has-changes'] !== 'false' || r.outputs['archive-source'] !== 'remote')
            throw new Error(`${ACTION} rehearse did not pass on the off-site archive`);
          if (!fs.readFileSync(p.state).equals(before))
            throw new Error(`${ACTION} rehearse touched the live state`);
          if (!warmup) reports.push(r.report);
          last = r;
          return { value: r.ms };
        },
      },
      {
        label: 'shell script',
        run: async () => {
          const r = await timeCommand('sh', [script], { env });
          if (r.code !== 0)
            throw new Error(
              `raw drill script failed (exit ${r.code}): ${(r.stderr || r.stdout).slice(-300)}`,
            );
          return { value: r.ms };
        },
      },
    ],
    { warmup: ctx.warmup, runs: ctx.runs },
  );
  const version = (await timeCommand(tofu, ['version'])).stdout.split('\n')[0];
  return [
    {
      subject: `${ACTION} (rehearse mode)`,
      variants: [a, b],
      ratio: a.median / b.median,
      ratioOf: 'action / shell script',
      target: TARGET,
      details: [
        `stack: ${count} terraform_data resources, unchanged (both sides must find no changes); ` +
          `${version} as tofu (${tofu === 'tofu' ? 'OpenTofu' : 'tofu is not installable here'})`,
        `archive: ${archive} (the state the apply wrote), on a :local: rclone remote`,
        'script: rclone copyto ×2, sha256sum -c, tar xzf, plan -detailed-exitcode in a directory initialised ' +
          'once beforehand, rm -rf of the scratch dir',
        'action: rclone lsjson (newest archive of this state, with its size) and one rclone copy of archive + .sha256, ' +
          'verification from one read (sha256, capped gunzip, tar, metadata, identity), scratch state, ' +
          'backend override + init with a fresh TF_DATA_DIR, plan -detailed-exitcode, the inventory of ' +
          'archives, report; post step',
        `last run: archive-age-seconds ${last?.outputs['archive-age-seconds'] ?? '?'}`,
        stepBreakdown(reports),
      ],
      note:
        largestStep(reports) +
        'Where the action costs more: it runs `init` every time (into a fresh data directory, so it never ' +
        "touches the stack's own .terraform; the script reuses a directory initialised once), lists the " +
        'remote to find the newest archive of this state, and verifies metadata and identity; each extra ' +
        'tofu/rclone process is a Go binary start-up.',
    },
  ];
}
