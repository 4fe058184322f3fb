import { expect, test } from '@jest/globals';
import { renderSummary, type VerifyResult } from '../../../actions/k3s-verify/src/report/summary.js';
import type { Report } from '../../../shared/report.js';

function report(result: VerifyResult, failure?: Report['failure']): Report {
  return {
    action: 'k3s-verify',
    version: '1.0.0',
    status: failure ? 'failed' : 'success',
    startedAt: '2026-11-21T10:00:00Z',
    finishedAt: '2026-11-21T10:00:05Z',
    durationMs: 5000,
    inputs: {},
    steps: [
      {
        name: 'checks',
        status: failure ? 'failed' : 'success',
        startedAt: '2026-11-21T10:00:00Z',
        durationMs: 4000,
      },
    ],
    result: result as Record<string, unknown>,
    ...(failure ? { failure } : {}),
  };
}

test('a failed run: every table, the reason of each failure, warnings and where the logs are', () => {
  const md = renderSummary(
    report(
      {
        ready: false,
        server: 'https://10.0.0.5:6443',
        context: 'default',
        polls: 2,
        nodesReady: '1/1',
        nodes: [{ name: 'edge-1', ready: true, problems: [], schedulable: true, version: 'v1.32.5+k3s1' }],
        workloads: [
          {
            object: 'deployment/rustdesk/hbbs',
            desired: 1,
            updated: 1,
            available: 0,
            status: 'pending',
            reason: 'unavailable',
            detail: '0 of 1',
          },
        ],
        system: [
          {
            object: 'job/kube-system/helm-install-traefik',
            desired: 1,
            updated: 1,
            available: 1,
            status: 'pass',
            reason: 'Complete',
            detail: '',
          },
        ],
        containers: [
          {
            workload: 'deployment/rustdesk/hbbs',
            container: 'hbbs',
            pods: '0/1',
            restarts: 4,
            status: 'pending',
            reason: 'not-ready',
            detail: '',
          },
        ],
        ports: [
          { target: '10.0.0.5:21116/udp', status: 'pass', state: 'sent', detail: '' },
          { target: '10.0.0.5:21117/tcp', status: 'pending', state: 'refused', detail: '' },
        ],
        failures: [
          {
            check: 'pod',
            object: 'pod/rustdesk/hbbs-x',
            reason: 'CrashLoopBackOff',
            detail: 'container hbbs: back-off | 40s',
          },
        ],
        warnings: ['deployment/rustdesk/hbbs uses hostNetwork …'],
        diagnostics: [{ object: 'pod/rustdesk/hbbs-x', events: ['e1', 'e2'], logs: [] }],
      },
      {
        reason: 'checks-failed',
        message: 'The cluster is not healthy (poll 2): pod/rustdesk/hbbs-x CrashLoopBackOff.',
      },
    ),
  );
  expect(md).toContain('❌ **Not ready** — server `https://10.0.0.5:6443`, context `default`, 2 polls');
  expect(md).toContain('> The cluster is not healthy (poll 2)');
  expect(md).toContain('### Nodes (1/1 ready)');
  expect(md).toContain('| edge-1 | ✅ | none | yes | v1.32.5+k3s1 |');
  expect(md).toContain('| deployment/rustdesk/hbbs | 1 | 1 | 0 | ⏳ unavailable |');
  expect(md).toContain('| deployment/rustdesk/hbbs | hbbs | 0/1 | 4 | ⏳ not-ready |');
  expect(md).toContain('| 10.0.0.5:21116/udp | ✅ sent (not proof) |');
  expect(md).toContain('| 10.0.0.5:21117/tcp | ⏳ refused |');
  expect(md).toContain('| job/kube-system/helm-install-traefik | 1 | 1 | 1 | ✅ Complete |');
  expect(md).toContain('| pod | pod/rustdesk/hbbs-x | CrashLoopBackOff | container hbbs: back-off \\| 40s |');
  expect(md).toContain('- deployment/rustdesk/hbbs uses hostNetwork …');
  expect(md).toContain('`pod/rustdesk/hbbs-x`: 2 events, 0 container logs');
  expect(md).toContain('| checks | failed | 4.0s |');
});

test('an early failure (bad input) still renders', () => {
  const md = renderSummary(report({}, { reason: 'invalid-input', message: "Input 'ports' is invalid" }));
  expect(md).toContain('❌ **Not ready**');
  expect(md).not.toContain('### Workloads');
});
