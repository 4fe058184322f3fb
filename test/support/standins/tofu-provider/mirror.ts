import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A provider network mirror on loopback HTTPS serving the stand-in provider `example.test/edge/echo`
 * (echo-provider.cjs) in several versions, and the CLI configuration that makes the real tool install
 * every provider from it only. Every request is recorded: a package download is a GET of a `.zip`, so
 * "init downloaded nothing" is counted here.
 *
 * The protocol (OpenTofu/Terraform docs "Provider Network Mirror Protocol",
 * website/docs/internals/provider-network-mirror-protocol.mdx): `GET <base>/<host>/<namespace>/<type>/
 * index.json` → `{"versions": {"<version>": {}}}`; `GET …/<version>.json` → `{"archives":
 * {"<os>_<arch>": {"url": "<relative or absolute>", "hashes": ["zh:<sha256 of the zip>"]}}}`. The base
 * URL must be https (the CLI configuration's `network_mirror { url }`, docs "CLI Configuration File",
 * provider_installation); the tool trusts the mirror's self-signed certificate through SSL_CERT_FILE
 * (Go crypto/x509 root_unix.go). A package is a zip holding `terraform-provider-<type>_v<version>`.
 */
export interface ProviderMirror {
  url: string;
  /** TF_CLI_CONFIG_FILE and SSL_CERT_FILE for the tool. */
  env: Record<string, string>;
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /**
   * The package downloads (`GET …zip`), in order. The tool's HTTP getter first asks with HEAD
   * (hashicorp/go-getter get_http.go, for the size); only a GET transfers the package.
   */
  downloads(): string[];
  stop(): Promise<void>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PROVIDER_SOURCE = 'example.test/edge/echo';

function platform(): string {
  const arch = ({ x64: 'amd64', ia32: '386' } as Record<string, string>)[process.arch] ?? process.arch;
  return `${process.platform}_${arch}`;
}

export async function startProviderMirror(dir: string, versions: string[]): Promise<ProviderMirror> {
  fs.mkdirSync(dir, { recursive: true });
  const script = fs.readFileSync(path.join(HERE, 'echo-provider.cjs'), 'utf8');
  const zips = new Map<string, Buffer>();
  for (const v of versions) {
    const pkg = path.join(dir, `pkg-${v}`);
    fs.mkdirSync(pkg, { recursive: true });
    const bin = path.join(pkg, `terraform-provider-echo_v${v}`);
    fs.writeFileSync(bin, script.replace(/__VERSION__/g, v), { mode: 0o755 });
    const zip = path.join(dir, `terraform-provider-echo_${v}_${platform()}.zip`);
    execFileSync('zip', ['-q', '-j', '-X', zip, bin]);
    zips.set(v, fs.readFileSync(zip));
  }
  const key = path.join(dir, 'mirror.key');
  const cert = path.join(dir, 'mirror.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const requests: string[] = [];
  const { createHash } = await import('node:crypto');
  const base = `/${PROVIDER_SOURCE}/`;
  const server = https.createServer(
    { key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
    (req, res) => {
      const url = req.url ?? '';
      requests.push(`${req.method} ${url}`);
      const json = (body: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
      };
      if (url === `${base}index.json`)
        return json({ versions: Object.fromEntries(versions.map((v) => [v, {}])) });
      const meta = /^([^/]+)\.json$/.exec(url.slice(base.length));
      if (url.startsWith(base) && meta && zips.has(meta[1])) {
        const zip = zips.get(meta[1])!;
        return json({
          archives: {
            [platform()]: {
              url: `terraform-provider-echo_${meta[1]}_${platform()}.zip`,
              hashes: [`zh:${createHash('sha256').update(zip).digest('hex')}`],
            },
          },
        });
      }
      const pkg = /^terraform-provider-echo_([^_]+)_[a-z0-9]+_[a-z0-9]+\.zip$/.exec(url.slice(base.length));
      if (url.startsWith(base) && pkg && zips.has(pkg[1])) {
        res.setHeader('content-type', 'application/zip');
        return res.end(zips.get(pkg[1]));
      }
      res.statusCode = 404;
      res.end();
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const cliConfig = path.join(dir, 'mirror.tfrc');
  fs.writeFileSync(cliConfig, `provider_installation {\n  network_mirror {\n    url = "${url}"\n  }\n}\n`);
  return {
    url,
    env: { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: cert },
    requests,
    downloads: () => requests.filter((r) => r.startsWith('GET ') && r.endsWith('.zip')),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The stack's provider requirement and a data source read at plan time. */
export function echoStack(version: string): string {
  return [
    'terraform {',
    '  required_providers {',
    `    echo = { source = "${PROVIDER_SOURCE}", version = "${version}" }`,
    '  }',
    '}',
    'data "echo_value" "this" {}',
    'output "echo_says" { value = data.echo_value.this.result }',
    '',
  ].join('\n');
}

/**
 * The lock file the real tool writes for this version (one init into a scratch directory, no cache).
 * Asynchronous: the mirror answers from this process.
 */
export async function lockFileFor(
  tool: string,
  mirror: ProviderMirror,
  scratch: string,
  version: string,
): Promise<string> {
  fs.mkdirSync(scratch, { recursive: true });
  fs.writeFileSync(path.join(scratch, 'main.tf'), echoStack(version));
  const env = { ...process.env, ...mirror.env };
  delete env.TF_PLUGIN_CACHE_DIR;
  await promisify(execFile)(tool, ['init', '-input=false', '-no-color'], { cwd: scratch, env });
  return fs.readFileSync(path.join(scratch, '.terraform.lock.hcl'), 'utf8');
}
