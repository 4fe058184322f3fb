/**
 * One line per demo step while it runs: what it is doing and how long it has taken. On a terminal the
 * line is redrawn in place every half second and ends with the result; without a terminal (CI, a pipe)
 * the line is written once when the step starts and finished when it ends, so a log shows progress
 * without control characters.
 */
export interface Progress {
  /** Runs `fn` under a progress line; `describe` turns its value into the line's ending. */
  step<T>(
    label: string,
    fn: () => Promise<T>,
    describe: (value: T) => { ok: boolean; text: string },
  ): Promise<T>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function createProgress(out: NodeJS.WriteStream, total: number): Progress {
  let n = 0;
  const tty = Boolean(out.isTTY) && process.env.TERM !== 'dumb';
  return {
    async step<T>(
      label: string,
      fn: () => Promise<T>,
      describe: (value: T) => { ok: boolean; text: string },
    ): Promise<T> {
      n += 1;
      const head = `[${n}/${total}] ${label}`;
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      if (tty) {
        const draw = () => out.write(`\r\x1b[2K${head} … ${seconds(Date.now() - started)}`);
        draw();
        timer = setInterval(draw, 500);
      } else {
        out.write(`${head} … `);
      }
      let line: { ok: boolean; text: string };
      let value: T | undefined;
      let error: unknown;
      try {
        value = await fn();
        line = describe(value);
      } catch (e) {
        error = e;
        line = { ok: false, text: `error: ${e instanceof Error ? e.message : String(e)}` };
      } finally {
        if (timer) clearInterval(timer);
      }
      const end = `${line.ok ? 'done' : 'FAILED'} in ${seconds(Date.now() - started)}${line.ok ? '' : ` — ${line.text}`}`;
      out.write(tty ? `\r\x1b[2K${head} … ${end}\n` : `${end}\n`);
      if (error !== undefined) throw error;
      return value as T;
    },
  };
}
