import { describe, expect, test } from '@jest/globals';
import { NodeLogTracker } from '../../../actions/colmena-apply/src/colmena/node-log-parser.js';
import {
  nodeDetails,
  runFailure,
  type RunEnd,
} from '../../../actions/colmena-apply/src/colmena/run-outcome.js';

function run(
  lines: string[],
  nodes: string[],
  end: Partial<RunEnd>,
  opts = { goal: 'switch' as const, reboot: false },
) {
  const tracker = new NodeLogTracker(nodes, opts);
  lines.forEach((l, i) => tracker.push(l, 1000 * (i + 1)));
  const full: RunEnd = {
    exitCode: 0,
    signal: null,
    timedOut: false,
    rebootTimedOut: [],
    rebootTimeoutMs: 600_000,
    endedAt: 1000 * (lines.length + 2),
    ...end,
  };
  const details = nodeDetails(tracker.nodes(), full);
  return {
    details,
    failure: runFailure('colmena apply switch', details, tracker.nodes(), tracker.meta, full),
  };
}

const OK = (n: string) => [
  `${n} | Building ${n}`,
  `${n} | Activating system profile`,
  `${n} | Activation successful`,
];

describe('node results and failure reason', () => {
  test('all succeed: no failure, durations from first to last line', () => {
    const { details, failure } = run([...OK('a'), ...OK('b'), '      | All done!'], ['a', 'b'], {});
    expect(failure).toBeUndefined();
    expect(details.map((d) => [d.name, d.result, d.lastPhase, d.durationSeconds])).toEqual([
      ['a', 'succeeded', 'activating', 2],
      ['b', 'succeeded', 'activating', 2],
    ]);
  });

  test('partial failure is deploy-failed and names both sides', () => {
    const { details, failure } = run(
      [...OK('a'), 'b | Building b', 'b | Build failed: Child process exited with error code: 1'],
      ['a', 'b'],
      { exitCode: 1 },
    );
    expect(details.map((d) => d.result)).toEqual(['succeeded', 'failed']);
    expect(failure?.reason).toBe('deploy-failed');
    expect(failure?.message).toContain('failed on 1 of 2 node(s): b (Build failed');
    expect(failure?.message).toContain('succeeded: a');
  });

  test('host key beats deploy-failed', () => {
    const { failure } = run(
      [
        'a | Pushing system closure',
        'a | Host key for a.example has changed and you have requested strict checking.',
        'a | Host key verification failed.',
        'a | Push failed: Child process exited with error code: 1',
      ],
      ['a'],
      { exitCode: 1 },
    );
    expect(failure?.reason).toBe('host-key');
    expect(failure?.message).toContain('a.example (node a)');
  });

  test('evaluation failure', () => {
    const { details, failure } = run(
      ['a | Evaluating a', 'a | Evaluation failed: Child process exited with error code: 1'],
      ['a'],
      { exitCode: 1 },
    );
    expect(details[0].result).toBe('failed');
    expect(failure?.reason).toBe('evaluation-failed');
  });

  test('exit 1 before any node made progress is an evaluation failure', () => {
    const { failure } = run(
      ['[ERROR] Operation failed with error: Nix returned invalid response: x'],
      ['a'],
      {
        exitCode: 1,
      },
    );
    expect(failure?.reason).toBe('evaluation-failed');
    expect(failure?.message).toContain('Nix returned invalid response');
  });

  test('panic and usage error', () => {
    const panic = run(
      [
        "thread 'main' panicked at src/x.rs:1:2:",
        'boom',
        'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
      ],
      ['a'],
      { exitCode: 101 },
    );
    expect(panic.failure?.reason).toBe('deploy-failed');
    expect(panic.failure?.message).toContain("thread 'main' panicked at src/x.rs:1:2: boom");
    const usage = run(["error: unexpected argument '--x' found"], ['a'], { exitCode: 2 });
    expect(usage.failure?.reason).toBe('invalid-input');
    expect(usage.failure?.message).toContain("unexpected argument '--x' found");
  });

  test('reboot timeout: culprit timed-out, others keep their result', () => {
    const { details, failure } = run(
      [
        ...OK('a'),
        'a | Rebooting',
        'a | Waiting for reboot',
        ...OK('b'),
        'b | Rebooting',
        'b | Rebooted',
        'c | Building c',
      ],
      ['a', 'b', 'c'],
      { exitCode: null, signal: 'SIGTERM', rebootTimedOut: ['a'], rebootTimeoutMs: 5000 },
      { goal: 'switch', reboot: true },
    );
    expect(details.map((d) => [d.name, d.result])).toEqual([
      ['a', 'timed-out'],
      ['b', 'succeeded'],
      ['c', 'skipped'],
    ]);
    expect(failure?.reason).toBe('reboot-timeout');
    expect(failure?.message).toContain('a did not come back from reboot within 5s');
  });

  test('overall timeout: started nodes timed-out, untouched ones skipped', () => {
    const { details, failure } = run(['a | Building a'], ['a', 'b'], {
      exitCode: null,
      signal: 'SIGTERM',
      timedOut: true,
    });
    expect(details.map((d) => d.result)).toEqual(['timed-out', 'skipped']);
    expect(failure?.reason).toBe('timeout');
  });

  test('allowApplyAll refusal is an input problem', () => {
    const { failure } = run(
      ['[ERROR] No node filter is specified and meta.allowApplyAll is set to false.'],
      ['a'],
      {
        exitCode: 1,
      },
    );
    expect(failure?.reason).toBe('invalid-input');
  });
});
