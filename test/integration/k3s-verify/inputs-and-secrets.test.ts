import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createArgvRecorder, type ArgvRecorder } from '../../support/argv-recorder.js';
import { errorLines, type ActionRun } from '../../support/run-action.js';
import { rustdeskScenario } from '../../support/standins/kube-apiserver/scenarios.js';
import { k3sKubeconfig } from '../../support/standins/kube-apiserver/tls.js';
import { requireTool } from '../../support/tools.js';
import { K3S_BAD_INPUTS, K3S_EXPECT_YML } from '../../support/bad-input-cases.js';
import { startCluster, verify, type TestCluster } from './cluster.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'k3s-verify-inputs-'));
let recorder: ArgvRecorder;
beforeAll(() => {
  requireTool('kubectl');
  recorder = createArgvRecorder(['kubectl']);
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(recorder.binDir, { recursive: true, force: true });
});

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.isFile() ? [p] : [];
  });
}

describe('the kubeconfig-content secret (canary)', () => {
  const canary = `k3s-canary-${Math.random().toString(36).slice(2)}-token`;
  const forms = [canary, Buffer.from(canary).toString('base64')];
  let c: TestCluster;
  let run: ActionRun;

  beforeAll(async () => {
    // The stand-in only answers this token: the run passes only if kubectl really used it.
    c = await startCluster(rustdeskScenario({ hbbsCrashLoop: true }), canary);
    const content = k3sKubeconfig({ server: 'https://127.0.0.1:6443', caData: c.cert.caData, token: canary });
    run = await verify(
      {
        'kubeconfig-content': content,
        server: c.api.url,
        context: 'default',
        workloads: 'deployment/rustdesk/hbbs',
        containers: 'rustdesk/hbbs: hbbs',
      },
      { env: { PATH: recorder.path } },
    );
  });
  afterAll(async () => c?.close());

  test('kubectl used the token against the overridden server (and the run reached diagnostics)', () => {
    expect(run.outputs['failure-reason']).toBe('checks-failed');
    expect(
      c.api
        .requests()
        .filter((r) => r.path === '/api/v1/pods')
        .every((r) => r.authorized),
    ).toBe(true);
    expect(run.log).toContain('::group::diagnostics:');
    const calls = recorder.calls();
    expect(calls.length).toBeGreaterThan(3);
    for (const argv of calls) {
      expect(argv).toContain('--server');
      expect(argv[argv.indexOf('--server') + 1]).toBe(c.api.url);
      // The request timeout is the smaller of 20s and what is left of the run (less on a loaded machine).
      const timeoutAt = argv.findIndex((a) => /^--request-timeout=\d+s$/.test(a));
      expect(timeoutAt).toBeGreaterThan(0);
      expect(['get', 'logs']).toContain(argv[timeoutAt + 1]);
    }
  });

  test('the canary and its base64 appear nowhere', () => {
    const places: Record<string, string> = {
      // `::add-mask::` lines are consumed by the runner: that is how the value gets masked.
      log: run.log
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
      summary: run.summary,
      outputs: JSON.stringify(run.outputs),
      env: JSON.stringify(run.exportedEnv),
      argv: JSON.stringify(recorder.calls()),
    };
    for (const file of [...walk(run.runnerTemp), ...walk(run.workspace)])
      places[file] = fs.readFileSync(file, 'utf8');
    for (const [where, text] of Object.entries(places)) {
      for (const form of forms)
        expect({ where, leaked: text.includes(form) }).toEqual({ where, leaked: false });
    }
  });

  test('no copy of the kubeconfig is left under RUNNER_TEMP', () => {
    expect(walk(run.runnerTemp).filter((f) => f.includes('k3s-verify-'))).toEqual([]);
    expect(run.report?.inputs).toMatchObject({ 'kubeconfig-content': '***' });
  });
});

describe('bad inputs', () => {
  const kubeconfig = path.join(tmp, 'k3s.yaml');
  beforeAll(() => {
    fs.writeFileSync(
      kubeconfig,
      k3sKubeconfig({ server: 'https://127.0.0.1:1', caData: 'Y2E=', token: 'tok' }),
    );
    fs.writeFileSync(path.join(tmp, 'expect.yml'), K3S_EXPECT_YML);
  });

  test.each(K3S_BAD_INPUTS)("'%s' %j", async (input, inputs) => {
    const run = await verify({ kubeconfig, ...inputs }, { workspace: tmp, env: { PATH: recorder.path } });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['failure-reason']).toBe('invalid-input');
    const lines = errorLines(run.log);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      input === 'kubectl-binary'
        ? /set the 'kubectl-binary' input/
        : new RegExp(`Input '${input}' is invalid`),
    );
    expect(run.log).not.toMatch(/\n\s+at /);
    expect(recorder.calls().filter((argv) => argv.includes(kubeconfig))).toEqual([]);
  });

  test('an expect error points at the YAML path', async () => {
    const run = await verify({
      kubeconfig,
      expect: 'workloads:\n  - deployment/rustdesk/hbbs\n  - kind: job\n    namespace: x\n    name: y\n',
    });
    expect(errorLines(run.log)[0]).toContain(
      "Input 'expect' is invalid: expect.workloads[1].kind: expected one of deployment|daemonset|statefulset, got 'job'.",
    );
  });
});
