import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError, InputError } from '../../../shared/errors.js';
import { formatDuration, type Settings } from '../../../shared/inputs.js';
import { makePrivateDir } from '../../../shared/fsx.js';
import type { ActionContext } from '../../../shared/run.js';
import { cancellation } from '../../../shared/tool.js';
import { failuresOf, type Failure } from './checks/result.js';
import { collectDiagnostics, planDiagnostics, type Diagnostic } from './report/diagnostics.js';
import type { Evaluation } from './checks/evaluation.js';
import {
  mergeExpectations,
  parseExpectDocument,
  type ExpectDocument,
  type Expectations,
} from './expect/expectations.js';
import type { inputs } from './inputs.js';
import { createKubectl, type ApiProblem, type KubeClient } from './cluster/kubectl.js';
import { prepareKubeconfig, type KubeTarget } from './cluster/kubeconfig.js';
import { pollChecks, waitForApi, type PollDeps, type PollOutcome } from './polling/poll.js';
import { probePort } from './checks/ports.js';
import type { VerifyResult } from './report/summary.js';
import * as log from '../../../shared/log.js';

export type VerifySettings = Settings<typeof inputs>;

export const STATE_PRIVATE_DIR = 'private-dir';

async function readExpectFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    throw new InputError('expect-file', 'the path of a readable YAML file', `'${file}'`);
  }
}

/** The checks from the line inputs and the expect YAML (see mergeExpectations for the rules). */
export async function loadExpectations(s: VerifySettings): Promise<Expectations> {
  if (s.expect !== undefined && s.expectFile !== undefined) {
    throw new InputError(
      'expect',
      "either 'expect' or 'expect-file', not both",
      "'expect' together with 'expect-file'",
    );
  }
  let doc: ExpectDocument | undefined;
  if (s.expect !== undefined) doc = parseExpectDocument(s.expect, 'expect');
  if (s.expectFile !== undefined)
    doc = parseExpectDocument(await readExpectFile(s.expectFile), 'expect-file', s.expectFile);
  return mergeExpectations(
    {
      nodes: s.nodes,
      workloads: s.workloads,
      containers: s.containers,
      ports: s.ports,
      volumes: s.volumes,
      systemComponents: s.systemComponents,
      maxRestarts: s.maxRestarts,
      mountedVolumes: s.mountedVolumes,
    },
    doc,
    s.expectFile !== undefined ? 'expect-file' : 'expect',
  );
}

const API_REASON: Record<ApiProblem['kind'], string> = {
  unreachable: 'api-unreachable',
  'not-ready': 'api-not-ready',
  unauthorized: 'api-error',
  forbidden: 'api-error',
  tls: 'api-error',
  error: 'api-error',
};

export function apiError(p: ApiProblem, t: KubeTarget, waited: number): ActionError {
  const waitedMs = Math.max(1000, Math.round(waited / 1000) * 1000);
  const at = `the Kubernetes API at ${t.server} (kubeconfig ${t.label}, context ${t.context})`;
  const detail = p.detail.replace(/\.$/, '');
  switch (p.kind) {
    case 'unreachable':
      return new ActionError(
        API_REASON[p.kind],
        `Cannot reach ${at} within ${formatDuration(waitedMs)}: ${detail}.`,
        "Check that K3s runs and that the runner can reach it; a K3s kubeconfig points at 127.0.0.1, so set 'server' to the node's address when the runner is another machine.",
      );
    case 'not-ready':
      return new ActionError(
        API_REASON[p.kind],
        `${cap(at)} did not become ready within ${formatDuration(waitedMs)}: ${detail}.`,
        'Check the K3s service log on the node (journalctl -u k3s).',
      );
    case 'unauthorized':
      return new ActionError(
        API_REASON[p.kind],
        `${cap(at)} rejected the kubeconfig's credentials: ${detail}.`,
        'Use a kubeconfig whose user is valid for this cluster.',
      );
    case 'forbidden':
      return new ActionError(
        API_REASON[p.kind],
        `${cap(at)} refused a read: ${detail}.`,
        'The verifier needs get/list on nodes, pods, deployments, daemonsets, statefulsets, jobs, events, persistentvolumeclaims and storageclasses, list on every kind under conditions:, and get on pods/log (see the README).',
      );
    case 'tls':
      return new ActionError(
        API_REASON[p.kind],
        `TLS verification of ${at} failed: ${detail}.`,
        "When 'server' uses a name the certificate does not list, set 'tls-server-name' to one it does (or add it with K3s' --tls-san).",
      );
    default:
      return new ActionError(API_REASON[p.kind], `kubectl could not read from ${at}: ${detail}.`);
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function shortList(failures: readonly Failure[]): string {
  const shown = failures
    .slice(0, 2)
    .map(
      (f) => `${f.object} ${f.reason} (${f.detail.length > 140 ? `${f.detail.slice(0, 140)}…` : f.detail})`,
    );
  return shown.join('; ') + (failures.length > 2 ? `; and ${failures.length - 2} more` : '');
}

const DIAGNOSTICS_HINT =
  'Events and the last log lines of the failing containers are in the "diagnostics" log groups and in the report.';

export function checksError(
  outcome: { kind: PollOutcome['kind']; evaluation: Evaluation; polls: number },
  timeoutMs: number,
): ActionError {
  // Causes first: what waits for another layer (not-checked) is named after it, in the order chain.
  const all = failuresOf(outcome.evaluation.results).filter((f) => f.reason !== 'not-checked');
  const chain = outcome.evaluation.order?.chain ? ` Order: ${outcome.evaluation.order.chain}.` : '';
  if (outcome.kind === 'failed') {
    const failed = all.filter((f) =>
      outcome.evaluation.results.find((r) => r.object === f.object && r.status === 'fail'),
    );
    return new ActionError(
      'checks-failed',
      `The cluster is not healthy (poll ${outcome.polls}): ${shortList(failed)}.${chain}`,
      DIAGNOSTICS_HINT,
    );
  }
  // Everything passed once, but the deadline stopped the poll that had to confirm it (a pass must hold twice).
  const open =
    all.length > 0
      ? shortList(all)
      : 'every check passed at the last finished poll, but the poll that had to confirm it did not finish before the deadline (kubectl was still listing)';
  return new ActionError(
    'timeout',
    `The cluster did not become healthy within ${formatDuration(timeoutMs)} (${outcome.polls} polls): ${open}.${chain}`,
    `${DIAGNOSTICS_HINT} Raise 'timeout' if the rollout is only slow.`,
  );
}

function printDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    log.startGroup(`diagnostics: ${d.object}`);
    log.info(`events (${d.events.length}):`);
    for (const e of d.events) log.info(`  ${e}`);
    if (d.eventsError) log.info(`  could not list events: ${d.eventsError}`);
    for (const l of d.logs) {
      log.info(
        `log of ${l.pod}/${l.container}${l.previous ? ' (previous run)' : ''}, last ${l.lines.length} lines:`,
      );
      if (l.error) log.info(`  could not get the log: ${l.error}`);
      for (const line of l.lines) log.info(`  ${line}`);
    }
    log.endGroup();
  }
}

function sleepUnlessCancelled(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const end = Date.now() + ms;
    const tick = () =>
      cancellation() || Date.now() >= end ? resolve() : setTimeout(tick, Math.min(200, end - Date.now()));
    tick();
  });
}

function recordEvaluation(ctx: ActionContext, e: Evaluation | undefined, warnings: string[]): void {
  if (!e) return;
  ctx.result({
    nodesReady: e.nodesReady,
    nodes: e.nodes,
    workloads: e.workloads,
    system: e.system,
    containers: e.containers,
    ports: e.ports,
    volumes: e.volumes,
    conditions: e.conditions,
    ...(e.order ? { order: e.order } : {}),
    warnings,
  } satisfies VerifyResult);
}

function setOutputs(ctx: ActionContext, ready: boolean, nodesReady: string, failures: Failure[]): void {
  ctx.output('ready', ready ? 'true' : 'false');
  ctx.output('nodes-ready', nodesReady);
  ctx.output('failures', JSON.stringify(failures));
  ctx.result({ ready, failures } satisfies VerifyResult);
}

async function diagnose(ctx: ActionContext, kube: KubeClient, outcome: PollOutcome): Promise<void> {
  if (!outcome.evaluation || !outcome.snapshot) return;
  const failing = outcome.evaluation.results.filter((r) => r.status !== 'pass');
  const targets = planDiagnostics(failing, outcome.snapshot);
  if (targets.length === 0) return;
  const diagnostics = await ctx.step('diagnostics', () => collectDiagnostics(kube, targets, 20_000));
  ctx.result({ diagnostics } satisfies VerifyResult);
  printDiagnostics(diagnostics);
}

export async function verify(ctx: ActionContext, s: VerifySettings): Promise<void> {
  const started = Date.now();
  const expectations = await ctx.step('read expectations', () => loadExpectations(s));
  const dir = await makePrivateDir('k3s-verify');
  ctx.saveState(STATE_PRIVATE_DIR, dir);
  try {
    const target = await ctx.step('kubeconfig', () => prepareKubeconfig(s, dir));
    ctx.result({
      server: target.server,
      kubeconfig: target.label,
      context: target.context,
    } satisfies VerifyResult);
    const kube = createKubectl({
      bin: s.kubectlBinary,
      kubeconfig: target.file,
      context: s.context,
      server: s.server ? target.server : undefined,
      tlsServerName: s.tlsServerName,
      cacheDir: path.join(dir, 'cache'),
    });
    const deps: PollDeps = {
      kube,
      probePort,
      now: Date.now,
      sleep: sleepUnlessCancelled,
      info: (line) => log.info(line),
      warn: (line) => ctx.warning(line),
      group: (title, fn) => log.group(title, fn),
    };
    const settings = { intervalMs: s.interval, deadline: started + s.timeout };
    const apiFailure = (p: ApiProblem, nodesReady = '0/0') => {
      setOutputs(ctx, false, nodesReady, [
        { check: 'api', object: target.server, reason: p.kind, detail: p.detail },
      ]);
      return apiError(p, target, Date.now() - started);
    };
    await ctx.step('api ready', async () => {
      const problem = await waitForApi(deps, settings);
      if (problem) throw apiFailure(problem);
    });
    await ctx.step('checks', async () => {
      const outcome = await pollChecks(deps, expectations, settings);
      recordEvaluation(ctx, outcome.evaluation, outcome.evaluation?.hazards ?? []);
      ctx.result({ outcome: outcome.kind, polls: outcome.polls } satisfies VerifyResult);
      if (outcome.kind === 'api-lost') throw apiFailure(outcome.problem, outcome.evaluation?.nodesReady);
      if (!outcome.evaluation) {
        setOutputs(ctx, false, '0/0', [
          {
            check: 'api',
            object: target.server,
            reason: 'timeout',
            detail: 'no poll finished before the deadline',
          },
        ]);
        throw new ActionError(
          'timeout',
          `No poll of ${target.server} finished within ${formatDuration(s.timeout)}: kubectl was still listing at the deadline and was stopped.`,
          "Check the API server's load and the runner's network; raise 'timeout' for a very large cluster.",
        );
      }
      const failures = failuresOf(outcome.evaluation.results);
      setOutputs(ctx, outcome.kind === 'ready', outcome.evaluation.nodesReady, failures);
      if (outcome.kind === 'ready') return;
      await diagnose(ctx, kube, outcome);
      throw checksError({ ...outcome, evaluation: outcome.evaluation }, s.timeout);
    });
  } finally {
    await removePrivateDir(ctx, dir);
  }
}

async function removePrivateDir(ctx: ActionContext, dir: string): Promise<void> {
  try {
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    // Post tries again; the directory holds a copy of the kubeconfig, so say so rather than stay silent.
    ctx.warning(
      `Could not remove ${dir} yet (${e instanceof Error ? e.message : String(e)}); the post step retries.`,
    );
  }
}

/** Post: the private directory (kubeconfig copy, discovery cache) is gone even when main was killed. */
export async function cleanup(ctx: ActionContext): Promise<void> {
  const dir = ctx.getState(STATE_PRIVATE_DIR);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
}
