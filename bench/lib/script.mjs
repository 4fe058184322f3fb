// Helpers for the raw-tool baselines: shell quoting, writing a script, median step durations of reports.
import * as fs from 'node:fs';
import { median } from './measure.mjs';

export function sh(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${String(arg).replace(/'/g, `'\\''`)}'`;
}

export function writeScript(file, lines) {
  fs.writeFileSync(file, ['#!/bin/sh', 'set -eu', ...lines, ''].join('\n'), { mode: 0o755 });
  return file;
}

/** Median duration per step name over the reports of the measured runs ("where the time goes"). */
export function stepBreakdown(reports) {
  const by = new Map();
  for (const r of reports) {
    for (const s of r?.steps ?? []) {
      if (!by.has(s.name)) by.set(s.name, []);
      by.get(s.name).push(s.durationMs);
    }
  }
  const parts = [...by].map(([name, ms]) => `${name} ${Math.round(median(ms))} ms`);
  const totals = reports.map((r) => r?.durationMs).filter((x) => Number.isFinite(x));
  return (
    `steps of the action's report (median): ${parts.join(', ')}` +
    (totals.length ? `; report durationMs ${Math.round(median(totals))} ms` : '')
  );
}

/** The step that takes longest (median over the reports), with its share of the report's duration. */
export function largestStep(reports) {
  const by = new Map();
  for (const r of reports)
    for (const s of r?.steps ?? []) by.set(s.name, [...(by.get(s.name) ?? []), s.durationMs]);
  const totals = reports.map((r) => r?.durationMs).filter((x) => Number.isFinite(x));
  let best;
  for (const [name, ms] of by) {
    const m = median(ms);
    if (!best || m > best.ms) best = { name, ms: m };
  }
  if (!best || totals.length === 0) return '';
  const share = Math.round((100 * best.ms) / median(totals));
  return `The action's longest step is '${best.name}': ${Math.round(best.ms)} ms, ${share}% of its own run. `;
}
