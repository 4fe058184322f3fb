import { ActionError } from '../../../../shared/errors.js';
import { checkTimeout } from '../check-timeout.js';
import { describeExit, lastLine, runTool } from '../../../../shared/tool.js';

/** Runs the user's verify command in the restore directory; its exit code decides. */
export interface VerifyCommandRunner {
  run(command: string, restoreDir: string, snapshotId: string): Promise<void>;
}

export function createVerifyCommandRunner(o: { deadline: number; timeoutMs: number }): VerifyCommandRunner {
  return {
    async run(command, restoreDir, snapshotId) {
      const remaining = o.deadline - Date.now();
      if (remaining <= 0) throw checkTimeout('before verify-command', o.timeoutMs);
      const r = await runTool({
        bin: 'sh',
        args: ['-c', command],
        cwd: restoreDir,
        // The command sees the restore, never restic's credentials (those live only in restic's env).
        env: { RESTORE_DIR: restoreDir, SNAPSHOT_ID: snapshotId },
        timeoutMs: remaining,
        group: 'verify-command',
      });
      if (r.timedOut) throw checkTimeout('verify-command', o.timeoutMs);
      if (r.exitCode !== 0) {
        const why = lastLine(r.stderr) || lastLine(r.stdout) || 'no output';
        throw new ActionError(
          'verify-command',
          `verify-command failed on the restored files (${describeExit(r)}): ${why}.`,
          'The restored data did not pass your check: inspect the backup source, or fix the command if it is wrong.',
        );
      }
    },
  };
}
