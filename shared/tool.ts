import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { ActionError, CancelledError, INVALID_INPUT } from './errors.js';
import * as log from './log.js';
import { isSecretText, redact } from './secrets.js';

/**
 * The only place in the suite that spawns processes.
 *
 * Why not @actions/exec: it cannot start the child in its own process group (so a timeout could not kill
 * grandchildren such as ssh), does not expose the child for signal forwarding, echoes the raw command
 * line, writes raw chunks before splitting lines and drops a final line without newline (toolkit#1313).
 * Here output is decoded with a StringDecoder, split on /\r?\n/, redacted, and only then printed.
 */
export interface ToolOptions {
  /** Binary name (looked up on PATH) or path. */
  bin: string;
  args: readonly string[];
  /** The input that sets this binary's path, named in the "not found" error. */
  binInput?: string;
  /** Environment additions; `undefined` removes a variable. INPUT_* never reach children. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string | Buffer | Readable;
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL of the process group. */
  killGraceMs?: number;
  /** Which streams are echoed (redacted) to the log. JSON that may hold secrets must not be echoed. */
  echo?: 'all' | 'stderr' | 'none';
  /** Print the output inside a collapsible `::group::` with this title. */
  group?: string;
  /** Raw (unredacted) lines as they arrive, for streaming parsers. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Raw stdout bytes (then stdout is neither split, echoed nor captured): for hashing streamed content. */
  onStdoutData?: (chunk: Buffer) => void;
  /** Stops the tool (SIGTERM to the group, then SIGKILL) when aborted. */
  abort?: AbortSignal;
}

export interface ToolResult {
  argv: readonly string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Raw captured output: may contain secrets, never print it. */
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
  cancelled: boolean;
}

export class ToolNotFoundError extends ActionError {
  constructor(bin: string, binInput?: string) {
    // The binary's path is an input, so a missing binary is reported like any other bad input.
    super(
      INVALID_INPUT,
      `"${bin}" was not found on PATH; install it` + (binInput ? ` or set the '${binInput}' input.` : '.'),
    );
  }
}

interface Running {
  child: ChildProcess;
  killGraceMs: number;
}
const running = new Set<Running>();
let cancelledBy: NodeJS.Signals | undefined;

/** Set once SIGINT/SIGTERM reached the action; further tool runs refuse to start. */
export function cancellation(): NodeJS.Signals | undefined {
  return cancelledBy;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

function groupAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function terminate(r: Running, signal: NodeJS.Signals = 'SIGTERM'): void {
  killGroup(r.child, signal);
  const pid = r.child.pid;
  const t = setTimeout(() => {
    if (groupAlive(pid)) killGroup(r.child, 'SIGKILL');
  }, r.killGraceMs);
  t.unref();
}

const pauses = new Set<() => void>();

/** Forwards a cancellation signal to every running tool's process group (called by the lifecycle). */
export function forwardSignal(signal: NodeJS.Signals): void {
  cancelledBy = signal;
  for (const r of running) terminate(r, signal);
  for (const wake of pauses) wake();
}

/**
 * Waits `ms` between polls or retries, but throws CancelledError as soon as SIGINT/SIGTERM reached the
 * action, so a cancelled job never sits out a backoff or poll interval.
 */
export async function pause(ms: number): Promise<void> {
  if (cancelledBy) throw new CancelledError(cancelledBy);
  await new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      pauses.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    pauses.add(wake);
  });
  if (cancelledBy) throw new CancelledError(cancelledBy);
}

/** Resolves once every running tool has exited (used before the lifecycle writes its report). */
export async function waitForTools(limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Splits a byte stream into lines without breaking multi-byte characters; flushes the last partial line. */
export class LineSplitter {
  private decoder = new StringDecoder('utf8');
  private partial = '';
  constructor(private readonly onLines: (lines: string[]) => void) {}

  push(chunk: Buffer): void {
    const textChunk = this.partial + this.decoder.write(chunk);
    const lines = textChunk.split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    if (lines.length > 0) this.onLines(lines);
  }

  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.onLines([rest.replace(/\r$/, '')]);
  }
}

function childEnv(additions: ToolOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Inputs (secret ones included) are the action's business, not the tool's.
    if (!k.startsWith('INPUT_')) env[k] = v;
  }
  for (const [k, v] of Object.entries(additions ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command line as it is printed: redacted and shell-quoted, for the log only. */
export function describeCommand(bin: string, args: readonly string[]): string {
  return redact([bin, ...args].map(quote).join(' '));
}

export async function runTool(opts: ToolOptions): Promise<ToolResult> {
  if (cancelledBy) throw new CancelledError(cancelledBy);
  const argv = [opts.bin, ...opts.args];
  // A secret in argv is visible to every user of the machine (ps); that is a bug, never a choice.
  for (const arg of argv) {
    if (isSecretText(arg))
      throw new Error(`refusing to pass a secret in the arguments of ${path.basename(opts.bin)}`);
  }
  if (opts.cwd && !fs.statSync(opts.cwd, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ActionError(
      'tool-failed',
      `Cannot run ${path.basename(opts.bin)}: directory '${opts.cwd}' does not exist.`,
    );
  }
  const echo = opts.echo ?? 'all';
  const started = Date.now();
  if (opts.group) log.startGroup(opts.group);
  log.info(`$ ${describeCommand(opts.bin, opts.args)}`);
  try {
    return await spawnAndCollect(opts, argv, echo, started);
  } finally {
    if (opts.group) log.endGroup();
  }
}

function spawnAndCollect(
  opts: ToolOptions,
  argv: string[],
  echo: 'all' | 'stderr' | 'none',
  started: number,
): Promise<ToolResult> {
  return new Promise<ToolResult>((resolve, reject) => {
    const stdinIsStream =
      opts.stdin !== undefined && typeof opts.stdin === 'object' && !Buffer.isBuffer(opts.stdin);
    const child = spawn(opts.bin, opts.args, {
      cwd: opts.cwd,
      env: childEnv(opts.env),
      // Own process group: a timeout or cancellation reaches grandchildren too.
      detached: true,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const entry: Running = { child, killGraceMs: opts.killGraceMs ?? 5000 };
    running.add(entry);
    const out: string[] = [];
    const err: string[] = [];
    let timedOut = false;
    let aborted = false;
    let settled = false;

    const sink = (stream: 'stdout' | 'stderr', store: string[], shown: boolean) => (lines: string[]) => {
      for (const line of lines) {
        store.push(line);
        opts.onLine?.(stream, line);
      }
      // One redaction pass per chunk, not per line: secrets never span a newline (they are registered
      // line by line), and one regex scan over the joined text is several times faster on busy output.
      // Tool output is untrusted: log.lines also neutralises anything a runner would take as a command.
      if (shown) log.lines(lines);
    };
    const outSplit = new LineSplitter(sink('stdout', out, echo === 'all'));
    const errSplit = new LineSplitter(sink('stderr', err, echo !== 'none'));
    if (opts.onStdoutData) child.stdout!.on('data', opts.onStdoutData);
    else child.stdout!.on('data', (c: Buffer) => outSplit.push(c));
    child.stderr!.on('data', (c: Buffer) => errSplit.push(c));

    if (opts.stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // EPIPE when the tool exits without reading: not our failure.
      if (stdinIsStream) (opts.stdin as Readable).pipe(child.stdin);
      else child.stdin.end(opts.stdin as string | Buffer);
    }

    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            terminate(entry);
          }, opts.timeoutMs)
        : undefined;
    const onAbort = () => {
      aborted = true;
      terminate(entry);
    };
    opts.abort?.addEventListener('abort', onAbort, { once: true });
    if (opts.abort?.aborted) onAbort();

    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let lingerTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (lingerTimer) clearTimeout(lingerTimer);
      opts.abort?.removeEventListener('abort', onAbort);
      running.delete(entry);
      outSplit.end();
      errSplit.end();
      resolve({
        argv,
        exitCode,
        signal: exitSignal,
        stdout: out.join('\n'),
        stderr: err.join('\n'),
        durationMs: Date.now() - started,
        timedOut,
        aborted,
        cancelled: cancelledBy !== undefined,
      });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      running.delete(entry);
      reject(e.code === 'ENOENT' ? new ToolNotFoundError(opts.bin, opts.binInput) : e);
    });
    child.on('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      // A grandchild that keeps our pipes open must not hang the step: give it a moment, then end the group.
      lingerTimer = setTimeout(() => {
        killGroup(child, 'SIGKILL');
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, 2000);
    });
    child.on('close', finish);
  });
}

/** The last non-empty line of a tool's output, redacted and shortened, for one-line error messages. */
export function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  return redact(lines[lines.length - 1] ?? '').slice(0, 300);
}

/** The exit in a few words: `exit 1`, `killed by SIGTERM`, `timed out`. */
export function describeExit(r: ToolResult): string {
  if (r.timedOut) return 'timed out';
  if (r.exitCode !== null) return `exit ${r.exitCode}`;
  return `killed by ${r.signal}`;
}
