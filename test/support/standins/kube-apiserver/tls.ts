import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireTool } from '../../tools.js';

/**
 * A throwaway self-signed serving certificate for 127.0.0.1, like the one K3s generates for its API
 * server (SANs 127.0.0.1, localhost, kubernetes). Node cannot create X.509 certificates, so openssl does.
 */
export interface ServingCert {
  cert: string;
  key: string;
  /** base64 of the PEM certificate: a kubeconfig's `certificate-authority-data`. */
  caData: string;
}

export function makeServingCert(): ServingCert {
  const openssl = requireTool('openssl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-standin-tls-'));
  try {
    execFileSync(
      openssl,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/O=k3s/CN=k3s',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
    return { cert, key, caData: Buffer.from(cert).toString('base64') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A kubeconfig as K3s writes it (/etc/rancher/k3s/k3s.yaml), with a bearer token user. */
export function k3sKubeconfig(o: {
  server: string;
  caData: string;
  token: string;
  context?: string;
}): string {
  const name = o.context ?? 'default';
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${o.caData}`,
    `    server: ${o.server}`,
    `  name: ${name}`,
    'contexts:',
    '- context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    `  name: ${name}`,
    `current-context: ${name}`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: ${name}`,
    '  user:',
    `    token: ${o.token}`,
    '',
  ].join('\n');
}
