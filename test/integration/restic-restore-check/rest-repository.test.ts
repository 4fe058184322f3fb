import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createArgvRecorder } from '../../support/argv-recorder.js';
import { errorLines, runAction, withoutMaskCommands, type ActionRun } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';
import {
  PASSWORD,
  backup,
  filesUnder,
  initRepo,
  makeSource,
  startKillingProxy,
  startRestServer,
  tempDir,
  type KillingProxy,
  type RestServer,
} from '../../support/restic-restore-check-fixtures.js';

/** The real restic against a REST repository served on loopback by `rclone serve restic`. */
let root: string;
let src: string;
let served: string;
const servers: RestServer[] = [];
const proxies: KillingProxy[] = [];

beforeAll(async () => {
  requireTool('restic');
  requireTool('rclone');
  root = tempDir('rest');
  src = makeSource(root);
  served = path.join(root, 'served');
  fs.mkdirSync(served);
  // The repository is made through the REST server itself, as a real client would.
  const server = await startRestServer(served);
  try {
    initRepo(`rest:${server.url}/forgejo`);
    backup(`rest:${server.url}/forgejo`, [src], { tags: ['daily'] });
  } finally {
    await server.stop();
  }
});

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  for (const s of servers.splice(0)) await s.stop();
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

async function serve(opts: Parameters<typeof startRestServer>[1] = {}): Promise<RestServer> {
  const s = await startRestServer(served, opts);
  servers.push(s);
  return s;
}

function check(inputs: Record<string, string>, env?: Record<string, string>): Promise<ActionRun> {
  return runAction({
    action: 'restic-restore-check',
    inputs: { password: PASSWORD, 'sample-files': '2', tags: 'daily', timeout: '60s', ...inputs },
    env,
    timeoutMs: 60_000,
  });
}

describe('REST repository', () => {
  test('healthy', async () => {
    const s = await serve();
    const r = await check({
      repository: `rest:${s.url}/forgejo`,
      paths: `${src}/db`,
      'restore-include': `${src}/canary.txt`,
    });
    expect(r.exitCode).toBe(0);
    expect(r.outputs['files-restored']).toBe('3');
    expect(r.outputs['check-result']).toBe('ok');
  });

  test('append-only server, read-only access with no-lock', async () => {
    const s = await serve({ appendOnly: true });
    const r = await check({
      repository: `rest:${s.url}/forgejo`,
      'no-lock': 'true',
      check: 'read-data-subset',
      'read-data-subset': '1/2',
    });
    expect(r.exitCode).toBe(0);
    expect(r.outputs['check-result']).toBe('ok');
    expect(r.log).toContain('$ restic --no-lock check --read-data-subset=1/2');
  });

  test('missing repository on a running server', async () => {
    const s = await serve();
    const r = await check({ repository: `rest:${s.url}/no-such-repo` });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('unreachable');
    expect(errorLines(r.log)).toHaveLength(1);
  });

  test('server killed mid-run: unreachable within unreachable-after, no hang', async () => {
    const s = await serve();
    const proxy = await startKillingProxy(s);
    proxies.push(proxy);
    // A fresh cache: the server must die at the first pack `ls` reads, and the earlier tests' kept cache
    // would hold the tree packs (the server would then die in `restic check`, leaving its lock).
    const r = await check({
      repository: `rest:${proxy.url}/forgejo`,
      'unreachable-after': '3s',
      cache: 'off',
    });
    expect(proxy.killed()).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('unreachable');
    // The snapshot was found before the server died: the failure is mid-run.
    expect(r.outputs['snapshot-id']).toMatch(/^[0-9a-f]{64}$/);
    const [line] = errorLines(r.log);
    expect(line).toContain('restic ls kept failing to reach');
    expect(fs.readdirSync(r.runnerTemp).filter((n) => n.startsWith('restic-restore-check-'))).toEqual([]);
  });
});

describe('secrets', () => {
  test('password, REST credentials and env values never show in logs, outputs, reports, files or argv', async () => {
    const canaries = ['canary-pw-5b1e0c7d', 'canary-rest-93af21', 'canary-env-0d4c7e'];
    const s = await serve({ user: 'backup', pass: canaries[1] });
    // The same repository, opened with a canary password: add a key for it first.
    const keyFile = path.join(root, 'canary-key');
    fs.writeFileSync(keyFile, canaries[0]);
    const env = {
      ...process.env,
      RESTIC_PASSWORD: PASSWORD,
      RESTIC_REPOSITORY: `rest:http://backup:${canaries[1]}@${s.url.slice('http://'.length)}/forgejo`,
    };
    const { execFileSync } = await import('node:child_process');
    execFileSync(requireTool('restic'), ['key', 'add', '--new-password-file', keyFile], {
      env,
      stdio: 'ignore',
    });
    fs.rmSync(keyFile);

    const recorder = createArgvRecorder(['restic', 'sh']);
    const r = await check(
      {
        repository: `rest:http://backup:${canaries[1]}@${s.url.slice('http://'.length)}/forgejo`,
        password: canaries[0],
        env: `RCLONE_CONFIG_PASS=${canaries[2]}\nAWS_REGION=eu-central-1`,
        'verify-command': 'env; ls -la "$RESTORE_DIR"; test -z "$RESTIC_PASSWORD_FILE"',
      },
      { PATH: recorder.path },
    );
    expect(r.exitCode).toBe(0);
    const forms = canaries.flatMap((c) => [
      c,
      Buffer.from(c).toString('base64'),
      Buffer.from(`backup:${c}`).toString('base64'),
    ]);
    const places: [string, string][] = [
      ['log', withoutMaskCommands(r.log)],
      ['summary', r.summary],
      ['outputs', JSON.stringify(r.outputs)],
      ['exported env', JSON.stringify(r.exportedEnv)],
      ['report', JSON.stringify(r.report)],
      ['argv', JSON.stringify(recorder.calls())],
      ...[...filesUnder(r.runnerTemp), ...filesUnder(r.workspace)].map((f): [string, string] => [
        f.file,
        f.content,
      ]),
    ];
    for (const [where, text] of places)
      for (const form of forms) expect(`${where}: ${text.includes(form)}`).toBe(`${where}: false`);
    // restic really ran (with the canary password from a file, not from argv).
    expect(recorder.calls().filter((c) => c[0] === 'restic').length).toBeGreaterThan(5);
    expect(r.report?.inputs).toMatchObject({ password: '***', env: '***' });
    expect(String((r.report?.inputs as Record<string, string>).repository)).toMatch(
      /^rest:http:\/\/backup:\*\*\*@127\.0\.0\.1:\d+\/forgejo$/,
    );
  }, 180_000);
});
