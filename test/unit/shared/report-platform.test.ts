import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeEach, expect, test } from '@jest/globals';
import { detectPlatform, nodeTooOld } from '../../../shared/platform.js';
import { markdownTable, reportPath, writeReport, type Report } from '../../../shared/report.js';
import { registerSecret, resetSecretsForTest } from '../../../shared/secrets.js';
import { parseFileCommands } from '../../support/file-commands.js';

beforeEach(() => resetSecretsForTest());

test('markdown cells cannot break the table', () => {
  expect(
    markdownTable(
      ['a', 'b'],
      [
        ['x|y', 'line1\nline2'],
        [undefined, 3],
      ],
    ),
  ).toBe('| a | b |\n| --- | --- |\n| x\\|y | line1<br>line2 |\n| — | 3 |');
});

test('the report is written atomically, private, with secrets redacted', async () => {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
  process.env.RUNNER_TEMP = temp;
  registerSecret('canary-report-1');
  const report: Report = {
    action: 'x',
    version: '1.0.0',
    status: 'failed',
    startedAt: '',
    finishedAt: '',
    durationMs: 1,
    inputs: { token: '***' },
    steps: [],
    result: { leaked: 'prefix canary-report-1 suffix' },
    failure: { reason: 'r', message: 'm canary-report-1' },
  };
  const file = await writeReport(report);
  expect(file).toBe(reportPath('x'));
  expect(file).toBe(path.join(temp, 'x', 'report.json'));
  const text = fs.readFileSync(file, 'utf8');
  expect(text).not.toContain('canary-report-1');
  expect(JSON.parse(text).result.leaked).toBe('prefix *** suffix');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
});

test.each([
  [{ FORGEJO_ACTIONS: 'true', GITHUB_ACTIONS: 'true' }, 'forgejo'],
  [{ GITEA_ACTIONS: 'true' }, 'forgejo'],
  [{ GITHUB_ACTIONS: 'true' }, 'github'],
  [{}, 'local'],
])('platform detection %j', (env, forge) => {
  expect(detectPlatform(env, 'darwin').forge).toBe(forge);
});

test('node version guard', () => {
  expect(nodeTooOld('18.19.0')).toBe(true);
  expect(nodeTooOld('20.0.0')).toBe(false);
  expect(nodeTooOld('24.1.0')).toBe(false);
});

test('file commands: key=value and heredoc forms (as the runners write them)', () => {
  expect(parseFileCommands('a=1\nmulti<<ghadelimiter_x\nline1\nline2\nghadelimiter_x\nb=x=y\n')).toEqual({
    a: '1',
    multi: 'line1\nline2',
    b: 'x=y',
  });
  expect(() => parseFileCommands('m<<EOF\nno end')).toThrow(/unterminated/);
});
