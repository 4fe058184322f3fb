/**
 * Times tofu-plan-with-state-backup's state archive module in-process (bundled into
 * bench/workers/index.ts by the benchmark):
 *   archive <statePath> <backupDir> <resultFile>   createStateArchive: read + parse the state, tar +
 *                                                   gzip + sha256 in one pass, fsync, checksum file, rename
 *   targz <statePath> <outFile> <resultFile>        writeTarGz alone on the state bytes (read untimed)
 * The result file gets `{ ms, bytes, sha256 }` (bytes: the archive's size).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createStateArchive } from '../../actions/tofu-plan-with-state-backup/src/archive/state-archive.js';
import { stateIdentity } from '../../actions/tofu-plan-with-state-backup/src/archive/state-identity.js';
import { writeTarGz } from '../../actions/tofu-plan-with-state-backup/src/archive/tar-gz.js';

async function archive(
  statePath: string,
  out: string,
): Promise<{ ms: number; bytes: number; sha256: string }> {
  const started = performance.now();
  const r = await createStateArchive({
    identity: stateIdentity(statePath),
    backupDir: out,
    context: {
      tool: 'tofu',
      toolVersion: '1.10.0',
      runId: '4242',
      commitSha: '0123456789abcdef0123456789abcdef01234567',
      repository: 'ops/infra',
      host: 'bench',
      purpose: 'before-apply',
    },
    // The bench's synthetic state is 100 MB: above the action's default limit, as intended.
    maxBytes: 1024 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  return { ms, bytes: fs.statSync(r.archive).size, sha256: r.sha256 };
}

async function targz(statePath: string, out: string): Promise<{ ms: number; bytes: number; sha256: string }> {
  const data = fs.readFileSync(statePath);
  const started = performance.now();
  const sha256 = await writeTarGz(out, [{ name: path.basename(statePath), data }]);
  const ms = performance.now() - started;
  return { ms, bytes: fs.statSync(out).size, sha256 };
}

export async function main(args: string[]): Promise<void> {
  const [mode, statePath, out, resultFile] = args;
  const result = mode === 'archive' ? await archive(statePath, out) : await targz(statePath, out);
  fs.writeFileSync(resultFile, JSON.stringify(result));
}
