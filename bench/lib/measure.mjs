// Timing primitives shared by every benchmark: interleaved runs, medians, timed child processes.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Runs every variant `warmup` times (discarded), then `runs` rounds of A B C … A B C … in the same order,
 * so slow drift of a shared machine hits all variants alike. Each `run()` resolves to a number (the
 * sample, usually milliseconds) or to `{ value, ...details }`. Returns, per variant, the samples and the
 * median; the details of the last measured run are kept for checks (exit codes, byte counts).
 */
export async function interleave(variants, { warmup = 1, runs = 5, onRound } = {}) {
  const samples = variants.map(() => []);
  const details = variants.map(() => undefined);
  for (let w = 0; w < warmup; w++) {
    for (const v of variants) await v.run({ warmup: true, round: -1 - w });
  }
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < variants.length; i++) {
      const out = await variants[i].run({ warmup: false, round: r });
      const value = typeof out === 'number' ? out : out.value;
      if (!Number.isFinite(value)) throw new Error(`${variants[i].label}: run ${r} gave no number`);
      samples[i].push(value);
      if (typeof out === 'object') details[i] = out;
    }
    onRound?.(r);
  }
  return variants.map((v, i) => ({
    label: v.label,
    unit: v.unit ?? 'ms',
    median: median(samples[i]),
    samples: samples[i],
    details: details[i],
  }));
}

/**
 * Spawns a command and resolves when it has exited and its pipes are closed. `ms` is the wall time from
 * just before spawn to close, measured in this process (the same way for every variant).
 */
export function timeCommand(cmd, args, { env, cwd, input, capture = true, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, {
      env,
      cwd,
      stdio: [
        input === undefined ? 'ignore' : 'pipe',
        capture ? 'pipe' : 'ignore',
        capture ? 'pipe' : 'ignore',
      ],
    });
    let stdout = '';
    let stderr = '';
    if (capture) {
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
    }
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, code, signal, stdout, stderr });
    });
  });
}

/** Like timeCommand, but a non-zero exit is an error naming the command and its last output. */
export async function mustRun(cmd, args, opts = {}) {
  const r = await timeCommand(cmd, args, opts);
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}:\n${tail}`);
  }
  return r;
}

export function mb(bytes) {
  return bytes / (1024 * 1024);
}

export function round(value, digits = 3) {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
