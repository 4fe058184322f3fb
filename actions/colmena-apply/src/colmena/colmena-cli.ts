import { z } from 'zod';
import { ActionError, CancelledError } from '../../../../shared/errors.js';
import { redact } from '../../../../shared/secrets.js';
import { cancellation, lastLine, runTool, type ToolResult } from '../../../../shared/tool.js';
import type { Inventory, NodeInfo } from './node-selector.js';

/**
 * The colmena CLI behind a narrow interface, so the orchestration can be tested with a fake. Every call
 * runs in the hive directory with the generated SSH_CONFIG_FILE.
 */
export interface ColmenaCli {
  /** `colmena --version`: `Colmena 0.4.0` (clap's version output, src/cli.rs). */
  version(timeoutMs: number): Promise<ColmenaVersion>;
  /** Node names, tags and SSH targets through `colmena eval` (src/command/eval.rs), without deploying. */
  inventory(timeoutMs: number): Promise<Inventory>;
  /** `colmena <globals> <args>`; the result is inspected by the caller (exit 1/2/101 all mean something). */
  run(args: readonly string[], opts: RunOptions): Promise<ToolResult>;
}

export interface RunOptions {
  onLine: (line: string) => void;
  abort: AbortSignal;
  timeoutMs: number;
  group: string;
}

export interface ColmenaVersion {
  raw: string;
  major: number;
  minor: number;
  patch: number;
  pre?: string;
}

export interface ColmenaCliOptions {
  bin: string;
  cwd: string;
  /** -f/--config, --show-trace, --impure, --nix-option: global flags of both 0.4 and 0.5 (src/cli.rs). */
  globalArgs: readonly string[];
  env: Record<string, string | undefined>;
}

export function parseVersion(output: string): ColmenaVersion | undefined {
  const m = /\b(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?/.exec(output);
  if (!m) return undefined;
  return { raw: m[0], major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] };
}

/**
 * Reads what node selection and the action's own ssh need, nothing more: `config.deployment` is a small
 * module evaluation, the same colmena does itself for `--on @tag` (hive.deploymentConfig in
 * src/nix/hive/eval.nix). Option names and defaults from src/nix/hive/options.nix; `sshOptions` exists
 * only in 0.5, hence `or [ ]`.
 */
export const INVENTORY_EXPRESSION =
  '{ nodes, lib, ... }: lib.mapAttrs (name: node: { ' +
  'tags = node.config.deployment.tags; ' +
  'targetHost = node.config.deployment.targetHost; ' +
  'targetPort = node.config.deployment.targetPort; ' +
  'targetUser = node.config.deployment.targetUser; ' +
  'buildOnTarget = node.config.deployment.buildOnTarget; ' +
  'privilegeEscalationCommand = node.config.deployment.privilegeEscalationCommand; ' +
  'sshOptions = node.config.deployment.sshOptions or [ ]; ' +
  '}) nodes';

const inventorySchema = z.record(
  z.string(),
  z.object({
    tags: z.array(z.string()).default([]),
    targetHost: z.string().nullable().default(null),
    targetPort: z.number().int().nullable().default(null),
    targetUser: z.string().nullable().default('root'),
    buildOnTarget: z.boolean().default(false),
    privilegeEscalationCommand: z.array(z.string()).default(['sudo', '-H', '--']),
    sshOptions: z.array(z.string()).default([]),
  }),
);

export function parseInventory(json: string): Inventory | undefined {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return undefined;
  }
  const parsed = inventorySchema.safeParse(data);
  if (!parsed.success) return undefined;
  const map = new Map<string, NodeInfo>();
  for (const name of Object.keys(parsed.data).sort()) map.set(name, { name, ...parsed.data[name] });
  return map;
}

/** The panic message of a Rust `thread 'main' panicked at …` report (std's default panic hook). */
export function panicText(stderr: string): string {
  const lines = stderr.split(/\r?\n/);
  const start = lines.findIndex((l) => /^thread '.*' panicked at /.test(l));
  if (start < 0) return lastLine(stderr) || 'no panic text';
  const body = lines.slice(start, start + 4).filter((l) => !/^note: run with `RUST_BACKTRACE/.test(l));
  return redact(body.join(' ').replace(/\s+/g, ' ')).slice(0, 400);
}

export function createColmenaCli(o: ColmenaCliOptions): ColmenaCli {
  const base = { bin: o.bin, binInput: 'colmena-binary', cwd: o.cwd, env: o.env };
  return {
    async version(timeoutMs) {
      const r = await runTool({ ...base, args: ['--version'], timeoutMs, echo: 'all' });
      const v = r.exitCode === 0 ? parseVersion(r.stdout) : undefined;
      if (!v) {
        throw new ActionError(
          'invalid-input',
          `'${o.bin} --version' did not print a colmena version (exit ${r.exitCode}: "${lastLine(r.stdout + '\n' + r.stderr)}").`,
          "Point 'colmena-binary' at colmena 0.4 or newer.",
        );
      }
      return v;
    },
    async inventory(timeoutMs) {
      const r = await runTool({
        ...base,
        args: [...o.globalArgs, 'eval', '-E', INVENTORY_EXPRESSION],
        timeoutMs,
        echo: 'stderr',
        group: 'colmena eval (node inventory)',
      });
      if (r.cancelled) throw new CancelledError(cancellation() ?? 'SIGTERM');
      if (r.exitCode === 101) {
        throw new ActionError(
          'evaluation-failed',
          `colmena crashed (exit 101, a Rust panic) while reading the hive in '${o.cwd}': ${panicText(r.stderr)}.`,
          'Check that the hive file exists where working-directory/config point; nothing was deployed.',
        );
      }
      if (r.timedOut) {
        throw new ActionError(
          'timeout',
          'Evaluating the hive did not finish within the timeout; its process group was killed.',
        );
      }
      if (r.exitCode !== 0) {
        throw new ActionError(
          'evaluation-failed',
          `colmena could not evaluate the hive in '${o.cwd}' (exit ${r.exitCode}: "${lastLine(r.stderr)}").`,
          'Fix the evaluation error shown in the "colmena eval" log group; nothing was deployed.',
        );
      }
      const inventory = parseInventory(r.stdout);
      if (!inventory) {
        throw new ActionError(
          'evaluation-failed',
          'colmena eval did not return the node inventory as JSON (an object of nodes with deployment settings).',
          'Check that the hive defines nodes; nothing was deployed.',
        );
      }
      return inventory;
    },
    run(args, opts) {
      return runTool({
        ...base,
        args: [...o.globalArgs, ...args],
        timeoutMs: opts.timeoutMs,
        abort: opts.abort,
        onLine: (_stream, line) => opts.onLine(line),
        echo: 'all',
        group: opts.group,
        // colmena waits on ssh; it gets a short grace after SIGTERM before the group is killed.
        killGraceMs: 3000,
      });
    },
  };
}
