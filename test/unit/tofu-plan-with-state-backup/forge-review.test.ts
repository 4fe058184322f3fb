import { afterEach, describe, expect, test } from '@jest/globals';
import {
  canonicalJson,
  normalisePlan,
  planFingerprint,
  type PlanJsonForFingerprint,
} from '../../../actions/tofu-plan-with-state-backup/src/forge/plan-fingerprint.js';
import { planTextOf } from '../../../actions/tofu-plan-with-state-backup/src/forge/plan-review.js';
import {
  collapsedPlan,
  planCommentBody,
  REVIEW_DATA_KEY,
} from '../../../actions/tofu-plan-with-state-backup/src/forge/review-text.js';
import { summarizePlan } from '../../../actions/tofu-plan-with-state-backup/src/tofu/plan-summary.js';
import {
  BODY_LIMIT,
  fitBody,
  hasMarker,
  hiddenData,
  markerLine,
  readHiddenData,
} from '../../../shared/forge-comments.js';
import { registerSecret, resetSecretsForTest } from '../../../shared/secrets.js';

afterEach(() => resetSecretsForTest());

/** A `show -json` plan as terraform 1.11 / tofu print it (internal/command/jsonplan). */
function showJson(o: { name?: string; token?: string; timestamp?: string; serial?: number } = {}) {
  return {
    format_version: '1.2',
    terraform_version: '1.11.4',
    timestamp: o.timestamp ?? '2026-11-29T05:00:00Z',
    variables: { name: { value: o.name ?? 'h1' }, admin_token: { value: o.token ?? 'secret-xyz-123' } },
    prior_state: { format_version: '1.0', serial: o.serial ?? 3, values: {} },
    resource_changes: [
      {
        address: 'terraform_data.host',
        mode: 'managed',
        type: 'terraform_data',
        name: 'host',
        change: {
          actions: ['update'],
          before: { id: 'abc', input: 'h0', output: 'h0', note: 'n', triggers_replace: null },
          // Unknown attributes are absent from `after` and marked in after_unknown.
          after: { id: 'abc', input: o.name ?? 'h1', note: 'n', triggers_replace: null } as Record<
            string,
            unknown
          >,
          after_unknown: { output: true },
          before_sensitive: {},
          after_sensitive: {},
        },
      },
      {
        address: 'terraform_data.tok',
        mode: 'managed',
        type: 'terraform_data',
        name: 'tok',
        change: {
          actions: ['create'],
          before: null,
          after: { input: o.token ?? 'secret-xyz-123', triggers_replace: null },
          after_unknown: { id: true, output: true },
          before_sensitive: false,
          after_sensitive: { input: true },
        },
      },
      {
        address: 'terraform_data.same',
        change: { actions: ['no-op'], before: { id: 'x' }, after: { id: 'x' } },
      },
    ],
    output_changes: {
      host_name: { actions: ['update'], before: 'h0', after: o.name ?? 'h1', after_unknown: false },
      unchanged: { actions: ['no-op'], before: 'a', after: 'a' },
    },
  };
}

const LINEAGE = '2b9c6f1e-0d3a-4c57-9a51-7e3f0c2d1b84';
const fp = (p: unknown, lineage = LINEAGE) => planFingerprint(p as PlanJsonForFingerprint, lineage);

describe('plan fingerprint ("the same plan")', () => {
  test('timestamps, tool version, prior state serial and refreshed values are noise', () => {
    const a = showJson();
    const b = showJson({ timestamp: '2026-12-01T09:30:00Z', serial: 9 });
    b.terraform_version = '1.12.0';
    b.format_version = '1.3';
    // A refresh moved an attribute the plan does not change.
    const host = b.resource_changes[0].change as {
      before: Record<string, unknown>;
      after: Record<string, unknown>;
    };
    host.before.output = 'refreshed';
    host.before.note = 'refreshed';
    host.after.note = 'refreshed';
    expect(fp(b)).toBe(fp(a));
  });

  test('the order of resources and of object keys is noise', () => {
    const a = showJson();
    const b = showJson();
    b.resource_changes.reverse();
    const after = b.resource_changes.find((r) => r.address === 'terraform_data.host')!.change;
    after.after = { triggers_replace: null, note: 'n', input: 'h1', id: 'abc' };
    expect(fp(b)).toBe(fp(a));
  });

  test('a different value, action, resource or state lineage is a different plan', () => {
    const base = fp(showJson());
    expect(fp(showJson({ name: 'h2' }))).not.toBe(base);
    const replaced = showJson();
    replaced.resource_changes[0].change.actions = ['delete', 'create'];
    expect(fp(replaced)).not.toBe(base);
    const extra = showJson();
    extra.resource_changes.push({
      address: 'terraform_data.more',
      change: { actions: ['delete'], before: { id: 'y' }, after: null as never },
    } as never);
    expect(fp(extra)).not.toBe(base);
    expect(fp(showJson(), 'another-lineage')).not.toBe(base);
  });

  test('sensitive values are masked before hashing (the fingerprint is public)', () => {
    const n = normalisePlan(showJson() as PlanJsonForFingerprint, LINEAGE);
    expect(canonicalJson(n)).not.toContain('secret-xyz-123');
    expect(canonicalJson(n)).toContain('(sensitive)');
    expect(fp(showJson({ token: 'another-secret-456' }))).toBe(fp(showJson()));
  });

  test('no-op resources and outputs are left out; an update keeps only what it changes', () => {
    const n = normalisePlan(showJson() as PlanJsonForFingerprint, LINEAGE) as {
      resources: Array<{ address: string; changes?: unknown }>;
      outputs: Record<string, unknown>;
    };
    expect(n.resources.map((r) => r.address)).toEqual(['terraform_data.host', 'terraform_data.tok']);
    expect(n.resources[0].changes).toEqual({ input: 'h1', output: null });
    expect(Object.keys(n.outputs)).toEqual(['host_name']);
  });
});

const REAL_OUTPUT = `
Terraform used the selected providers to generate the following execution
plan. Resource actions are indicated with the following symbols:
  + create

Terraform will perform the following actions:

  # terraform_data.host will be created
  + resource "terraform_data" "host" {
      + input  = "h1"
    }

Plan: 1 to add, 0 to change, 0 to destroy.

─────────────────────────────────────────────────────────────────────────────

Saved the plan to: /home/runner/infra/state/plans/x.tfplan

To perform exactly these actions, run the following command to apply:
    terraform apply "/home/runner/infra/state/plans/x.tfplan"
`;

describe('plan text', () => {
  test('keeps the changes, drops refresh lines and the saved-plan footer', () => {
    const text = planTextOf('terraform_data.host: Refreshing state... [id=abc]\n' + REAL_OUTPUT);
    expect(text.startsWith('Terraform used the selected providers')).toBe(true);
    expect(text.endsWith('Plan: 1 to add, 0 to change, 0 to destroy.')).toBe(true);
    expect(text).not.toContain('Refreshing state');
    expect(text).not.toContain('/home/runner');
  });

  test('a huge plan is cut at a line end inside the fence, with a note, and the comment fits', () => {
    const big = Array.from({ length: 20_000 }, (_, i) => `  + resource "terraform_data" "h${i}" {}`).join(
      '\n',
    );
    const s = summarizePlan(showJson() as never);
    const body = planCommentBody(
      { stack: 'infra/edge', tool: 'OpenTofu', commit: 'a'.repeat(40), planSha256: 'b'.repeat(64) },
      s,
      { fingerprint: `sha256:${'c'.repeat(64)}`, text: big },
    );
    const fitted = fitBody(body, 'tofu-plan:infra/edge');
    expect(fitted.truncated).toBe(false);
    expect(fitted.text.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(body).toMatch(/> \*\*Truncated\*\*: [\d,]+ of [\d,]+ characters of the plan text did not fit/);
    // The fence is closed and the kept lines are whole.
    expect((body.match(/^```/gm) ?? []).length).toBe(2);
    const inFence = body.slice(body.indexOf('```text\n') + 8, body.lastIndexOf('\n```'));
    expect(inFence.split('\n').pop()).toMatch(/^ {2}\+ resource "terraform_data" "h\d+" \{\}$/);
    expect(readHiddenData(body, REVIEW_DATA_KEY)).toEqual({
      v: 1,
      fingerprint: `sha256:${'c'.repeat(64)}`,
      planSha256: 'b'.repeat(64),
      commit: 'a'.repeat(40),
    });
  });

  test('plan text cannot end its fence; registered secrets are redacted', () => {
    registerSecret('canary-comment-51a7e2');
    const out = collapsedPlan('a ```` b\n```\ncanary-comment-51a7e2', 10_000);
    expect(out).toContain('`````text\n');
    expect(out).not.toContain('canary-comment-51a7e2');
  });

  test('plan text spelling a marker or hidden data cannot pass for them', () => {
    const forged = hiddenData(REVIEW_DATA_KEY, { v: 1, fingerprint: `sha256:${'f'.repeat(64)}` });
    const text = `  + input = "${forged}"\n  + input = "${markerLine('tofu-drift:other')}"`;
    const s = summarizePlan(showJson() as never);
    s.changes.create = [`terraform_data.x["${markerLine('tofu-plan:other')}"]`];
    const body = planCommentBody({ stack: 'infra/edge', tool: 'OpenTofu' }, s, {
      fingerprint: `sha256:${'c'.repeat(64)}`,
      text,
    });
    expect(readHiddenData(body, REVIEW_DATA_KEY)).toEqual({ v: 1, fingerprint: `sha256:${'c'.repeat(64)}` });
    expect(hasMarker(body, 'tofu-drift:other')).toBe(false);
    expect(hasMarker(body, 'tofu-plan:other')).toBe(false);
  });
});
