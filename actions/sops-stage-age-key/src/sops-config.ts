import { parse as parseYaml } from 'yaml';

/**
 * Reads the age recipients a `.sops.yaml` encrypts new files to, the way sops does (config/config.go in
 * getsops/sops): `creation_rules[].age` is a comma-separated string or a list, `key_groups[].age` a list of
 * such strings, and key groups may `merge` nested groups. `destination_rules[].recreation_rule` count too.
 */
export interface RuleRecipients {
  /** Which rule, for messages: `creation_rules[2] (path_regex: prod/.*)`. */
  readonly rule: string;
  readonly recipients: readonly string[];
}

export class SopsConfigError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** sops' parseKeyField: a comma string, or a list of strings (each may itself hold commas). */
function ageField(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (!items || items.some((i) => typeof i !== 'string')) {
    throw new SopsConfigError(`${where}.age must be a string or a list of strings`);
  }
  return (items as string[])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function groupRecipients(group: unknown, where: string): string[] {
  if (!isObj(group)) return [];
  const nested = Array.isArray(group.merge)
    ? group.merge.flatMap((g, i) => groupRecipients(g, `${where}.merge[${i}]`))
    : [];
  return [...nested, ...ageField(group.age, where)];
}

function ruleRecipients(rule: Obj, where: string): string[] {
  const fromGroups = Array.isArray(rule.key_groups)
    ? rule.key_groups.flatMap((g, i) => groupRecipients(g, `${where}.key_groups[${i}]`))
    : [];
  return [...new Set([...ageField(rule.age, where), ...fromGroups])];
}

function label(rule: Obj, where: string): string {
  return typeof rule.path_regex === 'string' && rule.path_regex !== ''
    ? `${where} (path_regex: ${rule.path_regex})`
    : where;
}

export function parseSopsConfig(text: string): RuleRecipients[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new SopsConfigError(`it is not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isObj(doc)) throw new SopsConfigError('it is not a YAML mapping with creation_rules');
  const rules: RuleRecipients[] = [];
  const creation = Array.isArray(doc.creation_rules) ? doc.creation_rules : [];
  creation.forEach((r, i) => {
    if (!isObj(r)) return;
    const where = `creation_rules[${i}]`;
    rules.push({ rule: label(r, where), recipients: ruleRecipients(r, where) });
  });
  const destination = Array.isArray(doc.destination_rules) ? doc.destination_rules : [];
  destination.forEach((d, i) => {
    if (!isObj(d) || !isObj(d.recreation_rule)) return;
    const where = `destination_rules[${i}].recreation_rule`;
    rules.push({ rule: label(d, where), recipients: ruleRecipients(d.recreation_rule, where) });
  });
  return rules;
}

export interface RecipientCheck {
  /** Rules that list at least one of our recipients. */
  readonly matchedRules: readonly string[];
  /** Every age recipient the rules expect (deduplicated, in order). */
  readonly expected: readonly string[];
}

export function checkRecipients(rules: readonly RuleRecipients[], ours: readonly string[]): RecipientCheck {
  const mine = new Set(ours);
  return {
    matchedRules: rules.filter((r) => r.recipients.some((x) => mine.has(x))).map((r) => r.rule),
    expected: [...new Set(rules.flatMap((r) => r.recipients))],
  };
}
