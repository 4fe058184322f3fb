/**
 * Label selectors as `kubectl -l` takes them (equality- and set-based):
 * `app=longhorn`, `tier!=db`, `env in (prod,edge)`, `env notin (dev)`, `managed`, `!legacy`, comma-joined.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 * Matching is done in-process on the one list per kind, so any number of selectors costs no request.
 */
export type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

export interface LabelSelector {
  text: string;
  requirements: Requirement[];
}

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas outside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((t) => t.trim());
}

export function parseLabelSelector(text: string): LabelSelector | undefined {
  const requirements: Requirement[] = [];
  for (const term of terms(text)) {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term))) {
      const values = m[3].split(',').map((v) => v.trim());
      if (!KEY.test(m[1]) || values.some((v) => !VALUE.test(v))) return undefined;
      requirements.push({ key: m[1], op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
      if (!KEY.test(m[1]) || !VALUE.test(m[3])) return undefined;
      requirements.push({ key: m[1], op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]] });
    } else if ((m = /^(!?)([^=!\s()]+)$/.exec(term))) {
      if (!KEY.test(m[2])) return undefined;
      requirements.push({ key: m[2], op: m[1] ? '!exists' : 'exists' });
    } else return undefined;
  }
  return requirements.length > 0 ? { text: text.trim(), requirements } : undefined;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  return selector.requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key]);
      case 'notin':
        return !has || !r.values.includes(labels[r.key]);
    }
  });
}
