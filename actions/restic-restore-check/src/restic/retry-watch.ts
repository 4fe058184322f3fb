/**
 * restic retries a failing backend on its own, with backoff, for a long time: about 45 s on 0.14 and up
 * to 15 minutes on 0.17+ (internal/backend/retry). Each retry is reported on stderr as
 * "<op> returned error, retrying after <duration>: <error>" (cmd/restic/global.go). A scheduled check must
 * not hang that long on a dead server, so this watch ends a command once one retry episode has lasted
 * longer than 'unreachable-after'. An episode ends when restic stays quiet for longer than its announced
 * backoff plus QUIET_MS (the retry worked).
 */
export const RETRY_LINE = /^(.*) returned error, retrying after ([0-9.]+[a-zµ]+(?:[0-9.]+[a-zµ]+)*): (.*)$/;
export const QUIET_MS = 30_000;

const GO_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration such as `552.330144ms`, `1.5s` or `1m2.5s` into milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  if (!/^([0-9.]+(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/([0-9.]+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * GO_UNITS[m[2]];
  return ms;
}

export class RetryWatch {
  private episodeStart?: number;
  private lastAt?: number;
  private lastDelayMs = 0;
  /** The last retry line seen (raw: redact before showing it). */
  lastRetry = '';

  constructor(
    private readonly limitMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Feeds one stderr line; true once restic has been retrying for longer than the limit. */
  observe(line: string): boolean {
    const m = RETRY_LINE.exec(line);
    if (!m) return this.expired();
    const t = this.now();
    if (!this.ongoing(t)) this.episodeStart = t;
    this.lastAt = t;
    this.lastDelayMs = parseGoDuration(m[2]) ?? 0;
    this.lastRetry = line;
    return this.expired();
  }

  private ongoing(t: number): boolean {
    return this.lastAt !== undefined && t - this.lastAt <= this.lastDelayMs + QUIET_MS;
  }

  /** Also polled on a timer: restic may sleep for a long backoff between two lines. */
  expired(): boolean {
    const t = this.now();
    return this.episodeStart !== undefined && this.ongoing(t) && t - this.episodeStart >= this.limitMs;
  }
}
