/**
 * Streams a file through a child (`cat`) and times it, with the real shared/tool.ts + shared/secrets.ts
 * (bundled into bench/workers/index.ts by the benchmark).
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

async function passthrough(file: string): Promise<{ ms: number; bytes: number }> {
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

async function throughRunner(
  mode: string,
  file: string,
  secretsFile: string | undefined,
): Promise<{ ms: number; bytes: number; lines: number; secrets: number }> {
  const secrets = secretsFile ? fs.readFileSync(secretsFile, 'utf8').split('\n').filter(Boolean) : [];
  for (const s of secrets) registerSecret(s);
  const started = performance.now();
  const r = await runTool({ bin: 'cat', args: [file], echo: mode === 'quiet' ? 'none' : 'all' });
  const ms = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`cat exited ${r.exitCode}`);
  const lines = r.stdout.length === 0 ? 0 : r.stdout.split('\n').length;
  return { ms, bytes: fs.statSync(file).size, lines, secrets: secrets.length };
}

export async function main(args: string[]): Promise<void> {
  const [mode, file, resultFile, secretsFile] = args;
  const result =
    mode === 'passthrough' ? await passthrough(file) : await throughRunner(mode, file, secretsFile);
  fs.writeFileSync(resultFile, JSON.stringify(result));
}
