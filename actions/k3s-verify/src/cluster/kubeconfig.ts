import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../../../shared/errors.js';
import { writeFileAtomic } from '../../../../shared/fsx.js';
import { registerSecret } from '../../../../shared/secrets.js';

/**
 * The kubeconfig is read in-process only to name the target (server, context) in messages and to
 * register its credentials as secrets; kubectl itself reads it. `kubeconfig-content` is written to a 0600
 * file in a private directory and removed again. The server override goes to kubectl as `--server`, so
 * the user's file is never edited.
 */
interface NamedCluster {
  name?: string;
  cluster?: { server?: string };
}
interface NamedContext {
  name?: string;
  context?: { cluster?: string; user?: string; namespace?: string };
}
interface NamedUser {
  name?: string;
  user?: Record<string, unknown>;
}
export interface KubeconfigDoc {
  clusters?: NamedCluster[];
  contexts?: NamedContext[];
  users?: NamedUser[];
  'current-context'?: string;
}

export interface KubeTarget {
  /** The kubeconfig file kubectl reads (the user's, or the private copy of kubeconfig-content). */
  file: string;
  /** How messages name it: the path, or `kubeconfig-content`. */
  label: string;
  context: string;
  server: string;
}

export function parseKubeconfigText(text: string): KubeconfigDoc | undefined {
  try {
    const doc: unknown = parseYaml(text);
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
    const d = doc as Record<string, unknown>;
    for (const key of ['clusters', 'contexts', 'users'])
      if (d[key] !== undefined && d[key] !== null && !Array.isArray(d[key])) return undefined;
    return doc as KubeconfigDoc;
  } catch {
    return undefined;
  }
}

const SECRET_USER_FIELDS = ['token', 'password', 'client-key-data'];
const SECRET_PROVIDER_FIELDS = ['access-token', 'refresh-token', 'id-token', 'client-secret'];

/** Every credential a kubeconfig holds (and the decoded private key), so none can be printed. */
export function kubeconfigSecrets(doc: KubeconfigDoc): string[] {
  const out: string[] = [];
  for (const u of doc.users ?? []) {
    const user = u.user ?? {};
    for (const f of SECRET_USER_FIELDS) {
      const v = user[f];
      if (typeof v !== 'string' || v === '') continue;
      out.push(v);
      if (f === 'client-key-data') out.push(Buffer.from(v, 'base64').toString('utf8'));
    }
    const provider =
      (user['auth-provider'] as { config?: Record<string, unknown> } | undefined)?.config ?? {};
    for (const f of SECRET_PROVIDER_FIELDS)
      if (typeof provider[f] === 'string') out.push(provider[f] as string);
    const env = (user.exec as { env?: Array<{ value?: unknown }> } | undefined)?.env ?? [];
    for (const e of env) if (typeof e.value === 'string' && e.value.length >= 8) out.push(e.value);
  }
  return out;
}

export interface Resolved {
  context: string;
  server?: string;
}

/** The context in use and its cluster's server, or an error text naming what is missing. */
export function resolveContext(
  doc: KubeconfigDoc,
  context: string | undefined,
): Resolved | { error: 'context' | 'current-context' | 'cluster'; detail: string } {
  const name = context ?? doc['current-context'];
  if (!name) return { error: 'current-context', detail: 'the kubeconfig sets no current-context' };
  const ctx = doc.contexts?.find((c) => c.name === name);
  if (!ctx) {
    const known = (doc.contexts ?? []).map((c) => c.name).filter(Boolean);
    return { error: 'context', detail: `no context '${name}' (it has: ${known.join(', ') || 'none'})` };
  }
  const cluster = doc.clusters?.find((c) => c.name === ctx.context?.cluster);
  if (!cluster)
    return {
      error: 'cluster',
      detail: `context '${name}' names cluster '${ctx.context?.cluster ?? ''}', which it does not define`,
    };
  return { context: name, server: cluster.cluster?.server };
}

export interface KubeconfigSettings {
  /** Always set by the input's fallback ($KUBECONFIG, then ~/.kube/config). */
  kubeconfig?: string;
  kubeconfigContent?: string;
  context?: string;
  server?: URL;
}

async function readUserKubeconfig(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    throw new InputError(
      'kubeconfig',
      "the path of a readable kubeconfig file (or set 'kubeconfig-content')",
      `'${file}'`,
    );
  }
}

/** Resolves the kubeconfig, registers its credentials, writes kubeconfig-content to `privateDir`. */
export async function prepareKubeconfig(s: KubeconfigSettings, privateDir: string): Promise<KubeTarget> {
  const fromContent = s.kubeconfigContent !== undefined;
  const text = fromContent ? s.kubeconfigContent! : await readUserKubeconfig(s.kubeconfig ?? '');
  const doc = parseKubeconfigText(text);
  const input = fromContent ? 'kubeconfig-content' : 'kubeconfig';
  if (!doc) {
    // Never quote the content: it holds credentials.
    const given = fromContent
      ? "a value that is not shown because 'kubeconfig-content' is secret"
      : `'${s.kubeconfig}'`;
    throw new InputError(input, 'a kubeconfig in YAML or JSON (clusters, contexts, users)', given);
  }
  for (const secret of kubeconfigSecrets(doc)) registerSecret(secret);
  const resolved = resolveContext(doc, s.context);
  if ('error' in resolved) {
    if (resolved.error === 'context')
      throw new InputError('context', `a context of the kubeconfig: ${resolved.detail}`, `'${s.context}'`);
    if (resolved.error === 'current-context')
      throw new InputError('context', `a context name because ${resolved.detail}`, 'nothing');
    const given = fromContent
      ? "a value that is not shown because 'kubeconfig-content' is secret"
      : `'${s.kubeconfig}'`;
    throw new InputError(input, `a complete kubeconfig (${resolved.detail})`, given);
  }
  const server = s.server?.toString().replace(/\/$/, '') ?? resolved.server;
  if (!server)
    throw new InputError('server', `an API server URL because the kubeconfig's cluster has none`, 'nothing');
  let file = s.kubeconfig ?? '';
  if (fromContent) {
    file = path.join(privateDir, 'kubeconfig');
    await writeFileAtomic(file, text, { mode: 0o600 });
  }
  return { file, label: fromContent ? 'kubeconfig-content' : file, context: resolved.context, server };
}
