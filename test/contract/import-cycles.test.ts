import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { filesUnder } from '../support/files.js';
import { REPO_ROOT } from '../support/run-action.js';

/**
 * No import cycles in the actions and the shared library: a reader must be able to follow imports from
 * `main.ts` downwards, and a cycle (even of types only) means two modules own one concern between
 * them. A static scan of relative imports (`import … from`, `export … from`, `import type`, side-effect
 * and dynamic `import()`), resolved `.js` → `.ts` as TypeScript's NodeNext resolution does.
 */
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

type ImportGraph = Map<string, string[]>;

function importsOf(file: string, source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    out.push(path.normalize(path.join(path.dirname(file), spec.replace(/\.js$/, '.ts'))));
  }
  return out;
}

function importGraph(dirs: readonly string[]): ImportGraph {
  const files = dirs.flatMap((d) => filesUnder(d)).filter((f) => f.endsWith('.ts'));
  const known = new Set(files.map((f) => path.normalize(f)));
  const graph: ImportGraph = new Map();
  for (const f of files)
    graph.set(
      path.normalize(f),
      importsOf(f, fs.readFileSync(f, 'utf8')).filter((t) => known.has(t)),
    );
  return graph;
}

/** Every cycle as the path around it (`a → b → a`), one per strongly connected component (Tarjan). */
function findCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(c);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components.map((c) => cyclePath(graph, new Set(c)));
}

/** One concrete cycle inside a component, for a readable failure message. */
function cyclePath(graph: ImportGraph, members: Set<string>): string[] {
  const start = [...members].sort()[0];
  const seen = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const route = [start];
        for (let u = v; u !== start; u = seen.get(u)!) route.splice(1, 0, u);
        return [...route, start];
      }
      if (!seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...members];
}

describe('import cycles', () => {
  test('the detector finds a cycle of type imports, a dynamic import and a self-import', () => {
    const src = {
      'a.ts': "import type { B } from './b.js';\n",
      'b.ts': "import {\n  c,\n} from './sub/c.js';\n",
      'sub/c.ts': "const a = await import('../a.js');\n",
      'd.ts': "import './d.js';\n",
      'e.ts': "import { a } from './a.js';\nexport * from './f.js';\n",
      'f.ts': '// no imports\n',
    };
    const graph: ImportGraph = new Map(
      Object.entries(src).map(([f, s]) => [f, importsOf(f, s).filter((t) => t in src)]),
    );
    expect(graph.get('e.ts')).toEqual(['a.ts', 'f.ts']);
    const cycles = findCycles(graph).map((c) => c.join(' → '));
    expect(cycles.sort()).toEqual(['a.ts → b.ts → sub/c.ts → a.ts', 'd.ts → d.ts']);
  });

  test('actions/ and shared/ have none', () => {
    const graph = importGraph([path.join(REPO_ROOT, 'actions'), path.join(REPO_ROOT, 'shared')]);
    expect(graph.size).toBeGreaterThan(50);
    const cycles = findCycles(graph).map((c) => c.map((f) => path.relative(REPO_ROOT, f)).join(' → '));
    expect(cycles).toEqual([]);
  });
});
