import { ActionError } from '../../../../shared/errors.js';
import { describeExit, lastLine, runTool } from '../../../../shared/tool.js';

/**
 * Terramate, narrowed to "which stacks changed, in run order". `terramate list --changed --run-order`
 * prints one stack directory per line, relative to the directory it runs in
 * (https://terramate.io/docs/cli/cmdline/list). The action then runs tofu per stack itself: a
 * `terramate run` would abort on plan's exit code 2 (terramate#2016).
 */
export interface TerramateCli {
  listChangedStacks(): Promise<string[]>;
}

/** Stack paths from `list` output; refuses anything that would leave the project. Pure. */
export function parseStackList(stdout: string): string[] {
  const stacks: string[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim().replace(/^\.\//, '').replace(/\/+$/, '');
    if (line === '') continue;
    if (line.startsWith('/') || line.split('/').includes('..'))
      throw new Error(`terramate listed a stack outside the project: '${line.slice(0, 100)}'`);
    stacks.push(line === '' ? '.' : line);
  }
  return stacks;
}

export function createTerramateCli(o: { bin: string; cwd: string }): TerramateCli {
  return {
    async listChangedStacks() {
      const r = await runTool({
        bin: o.bin,
        binInput: 'terramate-binary',
        args: ['list', '--changed', '--run-order'],
        cwd: o.cwd,
        echo: 'stderr',
        timeoutMs: 120_000,
      });
      if (r.exitCode !== 0)
        throw new ActionError(
          'plan-failed',
          `terramate list --changed failed (${describeExit(r)}: ${lastLine(r.stderr) || 'no output'}).`,
          'Terramate needs a git checkout with the base ref fetched (fetch-depth: 0) and no untracked files.',
        );
      try {
        return parseStackList(r.stdout);
      } catch (e) {
        throw new ActionError(
          'plan-failed',
          `${(e as Error).message}.`,
          'Check the terramate project layout.',
        );
      }
    },
  };
}
