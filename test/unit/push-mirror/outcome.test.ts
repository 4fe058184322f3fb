import { describe, expect, test } from '@jest/globals';
import type { Report } from '../../../shared/report.js';
import { mirrorSummary } from '../../../actions/push-mirror/src/outcome.js';

function report(result: Record<string, unknown>, failure?: Report['failure']): Report {
  return {
    action: 'push-mirror',
    version: '1.0.0',
    status: failure ? 'failed' : 'success',
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    inputs: {},
    steps: [],
    result,
    ...(failure ? { failure } : {}),
  };
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('mirrorSummary', () => {
  test('counts, changed refs, verification and head', () => {
    const md = mirrorSummary(
      report({
        mode: 'push',
        remote: 'https://github.com/ex/infra.git',
        counts: { created: 1, updated: 1, deleted: 1, unchanged: 4 },
        created: [{ ref: 'refs/tags/v2', after: A }],
        updated: [{ ref: 'refs/heads/main', before: A, after: B }],
        deleted: [{ ref: 'refs/heads/old', before: A }],
        verification: 'passed',
        mirrorHead: B,
        mismatches: [],
      }),
    );
    expect(md).toContain('1 created, 1 updated, 1 deleted, 4 unchanged');
    expect(md).toContain('| refs/heads/main | updated | aaaaaaaaaaaa | bbbbbbbbbbbb |');
    expect(md).toContain('| refs/heads/old | deleted | aaaaaaaaaaaa | — |');
    expect(md).toContain(`| mirror head | ${B} |`);
    expect(md).toContain('| verification | passed |');
    expect(md).not.toContain('Differences');
    expect(md).toMatch(/^\| run \| result \|/);
  });

  test('a failed verification lists the differing refs; a dry run says "would change"', () => {
    const md = mirrorSummary(
      report(
        {
          mode: 'push',
          dryRun: false,
          counts: { created: 0, updated: 0, deleted: 0, unchanged: 1 },
          verification: 'failed',
          mismatches: [{ ref: 'refs/heads/rogue', problem: 'only on the mirror', mirror: A }],
        },
        { reason: 'verify-mismatch', message: 'The mirror does not match.' },
      ),
    );
    expect(md).toContain('**failed** (verify-mismatch)');
    expect(md).toContain('| refs/heads/rogue | only on the mirror | — | aaaaaaaaaaaa |');
    expect(mirrorSummary(report({ dryRun: true, created: [{ ref: 'refs/heads/x', after: A }] }))).toContain(
      'Would change',
    );
  });

  test('at most 50 changed refs are listed', () => {
    const created = Array.from({ length: 60 }, (_, i) => ({ ref: `refs/tags/t${i}`, after: A }));
    const md = mirrorSummary(report({ created }));
    expect(md).toContain('refs/tags/t49');
    expect(md).not.toContain('refs/tags/t50 ');
    expect(md).toContain('and 10 more');
  });
});
