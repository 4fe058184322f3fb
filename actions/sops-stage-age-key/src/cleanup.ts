import * as fsp from 'node:fs/promises';
import type { ActionContext } from '../../../shared/run.js';
import { removeKeyFile } from './runner-key-file.js';
import { STATE } from './state.js';
import * as log from '../../../shared/log.js';

/**
 * Post step: removes the runner's copy of the key (when `cleanup`) and, always, the ssh material main
 * should already have removed. Runs after a failed main too; the target's copy is never touched.
 */
export async function cleanupRunner(ctx: ActionContext): Promise<void> {
  const sshDir = ctx.getState(STATE.sshDir);
  if (sshDir) {
    await ctx.step('remove ssh material', () => fsp.rm(sshDir, { recursive: true, force: true }));
  }
  const file = ctx.getState(STATE.keyFile);
  if (!file) return;
  if (ctx.getState(STATE.cleanup) !== 'true') {
    ctx.skip('remove runner key file', 'cleanup is false');
    log.info(`Kept ${file}: cleanup is false.`);
    const setAside = ctx.getState(STATE.keySetAside);
    if (setAside) log.info(`The file that was there before this run is at ${setAside}.`);
    return;
  }
  const loc = {
    file,
    createdDir: ctx.getState(STATE.keyDir) || undefined,
    setAside: ctx.getState(STATE.keySetAside) || undefined,
  };
  const r = await ctx.step('remove runner key file', () =>
    removeKeyFile(loc, ctx.getState(STATE.keyFileId) || undefined),
  );
  if (r.removed.length > 0) log.info(`Removed ${r.removed.join(' and ')}.`);
  if (r.restored) log.info(`Put the original ${r.restored} back.`);
  for (const k of r.kept) ctx.warning(`Kept ${k}.`);
  if (r.removed.length === 0 && !r.restored && r.kept.length === 0)
    log.info(`Nothing to remove: ${file} is already gone.`);
}
