import * as path from 'node:path';

/**
 * How the action makes tofu read and write exactly `state-path`: it writes an override file
 * (`*_override.tf`, merged last by tofu) declaring `backend "local" { path = <state-path> }` and runs
 * `init -reconfigure`. The deprecated `-state`/`-state-out` flags (Terraform 1.10 warns on every run)
 * are not used, and a saved plan records that backend, so applying it writes the same file.
 *
 * Because an override would silently replace a backend the stack declares itself, the stack's own
 * configuration is scanned first: any backend other than `local`, a `cloud` block, or a local backend
 * with a different `path` is refused. After init, the backend record tofu wrote is checked too. Pure.
 */
export const OVERRIDE_FILE = 'zz_tofu_state_backup_override.tf';

export interface ConfigFile {
  name: string;
  content: string;
}

export function overrideContent(statePath: string): string {
  return [
    '# Written by the tofu-plan-with-state-backup action for the duration of one run; removed afterwards.',
    'terraform {',
    '  backend "local" {',
    `    path = ${JSON.stringify(statePath)}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Removes comments and blanks string contents so braces and keywords inside them do not count. */
function stripHcl(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, (s) => (/^"[A-Za-z0-9_./ ~:-]*"$/.test(s) ? s : '""'))
    .replace(/(#|\/\/)[^\n]*/g, ' ');
}

/** Bodies of every top-level `terraform { … }` block. */
function terraformBlocks(src: string): string[] {
  const out: string[] = [];
  const re = /(^|\n)\s*terraform\s*\{/g;
  while (re.exec(src)) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === '{') depth++;
      else if (src[i] === '}') depth--;
    }
    out.push(src.slice(re.lastIndex, i - 1));
  }
  return out;
}

interface Declared {
  file: string;
  type: string;
  path?: string;
}

function fromHcl(f: ConfigFile): Declared[] {
  const found: Declared[] = [];
  for (const body of terraformBlocks(stripHcl(f.content))) {
    if (/(^|\s)cloud\s*\{/.test(body)) found.push({ file: f.name, type: 'cloud' });
    const re = /backend\s+"([^"]+)"\s*\{([^{}]*)\}/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(body))) {
      const p = /(^|\s)path\s*=\s*"([^"]*)"/.exec(m[2]);
      found.push({ file: f.name, type: m[1], path: p?.[2] });
    }
  }
  return found;
}

function fromJson(f: ConfigFile): Declared[] {
  let doc: unknown;
  try {
    doc = JSON.parse(f.content);
  } catch {
    return [];
  }
  const found: Declared[] = [];
  const blocks = (doc as { terraform?: unknown })?.terraform;
  for (const tf of Array.isArray(blocks) ? blocks : blocks ? [blocks] : []) {
    const t = tf as { backend?: unknown; cloud?: unknown };
    if (t.cloud) found.push({ file: f.name, type: 'cloud' });
    for (const b of Array.isArray(t.backend) ? t.backend : t.backend ? [t.backend] : []) {
      for (const [type, cfg] of Object.entries(b as Record<string, unknown>)) {
        const c = (Array.isArray(cfg) ? cfg[0] : cfg) as { path?: unknown } | undefined;
        found.push({ file: f.name, type, path: typeof c?.path === 'string' ? c.path : undefined });
      }
    }
  }
  return found;
}

/** Undefined when the stack may run against `statePath`; otherwise why not (one sentence). */
export function backendConflict(
  files: readonly ConfigFile[],
  statePath: string,
  workingDir: string,
): string | undefined {
  for (const f of files) {
    if (f.name === OVERRIDE_FILE) continue;
    const declared = f.name.endsWith('.tf.json') ? fromJson(f) : f.name.endsWith('.tf') ? fromHcl(f) : [];
    for (const d of declared) {
      if (d.type === 'cloud')
        return `${d.file} configures a cloud block (remote state), not a local state file`;
      if (d.type !== 'local') return `${d.file} configures the '${d.type}' backend, not a local state file`;
      if (d.path !== undefined && path.resolve(workingDir, d.path) !== statePath)
        return `${d.file} sets the local backend path to '${d.path}', not '${statePath}'`;
    }
  }
  return undefined;
}

/** Checks the backend record `init` wrote (`<data dir>/terraform.tfstate`). */
export function backendRecordConflict(recordJson: string | undefined, statePath: string): string | undefined {
  if (recordJson === undefined) return 'tofu init wrote no backend record';
  let rec: { backend?: { type?: string; config?: { path?: string | null } } };
  try {
    rec = JSON.parse(recordJson);
  } catch {
    return 'the backend record written by tofu init is not JSON';
  }
  const type = rec.backend?.type;
  if (type !== 'local') return `tofu init configured the '${type ?? 'unknown'}' backend`;
  if (rec.backend?.config?.path !== statePath)
    return `tofu init configured the local path '${rec.backend?.config?.path ?? ''}'`;
  return undefined;
}

/**
 * The version of the binary that wrote the backend record (`terraform_version`, a field name OpenTofu
 * kept). `init -reconfigure` rewrites the record on every run, so right after it this is the running
 * tool's version: read here instead of starting `tofu version` (issue 21). Undefined when absent.
 */
export function recordedToolVersion(recordJson: string | undefined): string | undefined {
  if (recordJson === undefined) return undefined;
  try {
    const v = (JSON.parse(recordJson) as { terraform_version?: unknown }).terraform_version;
    return typeof v === 'string' && /^\d+\.\d+\.\d+\S*$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
