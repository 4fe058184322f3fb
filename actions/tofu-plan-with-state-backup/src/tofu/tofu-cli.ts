import * as path from 'node:path';
import { ActionError, CancelledError } from '../../../../shared/errors.js';
import { formatDuration } from '../../../../shared/inputs.js';
import { cancellation, describeExit, lastLine, runTool, type ToolResult } from '../../../../shared/tool.js';
import type { ShowPlanJson } from './plan-summary.js';

/**
 * The OpenTofu/Terraform CLI, narrowed to what this action does. JSON that may hold secrets in clear
 * text (`show -json`, `output -json`) is captured with `echo: 'none'` and never printed.
 */
export interface OutputValue {
  sensitive: boolean;
  type?: unknown;
  value: unknown;
}

export interface PlanRun {
  /** `-detailed-exitcode`: 0 no changes (outputs included), 2 changes. */
  exitCode: 0 | 2;
  /**
   * The human-readable plan as tofu printed it (raw: may hold what a provider printed; it goes only
   * through the redacting log and evidence writers).
   */
  text: string;
}

export interface InitOptions {
  /**
   * TF_PLUGIN_CACHE_DIR for this init (the provider plugin cache); `null` removes one the environment
   * sets (a download without any cache); undefined leaves the environment as it is.
   */
  pluginCacheDir?: string | null;
}

/**
 * init failed and its output names the plugin cache directory: the cache itself is broken (a file where
 * a directory belongs, no permission). tofu re-downloads a cached package that does not match the lock
 * file by itself; this is the case it cannot recover from.
 */
export class PluginCacheInitError extends ActionError {}

export interface TofuCli {
  readonly bin: string;
  /** The tool's version: read once per binary and run (`version -json`) unless already known. */
  version(): Promise<string>;
  /** Records the version read from something tofu wrote anyway (the backend record of init). */
  knowVersion(version: string): void;
  init(o?: InitOptions): Promise<void>;
  plan(o: { out: string; varFiles: readonly string[] }): Promise<PlanRun>;
  showPlan(planFile: string): Promise<ShowPlanJson>;
  apply(planFile: string): Promise<void>;
  outputs(): Promise<Record<string, OutputValue>>;
}

export interface TofuCliOptions {
  bin: string;
  cwd: string;
  lockTimeoutMs: number;
  /** Label of the stack in log groups (terramate runs several). */
  label?: string;
  /** TF_DATA_DIR for this client (the rehearsal keeps init out of the stack's own `.terraform`). */
  dataDir?: string;
}

/** Why tofu failed, from its own wording (internal/command/clistate/state.go "Error acquiring the state lock"). */
export function tofuFailureReason(stderr: string, fallback: string): string {
  return /Error acquiring the state lock|Error locking state/.test(stderr) ? 'state-locked' : fallback;
}

/** `tofu 1.9.0` for archive metadata; never fails (a backup must not depend on it). */
export async function toolLabel(tofu: TofuCli): Promise<string> {
  const name = path.basename(tofu.bin);
  return tofu.version().then(
    (v) => `${name} ${v}`,
    () => `${name} unknown`,
  );
}

/**
 * Versions per binary, shared by every client of this process (terramate runs one client per stack):
 * the version is a property of the binary, so it is read at most once per run.
 */
const versions = new Map<string, Promise<string>>();

/** For tests only. */
export function forgetVersionsForTest(): void {
  versions.clear();
}

export function tofuEnv(dataDir?: string): Record<string, string | undefined> {
  return {
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    // A selected non-default workspace would make the local backend ignore `path`.
    TF_WORKSPACE: 'default',
    ...(dataDir ? { TF_DATA_DIR: dataDir } : {}),
  };
}

export function createTofuCli(o: TofuCliOptions): TofuCli {
  const name = path.basename(o.bin);
  const where = o.label ? ` (${o.label})` : '';
  const lock = `-lock-timeout=${formatDuration(o.lockTimeoutMs)}`;
  const exec = (
    args: string[],
    extra: { echo?: 'all' | 'none'; group?: string; env?: Record<string, string | undefined> } = {},
  ) =>
    runTool({
      bin: o.bin,
      binInput: 'tofu-binary',
      args,
      cwd: o.cwd,
      env: { ...tofuEnv(o.dataDir), ...extra.env },
      echo: extra.echo ?? 'all',
      group: extra.group,
    });
  const fail = (what: string, r: ToolResult, reason: string, hint: string) =>
    // Stopped by a forwarded SIGINT/SIGTERM: report the cancellation, not a tofu failure.
    r.cancelled
      ? new CancelledError(cancellation() ?? 'SIGTERM')
      : new ActionError(
          tofuFailureReason(r.stderr, reason),
          `${name} ${what}${where} failed (${describeExit(r)}: ${lastLine(r.stderr || r.stdout) || 'no output'}).`,
          hint,
        );

  const readVersion = async () => {
    const r = await exec(['version', '-json'], { echo: 'none' });
    if (r.exitCode !== 0)
      throw fail('version', r, 'plan-failed', `Check that '${o.bin}' is OpenTofu or Terraform.`);
    try {
      return String((JSON.parse(r.stdout) as { terraform_version?: string }).terraform_version ?? 'unknown');
    } catch {
      return 'unknown';
    }
  };

  return {
    bin: o.bin,
    version() {
      // Asked for the plan metadata and each archive's metadata: one call per binary and run is enough.
      let v = versions.get(o.bin);
      if (!v) {
        v = readVersion();
        versions.set(o.bin, v);
        v.catch(() => versions.delete(o.bin));
      }
      return v;
    },
    knowVersion(v) {
      if (/^\d+\.\d+\.\d+\S*$/.test(v)) versions.set(o.bin, Promise.resolve(v));
    },
    async init(i = {}) {
      const cache = i.pluginCacheDir;
      const r = await exec(['init', '-input=false', '-no-color', '-reconfigure', lock], {
        group: `${name} init${where}`,
        env: cache === undefined ? undefined : { TF_PLUGIN_CACHE_DIR: cache ?? undefined },
      });
      if (r.exitCode === 0) return;
      const e = fail('init', r, 'plan-failed', 'Fix the configuration or provider access shown above.');
      if (cache && !r.cancelled && `${r.stdout}\n${r.stderr}`.includes(cache))
        throw new PluginCacheInitError(e.reason, e.message, e.hint);
      throw e;
    },
    async plan(p) {
      const args = ['plan', '-input=false', '-no-color', '-detailed-exitcode', lock, `-out=${p.out}`];
      for (const f of p.varFiles) args.push(`-var-file=${f}`);
      const r = await exec(args, { group: `${name} plan${where}` });
      if (r.exitCode === 0 || r.exitCode === 2) return { exitCode: r.exitCode, text: r.stdout };
      throw fail('plan', r, 'plan-failed', 'See the plan output above; the state was not changed.');
    },
    async showPlan(planFile) {
      const r = await exec(['show', '-json', '-no-color', planFile], { echo: 'none' });
      if (r.exitCode !== 0) throw fail('show -json', r, 'plan-failed', 'The saved plan could not be read.');
      try {
        return JSON.parse(r.stdout) as ShowPlanJson;
      } catch {
        throw new ActionError(
          'plan-failed',
          `${name} show -json${where} did not print JSON.`,
          'Check the tofu version.',
        );
      }
    },
    async apply(planFile) {
      const r = await exec(['apply', '-input=false', '-no-color', lock, planFile], {
        group: `${name} apply${where}`,
      });
      if (r.exitCode !== 0)
        throw fail(
          'apply',
          r,
          'apply-failed',
          'The state archive made before this apply can be restored with mode: restore; check for errored.tfstate in the working directory.',
        );
    },
    async outputs() {
      const r = await exec(['output', '-json', '-no-color'], { echo: 'none' });
      if (r.exitCode !== 0) throw fail('output -json', r, 'apply-failed', 'The outputs could not be read.');
      try {
        return JSON.parse(r.stdout || '{}') as Record<string, OutputValue>;
      } catch {
        throw new ActionError(
          'apply-failed',
          `${name} output -json${where} did not print JSON.`,
          'Check the tofu version.',
        );
      }
    },
  };
}
