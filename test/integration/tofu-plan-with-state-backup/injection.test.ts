import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { setupEnv, type Env } from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * Issue 15 "also required": workflow-command injection through tofu's output. A resource attribute and
 * an output of the stack hold lines that a runner would take as commands (`::save-state`,
 * `::set-output`, `::add-mask::`, `::error::`, the legacy `##[set-output …]`); terraform prints them at
 * the start of a line in the plan (a heredoc) and after apply (the outputs). The run's state, outputs
 * and masks must be exactly what the action set itself, and post must do only what the action recorded.
 */
let env: Env;
let victim: string;

beforeAll(() => {
  env = setupEnv('tofu-injection');
  victim = path.join(env.root, 'victim');
  fs.mkdirSync(victim);
  fs.writeFileSync(path.join(victim, 'keep.txt'), 'not the action’s to delete');
});
afterAll(() => env.cleanup());

function injectionStack(): string {
  const lines = [
    'release notes',
    `::save-state name=cleanup::["tempdir:${victim}"]`,
    '::save-state name=injected::yes',
    '::set-output name=has-changes::forged',
    '::set-output name=injected::yes',
    '::add-mask::e',
    '::error::forged error from the cloud',
    '##[set-output name=to-add;]99',
  ];
  const text = lines.join('\\n').replace(/"/g, '\\"');
  return [
    'resource "terraform_data" "banner" {',
    `  input = "${text}"`,
    '}',
    'output "banner" {',
    '  value = terraform_data.banner.output',
    '}',
    '',
  ].join('\n');
}

describe('tofu output cannot issue workflow commands', () => {
  test.each(['plan', 'apply'])(
    '%s: state, outputs and masks are the action’s own; post touches nothing else',
    async (mode) => {
      const ws = env.workspace({ 'banner.tf': injectionStack() });
      const state = path.join(env.runnerHome, `inj-${mode}`, 'terraform.tfstate');
      const r = await env.run(
        { mode, 'state-path': state, 'var-files': env.varFile('inj.tfvars', 'inj') },
        { workspace: ws },
      );
      expect(r.exitCode).toBe(0);
      // The lines really reached the log (neutralised), so the test exercises something.
      expect(r.log).toMatch(/save-state name=cleanup::\["tempdir:/);
      expect(r.log).toContain('forged error from the cloud');

      const issued = [...r.main.commands, ...(r.post?.commands ?? [])];
      expect(
        issued.filter((c) => ['save-state', 'set-output', 'error', 'stop-commands'].includes(c.command)),
      ).toEqual([]);
      expect(r.main.effects.state).toEqual({});
      expect(r.main.effects.outputs).toEqual({});
      expect(r.masks).not.toContain('e');
      // The action registers the sensitive variable's value, and nothing the stack printed.
      for (const m of r.masks) expect(m).not.toMatch(/release notes|forged|::/);
      expect(Object.keys(r.state).sort()).toEqual(['cleanup', 'isPost']);
      expect(r.state.cleanup).toBe('[]');
      expect(r.outputs['has-changes']).toBe('true');
      expect(r.outputs['to-add']).toBe('2');
      expect(r.outputs.injected).toBeUndefined();
      expect(r.post?.log ?? '').not.toContain('remove leftovers');
      expect(fs.readFileSync(path.join(victim, 'keep.txt'), 'utf8')).toBe('not the action’s to delete');
    },
  );
});
