import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  kubeconfigSecrets,
  parseKubeconfigText,
  prepareKubeconfig,
  resolveContext,
} from '../../../actions/k3s-verify/src/cluster/kubeconfig.js';
import { redact, resetSecretsForTest } from '../../../shared/secrets.js';
import { k3sKubeconfig } from '../../support/standins/kube-apiserver/tls.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'k3s-verify-kc-unit-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  resetSecretsForTest();
});

const KEY_PEM =
  '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oZMPQ6Ia0+xEoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n';
const multi = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [
    {
      name: 'edge',
      cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'LS0tLS1CRUdJTg==' },
    },
    { name: 'lab', cluster: { server: 'https://lab.example:6443' } },
  ],
  contexts: [
    { name: 'edge', context: { cluster: 'edge', user: 'admin' } },
    { name: 'lab', context: { cluster: 'lab', user: 'ci' } },
    { name: 'broken', context: { cluster: 'gone', user: 'ci' } },
  ],
  users: [
    {
      name: 'admin',
      user: {
        'client-certificate-data': 'Y2VydA==',
        'client-key-data': Buffer.from(KEY_PEM).toString('base64'),
      },
    },
    {
      name: 'ci',
      user: {
        token: 'k3s-ci-token-0d1e2f',
        'auth-provider': { config: { 'refresh-token': 'refresh-0a1b2c' } },
      },
    },
    {
      name: 'exec',
      user: { exec: { command: 'vault-kube', env: [{ name: 'VAULT_TOKEN', value: 'hvs.vaulttoken123' }] } },
    },
    { name: 'basic', user: { username: 'admin', password: 'p4ssw0rd-basic' } },
  ],
  'current-context': 'edge',
};

test('credentials and the decoded private key are found', () => {
  expect(kubeconfigSecrets(multi)).toEqual([
    Buffer.from(KEY_PEM).toString('base64'),
    KEY_PEM,
    'k3s-ci-token-0d1e2f',
    'refresh-0a1b2c',
    'hvs.vaulttoken123',
    'p4ssw0rd-basic',
  ]);
});

test.each([
  [undefined, { context: 'edge', server: 'https://127.0.0.1:6443' }],
  ['lab', { context: 'lab', server: 'https://lab.example:6443' }],
  ['nope', { error: 'context', detail: "no context 'nope' (it has: edge, lab, broken)" }],
  ['broken', { error: 'cluster', detail: "context 'broken' names cluster 'gone', which it does not define" }],
])('context %s', (context, want) => {
  expect(resolveContext(multi, context)).toEqual(want);
});

test('no current-context and no context input', () => {
  expect(resolveContext({ ...multi, 'current-context': undefined }, undefined)).toMatchObject({
    error: 'current-context',
  });
});

test.each([
  ['YAML', k3sKubeconfig({ server: 'https://127.0.0.1:6443', caData: 'Y2E=', token: 't' }), true],
  ['JSON', JSON.stringify(multi), true],
  ['not a mapping', '- a\n- b\n', false],
  ['clusters not a list', 'clusters: {}\n', false],
  ['broken YAML', 'clusters: [\n', false],
])('parse %s', (_name, text, ok) => {
  expect(parseKubeconfigText(text) !== undefined).toBe(ok);
});

describe('prepareKubeconfig', () => {
  test('kubeconfig-content: a 0600 copy in the private dir, credentials registered, server override wins', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'p-'));
    const content = k3sKubeconfig({
      server: 'https://127.0.0.1:6443',
      caData: 'Y2E=',
      token: 'canary-token-77aa',
    });
    const t = await prepareKubeconfig(
      { kubeconfigContent: content, server: new URL('https://10.0.0.5:6443/') },
      dir,
    );
    expect(t).toEqual({
      file: path.join(dir, 'kubeconfig'),
      label: 'kubeconfig-content',
      context: 'default',
      server: 'https://10.0.0.5:6443',
    });
    expect(fs.statSync(t.file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(t.file, 'utf8')).toBe(content);
    expect(redact('Authorization: Bearer canary-token-77aa')).toBe('Authorization: Bearer ***');
  });

  test("the user's file is used in place and never copied", async () => {
    const file = path.join(tmp, 'k3s.yaml');
    fs.writeFileSync(file, JSON.stringify(multi));
    const dir = fs.mkdtempSync(path.join(tmp, 'p-'));
    const t = await prepareKubeconfig({ kubeconfig: file, context: 'lab' }, dir);
    expect(t).toEqual({ file, label: file, context: 'lab', server: 'https://lab.example:6443' });
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(redact('token k3s-ci-token-0d1e2f')).toBe('token ***');
  });

  test.each([
    [
      { kubeconfig: '/nonexistent/k3s.yaml' },
      "Input 'kubeconfig' is invalid: expected the path of a readable kubeconfig file",
    ],
    [
      { kubeconfigContent: 'clusters: [' },
      "Input 'kubeconfig-content' is invalid: expected a kubeconfig in YAML or JSON (clusters, contexts, users), got a value that is not shown",
    ],
    [
      { kubeconfigContent: JSON.stringify(multi), context: 'nope' },
      "Input 'context' is invalid: expected a context of the kubeconfig: no context 'nope' (it has: edge, lab, broken), got 'nope'.",
    ],
    [
      { kubeconfigContent: JSON.stringify({ ...multi, 'current-context': undefined }) },
      "Input 'context' is invalid: expected a context name because the kubeconfig sets no current-context",
    ],
  ])('bad kubeconfig %#', async (settings, message) => {
    await expect(prepareKubeconfig(settings, tmp)).rejects.toThrow(message);
  });
});
