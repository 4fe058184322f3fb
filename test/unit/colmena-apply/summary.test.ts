import { describe, expect, test } from '@jest/globals';
import type { Report } from '../../../shared/report.js';
import { renderSummary } from '../../../actions/colmena-apply/src/summary.js';

function report(result: Record<string, unknown>, failure?: Report['failure']): Report {
  return {
    action: 'colmena-apply',
    version: '1.0.0',
    status: failure ? 'failed' : 'success',
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    inputs: {},
    steps: [
      { name: 'apply switch', status: failure ? 'failed' : 'success', startedAt: '', durationMs: 1200 },
    ],
    result,
    ...(failure ? { failure } : {}),
  };
}

const node = (name: string, result: string, lastLines: string[] = [], error: string | null = null) => ({
  name,
  result,
  lastPhase: 'activating',
  durationSeconds: 12.5,
  error,
  lastLines,
  wouldChange: [],
});

describe('renderSummary', () => {
  test('one row per node; last lines only for nodes that did not succeed', () => {
    const md = renderSummary(
      report(
        {
          colmenaVersion: '0.4.0',
          nodes: [
            node('alpha', 'succeeded', ['ok line']),
            node('beta', 'failed', ['boom | pipe', '```'], 'Activation failed: x'),
          ],
        },
        { reason: 'deploy-failed', message: 'colmena apply switch failed on 1 of 2 node(s)' },
      ),
    );
    expect(md).toContain('**Failed (deploy-failed):** colmena apply switch failed on 1 of 2 node(s)');
    expect(md).toContain('| alpha | succeeded | activating | 12.5s | — |');
    expect(md).toContain('| beta | failed | activating | 12.5s | Activation failed: x |');
    expect(md).toContain('<summary>beta: last 2 log lines</summary>');
    expect(md).not.toContain('ok line');
    // A log line cannot close the code block early.
    expect(md.match(/```/g)).toHaveLength(2);
    expect(md).toContain('colmena 0.4.0');
  });

  test('an early failure shows the selection instead of the table', () => {
    const md = renderSummary(
      report({ selectedNodes: [], nodes: [] }, { reason: 'no-nodes-selected', message: 'none' }),
    );
    expect(md).toContain('Selected nodes: none');
    expect(md).not.toContain('| node |');
  });

  test('dry-activate preview lists what would change', () => {
    const md = renderSummary(
      report({
        dryActivate: [
          {
            name: 'alpha',
            result: 'succeeded',
            wouldChange: ['would restart the following units: sshd.service'],
          },
        ],
      }),
    );
    expect(md).toContain('| alpha | succeeded | would restart the following units: sshd.service |');
  });
});
