/**
 * Streams a file through a child (`cat`) and times it, bundled by the benchmark with the suite's own
 * ncc bundler (bench/lib/workers.mjs) so it runs the real shared/tool.ts + shared/secrets.ts.
 *   passthrough <file> <resultFile>            the child piped into this process and discarded
 *   runtool <file> <resultFile> <secretsFile>  runTool with every line of secretsFile registered
 *   quiet <file> <resultFile> <secretsFile>    the same with echo 'none' (split + capture, no log)
 * The result file gets `{ ms, bytes, lines? }`. This process's stdout is the "log" (the benchmark
 * points it at /dev/null, the cheapest possible sink).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { registerSecret } from '../../shared/secrets.js';
import { runTool } from '../../shared/tool.js';

const [mode, file, resultFile, secretsFile] = process.argv.slice(2);

async function passthrough(): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (c: Buffer) => (bytes += c.length));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cat exited ${code}`))));
  });
  return { ms: performance.now() - started, bytes };
}

async function throughRunner(): Promise<{ ms: number; bytes: number; lines: number; secrets: number }> {
  const secrets = secretsFile ? fs.readFileSync(secretsFile, 'utf8').split('\n').filter(Boolean) : [];
  for (const s of secrets) registerSecret(s);
  const started = performance.now();
  const r = await runTool({ bin: 'cat', args: [file], echo: mode === 'quiet' ? 'none' : 'all' });
  const ms = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`cat exited ${r.exitCode}`);
  const lines = r.stdout.length === 0 ? 0 : r.stdout.split('\n').length;
  return { ms, bytes: fs.statSync(file).size, lines, secrets: secrets.length };
}

const result = mode === 'passthrough' ? await passthrough() : await throughRunner();
fs.writeFileSync(resultFile, JSON.stringify(result));
