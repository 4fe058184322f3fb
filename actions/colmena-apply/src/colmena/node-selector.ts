/**
 * Resolves `--on` selectors against the hive's node inventory before anything is deployed, with the same
 * rules as colmena's node filter (src/nix/node_filter.rs in nix-community/colmena): comma-separated rules
 * that are OR'd, a rule starting with `@` matches `deployment.tags`, everything else the node name, each
 * rule a glob of the Rust `glob` crate (`*`, `?`, `[a-z]`, `[!a-z]`).
 *
 * Colmena itself exits 0 when nothing matches (and panics on an invalid glob), so the action decides both
 * before colmena runs.
 */
export interface NodeInfo {
  name: string;
  tags: readonly string[];
  targetHost: string | null;
  targetPort: number | null;
  buildOnTarget: boolean;
  /** `deployment.targetUser` (default root; null leaves it to the ssh config). */
  targetUser?: string | null;
  /** `deployment.privilegeEscalationCommand`, used when targetUser is not root. */
  privilegeEscalationCommand?: readonly string[];
  /** `deployment.sshOptions` (colmena 0.5). */
  sshOptions?: readonly string[];
}

export type Inventory = ReadonlyMap<string, NodeInfo>;

/** A compiled glob; `undefined` from compileGlob means the pattern is invalid. */
export type Glob = (text: string) => boolean;

/**
 * Compiles a pattern with the `glob` crate's syntax. `**` is only valid as a whole path component there;
 * node names have no `/`, so a lone `**` simply matches everything.
 */
export function compileGlob(pattern: string): Glob | undefined {
  if (pattern.length === 0) return undefined;
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const before = i === 0 || pattern[i - 1] === '/';
        const after = i + 2 === pattern.length || pattern[i + 2] === '/';
        if (!before || !after) return undefined;
        i++;
      }
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      const cls = readClass(pattern, i);
      if (!cls) return undefined;
      re += cls.regex;
      i = cls.end;
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  const compiled = new RegExp(re + '$', 'su');
  return (text) => compiled.test(text);
}

/** `[abc]`, `[a-z]`, `[!abc]`; a `]` right after `[` or `[!` is literal (glob crate rules). */
function readClass(pattern: string, start: number): { regex: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '!') {
    negate = true;
    i++;
  }
  const parts: string[] = [];
  let first = true;
  while (i < pattern.length && (first || pattern[i] !== ']')) {
    first = false;
    const lo = pattern[i];
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      const hi = pattern[i + 2];
      if (hi < lo) return undefined;
      parts.push(`${escapeClass(lo)}-${escapeClass(hi)}`);
      i += 3;
    } else {
      parts.push(escapeClass(lo));
      i++;
    }
  }
  if (i >= pattern.length || parts.length === 0) return undefined;
  return { regex: `[${negate ? '^' : ''}${parts.join('')}]`, end: i };
}

function escapeClass(c: string): string {
  return c.replace(/[\\\]^-]/g, '\\$&');
}

export interface SelectorRule {
  tag: boolean;
  pattern: string;
  match: Glob;
}

/** Parses one selector (a name glob or `@tag` glob); undefined when it is not a valid rule. */
export function parseSelector(raw: string): SelectorRule | undefined {
  const s = raw.trim();
  if (s.length === 0 || s.includes(',') || /\s/.test(s)) return undefined;
  const tag = s.startsWith('@');
  const pattern = tag ? s.slice(1) : s;
  const match = compileGlob(pattern);
  return match ? { tag, pattern, match } : undefined;
}

/** The nodes the selectors match, in inventory order; every node when there are no selectors. */
export function selectNodes(inventory: Inventory, selectors: readonly string[] | undefined): string[] {
  const nodes = [...inventory.values()];
  if (!selectors || selectors.length === 0) return nodes.map((n) => n.name);
  const rules = selectors.map((s) => parseSelector(s)).filter((r): r is SelectorRule => r !== undefined);
  return nodes
    .filter((n) => rules.some((r) => (r.tag ? n.tags.some((t) => r.match(t)) : r.match(n.name))))
    .map((n) => n.name);
}

/** The `--on` value colmena receives: the selectors exactly as given, comma-joined. */
export function onArgument(selectors: readonly string[]): string {
  return selectors.map((s) => s.trim()).join(',');
}
