import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ActionRun } from '../../support/run-action.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';
import { HBBS_POD, rustdeskScenario } from '../../support/standins/kube-apiserver/scenarios.js';
import { failuresOf, resultOf, startCluster, verify, type TestCluster } from './cluster.js';

/**
 * Issue 15 item 4: remote text must never act as a runner command. The crashed container's log, its
 * events and a custom resource's condition message (all shaped by whoever controls the workload or the
 * chart) carry workflow commands; the harness applies the run's output as the runner does. The run's
 * state, outputs and masks must be exactly the action's own, and post must remove only what main made.
 */
const decoy = fs.mkdtempSync(path.join(os.tmpdir(), 'k3s-injection-decoy-'));
fs.writeFileSync(path.join(decoy, 'keep.txt'), 'not the action’s to delete');
const HOSTILE = [
  `::save-state name=private-dir::${decoy}`,
  '::save-state name=forged::1',
  '::set-output name=ready::true',
  '::add-mask::e',
  '::error::forged error from the pod log',
  '  ::warning::indented forged warning',
  '##[set-output name=failures;][]',
  '::stop-commands::k3s-forged-token',
];
const ZWSP = '\u200b';

let c: TestCluster;
let run: ActionRun;
beforeAll(async () => {
  c = await startCluster(
    rustdeskScenario({
      hbbsCrashLoop: true,
      hostileText: HOSTILE,
      custom: () => ({
        'helm.cattle.io/v1/helmcharts': [
          o.helmChart('kube-system', 'longhorn', {
            failed: { reason: 'Job failed', message: ['chart values rejected', ...HOSTILE].join('\n') },
          }),
        ],
      }),
    }),
  );
  const ws = fs.mkdtempSync(path.join(path.dirname(c.kubeconfigFile), 'ws-'));
  fs.writeFileSync(
    path.join(ws, 'k3s-expect.yml'),
    'workloads: [deployment/rustdesk/hbbs]\nconditions:\n  - {apiVersion: helm.cattle.io/v1, kind: HelmChart, namespace: kube-system, name: longhorn, condition: Failed=False}\n',
  );
  run = await verify(
    { kubeconfig: c.kubeconfigFile, 'expect-file': 'k3s-expect.yml', timeout: '60s' },
    { workspace: ws },
  );
});
afterAll(async () => {
  await c?.close();
  fs.rmSync(decoy, { recursive: true, force: true });
});

describe('workflow commands in pod logs, events and condition messages', () => {
  test('the run reached the hostile text: crash log and events in diagnostics, the message in the failures', () => {
    expect(run.outputs['failure-reason']).toBe('checks-failed');
    expect(run.log).toContain(`::group::diagnostics: pod/rustdesk/${HBBS_POD}`);
    expect(run.log).toContain("thread 'main' panicked at src/main.rs:41:5: bind failed");
    expect(failuresOf(run).find((f) => f.check === 'condition')?.detail).toContain(
      '::set-output name=ready::true',
    );
    const diagnostics = resultOf(run).diagnostics as Array<{ logs: Array<{ lines: string[] }> }>;
    expect(diagnostics.flatMap((d) => d.logs.flatMap((l) => l.lines))).toContain('::add-mask::e');
  });

  test('state, outputs and masks are the action’s own', () => {
    // isPost is @actions/core's own marker between main and post.
    expect(Object.keys(run.state).sort()).toEqual(['isPost', 'private-dir']);
    expect(run.state['private-dir'].startsWith(run.runnerTemp)).toBe(true);
    expect(Object.keys(run.outputs).sort()).toEqual([
      'failure-reason',
      'failures',
      'nodes-ready',
      'ready',
      'report-file',
    ]);
    expect(run.outputs.ready).toBe('false');
    expect(JSON.parse(run.outputs.failures).length).toBeGreaterThan(0);
    expect(run.masks).not.toContain('e');
    expect(run.masks.every((m) => m === c.token)).toBe(true);
  });

  test('the runner saw no forged command: no state, output, mask or stop, and one error — the action’s', () => {
    const commands = [...run.main.commands, ...(run.post?.commands ?? [])];
    expect(commands.filter((x) => ['save-state', 'set-output', 'stop-commands'].includes(x.command))).toEqual(
      [],
    );
    expect(commands.filter((x) => x.command === 'add-mask').map((x) => x.data)).toEqual(
      run.masks.map(() => c.token),
    );
    const errors = commands.filter((x) => x.command === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].data).toMatch(/^The cluster is not healthy \(poll 1\): /);
    expect(commands.filter((x) => x.command === 'warning').map((x) => x.data)).not.toContain(
      'indented forged warning',
    );
  });

  test('every copy in the log is neutralised, the summary’s log copy included', () => {
    for (const line of HOSTILE) {
      const inert = line.startsWith('##[')
        ? line.replace('##[', `##${ZWSP}[`)
        : line.replace('::', `:${ZWSP}:`);
      expect(run.log).toContain(inert);
    }
    const summaryCopy = run.log.slice(run.log.indexOf('::group::K3s verify — summary'));
    // Table cells turn newlines into <br>, so only the legacy form could still start a command there.
    expect(summaryCopy).toContain(`##${ZWSP}[set-output name=failures;][]`);
    expect(summaryCopy).not.toContain('##[set-output');
  });

  test('post removed only the action’s directory; the forged path is untouched', () => {
    expect(run.post?.exitCode).toBe(0);
    expect(fs.readFileSync(path.join(decoy, 'keep.txt'), 'utf8')).toBe('not the action’s to delete');
    expect(fs.existsSync(run.state['private-dir'])).toBe(false);
  });
});
