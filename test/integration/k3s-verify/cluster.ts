import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAction, type ActionRun, type RunActionOptions } from '../../support/run-action.js';
import {
  startKubeApiServer,
  type KubeApiStandIn,
  type Scenario,
} from '../../support/standins/kube-apiserver/server.js';
import {
  k3sKubeconfig,
  makeServingCert,
  type ServingCert,
} from '../../support/standins/kube-apiserver/tls.js';
import { requireTool } from '../../support/tools.js';

/** One stand-in cluster per test: HTTPS with a throwaway CA and a bearer token, like K3s on 6443. */
export interface TestCluster {
  api: KubeApiStandIn;
  cert: ServingCert;
  token: string;
  /** A kubeconfig file pointing at the stand-in. */
  kubeconfigFile: string;
  kubeconfig(server?: string): string;
  close(): Promise<void>;
}

let cert: ServingCert | undefined;

export async function startCluster(
  scenario: Scenario,
  token = 'k3s-reader-token-4f9a2c',
): Promise<TestCluster> {
  requireTool('kubectl');
  cert ??= makeServingCert();
  const api = await startKubeApiServer({ scenario, tls: { cert: cert.cert, key: cert.key }, token });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k3s-verify-kc-'));
  const kubeconfig = (server = api.url) => k3sKubeconfig({ server, caData: cert!.caData, token });
  const kubeconfigFile = path.join(dir, 'k3s.yaml');
  fs.writeFileSync(kubeconfigFile, kubeconfig(), { mode: 0o600 });
  return {
    api,
    cert,
    token,
    kubeconfigFile,
    kubeconfig,
    close: async () => {
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function verify(
  inputs: Record<string, string>,
  extra: Partial<RunActionOptions> = {},
): Promise<ActionRun> {
  return runAction({
    action: 'k3s-verify',
    inputs: { interval: '1s', timeout: '20s', ...inputs },
    timeoutMs: 90_000,
    ...extra,
  });
}

export interface FailureEntry {
  check: string;
  object: string;
  reason: string;
  detail: string;
}

export function failuresOf(run: ActionRun): FailureEntry[] {
  return JSON.parse(run.outputs.failures ?? '[]') as FailureEntry[];
}

/** The report's result (what the summary and tests read). */
export function resultOf(run: ActionRun): Record<string, unknown> & { polls?: number } {
  return (run.report?.result ?? {}) as Record<string, unknown> & { polls?: number };
}
