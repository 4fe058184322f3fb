import { describe, expect, test } from '@jest/globals';
import {
  classifyKubectlFailure,
  createKubectl,
  DeadlineError,
  globalArgs,
  isTransient,
  KubectlError,
  listArgs,
  type ToolRunner,
} from '../../../actions/k3s-verify/src/cluster/kubectl.js';
import type { ToolOptions, ToolResult } from '../../../shared/tool.js';

// stderr texts as kubectl 1.32 prints them (recorded against the stand-in and closed ports).
const MEMCACHE =
  'E1121 14:51:04.034040   11294 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API group list: Get \\"https://127.0.0.1:1/api?timeout=3s\\": dial tcp 127.0.0.1:1: connect: connection refused"';

describe('classifying kubectl failures', () => {
  test.each([
    [
      'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?',
      'unreachable',
    ],
    [
      `${MEMCACHE}\nThe connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?`,
      'unreachable',
    ],
    [
      'Unable to connect to the server: dial tcp: lookup no-such-host.invalid on 10.255.255.53:53: no such host',
      'unreachable',
    ],
    ['Unable to connect to the server: dial tcp 10.0.0.5:6443: i/o timeout', 'unreachable'],
    ['Unable to connect to the server: net/http: TLS handshake timeout', 'unreachable'],
    [
      'Error from server (InternalError): an error on the server ("[+]ping ok\\n[-]etcd failed: reason withheld\\nreadyz check failed") has prevented the request from succeeding',
      'not-ready',
    ],
    [
      'Error from server (ServiceUnavailable): the server is currently unable to handle the request',
      'not-ready',
    ],
    [
      'error: You must be logged in to the server (the server has asked for the client to provide credentials)',
      'unauthorized',
    ],
    ['error: You must be logged in to the server (Unauthorized)', 'unauthorized'],
    [
      'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:ci:verify" cannot list resource "pods" in API group "" at the cluster scope',
      'forbidden',
    ],
    [
      'Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "k3s")',
      'tls',
    ],
    [
      'Unable to connect to the server: tls: failed to verify certificate: x509: certificate is valid for localhost, kubernetes, kubernetes.default, not edge.example',
      'tls',
    ],
    ['error: the server doesn\'t have a resource type "jobs"', 'error'],
  ])('%s → %s', (stderr, kind) => {
    expect(classifyKubectlFailure({ stderr, timedOut: false, exitCode: 1 }).kind).toBe(kind);
  });

  test('the detail is the last line; a timeout is unreachable', () => {
    expect(
      classifyKubectlFailure({
        stderr: `${MEMCACHE}\nThe connection to the server x was refused`,
        timedOut: false,
        exitCode: 1,
      }).detail,
    ).toBe('The connection to the server x was refused');
    expect(classifyKubectlFailure({ stderr: '', timedOut: true, exitCode: null })).toEqual({
      kind: 'unreachable',
      detail: 'kubectl timed out waiting for the API server',
    });
  });

  test.each([
    ['unreachable', true],
    ['not-ready', true],
    ['error', true],
    ['unauthorized', false],
    ['forbidden', false],
    ['tls', false],
  ] as const)('%s transient: %s', (kind, want) => {
    expect(isTransient({ kind, detail: '' })).toBe(want);
  });
});

describe('arguments', () => {
  const s = { bin: 'kubectl', kubeconfig: '/tmp/k/kubeconfig', cacheDir: '/tmp/k/cache' };
  test('global flags: kubeconfig, overrides, private cache, request timeout', () => {
    expect(globalArgs(s, 20_000)).toEqual([
      '--kubeconfig',
      '/tmp/k/kubeconfig',
      '--cache-dir',
      '/tmp/k/cache',
      '--request-timeout=20s',
    ]);
    expect(
      globalArgs(
        { ...s, context: 'edge', server: 'https://10.0.0.5:6443', tlsServerName: 'kubernetes' },
        30_000,
      ),
    ).toEqual([
      '--kubeconfig',
      '/tmp/k/kubeconfig',
      '--context',
      'edge',
      '--server',
      'https://10.0.0.5:6443',
      '--tls-server-name',
      'kubernetes',
      '--cache-dir',
      '/tmp/k/cache',
      '--request-timeout=30s',
    ]);
  });

  test.each([
    ['nodes', ['get', 'nodes', '-o', 'json', '--chunk-size=0']],
    ['pods', ['get', 'pods', '--all-namespaces', '-o', 'json', '--chunk-size=0']],
    ['jobs', ['get', 'jobs', '--all-namespaces', '-o', 'json', '--chunk-size=0']],
  ] as const)('one unchunked list for %s', (kind, want) => {
    expect(listArgs(kind)).toEqual(want);
  });
});

describe('the client over a fake tool runner', () => {
  function fake(answer: (args: readonly string[]) => Partial<ToolResult>) {
    const calls: ToolOptions[] = [];
    const tool: ToolRunner = async (opts) => {
      calls.push(opts);
      return {
        argv: [],
        exitCode: 0,
        signal: null,
        stdout: '',
        stderr: '',
        durationMs: 1,
        timedOut: false,
        aborted: false,
        cancelled: false,
        ...answer(opts.args),
      };
    };
    return { calls, kube: createKubectl({ bin: '/opt/kubectl', kubeconfig: '/k', cacheDir: '/c' }, tool) };
  }

  test('lists are parsed, never echoed, KUBECONFIG is dropped, only read verbs are used', async () => {
    const { calls, kube } = fake(() => ({
      stdout: '{"apiVersion":"v1","kind":"List","items":[{"metadata":{"name":"edge-1"}}]}',
    }));
    expect(await kube.list('nodes', 10_000)).toEqual([{ metadata: { name: 'edge-1' } }]);
    expect(await kube.readyz(10_000)).toEqual({
      kind: 'not-ready',
      detail: expect.stringContaining('/readyz answered'),
    });
    await kube.events('rustdesk', 10_000);
    await kube.logs('rustdesk', 'hbbs-x', 'hbbs', true, 50, 10_000);
    for (const c of calls) {
      expect(c.echo).toBe('none');
      expect(c.env).toEqual({ KUBECONFIG: undefined });
      expect(c.binInput).toBe('kubectl-binary');
      const verb = c.args[c.args.indexOf('--request-timeout=10s') + 1];
      expect(['get', 'logs']).toContain(verb);
    }
    expect(calls[3].args.slice(-8)).toEqual([
      'logs',
      '--namespace',
      'rustdesk',
      'hbbs-x',
      '--container',
      'hbbs',
      '--tail=50',
      '--previous',
    ]);
  });

  test('readyz ok; failures become problems or KubectlError', async () => {
    expect(await fake(() => ({ stdout: 'ok' })).kube.readyz(5000)).toBeUndefined();
    const refused = fake(() => ({
      exitCode: 1,
      stderr:
        'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?',
    }));
    expect((await refused.kube.readyz(5000))?.kind).toBe('unreachable');
    await expect(refused.kube.list('pods', 5000)).rejects.toBeInstanceOf(KubectlError);
    expect(await refused.kube.logs('a', 'b', 'c', false, 50, 5000)).toEqual({
      error: expect.stringContaining('was refused'),
    });
  });

  test('a call stopped at the deadline is a DeadlineError (list) or unreachable (readyz)', async () => {
    const stopped = fake(() => ({ exitCode: null, signal: 'SIGTERM', aborted: true }));
    const abort = new AbortController().signal;
    await expect(stopped.kube.list('pods', 5000, abort)).rejects.toBeInstanceOf(DeadlineError);
    expect(await stopped.kube.readyz(5000, abort)).toEqual({
      kind: 'unreachable',
      detail: 'no answer from /readyz before the deadline',
      atDeadline: true,
    });
    expect(stopped.calls[0].abort).toBe(abort);
  });

  test('output that is not a JSON list is an api-error', async () => {
    await expect(
      fake(() => ({ stdout: 'Client Version: v1.32' })).kube.list('pods', 5000),
    ).rejects.toMatchObject({ reason: 'api-error' });
  });
});
