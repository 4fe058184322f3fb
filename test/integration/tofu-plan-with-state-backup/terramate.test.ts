import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { REPO_ROOT } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';
import {
  STACK_TF,
  canaryLeaks,
  readState,
  setupEnv,
  type Env,
} from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * terramate: true with a stand-in terramate (test/support/standins/terramate, imitating
 * `terramate list --changed --run-order`) over a real git repository, and the real tofu per stack.
 */
const STANDIN = path.join(REPO_ROOT, 'test', 'support', 'standins', 'terramate');
let env: Env;
let repo: string;
let vars: string;

function git(...args: string[]) {
  execFileSync('git', args, {
    cwd: repo,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@e',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@e',
    },
    stdio: 'ignore',
  });
}

beforeAll(() => {
  requireTool('git');
  env = setupEnv('tofu-terramate');
  vars = env.varFile('stacks.tfvars', 'tm');
  repo = path.join(env.root, 'repo');
  const stacks: Record<string, string> = {
    'stacks/edge/stack.tm.hcl': 'stack {\n  name  = "edge"\n  after = ["/stacks/network"]\n}\n',
    'stacks/network/stack.tm.hcl': 'stack {\n  name = "network"\n}\n',
    'stacks/unchanged/stack.tm.hcl': 'stack {\n  name = "unchanged"\n}\n',
  };
  for (const [f, content] of Object.entries(stacks)) {
    fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
    fs.writeFileSync(path.join(repo, f), content);
  }
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'stacks');
  for (const s of ['edge', 'network']) fs.writeFileSync(path.join(repo, 'stacks', s, 'main.tf'), STACK_TF);
  git('add', '.');
  git('commit', '-q', '-m', 'add resources to edge and network');
});
afterAll(() => env.cleanup());

describe('terramate', () => {
  test('applies each changed stack in run order, each against its own state', async () => {
    const before = env.recorder.calls().length;
    const r = await env.run(
      {
        mode: 'apply',
        terramate: 'true',
        'state-path': '~/infra/state/{stack}/terraform.tfstate',
        'var-files': vars,
      },
      { workspace: repo, env: { PATH: `${STANDIN}:${env.recorder.path}` } },
    );
    expect(r.exitCode).toBe(0);
    const state = (s: string) =>
      path.join(env.runnerHome, 'infra', 'state', 'stacks', s, 'terraform.tfstate');
    expect(readState(state('network')).serial).toBeGreaterThan(0);
    expect(readState(state('edge')).serial).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(env.runnerHome, 'infra', 'state', 'stacks', 'unchanged'))).toBe(false);
    const applies = env.recorder
      .calls()
      .slice(before)
      .filter((c) => c[1] === 'apply');
    expect(applies).toHaveLength(2);
    const order = (r.report?.steps as { name: string }[])
      .filter((s) => s.name.startsWith('apply '))
      .map((s) => s.name);
    expect(order).toEqual(['apply stacks/network', 'apply stacks/edge']);
    expect(r.outputs['to-add']).toBe('2');
    expect(Object.keys(JSON.parse(r.outputs['state-serial']))).toEqual(['stacks/network', 'stacks/edge']);
    const handoff = JSON.parse(fs.readFileSync(r.outputs['handoff-file'], 'utf8'));
    expect(Object.keys(handoff)).toEqual(['stacks/network', 'stacks/edge']);
    expect(handoff['stacks/edge'].host_name).toBe('tm');
    expect(canaryLeaks(env.runs, env.recorder)).toEqual([]);
  });

  test('a state-path without {stack} is an input error', async () => {
    const r = await env.run(
      { mode: 'plan', terramate: 'true', 'state-path': '~/infra/state/terraform.tfstate' },
      { workspace: repo, env: { PATH: `${STANDIN}:${env.recorder.path}` } },
    );
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('invalid-input');
  });
});
