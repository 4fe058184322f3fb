import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { bundleEntry } from '../../support/bundle-worker.js';
import {
  REPO_ROOT,
  errorLines,
  runAction,
  warningLines,
  withoutMaskCommands,
} from '../../support/run-action.js';
import {
  startActionsServices,
  unreachableUrl,
  type ActionsServices,
} from '../../support/standins/actions-services/server.js';

/**
 * The evidence upload of the shared lifecycle (shared/evidence.ts, the `report-artifact` input) through
 * the lifecycle fixture, with the real `@actions/artifact` against the v4 stand-in, once as github.com
 * and once as a Forgejo host.
 */
const CANARY = 'canary-evidence-5d2e';
let actionDir: string;
const services: ActionsServices[] = [];

beforeAll(async () => {
  actionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-fixture-'));
  fs.copyFileSync(
    path.join(REPO_ROOT, 'test/fixtures/lifecycle-action/action.yml'),
    path.join(actionDir, 'action.yml'),
  );
  await bundleEntry('test/fixtures/lifecycle-action/src/main.ts', path.join(actionDir, 'dist'));
}, 1_200_000);

afterAll(async () => {
  for (const s of services) await s.stop();
  fs.rmSync(actionDir, { recursive: true, force: true });
});

async function standin(forge: 'github' | 'forgejo', o: { scp?: string | null } = {}) {
  const s = await startActionsServices(forge, o);
  services.push(s);
  return s;
}

const artifactCalls = (s: ActionsServices) =>
  s.requests.filter((r) => r.service === 'artifacts').map((r) => r.path.split('/').pop());

describe.each(['github', 'forgejo'] as const)('on %s', (forge) => {
  test('success: report.json, summary.md and the attachment are uploaded, the canary is in none', async () => {
    const s = await standin(forge);
    const r = await runAction({
      actionDir,
      forge,
      env: s.env({ cache: 'none' }),
      inputs: { message: 'hello', token: CANARY, 'report-artifact': 'lifecycle-evidence' },
    });
    expect(r.exitCode).toBe(0);
    expect(warningLines(r.log)).toEqual([]);
    expect(artifactCalls(s)).toEqual(['CreateArtifact', 'FinalizeArtifact']);
    // The zip went to the signed URL in blocks, then the block list (Azure block-blob style).
    expect(s.requests.filter((q) => q.service === 'blob').map((q) => q.query.comp)).toEqual([
      'block',
      'blocklist',
    ]);

    const files = s.artifactFiles('lifecycle-evidence');
    expect(files.map((f) => f.name).sort()).toEqual(['echo.txt', 'report.json', 'summary.md']);
    const byName = Object.fromEntries(files.map((f) => [f.name, f.data.toString('utf8')]));
    for (const [name, text] of Object.entries(byName))
      expect([name, text.includes(CANARY)]).toEqual([name, false]);
    expect(byName['echo.txt']).toBe('hello ***');
    const uploaded = JSON.parse(byName['report.json']);
    // The report as main finished it (post adds its own steps to the local copy afterwards).
    const { post: _post, ...asMainWroteIt } = r.report as Record<string, unknown>;
    expect(uploaded).toEqual(asMainWroteIt);
    expect(uploaded.status).toBe('success');
    expect(byName['summary.md']).toContain('## lifecycle-fixture');
    expect(byName['summary.md']).toContain('| echo | success |');
    expect(r.log).toMatch(
      /report-artifact: uploaded 'lifecycle-evidence' \(report\.json, summary\.md, echo\.txt; \d+ bytes, artifact id \d+\)/,
    );
    // Nothing the library printed became a command, and nothing it printed holds the canary.
    expect(withoutMaskCommands(r.log)).not.toContain(CANARY);
    expect(Object.keys(r.outputs).sort()).toEqual(['echoed', 'report-file']);
  });

  test('a failing step still uploads its report and still fails with its own reason', async () => {
    const s = await standin(forge);
    const r = await runAction({
      actionDir,
      forge,
      env: s.env({ cache: 'none' }),
      inputs: { message: 'x', fail: 'true', 'report-artifact': 'failed-run' },
    });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.log)).toEqual(['::error::fixture failed: as asked. Set fail to false.']);
    expect(r.outputs['failure-reason']).toBe('fixture-failed');
    const report = JSON.parse(
      s
        .artifactFiles('failed-run')
        .find((f) => f.name === 'report.json')!
        .data.toString(),
    );
    expect(report.status).toBe('failed');
    expect(report.failure.reason).toBe('fixture-failed');
  });

  test('bad input elsewhere: the step fails as invalid input and its report is still uploaded', async () => {
    const s = await standin(forge);
    const r = await runAction({
      actionDir,
      forge,
      env: s.env({ cache: 'none' }),
      inputs: { message: 'x', sleep: 'soon', 'report-artifact': 'bad-input-run' },
    });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.log)).toHaveLength(1);
    const report = JSON.parse(
      s
        .artifactFiles('bad-input-run')
        .find((f) => f.name === 'report.json')!
        .data.toString(),
    );
    expect(report.failure.reason).toBe('invalid-input');
  });

  test('artifact service answering 500: the result is unchanged, exactly one warning', async () => {
    const s = await standin(forge);
    s.faults.artifacts = 'http-500';
    const r = await runAction({
      actionDir,
      forge,
      env: s.env({ cache: 'none' }),
      inputs: { message: 'x', 'report-artifact': 'never-stored' },
    });
    expect(r.exitCode).toBe(0);
    expect(r.report?.status).toBe('success');
    expect(errorLines(r.log)).toEqual([]);
    expect(warningLines(r.log)).toEqual([
      expect.stringMatching(
        /^::warning::report-artifact: 'never-stored' was not uploaded: .*500.* The step's result is unaffected\.$/,
      ),
    ]);
    // The toolkit retried CreateArtifact 5 times (its own backoff) before giving up.
    expect(artifactCalls(s)).toEqual(Array(5).fill('CreateArtifact'));
  }, 120_000);
});

describe('degrading', () => {
  test('artifact service down: one warning, the failing step keeps its own result', async () => {
    const s = await standin('github');
    const r = await runAction({
      actionDir,
      env: { ...s.env({ cache: 'none' }), ACTIONS_RESULTS_URL: await unreachableUrl() },
      inputs: { message: 'x', fail: 'true', 'report-artifact': 'down' },
    });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.log)).toEqual(['::error::fixture failed: as asked. Set fail to false.']);
    expect(warningLines(r.log)).toHaveLength(1);
    expect(warningLines(r.log)[0]).toMatch(/'down' was not uploaded: .*(ECONNREFUSED|network)/i);
  });

  test('Forgejo before 7.0 (no Actions.Results scope in the job token): one warning naming the minimum version', async () => {
    const s = await standin('forgejo', { scp: null });
    const r = await runAction({
      actionDir,
      forge: 'forgejo',
      env: s.env({ cache: 'none' }),
      inputs: { message: 'x', 'report-artifact': 'old-forgejo' },
    });
    expect(r.exitCode).toBe(0);
    expect(warningLines(r.log)).toEqual([
      expect.stringContaining('the job token has no Actions.Results scope'),
    ]);
    expect(warningLines(r.log)[0]).toContain('need Forgejo 7.0 or newer');
    expect(s.requests).toEqual([]);
  });

  test('a Forgejo runner without ACTIONS_RESULTS_URL: one warning, no request', async () => {
    const s = await standin('forgejo');
    const r = await runAction({
      actionDir,
      forge: 'forgejo',
      env: s.env({ cache: 'none', artifacts: false }),
      inputs: { message: 'x', 'report-artifact': 'no-service' },
    });
    expect(r.exitCode).toBe(0);
    expect(warningLines(r.log)).toEqual([expect.stringContaining('ACTIONS_RESULTS_URL is not set')]);
    expect(s.requests).toEqual([]);
  });

  test('report-artifact empty (the default): nothing is uploaded and nothing is said', async () => {
    const s = await standin('github');
    const r = await runAction({ actionDir, env: s.env({ cache: 'none' }), inputs: { message: 'x' } });
    expect(r.exitCode).toBe(0);
    expect(s.requests).toEqual([]);
    expect(r.log).not.toContain('report-artifact');
  });

  test('a re-run attempt uploads under its own name (v4 artifacts of a run cannot be replaced)', async () => {
    const s = await standin('github');
    const r = await runAction({
      actionDir,
      env: { ...s.env({ cache: 'none' }), GITHUB_RUN_ATTEMPT: '2' },
      inputs: { message: 'x', 'report-artifact': 'nightly' },
    });
    expect(r.exitCode).toBe(0);
    expect(s.artifacts.map((a) => a.name)).toEqual(['nightly-attempt-2']);
  });

  test('text from the service cannot act as a runner command', async () => {
    const s = await standin('github');
    // One 500 whose message the toolkit prints in its retry line, then normal service.
    s.faults.artifacts = {
      status: 500,
      msg: 'busy\n::set-output name=echoed::forged\n::add-mask::report\n::save-state name=dir::/',
      times: 1,
    };
    const r = await runAction({
      actionDir,
      env: s.env({ cache: 'none' }),
      inputs: { message: 'hello', 'report-artifact': 'injected' },
    });
    expect(r.exitCode).toBe(0);
    expect(r.log).toContain('Attempt 1 of 5 failed');
    expect(r.outputs.echoed).toBe('hello ');
    expect(r.masks).not.toContain('report');
    // State travels through GITHUB_STATE only: no save-state command was found in the output.
    expect(r.main.effects.state).toEqual({});
    expect(Object.keys(r.state).sort()).toEqual(['dir', 'isPost']);
    expect(
      s
        .artifactFiles('injected')
        .map((f) => f.name)
        .sort(),
    ).toEqual(['echo.txt', 'report.json', 'summary.md']);
  }, 60_000);

  test('SIGTERM while the upload hangs: the step ends at once with its own result', async () => {
    const s = await standin('github');
    s.faults.artifacts = 'stall';
    const r = await runAction({
      actionDir,
      env: s.env({ cache: 'none' }),
      inputs: { message: 'x', 'report-artifact': 'stalled' },
      onMainStarted: (child) => {
        const poll = setInterval(() => {
          if (s.requests.some((q) => q.service === 'artifacts')) {
            clearInterval(poll);
            child.kill('SIGTERM');
          }
        }, 50);
        child.on('exit', () => clearInterval(poll));
      },
    });
    // The step's work was done and reported before the upload; the upload is given up.
    expect(r.report?.status).toBe('success');
    expect(r.signal).toBeNull();
    expect(r.log).toContain("report-artifact: upload of 'stalled' stopped: the step was cancelled.");
    expect(warningLines(r.log)).toEqual([]);
  }, 60_000);
});
