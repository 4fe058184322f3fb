import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from '@jest/globals';
import { REPO_ROOT } from '../support/run-action.js';

/** The README's first command must keep working: every runnable step passes, the rest say "not run". */
test('npm run demo passes its runnable steps and lists the others as not run', async () => {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts/ts-run.mjs'), 'demo/demo.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  expect(out).not.toContain('FAILED');
  expect(code).toBe(0);
  // A newcomer sees one progress line per step (no TTY here: plain lines) and the table, not the
  // actions' raw logs; those are in the sandbox's demo.log.
  expect(out.split('\n').filter((l) => /^\[\d\/6\] .+ … done in \d+\.\ds$/.test(l))).toHaveLength(6);
  expect(out).not.toContain('::group::');
  expect(out).not.toContain('\x1b[');
  const logFile = /^Full logs of every step: (.+)$/m.exec(out)?.[1];
  expect(logFile).toBeDefined();
  const log = fs.readFileSync(logFile!, 'utf8');
  expect(log).toContain('::group::');
  expect(log).toContain('── push-mirror: push branches and tags');
  fs.rmSync(path.dirname(logFile!), { recursive: true, force: true });
  const results = out.split('\n').filter((l) => /^(tofu|sops|restic|push|colmena|k3s)[\w-]*[ :]/.test(l));
  expect(results).toHaveLength(7);
  for (const step of [
    'tofu apply: first',
    'tofu apply: change',
    'sops-stage-age-key',
    'restic-restore-check',
    'push-mirror',
  ]) {
    expect(results.find((l) => l.startsWith(step))).toMatch(/ passed — /);
  }
  expect(results.find((l) => l.startsWith('tofu apply: change'))).toMatch(
    /backup terraform\.tfstate\.[0-9a-f]{12}\.\d{8}T\d{6}Z\.serial-\d+\.tar\.gz/,
  );
  for (const step of ['colmena-apply', 'k3s-verify'])
    expect(results.find((l) => l.startsWith(step))).toMatch(/ not run: /);
}, 120_000);
