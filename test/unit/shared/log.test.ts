import { expect, test } from '@jest/globals';
import * as log from '../../../shared/log.js';
import { registerSecret, resetSecretsForTest } from '../../../shared/secrets.js';
import { runTool } from '../../../shared/tool.js';
import { LogCommandParser } from '../../support/log-commands.js';
import { captureStdout } from '../../support/stdout-capture.js';

/** Every way a line can carry a workflow command to the GitHub runner or forgejo-runner. */
const HOSTILE = [
  '::save-state name=key-dir::/home/ops',
  '::set-output name=verified::true',
  '::add-mask::e',
  '::error::forged failure',
  '::stop-commands::abc',
  '   ::add-mask::indented',
  '\t::set-output name=x::tab',
  '\u0085::add-mask::next-line-char',
  '\u00a0\u2003::add-mask::unicode-spaces',
  'pod log: ##[set-output name=legacy;]anywhere in the line',
  '##[add-mask]legacy at the start',
];

const out = captureStdout(resetSecretsForTest);

function commandsIn(text: string) {
  const p = new LogCommandParser();
  p.text(text);
  return p.commands;
}

test('the runner emulation finds every hostile line (so the next tests can fail)', () => {
  for (const line of HOSTILE) expect(commandsIn(line)).toHaveLength(1);
});

test.each(HOSTILE)('untrusted() makes %j inert and keeps its visible text', (line) => {
  const out = log.untrusted(line);
  expect(commandsIn(out)).toEqual([]);
  expect(out.replace(/\u200b/g, '')).toBe(line);
});

test('log.info and log.lines neutralise every line of multi-line text', () => {
  log.info(`ok\n${HOSTILE.join('\n')}`);
  log.lines(HOSTILE);
  expect(commandsIn(out.written.join(''))).toEqual([]);
  expect(log.looksLikeCommand(out.written.join(''))).toBe(false);
  expect(log.looksLikeCommand(HOSTILE.join('\n'))).toBe(true);
});

test('text is redacted before it is neutralised', () => {
  registerSecret('s3cret-value');
  out.written = []; // the runner's own ::add-mask:: command, issued by registerSecret
  log.info('::add-mask::s3cret-value');
  expect(out.written.join('')).not.toContain('s3cret-value');
  expect(commandsIn(out.written.join(''))).toEqual([]);
});

test('ordinary text is unchanged', () => {
  expect(log.untrusted('Plan: 1 to add, 0 to change\n  ip = "::1" # ipv6')).toBe(
    'Plan: 1 to add, 0 to change\n  ip = "::1" # ipv6',
  );
});

test('log.group ends the group after an async body, also when it throws', async () => {
  await expect(
    log.group('g', async () => {
      throw new Error('boom');
    }),
  ).rejects.toThrow('boom');
  expect(await log.group('g', async () => 7)).toBe(7);
  const cmds = commandsIn(out.written.join('')).map((c) => c.command);
  expect(cmds).toEqual(['group', 'endgroup', 'group', 'endgroup']);
});

test('a tool printing workflow commands cannot issue them through runTool', async () => {
  const script = HOSTILE.map((l) => `printf '%s\\n' ${JSON.stringify(l)}`).join('; ');
  const r = await runTool({ bin: 'bash', args: ['-c', `${script}; ${script} >&2`] });
  expect(r.exitCode).toBe(0);
  const echoed = out.written.join('');
  expect(echoed).toContain('save-state name=key-dir');
  // Only the `$ bash -c …` line is ours; it too is quoted tool input, so nothing may be a command.
  expect(commandsIn(echoed)).toEqual([]);
});
