import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/**
 * `verify-files` patterns: `*` and `?` within one path segment, `**` across segments, `[abc]` classes,
 * `{a,b}` alternatives, and `!pattern` lines that exclude. Relative patterns resolve against the workspace.
 * Node 20 has no fs.glob, hence this small matcher.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let i = 0;
  let braces = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      const slashAfter = pattern[i + 2] === '/';
      re += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 3 : 2;
      continue;
    }
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|\\/]/g, '\\$&');
    i++;
  }
  return new RegExp(`^${re}$`);
}

/** The leading directory of a pattern that holds no glob characters: where the walk starts. */
export function staticBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (/[*?[{]/.test(part)) break;
    fixed.push(part);
  }
  return fixed.join('/') || (pattern.startsWith('/') ? '/' : '.');
}

export interface GlobResult {
  files: string[];
  /** Include patterns that matched no file (likely a typo worth failing on). */
  unmatched: string[];
}

const MAX_FILES = 20_000;

async function walk(dir: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (out.length >= MAX_FILES) return;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== '.git' && e.name !== 'node_modules') await walk(p, out);
    } else if (e.isFile()) out.push(p);
  }
}

export async function expandGlobs(patterns: readonly string[], root: string): Promise<GlobResult> {
  const includes = patterns.filter((p) => !p.startsWith('!')).map((p) => path.resolve(root, p));
  const excludes = patterns
    .filter((p) => p.startsWith('!'))
    .map((p) => globToRegExp(path.resolve(root, p.slice(1))));
  const found = new Set<string>();
  const unmatched: string[] = [];
  for (const [n, abs] of includes.entries()) {
    const re = globToRegExp(abs);
    const candidates: string[] = [];
    if (!/[*?[{]/.test(abs)) candidates.push(abs);
    else await walk(path.resolve(staticBase(abs)), candidates);
    const hits = [];
    for (const f of candidates) {
      const st = await fsp.stat(f).catch(() => undefined);
      if (st?.isFile() && re.test(f) && !excludes.some((x) => x.test(f))) hits.push(f);
    }
    if (hits.length === 0) unmatched.push(patterns.filter((p) => !p.startsWith('!'))[n]);
    hits.sort().forEach((h) => found.add(h));
  }
  return { files: [...found], unmatched };
}
