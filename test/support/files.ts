import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Every regular file under `dir`, recursively, without following links. A missing or unreadable
 * directory (a test's read-only or unmounted path) contributes nothing instead of failing the check.
 */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}
