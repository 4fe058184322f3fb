// Counts the processes each side of a comparison starts: a directory first on PATH with one wrapper per
// tool that records its first argument (the subcommand), then runs the real binary. Used in untimed probe
// runs only, so the wrapper's own cost never enters a measurement.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sh } from './script.mjs';

export function toolCounter(dir, tools) {
  const bin = path.join(dir, 'count-bin');
  const log = path.join(dir, 'tool-starts.log');
  fs.mkdirSync(bin, { recursive: true });
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const tool of tools) {
    const real = dirs.map((d) => path.join(d, tool)).find((f) => fs.existsSync(f));
    if (!real) continue;
    fs.writeFileSync(
      path.join(bin, tool),
      // One line per start: the tool and its arguments separated by \037 (only the subcommand is shown).
      `#!/bin/sh\n{ printf '%s' ${sh(tool)}; for a; do printf '\\037%s' "$a"; done; echo; } >> ${sh(log)}\n` +
        `exec ${sh(real)} "$@"\n`,
      { mode: 0o755 },
    );
  }
  return {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    /** Runs `fn`; returns its result and the `tool subcommand` lines started meanwhile. */
    async count(fn) {
      fs.writeFileSync(log, '');
      const result = await fn();
      return { result, starts: fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) };
    },
  };
}

/** Tools whose first operand is a subcommand worth naming (the others are only counted). */
const WITH_SUBCOMMANDS = new Set(['git', 'restic', 'rclone', 'tofu', 'terraform']);

/** The subcommand of one recorded start: the first operand after global options (`git -c k=v push`). */
function subcommand(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return '';
}

/** One recorded start as `{ tool, args, sub }`. */
export function parseStart(line) {
  const [tool, ...args] = line.split('\x1f');
  return { tool, args, sub: subcommand(args) };
}

/** "terraform ×5 (init, plan, …); rclone ×2 (…); tar ×1": the starts grouped by tool. */
export function describeStarts(starts) {
  const by = new Map();
  for (const line of starts) {
    const [tool, ...args] = line.split('\x1f');
    by.set(tool, [...(by.get(tool) ?? []), subcommand(args)]);
  }
  if (by.size === 0) return 'none';
  return [...by]
    .map(
      ([tool, subs]) => `${tool} ×${subs.length}${WITH_SUBCOMMANDS.has(tool) ? ` (${subs.join(', ')})` : ''}`,
    )
    .join('; ');
}
