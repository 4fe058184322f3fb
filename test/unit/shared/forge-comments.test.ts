import { describe, expect, test } from '@jest/globals';
import { fitBody, hiddenData, markerLine, readHiddenData } from '../../../shared/forge-comments.js';

describe('fitBody', () => {
  test('a body under the limit gets only the marker', () => {
    expect(fitBody('hello', 'm', 100)).toEqual({
      text: `hello\n\n${markerLine('m')}`,
      truncated: false,
      omitted: 0,
    });
  });

  test.each([2_000, 5_000, 20_000])('cut below a limit of %d: note, marker last, length within', (limit) => {
    const body = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n');
    const out = fitBody(body, 'stack:web', limit);
    expect(out.truncated).toBe(true);
    expect(out.text.length).toBeLessThanOrEqual(limit);
    expect(out.text.endsWith(markerLine('stack:web'))).toBe(true);
    expect(out.text).toContain(`${out.omitted.toLocaleString('en-US')} characters did not fit`);
    // Cut at a line end: the last kept line is whole.
    const kept = out.text.slice(0, out.text.indexOf('\n\n> **Truncated**'));
    expect(kept.split('\n').pop()).toMatch(/^line \d+ x{20}$/);
  });

  test('an open code fence and open <details> are closed so the rest still renders', () => {
    const body = '<details><summary>plan</summary>\n\n```diff\n' + '+ a\n'.repeat(5000) + '```\n</details>';
    const out = fitBody(body, 'm', 4_000);
    expect((out.text.match(/^```/gm) ?? []).length).toBe(2);
    expect(out.text).toContain('```\n</details>');
  });

  test('never splits a surrogate pair', () => {
    const body = '😀'.repeat(10_000);
    const out = fitBody(body, 'm', 3_001);
    expect(out.text.length).toBeLessThanOrEqual(3_001);
    expect(out.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  test('a marker that could end the HTML comment is refused', () => {
    expect(() => markerLine('x --> <script>')).toThrow(/invalid marker/);
    expect(() => markerLine('')).toThrow(/invalid marker/);
  });
});

describe('hidden data', () => {
  test('round-trips any JSON, even text that would end an HTML comment', () => {
    const value = { sha256: 'ab'.repeat(32), note: '--> <!-- tricky' };
    const body = `plan\n${hiddenData('plan', value)}\nmore`;
    expect(body).not.toContain('--> <!-- tricky');
    expect(readHiddenData(body, 'plan')).toEqual(value);
    expect(readHiddenData(body, 'other')).toBeUndefined();
    expect(readHiddenData('<!-- edge-data:plan:!!! -->', 'plan')).toBeUndefined();
  });
});
