import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import {
  artifactName,
  artifactServiceProblem,
  checkAttachmentName,
  MAX_ATTACHMENT_BYTES,
  passHostCheck,
  reportArtifactInput,
  uploadEvidence,
  type ArtifactUploader,
  type EvidenceRequest,
} from '../../../shared/evidence.js';
import * as log from '../../../shared/log.js';
import { detectPlatform } from '../../../shared/platform.js';
import { registerSecret, resetSecretsForTest } from '../../../shared/secrets.js';
import { runtimeToken } from '../../support/standins/actions-services/server.js';
import { captureStdout } from '../../support/stdout-capture.js';

const roots: string[] = [];
const savedEnv = { ...process.env };
beforeAll(() => {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-unit-'));
  roots.push(temp);
  process.env.RUNNER_TEMP = temp;
});
// Keeps the log of the code under test out of the test output.
captureStdout(resetSecretsForTest);
afterAll(() => {
  process.env = savedEnv;
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

test.each([
  [{}, 'ACTIONS_RESULTS_URL is not set'],
  [{ ACTIONS_RESULTS_URL: 'http://x/' }, 'no ACTIONS_RUNTIME_TOKEN'],
  [{ ACTIONS_RESULTS_URL: 'http://x/', ACTIONS_RUNTIME_TOKEN: 'opaque' }, 'is not a JWT'],
  [
    { ACTIONS_RESULTS_URL: 'http://x/', ACTIONS_RUNTIME_TOKEN: runtimeToken(undefined) },
    'no Actions.Results scope',
  ],
  [
    { ACTIONS_RESULTS_URL: 'http://x/', ACTIONS_RUNTIME_TOKEN: runtimeToken('Actions.GenericRead:1') },
    'no Actions.Results scope',
  ],
  [
    {
      ACTIONS_RESULTS_URL: 'http://x/',
      ACTIONS_RUNTIME_TOKEN: runtimeToken('Actions.UploadArtifacts:1:2 Actions.Results:21:49'),
    },
    undefined,
  ],
])('artifact service readiness %#', (env, problem) => {
  const got = artifactServiceProblem(env);
  if (problem === undefined) expect(got).toBeUndefined();
  else expect(got).toContain(problem);
});

test('names: the input, attachments, re-run attempts', () => {
  for (const ok of ['evidence', 'restore-check borgbase', 'plan_2026.11.29'])
    expect(reportArtifactInput.schema.safeParse(ok).success).toBe(true);
  for (const bad of ['a/b', ' lead', 'trail ', 'x:y', 'x'.repeat(101), 'a\nb'])
    expect(reportArtifactInput.schema.safeParse(bad).success).toBe(false);
  expect(() => checkAttachmentName('plan.txt')).not.toThrow();
  for (const bad of ['report.json', 'summary.md', '../x', 'a/b', '.hidden', ''])
    expect(() => checkAttachmentName(bad)).toThrow(/not a plain file name or is reserved/);
  expect(artifactName('nightly', '1')).toBe('nightly');
  expect(artifactName('nightly', '3')).toBe('nightly-attempt-3');
});

describe('the toolkit host check (verified, not assumed)', () => {
  const files = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-check-'));
    roots.push(dir);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
    return { dir, list: [path.join(dir, 'a.txt')] };
  };

  test('@actions/artifact refuses a Forgejo server URL; passHostCheck gets past it and restores the URL', async () => {
    const { DefaultArtifactClient } = await import('@actions/artifact');
    const client = new DefaultArtifactClient();
    const { dir, list } = files();
    process.env.GITHUB_SERVER_URL = 'https://forgejo.example.org';
    delete process.env.ACTIONS_RUNTIME_TOKEN;
    const notes: string[] = [];
    const refused = await log
      .governed(notes, () => client.uploadArtifact('x', list, dir))
      .catch((e: Error) => e);
    expect((refused as Error).name).toBe('GHESNotSupportedError');

    // Past the check, the upload goes on to the v4 protocol (and stops here at the missing token).
    const passed = await log
      .governed(notes, () => passHostCheck(() => client.uploadArtifact('x', list, dir)))
      .catch((e: Error) => e);
    expect((passed as Error).name).not.toBe('GHESNotSupportedError');
    expect((passed as Error).message).toMatch(/ACTIONS_RUNTIME_TOKEN/);
    expect(process.env.GITHUB_SERVER_URL).toBe('https://forgejo.example.org');
  });
});

function request(over: Partial<EvidenceRequest> = {}): EvidenceRequest {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-report-'));
  roots.push(dir);
  const reportFile = path.join(dir, 'report.json');
  fs.writeFileSync(reportFile, '{"status":"success"}\n');
  const env = {
    GITHUB_ACTIONS: 'true',
    ACTIONS_RESULTS_URL: 'http://127.0.0.1:9/',
    ACTIONS_RUNTIME_TOKEN: runtimeToken('Actions.Results:1:2'),
  };
  return {
    artifact: 'evidence',
    reportFile,
    title: 'Restore check',
    summary: '| step | result |',
    attachments: [],
    platform: detectPlatform(env),
    env,
    warn: jest.fn<(m: string) => void>(),
    ...over,
  };
}

/** An uploader that keeps what it was given (contents read at call time). */
function keeping(result: Promise<{ id: number; size: number }> = Promise.resolve({ id: 7, size: 99 })) {
  const got: { name: string; files: Record<string, string> }[] = [];
  const uploader: ArtifactUploader = {
    uploadArtifact: async (name, list) => {
      got.push({
        name,
        files: Object.fromEntries(list.map((f) => [path.basename(f), fs.readFileSync(f, 'utf8')])),
      });
      return result;
    },
  };
  return { got, load: async () => uploader };
}

describe('uploadEvidence', () => {
  test('stages report, summary and attachments, redacted, cut when too large; removes the staging dir', async () => {
    registerSecret('canary-unit-1234');
    const k = keeping();
    const req = request({
      loadUploader: k.load,
      summary: 'token canary-unit-1234 in a table',
      attachments: [
        { name: 'plan.txt', text: 'resource with canary-unit-1234' },
        { name: 'big.txt', text: 'x'.repeat(MAX_ATTACHMENT_BYTES + 10) },
      ],
    });
    const out = await uploadEvidence(req);
    expect(out).toMatchObject({ status: 'uploaded', artifact: 'evidence', id: 7, size: 99 });
    const files = k.got[0].files;
    expect(Object.keys(files).sort()).toEqual(['big.txt', 'plan.txt', 'report.json', 'summary.md']);
    expect(files['summary.md']).toBe('## Restore check\n\ntoken *** in a table\n');
    expect(files['plan.txt']).toBe('resource with ***');
    expect(files['big.txt']).toMatch(
      new RegExp(`\\[cut at ${MAX_ATTACHMENT_BYTES} bytes of ${MAX_ATTACHMENT_BYTES + 10}\\]\\n$`),
    );
    expect(req.warn).not.toHaveBeenCalled();
    expect(fs.readdirSync(process.env.RUNNER_TEMP!).filter((n) => n.startsWith('evidence-'))).toEqual([]);
  });

  test('nothing named, nothing done; outside a runner, one plain line', async () => {
    const k = keeping();
    expect(await uploadEvidence(request({ artifact: undefined, loadUploader: k.load }))).toBeUndefined();
    const local = request({ loadUploader: k.load, platform: detectPlatform({}) });
    expect(await uploadEvidence(local)).toMatchObject({ status: 'skipped' });
    expect(local.warn).not.toHaveBeenCalled();
    expect(k.got).toEqual([]);
  });

  test('a rejected upload: one warning quoting the error without signed URL queries', async () => {
    const req = request({
      loadUploader: async () => ({
        uploadArtifact: async () => {
          throw new Error(
            'Failed to upload to https://acct.blob.core.windows.net/c/x.zip?sig=SECRETSIG&se=1: 403',
          );
        },
      }),
    });
    expect(await uploadEvidence(req)).toMatchObject({ status: 'failed' });
    expect(req.warn).toHaveBeenCalledTimes(1);
    const [message] = (req.warn as jest.Mock).mock.calls[0] as [string];
    expect(message).toContain('https://acct.blob.core.windows.net/c/x.zip?… 403');
    expect(message).not.toContain('SECRETSIG');
  });

  test('an upload that does not answer is given up after the limit, with one warning', async () => {
    const req = request({
      limitMs: 50,
      loadUploader: async () => ({ uploadArtifact: () => new Promise(() => undefined) }),
    });
    expect(await uploadEvidence(req)).toMatchObject({ status: 'abandoned', why: 'no answer within 0s' });
    expect(req.warn).toHaveBeenCalledTimes(1);
  });
});
