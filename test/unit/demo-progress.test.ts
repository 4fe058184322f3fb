/* eslint-disable no-control-regex -- the terminal escape sequences are what is tested */
import { expect, test } from '@jest/globals';
import { createProgress } from '../../demo/progress.js';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return {
    writes,
    out: { isTTY, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream,
  };
}

test('without a terminal: one plain line per step, written when it starts and finished when it ends', async () => {
  const s = stream(false);
  const p = createProgress(s.out, 2);
  await p.step(
    'first',
    async () => 1,
    () => ({ ok: true, text: '' }),
  );
  await p.step(
    'second',
    async () => 2,
    () => ({ ok: false, text: 'push-failed' }),
  );
  const text = s.writes.join('');
  expect(text).toMatch(
    /^\[1\/2\] first … done in \d+\.\ds\n\[2\/2\] second … FAILED in \d+\.\ds — push-failed\n$/,
  );
  expect(text).not.toContain('\x1b');
});

test('on a terminal the line is redrawn in place and ends with the result; an error still ends the line', async () => {
  const s = stream(true);
  const p = createProgress(s.out, 1);
  await expect(
    p.step(
      'boom',
      async () => {
        throw new Error('no such tool');
      },
      () => ({ ok: true, text: '' }),
    ),
  ).rejects.toThrow('no such tool');
  expect(s.writes[0]).toMatch(/^\r\x1b\[2K\[1\/1\] boom … 0\.\ds$/);
  expect(s.writes.at(-1)).toMatch(/^\r\x1b\[2K\[1\/1\] boom … FAILED in \d+\.\ds — error: no such tool\n$/);
});
