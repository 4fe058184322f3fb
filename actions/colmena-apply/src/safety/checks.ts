import { Invalid } from '../../../../shared/inputs.js';

/**
 * The `checks` input: one check per line, `remote: <command>` (run on the node over ssh by its login
 * shell) or `local: <command>` (run on the runner by `sh -c`, with COLMENA_NODE and COLMENA_HOST set, for
 * example to probe the node's RustDesk ports from outside). A check passes when it exits 0.
 */
export interface Check {
  where: 'remote' | 'local';
  command: string;
}

export const CHECK_EXPECTED =
  "checks like 'remote: systemctl is-active k3s' or 'local: nc -z -w 5 \"$COLMENA_HOST\" 21116'";

export function parseCheck(line: string): Check | Invalid {
  const m = /^(remote|local)\s*:\s*(.+)$/.exec(line.trim());
  if (!m) return new Invalid("'remote: <command>' or 'local: <command>'");
  if (m[2].length > 2000) return new Invalid('a command of at most 2000 characters');
  return { where: m[1] as Check['where'], command: m[2].trim() };
}

export function checkLabel(c: Check): string {
  return `${c.where}: ${c.command}`;
}

export interface CheckResult {
  check: string;
  where: Check['where'];
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  /** The last lines of its output (stdout and stderr), redacted; shown in the report and summary. */
  lastLines: string[];
  durationSeconds: number;
}

const TAIL = 10;

/** The last non-empty lines of a command's output, each cut to a readable length. */
export function tailLines(stdout: string, stderr: string, n = TAIL): string[] {
  return [...stdout.split(/\r?\n/), ...stderr.split(/\r?\n/)]
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
}
