import * as path from 'node:path';
import * as fsp from 'node:fs/promises';
import * as core from '@actions/core';
import { writeFileAtomic, runnerTemp } from './fsx.js';
import * as log from './log.js';
import { redact, redactDeep } from './secrets.js';

export type StepStatus = 'success' | 'failed' | 'skipped' | 'cancelled';

export interface StepRecord {
  name: string;
  status: StepStatus;
  startedAt: string;
  durationMs: number;
  detail?: string;
}

export interface Report {
  action: string;
  version: string;
  status: 'success' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  inputs: Record<string, string>;
  steps: StepRecord[];
  result: Record<string, unknown>;
  failure?: { reason: string; message: string; hint?: string };
  post?: { steps: StepRecord[]; warnings: string[] };
}

export function reportPath(action: string): string {
  return path.join(runnerTemp(), action, 'report.json');
}

/** Writes the report atomically, every string redacted. */
export async function writeReport(report: Report): Promise<string> {
  const file = reportPath(report.action);
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, JSON.stringify(redactDeep(report), null, 2) + '\n', { mode: 0o600 });
  return file;
}

export async function readReport(action: string): Promise<Report | undefined> {
  try {
    return JSON.parse(await fsp.readFile(reportPath(action), 'utf8')) as Report;
  } catch {
    return undefined;
  }
}

/**
 * The Markdown summary goes to the job summary (GitHub renders it) and is printed in a log group,
 * because Forgejo only echoes summaries and never renders them.
 */
export async function publishSummary(title: string, markdown: string): Promise<void> {
  const body = redact(markdown);
  // The summary quotes tool and remote text (plan lines, events, stderr): neutralised in the log copy.
  log.group(`${title} — summary`, () => log.info(body));
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(`## ${title}\n\n${body}\n`, true).write();
  }
}

function cell(value: unknown): string {
  const s = value === undefined || value === null || value === '' ? '—' : String(value);
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** A Markdown table; cells are escaped so a value cannot break the layout. */
export function markdownTable(headers: string[], rows: unknown[][]): string {
  const head = `| ${headers.map(cell).join(' | ')} |`;
  const rule = `| ${headers.map(() => '---').join(' | ')} |`;
  return [head, rule, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function stepsTable(steps: StepRecord[]): string {
  return markdownTable(
    ['step', 'result', 'duration'],
    steps.map((s) => [
      s.name,
      s.detail ? `${s.status}: ${s.detail}` : s.status,
      `${(s.durationMs / 1000).toFixed(1)}s`,
    ]),
  );
}
