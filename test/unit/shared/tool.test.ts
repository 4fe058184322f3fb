import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { LineSplitter, ToolNotFoundError, describeExit, lastLine, runTool } from '../../../shared/tool.js';
import { registerSecret, resetSecretsForTest } from '../../../shared/secrets.js';
import { withoutMaskCommands } from '../../support/run-action.js';

const CANARY = 'canary-Zx81-secret';
let written: string[];
let spy: ReturnType<typeof jest.spyOn>;

beforeEach(() => {
  resetSecretsForTest();
  written = [];
  spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => spy.mockRestore());

/** The log as the runner shows it: `::add-mask::` commands are consumed by the runner, never displayed. */
function logText(): string {
  return withoutMaskCommands(written.join(''));
}

/** Running (a zombie waiting for an absent reaper counts as gone: it holds no resources and runs nothing). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return !/^\d+ \(.*\) Z /.test(stat);
}

describe('LineSplitter', () => {
  test('joins a multi-byte character split across chunks and flushes the last partial line', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(...l));
    const bytes = Buffer.from('héllo\r\nwörld\nno newline €', 'utf8');
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1));
    s.end();
    expect(lines).toEqual(['héllo', 'wörld', 'no newline €']);
  });
});

describe('runTool', () => {
  test('redacts a secret that arrives split across two chunks, and a final line without newline', async () => {
    registerSecret(CANARY);
    const half = CANARY.length / 2;
    const script = `printf '%s' "$A"; sleep 0.2; printf '%s\\nlast %s' "$B" "$A$B"`;
    const r = await runTool({
      bin: 'sh',
      args: ['-c', script],
      env: { A: CANARY.slice(0, half), B: CANARY.slice(half) },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${CANARY}\nlast ${CANARY}`);
    expect(logText()).toContain('***\nlast ***');
    expect(logText()).not.toContain(CANARY);
    expect(logText()).not.toContain(CANARY.slice(0, half));
  });

  test('redacts stderr too and never echoes stdout when asked not to', async () => {
    registerSecret(CANARY);
    const r = await runTool({
      bin: 'sh',
      args: ['-c', `echo "out ${'$'}S"; echo "err ${'$'}S" >&2`],
      env: { S: CANARY },
      echo: 'stderr',
    });
    expect(r.stderr).toBe(`err ${CANARY}`);
    expect(logText()).toContain('err ***');
    expect(logText()).not.toMatch(/^out /m);
  });

  test('refuses a secret in argv', async () => {
    registerSecret(CANARY);
    await expect(runTool({ bin: 'echo', args: [`--token=${CANARY}`] })).rejects.toThrow(
      /refusing to pass a secret/,
    );
  });

  test('a missing binary names the input that sets its path', async () => {
    const e = await runTool({ bin: 'no-such-tool-xyz', args: [], binInput: 'restic-binary' }).catch((x) => x);
    expect(e).toBeInstanceOf(ToolNotFoundError);
    expect(e.message).toBe(
      `"no-such-tool-xyz" was not found on PATH; install it or set the 'restic-binary' input.`,
    );
    expect(e.reason).toBe('invalid-input');
  });

  test('a timeout kills the whole process group, grandchildren included', async () => {
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tool-')), 'grandchild.pid');
    const r = await runTool({
      bin: 'sh',
      args: ['-c', `sleep 30 & echo $! > ${pidFile}; wait`],
      timeoutMs: 500,
      killGraceMs: 500,
    });
    expect(r.timedOut).toBe(true);
    expect(describeExit(r)).toBe('timed out');
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 800));
    expect(alive(grandchild)).toBe(false);
  });

  test('a grandchild holding the pipes open does not hang the step', async () => {
    const r = await runTool({ bin: 'sh', args: ['-c', 'sleep 30 & echo started'] });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('started');
  });

  test('abort stops the tool', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await runTool({ bin: 'sleep', args: ['30'], abort: ac.signal, killGraceMs: 200 });
    expect(r.aborted).toBe(true);
    expect(r.signal).toBe('SIGTERM');
  });

  test('INPUT_* variables never reach the tool; env additions and removals apply', async () => {
    process.env.INPUT_TOKEN = 'from-runner';
    process.env.KEEP_ME = 'kept';
    try {
      const r = await runTool({
        bin: 'sh',
        args: ['-c', 'echo "${INPUT_TOKEN:-unset} ${EXTRA} ${KEEP_ME:-removed}"'],
        env: { EXTRA: 'added', KEEP_ME: undefined },
      });
      expect(r.stdout).toBe('unset added removed');
    } finally {
      delete process.env.INPUT_TOKEN;
      delete process.env.KEEP_ME;
    }
  });

  test('stdin, cwd, exit code and streamed raw bytes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tool-cwd-'));
    const chunks: Buffer[] = [];
    const r = await runTool({
      bin: 'sh',
      args: ['-c', 'cat; pwd; exit 3'],
      stdin: 'in\n',
      cwd: dir,
      onStdoutData: (c) => chunks.push(c),
    });
    expect(r.exitCode).toBe(3);
    expect(describeExit(r)).toBe('exit 3');
    expect(Buffer.concat(chunks).toString()).toBe(`in\n${fs.realpathSync(dir)}\n`);
    expect(r.stdout).toBe('');
  });

  test('lastLine is redacted and skips blank lines', () => {
    registerSecret(CANARY);
    expect(lastLine(`a\nFatal: bad ${CANARY}\n\n`)).toBe('Fatal: bad ***');
  });
});

describe('pause', () => {
  test('waits, and a cancellation wakes it at once with CancelledError', async () => {
    const { pause, forwardSignal } = await import('../../../shared/tool.js');
    await pause(10);
    const started = Date.now();
    const waiting = pause(60_000);
    setTimeout(() => forwardSignal('SIGTERM'), 50);
    await expect(waiting).rejects.toThrow(/cancelled \(SIGTERM\)/);
    expect(Date.now() - started).toBeLessThan(30_000);
    await expect(runTool({ bin: 'true', args: [] })).rejects.toThrow(/cancelled/);
  });
});
