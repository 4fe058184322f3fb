/**
 * The workflow commands a runner finds in a step's output, parsed the way the GitHub runner does it
 * (actions/runner src/Runner.Common/ActionCommand.cs and src/Runner.Worker/ActionCommandManager.cs):
 * - V2 form: after `TrimStart()` (.NET `char.IsWhiteSpace`) the line starts with `::`, the command
 *   info runs to the next `::`, properties are `k=v` separated by `,`, data follows (`%0A`-escaped);
 * - legacy form: `##[name k=v;k=v]data` anywhere in the line;
 * - `::stop-commands::<token>` stops processing until a line `::<token>::` arrives.
 * Both stdout and stderr of a node action are processed. forgejo-runner (act pkg/runner/command.go)
 * honours the same forms, anchored at the line start, so this is the stricter of the two.
 */
export interface LogCommand {
  command: string;
  properties: Record<string, string>;
  data: string;
  /** The raw line that issued it. */
  line: string;
}

const REGISTERED = new Set([
  'set-env',
  'set-output',
  'save-state',
  'add-path',
  'add-mask',
  'add-matcher',
  'remove-matcher',
  'warning',
  'error',
  'notice',
  'debug',
  'group',
  'endgroup',
  'echo',
  'stop-commands',
]);

/** .NET's char.IsWhiteSpace, which TrimStart uses (wider than a space, narrower than JavaScript's \s). */
// eslint-disable-next-line no-control-regex -- the exact whitespace set .NET trims
const DOTNET_SPACE = /^[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*/;

const unescape = (s: string, map: [string, string][]) =>
  map.reduce((acc, [from, to]) => acc.split(from).join(to), s);
const DATA: [string, string][] = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%25', '%'],
];
const PROPERTY: [string, string][] = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%3A', ':'],
  ['%2C', ','],
  ['%25', '%'],
];

function parseV2(line: string): LogCommand | undefined {
  const message = line.replace(DOTNET_SPACE, '');
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const p of info
      .slice(space + 1)
      .trim()
      .split(',')
      .filter(Boolean)) {
      const eq = p.indexOf('=');
      if (eq > 0) properties[p.slice(0, eq)] = unescape(p.slice(eq + 1), PROPERTY);
    }
  }
  return { command, properties, data: unescape(message.slice(end + 2), DATA), line };
}

function parseLegacy(line: string): LogCommand | undefined {
  const start = line.indexOf('##[');
  if (start < 0) return undefined;
  const rb = line.indexOf(']', start);
  if (rb < 0) return undefined;
  const info = line.slice(start + 3, rb);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const p of info
      .slice(space + 1)
      .split(';')
      .filter(Boolean)) {
      const eq = p.indexOf('=');
      if (eq > 0) properties[p.slice(0, eq)] = p.slice(eq + 1);
    }
  }
  return { command, properties, data: line.slice(rb + 1), line };
}

/** Feeds lines in arrival order; keeps the stop-commands state across streams as the runner does. */
export class LogCommandParser {
  readonly commands: LogCommand[] = [];
  private stopToken: string | undefined;

  line(line: string): void {
    const v2 = parseV2(line);
    if (this.stopToken !== undefined) {
      if (v2 && v2.command === this.stopToken) this.stopToken = undefined;
      return;
    }
    const cmd = v2 && REGISTERED.has(v2.command) ? v2 : parseLegacy(line);
    if (!cmd || !REGISTERED.has(cmd.command)) return;
    if (cmd.command === 'stop-commands') this.stopToken = cmd.data;
    this.commands.push(cmd);
  }

  /** A stream's text, split as the runner splits it. */
  text(text: string): void {
    for (const l of text.split(/\r?\n/)) this.line(l);
  }

  /** What the commands did: outputs and state set, values masked. */
  effects(): { outputs: Record<string, string>; state: Record<string, string>; masks: string[] } {
    const outputs: Record<string, string> = {};
    const state: Record<string, string> = {};
    const masks: string[] = [];
    for (const c of this.commands) {
      if (c.command === 'set-output' && c.properties.name) outputs[c.properties.name] = c.data;
      if (c.command === 'save-state' && c.properties.name) state[c.properties.name] = c.data;
      if (c.command === 'add-mask') masks.push(c.data);
    }
    return { outputs, state, masks };
  }
}

/**
 * Workflow-command lines a hostile tool or remote prints, each carrying `marker` so a test can tell
 * them from the action's own commands: state and outputs the action also sets, a mask that would wreck
 * the log, a forged error, the legacy form, and a stop-commands that would silence the action's masks.
 */
export function hostileLines(marker: string, victimDir = '/tmp'): string[] {
  return [
    `::save-state name=key-dir::${victimDir}`,
    `::save-state name=ssh-dir::${victimDir}`,
    `::save-state name=${marker}::${victimDir}`,
    `::set-output name=${marker}::forged`,
    `::add-mask::e`,
    `::error::${marker} forged failure`,
    `  ::warning::${marker} indented`,
    `remote: ##[set-output name=${marker}-legacy;]forged`,
    `::stop-commands::${marker}`,
  ];
}

/** The commands of a run that a hostile line issued (none may exist). */
export function injected(
  run: { main: { commands: LogCommand[] }; post?: { commands: LogCommand[] } },
  marker: string,
  victimDir = '/tmp',
): LogCommand[] {
  return [...run.main.commands, ...(run.post?.commands ?? [])].filter(
    (c) =>
      c.line.includes(marker) ||
      c.line.includes(`::${victimDir}`) ||
      (c.command === 'add-mask' && c.data === 'e'),
  );
}
