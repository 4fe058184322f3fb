const AGE_UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
] as const;

/**
 * An elapsed time for messages and summaries, in its two largest units: `9d 3h`, `5h 2m`, `1h`, `40s`
 * (a zero second unit is left out, less than a second reads `0s`, a negative age keeps its sign). One
 * format across the suite, so restic's snapshot age and tofu's archive age read the same way.
 */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  const i = AGE_UNITS.findIndex(([, size]) => abs >= size);
  if (i < 0) return `${sign}0s`;
  const [unit, size] = AGE_UNITS[i];
  const next = AGE_UNITS[i + 1];
  const second = next ? Math.floor((abs % size) / next[1]) : 0;
  return `${sign}${Math.floor(abs / size)}${unit}${second > 0 ? ` ${second}${next[0]}` : ''}`;
}
