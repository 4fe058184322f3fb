import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { REPO_ROOT, runAction, type ActionRun } from './run-action.js';

/**
 * A hive directory, a scenario for the colmena stand-in (test/support/standins/colmena/colmena) and a
 * runner for the bundle with the stand-in first on PATH. Every stand-in invocation is recorded.
 */
export const STANDIN_DIR = path.join(REPO_ROOT, 'test', 'support', 'standins', 'colmena');

export interface StandinNode {
  tags?: string[];
  targetHost?: string | null;
  targetPort?: number | null;
  buildOnTarget?: boolean;
  keys?: string[];
  fail?: 'build' | 'push' | 'keys' | 'activate';
  hostKeyChanged?: boolean;
  rebootHangs?: boolean;
  targetUser?: string | null;
  privilegeEscalationCommand?: string[];
  sshOptions?: string[];
  /** Activate this system on the node for real, over ssh (see the stand-in's header). */
  system?: string;
  systemProfile?: string;
}

export interface Scenario {
  version?: string;
  allowApplyAll?: boolean;
  delayMs?: number;
  evalError?: string[];
  panic?: { file: string; message: string };
  /** Raw lines the stand-in prints on stderr during apply (workflow-command injection tests). */
  inject?: string[];
  nodes: Record<string, StandinNode>;
}

export interface Invocation {
  argv: string[];
  cwd: string;
  sshConfigFile: string | null;
  sshConfig: string | null;
  pid: number;
}

export interface HiveRun extends ActionRun {
  invocations: Invocation[];
  /** Grandchildren the stand-in started (the reboot poller). */
  spawned: number[];
}

export interface Hive {
  dir: string;
  workspace: string;
  run(
    inputs: Record<string, string>,
    extra?: { env?: Record<string, string>; timeoutMs?: number; onMainStarted?: (c: ChildProcess) => void },
  ): Promise<HiveRun>;
  cleanup(): void;
}

export function createHive(scenario: Scenario, o: { file?: 'hive.nix' | 'flake.nix' } = {}): Hive {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'colmena-ws-'));
  const dir = path.join(workspace, 'hive');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, o.file ?? 'hive.nix'), '{ meta.nixpkgs = <nixpkgs>; }\n');
  const scenarioFile = path.join(workspace, 'scenario.json');
  fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
  let n = 0;
  return {
    dir,
    workspace,
    async run(inputs, extra = {}) {
      const record = path.join(os.tmpdir(), `colmena-record-${process.pid}-${Date.now()}-${n++}.jsonl`);
      fs.writeFileSync(record, '');
      const r = await runAction({
        action: 'colmena-apply',
        workspace,
        inputs: { 'working-directory': 'hive', ...inputs },
        env: {
          PATH: `${STANDIN_DIR}:${process.env.PATH ?? ''}`,
          COLMENA_STANDIN_SCENARIO: scenarioFile,
          COLMENA_STANDIN_RECORD: record,
          ...extra.env,
        },
        timeoutMs: extra.timeoutMs ?? 60_000,
        onMainStarted: extra.onMainStarted,
      });
      const lines = fs
        .readFileSync(record, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Invocation & { spawned?: number });
      fs.rmSync(record, { force: true });
      return {
        ...r,
        invocations: lines.filter((l) => l.spawned === undefined),
        spawned: lines.filter((l) => l.spawned !== undefined).map((l) => l.spawned!),
      };
    },
    cleanup() {
      fs.rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/** A process that still runs; a zombie (killed, not yet reaped: PID 1 here does not reap) counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The `nodes` output parsed. */
export function nodesOutput(
  r: ActionRun,
): { name: string; result: string; lastPhase: string; error: string | null }[] {
  return JSON.parse(r.outputs.nodes ?? '[]');
}

/** Everything under a directory, recursively (for "nothing left behind" checks). */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f));
}
