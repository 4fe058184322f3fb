import { describe, expect, test } from '@jest/globals';
import {
  NodeLogTracker,
  classifyLine,
  parseNodeList,
  type Goal,
} from '../../../actions/colmena-apply/src/colmena/node-log-parser.js';

/**
 * Transcripts written from colmena's sources (src/progress/plain.rs, src/job.rs, src/nix/deployment/*,
 * src/troubleshooter.rs), in both log formats: 0.4.x env_logger `[ERROR] ` and 0.5.x tracing `ERROR `.
 */
const labels = new Set(['alpha', 'beta', 'gateway-01']);

describe('classifyLine', () => {
  test.each([
    ['alpha | Building alpha', { kind: 'node', label: 'alpha', text: 'Building alpha' }],
    [' beta | Pushing system closure', { kind: 'node', label: 'beta', text: 'Pushing system closure' }],
    [
      '(...) | Evaluating alpha and beta',
      { kind: 'node', label: '(...)', text: 'Evaluating alpha and beta' },
    ],
    ['      | All done!', { kind: 'node', label: '', text: 'All done!' }],
    ['alpha | ', { kind: 'node', label: 'alpha', text: '' }],
    [
      '\u001b[1malpha\u001b[0m | \u001b[32mActivation successful\u001b[0m',
      { kind: 'node', label: 'alpha', text: 'Activation successful' },
    ],
    ['alpha | a | b', { kind: 'node', label: 'alpha', text: 'a | b' }],
    [
      '[ERROR] Failed to deploy to beta - Last 3 lines of logs:',
      { kind: 'log', level: 'ERROR', text: 'Failed to deploy to beta - Last 3 lines of logs:' },
    ],
    ['[INFO ] Selected all 2 nodes.', { kind: 'log', level: 'INFO', text: 'Selected all 2 nodes.' }],
    [
      '[WARN ] No hosts selected (0 skipped).',
      { kind: 'log', level: 'WARN', text: 'No hosts selected (0 skipped).' },
    ],
    [
      'ERROR   stderr) activating the configuration...',
      { kind: 'log', level: 'ERROR', text: '  stderr) activating the configuration...' },
    ],
    [' WARN No hosts selected.', { kind: 'log', level: 'WARN', text: 'No hosts selected.' }],
    ['unknown | not a node', { kind: 'text', text: 'unknown | not a node' }],
    [
      "thread 'main' panicked at src/cli.rs:263:43:",
      { kind: 'text', text: "thread 'main' panicked at src/cli.rs:263:43:" },
    ],
  ])('%j', (line, expected) => {
    expect(classifyLine(line, labels)).toEqual(expected);
  });
});

describe('parseNodeList (src/job.rs describe_node_list)', () => {
  const known = ['alpha', 'beta', 'gamma', 'delta'];
  test.each([
    ['alpha', ['alpha'], true],
    ['alpha and beta', ['alpha', 'beta'], true],
    ['alpha, beta, and gamma', ['alpha', 'beta', 'gamma'], true],
    ['alpha, beta, and 2 other nodes', ['alpha', 'beta'], false],
    ['some node(s)', [], false],
  ])('%s', (text, nodes, complete) => {
    expect(parseNodeList(text, known)).toEqual({ nodes, complete });
  });
});

interface Case {
  name: string;
  goal: Goal;
  reboot?: boolean;
  nodes: string[];
  lines: string[];
  expect: Record<
    string,
    { phase: string; reachedGoal: boolean; failure?: string; kind?: string; lastLines?: number }
  >;
  meta?: Partial<{
    done: boolean;
    failure: string;
    operationError: string;
    noHostsSelected: boolean;
    applyAllRefused: boolean;
  }>;
}

const PARTIAL_04 = [
  '[INFO ] Using configuration: /work/hive/hive.nix',
  '[INFO ] Enumerating nodes...',
  '[INFO ] Selected all 2 nodes.',
  '(...) | Evaluating alpha and beta',
  '(...) | Evaluated alpha and beta',
  'alpha | Building alpha',
  ' beta | Building beta',
  "alpha | building '/nix/store/1b9p07z77phvv2hf6gm9f28syrz9sxrk-nixos-system-alpha.drv'...",
  " beta | error: builder for '/nix/store/8bm9zm8a8x0dnn5hvs2c4hd3gh2ikmwz-etc.drv' failed with exit code 1;",
  ' beta | Build failed: Child process exited with error code: 1',
  'alpha | Built "/nix/store/sw5wh4kbwmwqw7jmcnzcqrzpq5ghcgvb-nixos-system-alpha-24.05"',
  'alpha | Pushing system closure',
  'alpha | Pushed system closure',
  'alpha | No pre-activation keys to upload',
  'alpha | Activating system profile',
  'alpha | Checking remote profile...',
  'alpha | Remote profile known',
  'alpha | activating the configuration...',
  'alpha | Activation successful',
  'alpha | No post-activation keys to upload',
  '      | Failed: Child process exited with error code: 1',
  '[ERROR] Failed to build beta - Last 4 lines of logs:',
  '[ERROR]  created)',
  '[ERROR]    state) Running',
  "[ERROR]   stderr) error: builder for '/nix/store/8bm9zm8a8x0dnn5hvs2c4hd3gh2ikmwz-etc.drv' failed with exit code 1;",
  '[ERROR]  failure) Child process exited with error code: 1',
  '[ERROR] Failed to complete requested operation - Last 1 lines of logs:',
  '[ERROR]  failure) Child process exited with error code: 1',
  '[ERROR] -----',
  '[ERROR] Operation failed with error: Child process exited with error code: 1',
  'Hint: Backtrace available - Use `RUST_BACKTRACE=1` environment variable to display a backtrace',
];

const ACTIVATION_05 = [
  'gateway-01 | Evaluating gateway-01',
  'gateway-01 | Evaluated gateway-01',
  'gateway-01 | Building gateway-01',
  'gateway-01 | Built "/nix/store/sw5wh4kbwmwqw7jmcnzcqrzpq5ghcgvb-nixos-system-gateway-01-24.05" on target node',
  'gateway-01 | Uploading keys',
  'gateway-01 | Uploading pre-activation keys...',
  'gateway-01 | Uploading key wifi-psk',
  'gateway-01 | Uploaded keys (pre-activation)',
  'gateway-01 | Activating system profile',
  'gateway-01 | warning: the following units failed: k3s.service',
  'gateway-01 | Activation failed: Child process exited with error code: 4',
  '           | Failed: Child process exited with error code: 4',
  'ERROR Failed to deploy to gateway-01 - Last 3 lines of logs:',
  'ERROR    state) Running',
  'ERROR   stderr) warning: the following units failed: k3s.service',
  'ERROR  failure) Child process exited with error code: 4',
  'ERROR -----',
  'ERROR Operation failed with error: Child process exited with error code: 4',
];

const cases: Case[] = [
  {
    name: '0.4: one build fails, the other node activates',
    goal: 'switch',
    nodes: ['alpha', 'beta'],
    lines: PARTIAL_04,
    expect: {
      alpha: { phase: 'activating', reachedGoal: true },
      beta: {
        phase: 'building',
        reachedGoal: false,
        failure: 'Build failed: Child process exited with error code: 1',
        kind: 'build',
        lastLines: 1,
      },
    },
    meta: {
      failure: 'Child process exited with error code: 1',
      operationError: 'Child process exited with error code: 1',
    },
  },
  {
    name: '0.5: activation failure with keys and build on target',
    goal: 'switch',
    nodes: ['gateway-01'],
    lines: ACTIVATION_05,
    expect: {
      'gateway-01': {
        phase: 'activating',
        reachedGoal: false,
        failure: 'Activation failed: Child process exited with error code: 4',
        kind: 'activation',
        lastLines: 1,
      },
    },
  },
  {
    name: 'reboot: success only after Rebooted',
    goal: 'switch',
    reboot: true,
    nodes: ['alpha'],
    lines: [
      'alpha | Activating system profile',
      'alpha | Activation successful',
      'alpha | Rebooting',
      'alpha | Waiting for reboot',
    ],
    expect: { alpha: { phase: 'rebooting', reachedGoal: false } },
  },
  {
    name: 'reboot completes',
    goal: 'boot',
    reboot: true,
    nodes: ['alpha'],
    lines: [
      'alpha | Will be activated next boot',
      'alpha | Rebooting',
      'alpha | Waiting for reboot',
      'alpha | Rebooted',
      'alpha | No post-activation keys to upload',
      '      | All done!',
    ],
    expect: { alpha: { phase: 'rebooting', reachedGoal: true } },
    meta: { done: true },
  },
  {
    name: 'evaluation of a chunk fails for every node in it',
    goal: 'switch',
    nodes: ['alpha', 'beta'],
    lines: [
      '(...) | Evaluating alpha and beta',
      "(...) | error: attribute 'k3s' missing",
      '(...) | Evaluation failed: Child process exited with error code: 1',
      '      | Failed: Child process exited with error code: 1',
    ],
    expect: {
      alpha: {
        phase: 'evaluating',
        reachedGoal: false,
        kind: 'evaluation',
        failure: 'Evaluation failed: Child process exited with error code: 1',
      },
      beta: {
        phase: 'evaluating',
        reachedGoal: false,
        kind: 'evaluation',
        failure: 'Evaluation failed: Child process exited with error code: 1',
      },
    },
  },
  {
    name: 'build goal: Built is the goal',
    goal: 'build',
    nodes: ['alpha'],
    lines: [
      'alpha | Evaluating alpha',
      'alpha | Building alpha',
      'alpha | Built "/nix/store/x-nixos-system-alpha"',
      'alpha | ',
      'alpha | Succeeded',
    ],
    expect: { alpha: { phase: 'building', reachedGoal: true } },
  },
  {
    name: 'push goal and post-activation key failure',
    goal: 'push',
    nodes: ['alpha'],
    lines: ['alpha | Pushing system closure', 'alpha | Pushed system closure'],
    expect: { alpha: { phase: 'pushing', reachedGoal: true } },
  },
  {
    name: 'a post-activation key upload failure fails a node that activated',
    goal: 'test',
    nodes: ['alpha'],
    lines: [
      'alpha | Activating system profile',
      'alpha | Activation successful (test)',
      'alpha | Uploading keys',
      'alpha | Uploading post-activation keys...',
      'alpha | Key upload failed: Child process exited with error code: 1',
    ],
    expect: {
      alpha: {
        phase: 'activating',
        reachedGoal: false,
        kind: 'keys',
        failure: 'Key upload failed: Child process exited with error code: 1',
      },
    },
  },
  {
    name: 'upload-keys goal',
    goal: 'upload-keys',
    nodes: ['alpha'],
    lines: ['alpha | Uploading keys', 'alpha | Uploading key wifi-psk', 'alpha | Uploaded keys'],
    expect: { alpha: { phase: 'keys', reachedGoal: true } },
  },
  {
    name: 'meta: allowApplyAll refused (0.4) and no hosts selected (0.5 with RUST_LOG=info)',
    goal: 'switch',
    nodes: ['alpha'],
    lines: [
      '[ERROR] No node filter is specified and meta.allowApplyAll is set to false.',
      '[ERROR] Hint: Filter the nodes with --on.',
      ' WARN No hosts selected (0 skipped).',
    ],
    expect: { alpha: { phase: 'pending', reachedGoal: false } },
    meta: { applyAllRefused: true, noHostsSelected: true },
  },
];

describe('NodeLogTracker', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const tracker = new NodeLogTracker(c.nodes, { goal: c.goal, reboot: c.reboot ?? false });
    c.lines.forEach((line, i) => tracker.push(line, 1000 + i));
    for (const [name, want] of Object.entries(c.expect)) {
      const state = tracker.node(name)!;
      expect({ node: name, phase: state.phase, reachedGoal: state.reachedGoal }).toEqual({
        node: name,
        phase: want.phase,
        reachedGoal: want.reachedGoal,
      });
      expect(state.failure?.message).toBe(want.failure);
      expect(state.failure?.kind).toBe(want.kind);
      if (want.lastLines !== undefined) expect(state.lastLines).toHaveLength(want.lastLines);
    }
    if (c.meta) expect(tracker.meta).toMatchObject(c.meta);
  });

  test('host key failure names the host ssh printed, per node', () => {
    const tracker = new NodeLogTracker(['alpha', 'beta'], { goal: 'switch', reboot: false });
    [
      'alpha | Pushing system closure',
      ' beta | Pushing system closure',
      'alpha | @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
      'alpha | Host key for 100.64.0.7 has changed and you have requested strict checking.',
      'alpha | Host key verification failed.',
      ' beta | Pushed system closure',
      'alpha | Push failed: Child process exited with error code: 1',
    ].forEach((l, i) => tracker.push(l, i));
    expect(tracker.node('alpha')).toMatchObject({ hostKeyFailed: true, hostKeyHost: '100.64.0.7' });
    expect(tracker.node('beta')).toMatchObject({ hostKeyFailed: false });
  });

  test('rebooting() lists nodes in the reboot phase with the time it started', () => {
    const tracker = new NodeLogTracker(['alpha'], { goal: 'switch', reboot: true });
    tracker.push('alpha | Activation successful', 10);
    tracker.push('alpha | Rebooting', 20);
    tracker.push('alpha | Waiting for reboot', 30);
    expect(tracker.rebooting().map((n) => [n.name, n.phaseSince])).toEqual([['alpha', 20]]);
    tracker.push('alpha | Rebooted', 40);
    expect(tracker.rebooting()).toEqual([]);
  });

  test('panic and usage error texts are collected', () => {
    const tracker = new NodeLogTracker(['alpha'], { goal: 'switch', reboot: false });
    [
      "thread 'main' panicked at src/nix/deployment/mod.rs:301:39:",
      'called `Result::unwrap()` on an `Err` value: JoinError::Panic(Id(7), ...)',
      'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
    ].forEach((l, i) => tracker.push(l, i));
    expect(tracker.meta.panic).toEqual([
      "thread 'main' panicked at src/nix/deployment/mod.rs:301:39:",
      'called `Result::unwrap()` on an `Err` value: JoinError::Panic(Id(7), ...)',
    ]);
    const usage = new NodeLogTracker([], { goal: 'switch', reboot: false });
    ["error: unexpected argument '--frobnicate' found", '', 'Usage: colmena apply [OPTIONS] [GOAL]'].forEach(
      (l, i) => usage.push(l, i),
    );
    expect(usage.meta.usageError[0]).toBe("error: unexpected argument '--frobnicate' found");
  });

  test('dry-activate collects the would-change lines', () => {
    const tracker = new NodeLogTracker(['alpha'], { goal: 'dry-activate', reboot: false });
    ['alpha | would restart the following units: sshd.service', 'alpha | Dry activation successful'].forEach(
      (l, i) => tracker.push(l, i),
    );
    expect(tracker.node('alpha')).toMatchObject({
      reachedGoal: true,
      wouldChange: ['would restart the following units: sshd.service'],
    });
  });
});
