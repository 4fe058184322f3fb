/**
 * The benchmark's in-process measurements, one bundle for all of them: the benchmark bundles this file
 * once with the suite's own bundler (scripts/bundle.mjs, see bench/lib/workers.mjs) and runs it as
 * `node index.js <worker> <args…>`. One bundle, because every ncc run type-checks the whole project.
 *   redact …    shared/tool.ts runTool redaction throughput (redact.ts)
 *   archive …   tofu-plan-with-state-backup's state archive module (archive.ts)
 *   k3s-eval …  k3s-verify's poll evaluation from recorded API responses (k3s-eval.ts)
 */
import { main as archive } from './archive.js';
import { main as k3sEval } from './k3s-eval.js';
import { main as redact } from './redact.js';

const WORKERS: Record<string, (args: string[]) => Promise<void>> = { redact, archive, 'k3s-eval': k3sEval };

const [name, ...args] = process.argv.slice(2);
const worker = WORKERS[name];
if (!worker) {
  process.stderr.write(`unknown worker '${name}'; one of ${Object.keys(WORKERS).join(', ')}\n`);
  process.exit(2);
}
await worker(args);
