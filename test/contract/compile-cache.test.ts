import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { REPO_ROOT } from '../support/run-action.js';

/**
 * dist/<name>/index.js is a small loader that turns on Node's compile cache (Node ≥ 22.1) before the
 * bundle (action.js) is compiled. CI runs this file under Node 20 and Node 24, so both branches run.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compile-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

function start(env: Record<string, string>) {
  // An invalid input: the bundle loads, fails validation through its one failure path, and exits 1.
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'push-mirror', 'index.js')], {
    env: { PATH: process.env.PATH ?? '', HOME: tmp, RUNNER_TEMP: path.join(tmp, 'rt'), ...env },
    encoding: 'utf8',
  });
  expect(r.stdout).toContain('::error::');
  expect(r.status).toBe(1);
}

test('every action ships the loader and its bundle', () => {
  for (const name of fs.readdirSync(path.join(REPO_ROOT, 'actions'))) {
    const loader = fs.readFileSync(path.join(REPO_ROOT, 'dist', name, 'index.js'), 'utf8');
    expect(loader).toContain("await import('./action.js');");
    expect(loader.length).toBeLessThan(2000);
    expect(fs.existsSync(path.join(REPO_ROOT, 'dist', name, 'action.js'))).toBe(true);
  }
});

test(`the cache is written to the runner's tool cache ${hasCompileCache ? '(this Node has one)' : '(this Node has none: nothing is written)'}`, () => {
  const toolCache = path.join(tmp, 'tool-cache');
  fs.mkdirSync(toolCache);
  start({ RUNNER_TOOL_CACHE: toolCache, GITHUB_WORKSPACE: path.join(tmp, 'ws') });
  const dir = path.join(toolCache, 'edge-actions-compile-cache');
  expect(fs.existsSync(dir) && fs.readdirSync(dir).length > 0).toBe(hasCompileCache);
});

test('never in the workspace, even when the tool cache lies inside it', () => {
  const ws = path.join(tmp, 'ws2');
  const inside = path.join(ws, '.tool-cache');
  fs.mkdirSync(inside, { recursive: true });
  fs.mkdirSync(path.join(tmp, 'os-tmp'), { recursive: true });
  start({ RUNNER_TOOL_CACHE: inside, GITHUB_WORKSPACE: ws, TMPDIR: path.join(tmp, 'os-tmp') });
  expect(fs.readdirSync(ws, { recursive: true }).map(String)).toEqual(['.tool-cache']);
});
