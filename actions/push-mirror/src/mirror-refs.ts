/**
 * Pure ref bookkeeping for the mirror: which refs the source offers, what the mirror has, what a push
 * must create, update or delete, and whether the mirror matches afterwards. Only branches and tags are
 * ever considered: GitHub rejects `refs/pull/*`, and `refs/remotes/*` or `HEAD` are not part of a mirror.
 */
export interface RefTarget {
  /** The object the ref points at (a tag object for annotated tags). */
  sha: string;
  /** The commit an annotated tag finally points at (`^{}` in ls-remote). */
  peeled?: string;
  /** The ref's name in the source repository when it differs (a remote-tracking branch). */
  from?: string;
}

export type RefMap = ReadonlyMap<string, RefTarget>;

export interface RemoteRefs {
  refs: RefMap;
  /** The mirror's HEAD: the sha and, with `--symref`, the branch it names. */
  head?: { sha?: string; branch?: string };
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function isBranchOrTag(ref: string): boolean {
  return ref.startsWith('refs/heads/') || ref.startsWith('refs/tags/');
}

/** Parses `git ls-remote --symref` output: `<sha>\t<ref>`, `<sha>\t<ref>^{}`, `ref: <target>\tHEAD`. */
export function parseLsRemote(text: string): RemoteRefs {
  const refs = new Map<string, RefTarget>();
  const peeled = new Map<string, string>();
  const head: { sha?: string; branch?: string } = {};
  for (const line of text.split(/\r?\n/)) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const left = line.slice(0, tab).trim();
    const name = line.slice(tab + 1).trim();
    if (left.startsWith('ref: ')) {
      if (name === 'HEAD') head.branch = left.slice(5).trim();
      continue;
    }
    if (!SHA.test(left)) continue;
    if (name === 'HEAD') head.sha = left;
    else if (name.endsWith('^{}')) peeled.set(name.slice(0, -3), left);
    else if (isBranchOrTag(name)) refs.set(name, { sha: left });
  }
  for (const [name, sha] of peeled) {
    const target = refs.get(name);
    if (target) refs.set(name, { ...target, peeled: sha });
  }
  return { refs, head: head.sha || head.branch ? head : undefined };
}

/**
 * The source's branches and tags from `git show-ref --dereference` output (`<sha> <ref>`, peeled tags
 * as `<sha> <ref>^{}`, fully peeled like ls-remote). A checkout made with `fetch-depth: 0` holds most
 * branches only as `refs/remotes/origin/*`; those are offered as the branches they track, and a local
 * branch of the same name wins (it may carry commits made in the job).
 */
export function parseLocalRefs(text: string, remote = 'origin'): RefMap {
  const all = new Map<string, RefTarget>();
  const peeled = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-f]{40}(?:[0-9a-f]{24})?)\s+(\S+)$/.exec(line.trim());
    if (!m) continue;
    if (m[2].endsWith('^{}')) peeled.set(m[2].slice(0, -3), m[1]);
    else all.set(m[2], { sha: m[1] });
  }
  const local = new Map<string, RefTarget>();
  const tracking = new Map<string, RefTarget>();
  const trackingPrefix = `refs/remotes/${remote}/`;
  for (const [name, t] of all) {
    const target: RefTarget = peeled.has(name) ? { ...t, peeled: peeled.get(name) } : t;
    if (name === 'refs/heads/HEAD') continue; // never a branch of the mirror (see mirrorRefspecs)
    if (isBranchOrTag(name)) local.set(name, target);
    else if (name.startsWith(trackingPrefix) && name !== `${trackingPrefix}HEAD`) {
      tracking.set(`refs/heads/${name.slice(trackingPrefix.length)}`, { ...target, from: name });
    }
  }
  const out = new Map<string, RefTarget>(local);
  for (const [name, target] of tracking) if (!out.has(name)) out.set(name, target);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** Keeps the refs that match one of the patterns (`*` matches any characters, `/` included). */
export function inScope(refs: RefMap, patterns: readonly string[]): Map<string, RefTarget> {
  const res = patterns.map(globToRegExp);
  return new Map([...refs].filter(([name]) => res.some((re) => re.test(name))));
}

export interface RefChange {
  ref: string;
  /** Sha on the mirror before the push. */
  before?: string;
  /** Sha the push writes (absent for a deletion). */
  after?: string;
  /** Source ref name (or sha) to push from. */
  from?: string;
}

export interface RefPlan {
  created: RefChange[];
  updated: RefChange[];
  deleted: RefChange[];
  unchanged: RefChange[];
  /** Refs only on the mirror that stay because prune is off. */
  kept: RefChange[];
}

/** What a push of `source` onto `mirror` changes; both maps already limited to the refs in scope. */
export function planRefs(source: RefMap, mirror: RefMap, opts: { prune: boolean }): RefPlan {
  const plan: RefPlan = { created: [], updated: [], deleted: [], unchanged: [], kept: [] };
  for (const [ref, src] of source) {
    const dst = mirror.get(ref);
    const change: RefChange = { ref, before: dst?.sha, after: src.sha, from: src.from ?? ref };
    if (!dst) plan.created.push(change);
    else if (dst.sha !== src.sha) plan.updated.push(change);
    else plan.unchanged.push(change);
  }
  for (const [ref, dst] of mirror) {
    if (source.has(ref)) continue;
    (opts.prune ? plan.deleted : plan.kept).push({ ref, before: dst.sha });
  }
  return plan;
}

export function planCounts(plan: RefPlan): {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
} {
  return {
    created: plan.created.length,
    updated: plan.updated.length,
    deleted: plan.deleted.length,
    unchanged: plan.unchanged.length,
  };
}

export function hasChanges(plan: RefPlan): boolean {
  return plan.created.length + plan.updated.length + plan.deleted.length > 0;
}

export interface RefMismatch {
  ref: string;
  problem: 'missing on the mirror' | 'only on the mirror' | 'differs' | 'tag peels differently';
  source?: string;
  mirror?: string;
}

/** Differences between the source and the mirror after a push; extra mirror refs count only with prune. */
export function compareRefs(source: RefMap, mirror: RefMap, opts: { prune: boolean }): RefMismatch[] {
  const out: RefMismatch[] = [];
  for (const [ref, src] of source) {
    const dst = mirror.get(ref);
    if (!dst) out.push({ ref, problem: 'missing on the mirror', source: src.sha });
    else if (dst.sha !== src.sha) out.push({ ref, problem: 'differs', source: src.sha, mirror: dst.sha });
    else if ((src.peeled ?? src.sha) !== (dst.peeled ?? dst.sha)) {
      out.push({ ref, problem: 'tag peels differently', source: src.peeled, mirror: dst.peeled });
    }
  }
  if (opts.prune) {
    for (const [ref, dst] of mirror) {
      if (!source.has(ref)) out.push({ ref, problem: 'only on the mirror', mirror: dst.sha });
    }
  }
  return out.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}

export function short(sha: string | undefined): string {
  return sha ? sha.slice(0, 12) : '—';
}

/** One line naming the differing refs (at most `limit`), for the failure message. */
export function describeMismatches(mismatches: readonly RefMismatch[], limit = 5): string {
  const shown = mismatches
    .slice(0, limit)
    .map(
      (m) =>
        `${m.ref} (${m.problem}${m.source || m.mirror ? `: source ${short(m.source)}, mirror ${short(m.mirror)}` : ''})`,
    );
  const more = mismatches.length > limit ? ` and ${mismatches.length - limit} more` : '';
  return shown.join(', ') + more;
}

/** A `refs` pattern git can use as a glob refspec: exactly one `*` (git's refspec globs allow one). */
export function globbable(pattern: string): boolean {
  return pattern.split('*').length === 2;
}

/**
 * The refspecs of one mirror push, a constant number per `refs` pattern rather than one per ref (issue
 * 21: git matches every ref against every refspec, so 2,001 explicit refspecs cost seconds of CPU):
 *
 * - a pattern with one `*` becomes the glob `+<pattern>:<pattern>`, and for branches also
 *   `+refs/remotes/origin/<rest>:<pattern>`, so a checkout's remote-tracking branches are pushed as the
 *   branches they track. Where a local branch and its remote-tracking branch both exist, git pushes the
 *   local one: it walks the local refs in name order (refs/heads/ before refs/remotes/) and skips a
 *   destination it already sends something to (remote.c, match_push_refs). With `--prune`, git deletes
 *   mirror refs matching a glob's destination that no local ref writes — the prune needs no listing.
 * - `origin/HEAD` is not a branch: `^refs/remotes/origin/HEAD` and `^refs/heads/HEAD` keep it off the
 *   mirror (git 2.29+ negative refspecs; git 2.39 applies them to the destination names, so both sides
 *   are named). A mirror branch literally called `HEAD` is therefore never pushed nor pruned.
 * - refs in scope only through a pattern git cannot glob (no `*`, or several) get an explicit
 *   `+<source ref>:<ref>` each; `deletions` are explicit `:<ref>` deletions for such patterns.
 */
export function mirrorRefspecs(
  source: RefMap,
  patterns: readonly string[],
  opts: { force: boolean; prune: boolean; deletions?: readonly string[]; remote?: string },
): string[] {
  const plus = opts.force ? '+' : '';
  const tracking = `refs/remotes/${opts.remote ?? 'origin'}/`;
  const globs = [...new Set(patterns.filter(globbable))];
  const specs: string[] = [];
  for (const p of globs) {
    specs.push(`${plus}${p}:${p}`);
    if (p.startsWith('refs/heads/')) specs.push(`${plus}${tracking}${p.slice('refs/heads/'.length)}:${p}`);
  }
  const globbed = (ref: string) => inScope(new Map([[ref, { sha: '' }]]), globs).size > 0;
  if (globbed('refs/heads/HEAD')) specs.push(`^${tracking}HEAD`, '^refs/heads/HEAD');
  for (const [ref, t] of source) if (!globbed(ref)) specs.push(`${plus}${t.from ?? ref}:${ref}`);
  if (opts.prune) for (const ref of opts.deletions ?? []) specs.push(`:${ref}`);
  return specs;
}

/**
 * The plan as the mirror reported it: `git push --porcelain -v` prints one line per ref,
 * `<flag>\t<from>:<to>\t<summary>` with flag ` ` (fast-forward, `old..new`), `+` (forced, `old...new`),
 * `*` (new), `-` (deleted), `=` (up to date), `!` (rejected) (git-push(1), OUTPUT).
 */
export function planFromPushReport(report: string, source: RefMap): RefPlan {
  const plan: RefPlan = { created: [], updated: [], deleted: [], unchanged: [], kept: [] };
  for (const line of report.split('\n')) {
    const m = /^([ +*\-=!])\t([^\t]*):([^\t]+)\t(.*)$/.exec(line);
    if (!m) continue;
    const [, flag, from, ref, summary] = m;
    const after = source.get(ref)?.sha;
    const before = /^([0-9a-f]{40,64})\.\.\.?[0-9a-f]{40,64}/.exec(summary)?.[1];
    const change: RefChange = { ref, before, after, from: from || undefined };
    if (flag === '*') plan.created.push(change);
    else if (flag === ' ' || flag === '+') plan.updated.push(change);
    else if (flag === '-') plan.deleted.push({ ref });
    else if (flag === '=') plan.unchanged.push({ ...change, before: after });
  }
  const byRef = (a: RefChange, b: RefChange) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);
  for (const list of [plan.created, plan.updated, plan.deleted, plan.unchanged]) list.sort(byRef);
  return plan;
}
