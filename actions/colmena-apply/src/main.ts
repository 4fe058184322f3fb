import * as fs from 'node:fs/promises';
import { run } from '../../../shared/run.js';
import { createColmenaCli } from './colmena/colmena-cli.js';
import { commitStatus } from './commit-status.js';
import { SSH_DIR_STATE, converge } from './converge.js';
import { inputs } from './inputs.js';
import { createGitCli } from './preflight.js';
import { createNodeOps } from './safety/node-ops.js';
import { createNodeSsh } from './ssh/node-ssh.js';
import { createSshResolver, prepareSshConfig } from './ssh/ssh-config.js';
import { renderSummary } from './summary.js';

await run({
  action: 'colmena-apply',
  title: 'Colmena apply',
  async main(ctx) {
    const settings = ctx.inputs(inputs);
    await converge(ctx, settings, {
      colmena: createColmenaCli,
      git: createGitCli(),
      ssh: createSshResolver(),
      prepareSsh: prepareSshConfig,
      env: process.env,
      os: process.platform,
      nodeOps: (configFile, paths) => createNodeOps(createNodeSsh(configFile), paths),
    });
  },
  async post(ctx) {
    // Main removes it too; this covers a main phase that was killed before its cleanup ran.
    const dir = ctx.getState(SSH_DIR_STATE);
    if (dir)
      await ctx.step('remove generated ssh config', () => fs.rm(dir, { recursive: true, force: true }));
  },
  summary: renderSummary,
  status: commitStatus,
});
