// 4. State archive throughput: the tofu action's one-pass archive module vs `tar czf` then `sha256sum`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { landed, notBuilt } from '../lib/actions.mjs';
import { interleave, mb, timeCommand } from '../lib/measure.mjs';
import { sh, writeScript } from '../lib/script.mjs';
import { runWorker } from '../lib/workers.mjs';
import { prng } from '../lib/prng.mjs';

export const id = '4';
export const name = 'state-archive';
export const title = 'State archive throughput';
export const method =
  'A synthetic 100 MB OpenTofu state (format 4, 25,000+ resources with ids, ARNs, tags and base64 ' +
  'blobs; it compresses about as well as real states) is archived. A: the action module ' +
  '`createStateArchive` (state-archive.ts: read and parse the state, then tar → gzip → sha256 → file in ' +
  'one pass, fsync, checksum file, rename), timed inside a node process that has it loaded. B: `tar czf` ' +
  'of the same state followed by `sha256sum` of the archive into a .sha256 file (a `sh` script, timed ' +
  "from spawn to exit). C (for the explanation): the module's `writeTarGz` alone on the state bytes. " +
  'Throughput is state MB per second. Target: ratio A/B ≤ 1.0 (one pass must not be slower than two).';

const ACTION = 'tofu-plan-with-state-backup';
const TARGET = { on: 'ratio', op: '<=', limit: 1.0, text: 'time ratio ≤ 1.0' };

export const needsWorker = (ctx) => landed(ctx, ACTION);

const fmtMs = (ms) => `${Math.round(ms)} ms`;

/** Writes a state file of about `bytes`, shaped like `tofu show`'s input (state format 4). */
export function writeState(file, bytes) {
  const r = prng(4);
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
    return s;
  };
  const b64 = (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256))).toString('base64');
  const types = [
    'aws_instance',
    'aws_security_group_rule',
    'aws_route53_record',
    'hcloud_server',
    'aws_iam_policy',
  ];
  const fd = fs.openSync(file, 'w');
  const head = {
    version: 4,
    terraform_version: '1.10.0',
    serial: 1234,
    lineage: '4f1c9a2e-8d3b-4b7a-9c11-3e5f2d7a6b90',
    outputs: { edge_ip: { value: '203.0.113.10', type: 'string' } },
  };
  fs.writeSync(fd, JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "resources": [\n'));
  let written = 0;
  let n = 0;
  while (written < bytes) {
    const type = types[n % types.length];
    const id = `i-${hex(17)}`;
    const resource = {
      mode: 'managed',
      type,
      name: `node_${n}`,
      provider: 'provider["registry.opentofu.org/hashicorp/aws"]',
      instances: [
        {
          schema_version: 1,
          attributes: {
            id,
            arn: `arn:aws:ec2:eu-central-1:123456789012:instance/${id}`,
            ami: `ami-${hex(17)}`,
            instance_type: 't4g.small',
            private_ip: `10.${n % 256}.${(n >> 8) % 256}.${Math.floor(r() * 256)}`,
            tags: { Name: `edge-${n}`, Environment: 'production', ManagedBy: 'opentofu', Owner: 'ops' },
            user_data_base64: Buffer.from(
              `#cloud-config\nhostname: edge-${n}\npackages: [wireguard, nftables]\nwrite_files:\n` +
                `  - path: /etc/edge/id\n    content: ${hex(32)}\nruncmd:\n  - systemctl enable --now edge\n`,
            ).toString('base64'),
            root_block_device: [
              {
                volume_id: `vol-${hex(17)}`,
                volume_size: 20,
                volume_type: 'gp3',
                encrypted: true,
                iops: 3000,
              },
            ],
            vpc_security_group_ids: [`sg-${hex(17)}`, `sg-${hex(17)}`],
            timeouts: null,
          },
          sensitive_attributes: [],
          private: b64(90),
          dependencies: [`aws_security_group.edge_${n % 10}`, 'aws_subnet.edge'],
        },
      ],
    };
    const text = (n === 0 ? '' : ',\n') + JSON.stringify(resource, null, 2).replace(/^/gm, '    ');
    fs.writeSync(fd, text);
    written += text.length;
    n++;
  }
  fs.writeSync(fd, '\n  ],\n  "check_results": null\n}\n');
  fs.closeSync(fd);
  return { bytes: fs.statSync(file).size, resources: n };
}

async function archiveWorker(ctx, args) {
  await runWorker(ctx, 'archive', args);
  return JSON.parse(fs.readFileSync(args[3], 'utf8'));
}

/** The explanation, from the measured pass alone and what the module's source does (read at run time). */
function why(ctx, a, b, c) {
  const src = (f) => {
    try {
      return fs.readFileSync(path.join(ctx.root, 'actions', ACTION, 'src', f), 'utf8');
    } catch {
      return '';
    }
  };
  const level = /level:\s*(\d)/.exec(src('tar-gz.ts'))?.[1];
  const hashesTwice =
    /sha256\(bytes\)/.test(src('state-file.ts')) && /sha256\(stateBytes\)/.test(src('state-archive.ts'));
  return (
    `Why: the tar → gzip → sha256 → file pass alone (C) takes ${fmtMs(c.median)}, ` +
    `${(c.median / b.median).toFixed(2)}× \`tar czf\` + \`sha256sum\`: ` +
    (level
      ? `the module compresses with zlib level ${level} (tar-gz.ts), `
      : 'zlib in node vs the gzip binary, ') +
    '`tar czf` runs gzip at its default level 6. ' +
    `The other ${fmtMs(a.median - c.median)} of the module are the work around the pass: it reads the whole ` +
    'state into memory, parses it (serial and lineage) and hashes the state bytes' +
    (hashesTwice ? ' (twice: in parseState and for metadata.json)' : '') +
    ' before writing, then fsyncs the archive and writes the checksum file atomically; `tar czf` neither ' +
    'parses nor fsyncs.'
  );
}

export async function run(ctx) {
  const subject = `${ctx.smoke ? 2 : 100} MB state`;
  if (!landed(ctx, ACTION)) return [notBuilt(subject, TARGET)];
  const dir = path.join(ctx.tmp, 'state-archive');
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(stateDir, { recursive: true });
  const state = path.join(stateDir, 'terraform.tfstate');
  ctx.log(`  writing a ${subject}`);
  const info = writeState(state, (ctx.smoke ? 2 : 100) * 1024 * 1024);
  const out = path.join(dir, 'out');
  const fresh = () => {
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
  };
  const script = writeScript(path.join(dir, 'raw.sh'), [
    `cd ${sh(out)}`,
    `tar czf state.tar.gz -C ${sh(stateDir)} terraform.tfstate`,
    'sha256sum state.tar.gz > state.tar.gz.sha256',
  ]);
  const result = path.join(dir, 'result.json');
  let sizes = {};
  const variants = [
    {
      label: 'createStateArchive (one pass)',
      run: async () => {
        fresh();
        const r = await archiveWorker(ctx, ['archive', state, out, result]);
        sizes.a = r.bytes;
        return r.ms;
      },
    },
    {
      label: 'tar czf + sha256sum',
      run: async () => {
        fresh();
        const started = performance.now();
        const r = await timeCommand('sh', [script]);
        const ms = performance.now() - started;
        if (r.code !== 0) throw new Error(`tar script failed: ${r.stderr.slice(-300)}`);
        sizes.b = fs.statSync(path.join(out, 'state.tar.gz')).size;
        return ms;
      },
    },
  ];
  // C: the module's tar → gzip → sha256 → file pass alone, to tell its cost from the reading, parsing
  // and hashing around it (the explanation of the ratio).
  variants.push({
    label: 'writeTarGz alone',
    run: async () => {
      fresh();
      const r = await archiveWorker(ctx, ['targz', state, path.join(out, 'x.tar.gz'), result]);
      sizes.c = r.bytes;
      return r.ms;
    },
  });
  const [a, b, c] = await interleave(variants, { warmup: ctx.warmup, runs: ctx.runs });
  const stateMb = mb(info.bytes);
  const thr = (v) => `${(stateMb / (v.median / 1000)).toFixed(1)} MB/s`;
  return [
    {
      subject,
      variants: [a, b, c].map((v) => ({ ...v, details: undefined })),
      ratio: a.median / b.median,
      ratioOf: 'one pass time / tar czf + sha256sum time',
      target: TARGET,
      details: [
        `state: ${info.bytes} bytes, ${info.resources} resources`,
        `throughput: one pass ${thr(a)}, tar czf + sha256sum ${thr(b)}, writeTarGz alone ${thr(c)}`,
        `archive size: one pass ${mb(sizes.a).toFixed(1)} MB, tar czf ${mb(sizes.b).toFixed(1)} MB`,
      ],
      note: why(ctx, a, b, c),
    },
  ];
}
