import { describe, expect, test } from '@jest/globals';
import { ActionError, InputError } from '../../../shared/errors.js';
import { Invalid, readInputs } from '../../../shared/inputs.js';
import {
  mergeExpectations,
  nodesFromLines,
  parseContainersLine,
  parseExpectDocument,
  parsePortLine,
  parseWorkloadLine,
  portId,
  type LineExpectations,
} from '../../../actions/k3s-verify/src/expect/expectations.js';
import { defaultKubeconfig, inputs } from '../../../actions/k3s-verify/src/inputs.js';
import { thrown } from '../../support/thrown.js';

const actionErrorOf = (fn: () => unknown) => thrown(fn, ActionError);

describe('line syntax', () => {
  test.each([
    ['deployment/rustdesk/hbbs', { kind: 'deployment', namespace: 'rustdesk', name: 'hbbs' }],
    [
      'DaemonSet/kube-system/svclb-traefik-1c0a6f3e',
      { kind: 'daemonset', namespace: 'kube-system', name: 'svclb-traefik-1c0a6f3e' },
    ],
    ['statefulset/db/postgres.primary', { kind: 'statefulset', namespace: 'db', name: 'postgres.primary' }],
  ])('workload %s', (line, want) => {
    expect(parseWorkloadLine(line)).toEqual(want);
  });

  test.each([
    ['job/kube-system/helm-install-traefik', 'a workload kind: one of deployment|daemonset|statefulset'],
    ['deployment/hbbs', 'kind/namespace/name with kind deployment|daemonset|statefulset'],
    ['deployment/Rust_Desk/hbbs', 'a namespace name (lower-case letters, digits and -)'],
    ['deployment/rustdesk/hbbs/extra', 'kind/namespace/name with kind deployment|daemonset|statefulset'],
    ['deployment/rustdesk/-hbbs', 'a workload name (lower-case letters, digits, - and .)'],
  ])('workload %s is rejected: %s', (line, expected) => {
    const r = parseWorkloadLine(line);
    expect(r).toBeInstanceOf(Invalid);
    expect((r as Invalid).expected).toBe(expected);
  });

  test.each([
    ['rustdesk/hbbs: hbbs', { namespace: 'rustdesk', workload: 'hbbs', containers: ['hbbs'] }],
    [
      'rustdesk/hbbs:hbbs, sidecar ,hbbs',
      { namespace: 'rustdesk', workload: 'hbbs', containers: ['hbbs', 'sidecar'] },
    ],
    [
      'daemonset/rustdesk/hbbr: hbbr',
      { kind: 'daemonset', namespace: 'rustdesk', workload: 'hbbr', containers: ['hbbr'] },
    ],
  ])('containers %s', (line, want) => {
    expect(parseContainersLine(line)).toEqual(want);
  });

  test.each([
    'rustdesk/hbbs',
    'rustdesk/hbbs:',
    'hbbs: hbbs',
    'job/rustdesk/hbbs: a',
    'rustdesk/hbbs: Bad_Name',
  ])('containers %s is rejected', (line) => {
    expect(parseContainersLine(line)).toBeInstanceOf(Invalid);
  });

  test.each([
    ['10.0.0.5:21116/udp', { host: '10.0.0.5', port: 21116, protocol: 'udp' }, '10.0.0.5:21116/udp'],
    ['edge-1.lan:21117/TCP', { host: 'edge-1.lan', port: 21117, protocol: 'tcp' }, 'edge-1.lan:21117/tcp'],
    ['edge-1:21115', { host: 'edge-1', port: 21115, protocol: 'tcp' }, 'edge-1:21115/tcp'],
    ['[fd00::5]:21118/tcp', { host: 'fd00::5', port: 21118, protocol: 'tcp' }, '[fd00::5]:21118/tcp'],
  ])('port %s', (line, want, id) => {
    const p = parsePortLine(line);
    expect(p).toEqual(want);
    expect(portId(p as never)).toBe(id);
  });

  test.each([
    '10.0.0.5',
    '10.0.0.5:0/tcp',
    '10.0.0.5:70000/tcp',
    '10.0.0.5:21116/sctp',
    'a b:1/tcp',
    ':21116/tcp',
  ])('port %s is rejected', (line) => {
    expect(parsePortLine(line)).toBeInstanceOf(Invalid);
  });

  test.each([
    [['1'], { count: 1 }],
    [['3'], { count: 3 }],
    [['edge-1', 'edge-2', 'edge-1'], { names: ['edge-1', 'edge-2'] }],
    [[], undefined],
  ])('nodes %j', (items, want) => {
    expect(nodesFromLines(items)).toEqual(want);
  });

  test.each([[['0']], [['1', 'edge-1']], [['2', '3']]])('nodes %j is rejected naming the input', (items) => {
    const e = actionErrorOf(() => nodesFromLines(items));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(/^Input 'nodes' is invalid: expected a node count or node names, one per line/);
  });
});

describe('inputs', () => {
  test.each([
    [{ KUBECONFIG: '/etc/rancher/k3s/k3s.yaml' }, '/etc/rancher/k3s/k3s.yaml'],
    [{ KUBECONFIG: '/a/one.yaml:/b/two.yaml' }, '/a/one.yaml'],
    [{ KUBECONFIG: '' }, '~/.kube/config'],
    [{}, '~/.kube/config'],
  ])('kubeconfig default from %j', (env, want) => {
    expect(defaultKubeconfig(env)).toBe(want);
  });

  test('the default kubeconfig resolves against HOME and all line inputs parse', () => {
    const raw: Record<string, string> = {
      workloads: 'deployment/rustdesk/hbbs\n# hbbr follows\ndeployment/rustdesk/hbbr',
      containers: 'rustdesk/hbbs: hbbs',
      ports: '127.0.0.1:21116/udp',
      nodes: '1',
    };
    const { settings } = readInputs(inputs, (n) => raw[n] ?? '', {
      HOME: '/home/ops',
      GITHUB_WORKSPACE: '/ws',
    });
    expect(settings.kubeconfig).toBe('/home/ops/.kube/config');
    expect(settings.workloads).toHaveLength(2);
    expect(settings.maxRestarts).toBe(3);
    expect(settings.systemComponents).toBe(true);
    expect(settings.timeout).toBe(300_000);
    expect(settings.interval).toBe(5000);
    expect(settings.kubectlBinary).toBe('kubectl');
  });
});

describe('expect YAML', () => {
  const full = `
nodes: 1
workloads:
  - deployment/rustdesk/hbbr
  - kind: deployment
    namespace: rustdesk
    name: hbbs
    containers: [hbbs]
containers:
  - rustdesk/hbbr: hbbr
  - namespace: rustdesk
    workload: hbbs
    containers: [hbbs, hbbs]
ports:
  - 10.0.0.5:21116/udp
  - host: 10.0.0.5
    port: 21117
system-components: false
max-restarts: 5
`;

  test('string and mapping forms mean the same', () => {
    const d = parseExpectDocument(full, 'expect');
    expect(d.nodes).toEqual({ count: 1 });
    expect(d.workloads).toEqual([
      { kind: 'deployment', namespace: 'rustdesk', name: 'hbbr' },
      { kind: 'deployment', namespace: 'rustdesk', name: 'hbbs' },
    ]);
    expect(d.containers).toEqual([
      { kind: 'deployment', namespace: 'rustdesk', workload: 'hbbs', containers: ['hbbs'] },
      { namespace: 'rustdesk', workload: 'hbbr', containers: ['hbbr'] },
      { namespace: 'rustdesk', workload: 'hbbs', containers: ['hbbs'] },
    ]);
    expect(d.ports).toEqual([
      { host: '10.0.0.5', port: 21116, protocol: 'udp' },
      { host: '10.0.0.5', port: 21117, protocol: 'tcp' },
    ]);
    expect(d.systemComponents).toBe(false);
    expect(d.maxRestarts).toBe(5);
  });

  test('an empty document expects nothing extra', () => {
    expect(parseExpectDocument('', 'expect')).toEqual({
      workloads: [],
      containers: [],
      ports: [],
      volumes: [],
      conditions: [],
      after: [],
    });
    expect(parseExpectDocument('# nothing yet\n', 'expect')).toEqual(parseExpectDocument('', 'expect'));
  });

  test.each([
    [
      'workloads:\n  - deployment/rustdesk/hbbs\n  - kind: job\n    namespace: x\n    name: y\n',
      "expect.workloads[1].kind: expected one of deployment|daemonset|statefulset, got 'job'",
    ],
    [
      'workloads:\n  - deploy/rustdesk/hbbs\n',
      "expect.workloads[0]: expected a workload kind: one of deployment|daemonset|statefulset, got 'deploy/rustdesk/hbbs'",
    ],
    ['worklaods: []\n', 'expect.worklaods: unknown key'],
    [
      'workloads:\n  - kind: deployment\n    namespace: rustdesk\n    name: hbbs\n    replicas: 2\n',
      'expect.workloads[0].replicas: unknown key',
    ],
    [
      'workloads: deployment/rustdesk/hbbs\n',
      "expect.workloads: expected a list, got 'deployment/rustdesk/hbbs'",
    ],
    [
      'containers:\n  - namespace: rustdesk\n    workload: hbbs\n    containers: []\n',
      'expect.containers[0].containers: expected at least one container name',
    ],
    [
      'containers:\n  - namespace: rustdesk\n    workload: hbbs\n    containers: [Hbbs]\n',
      "expect.containers[0].containers[0]: expected a container name, got 'Hbbs'",
    ],
    [
      'ports:\n  - host: 10.0.0.5\n    port: 99999\n',
      'expect.ports[0].port: expected a port from 1 to 65535, got 99999',
    ],
    [
      'ports:\n  - host: 10.0.0.5\n    port: 21116\n    protocol: sctp\n',
      "expect.ports[0].protocol: expected tcp or udp, got 'sctp'",
    ],
    ['ports:\n  - 10.0.0.5\n', "expect.ports[0]: expected host:port/tcp or host:port/udp, got '10.0.0.5'"],
    ['nodes: 0\n', 'expect.nodes: expected a node count (≥ 1) or a list of node names, got 0'],
    ['nodes: [Edge_1]\n', 'expect.nodes: expected a node count (≥ 1) or a list of node names'],
    ["system-components: 'yes'\n", "expect.system-components: expected true or false, got 'yes'"],
    ['max-restarts: -1\n', 'expect.max-restarts: expected an integer from 0 to 1000, got -1'],
    [
      '- deployment/rustdesk/hbbs\n',
      'expect: expected a mapping with nodes, workloads, containers, ports, volumes, conditions, system-components, mounted-volumes, max-restarts',
    ],
  ])('%j → %s', (yaml, message) => {
    const e = actionErrorOf(() => parseExpectDocument(yaml, 'expect'));
    expect(e.reason).toBe('invalid-input');
    expect(e.message).toContain(`Input 'expect' is invalid: ${message}`);
  });

  test('syntax errors name the line, never echo the document', () => {
    const e = actionErrorOf(() =>
      parseExpectDocument('workloads:\n  - a\n   b: [\n', 'expect-file', 'ci/expect.yml'),
    );
    expect(e.message).toMatch(
      /^Input 'expect-file' is invalid: YAML syntax error at line \d+, column \d+: .+ \(in ci\/expect\.yml\)\.$/,
    );
  });

  test('duplicate keys are an error', () => {
    expect(actionErrorOf(() => parseExpectDocument('nodes: 1\nnodes: 2\n', 'expect')).message).toMatch(
      /YAML syntax error/,
    );
  });
});

describe('merging line inputs and the YAML', () => {
  const lines = (o: Partial<LineExpectations> = {}): LineExpectations => ({
    systemComponents: true,
    maxRestarts: 3,
    mountedVolumes: true,
    ...o,
  });
  const doc = (yaml: string) => parseExpectDocument(yaml, 'expect');

  test('lists are joined without duplicates, containers of one workload merged', () => {
    const m = mergeExpectations(
      lines({
        workloads: [{ kind: 'deployment', namespace: 'rustdesk', name: 'hbbs' }],
        containers: [{ namespace: 'rustdesk', workload: 'hbbs', containers: ['hbbs'] }],
        ports: [{ host: 'edge', port: 21116, protocol: 'udp' }],
      }),
      doc(
        'workloads: [deployment/rustdesk/hbbs, deployment/rustdesk/hbbr]\ncontainers: ["rustdesk/hbbs: sidecar"]\nports: ["edge:21116/udp", "edge:21117/tcp"]\n',
      ),
      'expect',
    );
    expect(m.workloads.map((w) => w.name)).toEqual(['hbbs', 'hbbr']);
    expect(m.containers).toEqual([
      { namespace: 'rustdesk', workload: 'hbbs', containers: ['hbbs', 'sidecar'] },
    ]);
    expect(m.ports.map(portId)).toEqual(['edge:21116/udp', 'edge:21117/tcp']);
  });

  test.each([
    // [line max-restarts, yaml max-restarts, result]
    [3, undefined, 3],
    [3, 7, 7], // the line input at its default yields
    [5, undefined, 5],
    [5, 5, 5],
  ])('max-restarts line %s + yaml %s → %s', (line, yaml, want) => {
    const m = mergeExpectations(
      lines({ maxRestarts: line }),
      doc(yaml === undefined ? '' : `max-restarts: ${yaml}`),
      'expect',
    );
    expect(m.maxRestarts).toBe(want);
  });

  test.each([
    [lines({ maxRestarts: 5 }), 'max-restarts: 7', "Input 'max-restarts' is invalid"],
    [lines({ systemComponents: false }), 'system-components: true', "Input 'system-components' is invalid"],
    [lines({ nodes: ['2'] }), 'nodes: 1', "Input 'nodes' is invalid"],
    [lines({ nodes: ['edge-1'] }), 'nodes: [edge-2]', "Input 'nodes' is invalid"],
  ])('conflicting scalars are an input error (%#)', (l, yaml, message) => {
    expect(actionErrorOf(() => mergeExpectations(l, doc(yaml), 'expect')).message).toContain(message);
  });

  test('system-components false in the YAML wins over the default', () => {
    expect(mergeExpectations(lines(), doc('system-components: false'), 'expect').systemComponents).toBe(
      false,
    );
  });

  test('nodes given in both places that agree', () => {
    expect(
      mergeExpectations(lines({ nodes: ['edge-2', 'edge-1'] }), doc('nodes: [edge-1, edge-2]'), 'expect')
        .nodes,
    ).toEqual({
      names: ['edge-2', 'edge-1'],
    });
  });
});
