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
