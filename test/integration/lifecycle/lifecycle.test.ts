import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { bundleEntry } from '../../support/bundle-worker.js';
import { filesUnder } from '../../support/files.js';
import { REPO_ROOT, errorLines, runAction, withoutMaskCommands } from '../../support/run-action.js';

/** The shared lifecycle, run through the runner harness with a fixture action (not shipped). */
const CANARY = 'canary-lifecycle-7f3a';
let actionDir: string;

beforeAll(async () => {
  actionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fixture-action-'));
  fs.copyFileSync(
    path.join(REPO_ROOT, 'test/fixtures/lifecycle-action/action.yml'),
    path.join(actionDir, 'action.yml'),
  );
  await bundleEntry('test/fixtures/lifecycle-action/src/main.ts', path.join(actionDir, 'dist'));
}, 1_200_000);

describe('lifecycle fixture', () => {
  test('success: outputs, report, summary in the log, post cleans up, secret redacted everywhere', async () => {
    const r = await runAction({ actionDir, inputs: { message: 'hello', token: CANARY } });
    expect(r.exitCode).toBe(0);
    expect(r.post?.exitCode).toBe(0);
    expect(r.outputs.echoed).toBe('hello ***');
    expect(r.report?.status).toBe('success');
    expect(r.report?.inputs).toEqual({
      message: 'hello',
      token: '***',
      fail: 'false',
      sleep: '0',
      'report-artifact': '',
    });
    expect((r.report?.post as { steps: { name: string; status: string }[] }).steps).toEqual([
      expect.objectContaining({ name: 'remove temp dir', status: 'success' }),
    ]);
    expect(r.summary).toContain('| echo | success |');
    expect(r.log).toContain('::group::lifecycle-fixture — summary');
    expect(fs.existsSync(r.state.dir)).toBe(false);
    const visible = [
      withoutMaskCommands(r.log),
      r.summary,
      JSON.stringify(r.outputs),
      ...filesUnder(r.runnerTemp).map((f) => fs.readFileSync(f, 'utf8')),
    ];
    for (const text of visible) expect(text).not.toContain(CANARY);
  });

  test('failure: one error line, failure-reason output, report says failed, post still runs', async () => {
    const r = await runAction({ actionDir, inputs: { message: 'x', fail: 'true' } });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.log)).toEqual(['::error::fixture failed: as asked. Set fail to false.']);
    expect(r.outputs['failure-reason']).toBe('fixture-failed');
    expect(r.report?.status).toBe('failed');
    expect(r.report?.failure).toEqual({
      reason: 'fixture-failed',
      message: 'fixture failed: as asked.',
      hint: 'Set fail to false.',
    });
    expect(r.post?.exitCode).toBe(0);
    expect(fs.existsSync(r.state.dir)).toBe(false);
  });

  test('bad input: one line naming the input, no stack trace, no tool spawned', async () => {
    const r = await runAction({ actionDir, inputs: { message: 'x', fail: 'yes' } });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.log)).toEqual([
      "::error::Input 'fail' is invalid: expected 'true' or 'false', got 'yes'.",
    ]);
    expect(r.log).not.toMatch(/\n\s+at /);
    expect(r.log).not.toContain('$ sh');
    expect(r.outputs['failure-reason']).toBe('invalid-input');
  });

  test('missing required input', async () => {
    const r = await runAction({ actionDir, inputs: {} });
    expect(errorLines(r.log)).toEqual([
      "::error::Input 'message' is invalid: expected a single line of text, got nothing (the input is required).",
    ]);
  });

  test('SIGTERM: the running tool group is stopped and the report says cancelled', async () => {
    let pid = 0;
    const r = await runAction({
      actionDir,
      inputs: { message: 'x', sleep: '60' },
      onMainStarted: (child) => {
        pid = child.pid ?? 0;
        setTimeout(() => child.kill('SIGTERM'), 1500);
      },
    });
    expect(pid).toBeGreaterThan(0);
    expect(r.exitCode).toBe(1);
    expect(r.report?.status).toBe('cancelled');
    expect(r.report?.failure?.reason).toBe('cancelled');
    expect(errorLines(r.log)).toHaveLength(1);
    expect(r.log).toContain('Received SIGTERM: stopping running tools.');
    // No `sleep 60` left behind from the action's tool group.
    const sleepers = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim() === 'sleep 60';
        } catch {
          return false;
        }
      });
    expect(sleepers).toEqual([]);
    expect(fs.existsSync(r.state.dir)).toBe(false);
  });

  test('runs on Forgejo the same way', async () => {
    const r = await runAction({ actionDir, forge: 'forgejo', inputs: { message: 'hi' } });
    expect(r.exitCode).toBe(0);
    expect(r.outputs.echoed).toBe('hi ');
  });
});
