import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines, runAction, type ActionRun } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';
import {
  PASSWORD,
  backup,
  initRepo,
  injectingRestic,
  makeSource,
  passwordForms,
  setPastTimes,
  tempDir,
} from '../../support/restic-restore-check-fixtures.js';

/**
 * Issue 15 item 4: text the action does not control — restic's stdout and stderr, file names in the
 * snapshot (restic restore arguments and verify-command output echo them), verify-command's output —
 * carries workflow commands. The runner harness applies commands found in the action's output as the
 * runner does (test/support/log-commands.ts), so a forged `save-state` would reach the post step, a
 * forged `set-output` the outputs, a forged `add-mask` the masks. None may: state, outputs and masks
 * are exactly what the action set itself, and post removes only the directory the action created.
 */
const VICTIM = 'victim-dir';
const FORGED = [
  `::save-state name=scratch-dir::${VICTIM}`,
  '::set-output name=check-result::forged',
  '::set-output name=failure-reason::forged',
  '::add-mask::e',
  '::error::forged error from a tool',
  '  ::save-state name=scratch-dir::victim-dir',
  '##[set-output name=files-restored;]999',
  '::stop-commands::forged-token',
];
/** File names in the snapshot: a name may hold `::`, `[` and a newline, but no `/`. */
const EVIL_NAMES = [
  `::save-state name=scratch-dir::${VICTIM}`,
  'x\n::add-mask::e',
  'y\n::set-output name=check-result::forged',
  '##[set-output name=files-restored;]999',
];

let root: string;
let src: string;
let repo: string;

beforeAll(() => {
  requireTool('restic');
  root = tempDir('inject');
  src = makeSource(root);
  for (const name of EVIL_NAMES) fs.writeFileSync(path.join(src, 'repos', name), `content of ${name}\n`);
  setPastTimes(src);
  repo = path.join(root, 'repo');
  initRepo(repo);
  backup(repo, [src]);
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

async function run(name: string, inputs: Record<string, string>, skip?: string): Promise<ActionRun> {
  const workspace = tempDir(`ws-${name}`);
  // The directory a forged save-state points at (relative paths resolve against the workspace).
  fs.mkdirSync(path.join(workspace, VICTIM));
  fs.writeFileSync(path.join(workspace, VICTIM, 'keep'), 'not the action’s');
  const bin = injectingRestic(path.join(root, `bin-${name}`), FORGED, { skip });
  return runAction({
    action: 'restic-restore-check',
    workspace,
    inputs: {
      repository: repo,
      password: PASSWORD,
      // Every file of the snapshot is sampled, the evil names included.
      'sample-files': '100',
      'restic-binary': bin,
      'verify-command': [
        ...FORGED.map((l) => `printf '%s\\n' '${l}'`),
        'find . -type f',
        "echo '::add-mask::e' >&2",
      ].join('\n'),
      timeout: '120s',
      ...inputs,
    },
    timeoutMs: 150_000,
  });
}

function expectOnlyOwnEffects(r: ActionRun): void {
  // State: only what the action saved (and @actions/core's own isPost), pointing at its scratch directory.
  expect(Object.keys(r.state).sort()).toEqual(['isPost', 'scratch-dir']);
  expect(r.state.isPost).toBe('true');
  expect(path.dirname(r.state['scratch-dir'])).toBe(r.runnerTemp);
  expect(path.basename(r.state['scratch-dir'])).toMatch(/^restic-restore-check-/);
  // Post removed its own directory and nothing else.
  expect(r.post?.exitCode).toBe(0);
  expect(fs.existsSync(r.state['scratch-dir'])).toBe(false);
  expect(fs.readFileSync(path.join(r.workspace, VICTIM, 'keep'), 'utf8')).toBe('not the action’s');
  // Masks: the password and its base64 forms, nothing a tool asked for.
  expect([...new Set(r.masks)].sort()).toEqual(passwordForms(PASSWORD).sort());
  // Every command in the log is one the action issued itself: outputs and state go through the
  // GITHUB_OUTPUT/GITHUB_STATE files, so any set-output or save-state line is forged; masks are the
  // password's; the one error line is the action's failure (which may quote an evil name, escaped).
  const own = new Set(passwordForms(PASSWORD));
  const foreign = [...r.main.commands, ...(r.post?.commands ?? [])].filter((c) => {
    if (c.command === 'group' || c.command === 'endgroup') return false;
    if (c.command === 'add-mask') return !own.has(c.data);
    if (c.command === 'error') return c.data.startsWith('forged') || !errorLines(r.log).includes(c.line);
    return true;
  });
  expect(foreign).toEqual([]);
  expect(Object.values(r.outputs)).not.toContain('forged');
  expect(r.outputs['files-restored']).not.toBe('999');
}

describe('workflow commands in tool output and file names', () => {
  test('a passing check: outputs, state and masks are the action’s own', async () => {
    const r = await run('pass', {});
    expect(errorLines(r.log)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['check-result']).toBe('ok');
    expect(r.outputs['failure-reason']).toBeUndefined();
    // 11 files of the source plus the four evil names, all restored and verified.
    expect(r.outputs['files-restored']).toBe('15');
    // The lines were printed (neutralised), not dropped: the reader still sees what the tool said.
    expect(r.log).toContain('forged error from a tool');
    expectOnlyOwnEffects(r);
  }, 200_000);

  test('a failing check quoting an evil file name: one error line, the action’s own', async () => {
    const r = await run('fail', {}, 'set-output name=check-result');
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('restore-mismatch');
    const errors = errorLines(r.log);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('restore did not write it');
    expect(r.summary).toContain('restore did not write it');
    expectOnlyOwnEffects(r);
  }, 200_000);
});
