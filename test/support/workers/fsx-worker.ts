/**
 * A separate process that uses shared/fsx the way an action does, so tests can race two processes on a
 * lock or kill one in the middle of an atomic write. Bundled by the test with ncc (see bundle-worker.ts).
 *   lock <lockFile> <logFile> <holdMs> <timeoutMs> <runId>
 *   write <file> <megabytes>
 */
import * as fs from 'node:fs';
import { acquireLock, writeFileAtomic } from '../../../shared/fsx.js';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'lock') {
  const [lockFile, logFile, holdMs, timeoutMs, runId] = args;
  try {
    const lock = await acquireLock(lockFile, { timeoutMs: Number(timeoutMs), runId, pollMs: 50 });
    fs.appendFileSync(logFile, `start ${runId} ${Date.now()}\n`);
    await new Promise((r) => setTimeout(r, Number(holdMs)));
    fs.appendFileSync(logFile, `end ${runId} ${Date.now()}\n`);
    await lock.release();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
} else if (mode === 'write') {
  const [file, megabytes] = args;
  process.stdout.write('writing\n');
  await writeFileAtomic(file, Buffer.alloc(Number(megabytes) * 1024 * 1024, 0x61));
  process.stdout.write('done\n');
}
