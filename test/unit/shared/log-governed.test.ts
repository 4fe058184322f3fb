import { expect, test } from '@jest/globals';
import * as core from '@actions/core';
import * as log from '../../../shared/log.js';
import { resetSecretsForTest } from '../../../shared/secrets.js';
import { LogCommandParser } from '../../support/log-commands.js';
import { captureStdout } from '../../support/stdout-capture.js';

/**
 * log.governed(): what @actions/cache and @actions/artifact print while they run. The spy is installed
 * before the governor wraps stdout, so `written` sees what reaches the runner.
 */
const out = captureStdout(resetSecretsForTest);

function commands() {
  const p = new LogCommandParser();
  p.text(out.written.join(''));
  return p.commands.map((c) => c.command);
}

test("the library's annotations are collected, its masks and debug lines pass, its text cannot command", async () => {
  const notes: string[] = [];
  await log.governed(notes, async () => {
    await new Promise((r) => setTimeout(r, 5));
    core.warning('Failed to restore: Cache service responded with 500');
    core.error('Failed to save: 100%\nsecond line');
    core.setSecret('https://signed.example/x?sig=abc');
    core.debug('Body: {"msg":"::set-output name=x::y"}');
    core.info('Attempt 1 of 5 failed with error: busy\n::set-output name=verified::true\n::add-mask::e');
  });
  expect(notes).toEqual([
    'Failed to restore: Cache service responded with 500',
    'Failed to save: 100%\nsecond line',
  ]);
  expect(commands().sort()).toEqual(['add-mask', 'debug']);
  expect(out.written.join('')).toContain('Attempt 1 of 5 failed with error: busy');
});

test('outside the scope, and for the suite running meanwhile, nothing changes', async () => {
  const notes: string[] = [];
  let release!: () => void;
  const held = log.governed(notes, () => new Promise<void>((r) => (release = r)));
  core.warning('our own warning while the library call is pending');
  release();
  await held;
  core.warning('after the call');
  expect(notes).toEqual([]);
  expect(commands()).toEqual(['warning', 'warning']);
});
