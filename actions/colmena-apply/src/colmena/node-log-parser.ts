/**
 * Reads colmena's plain (non-TTY) output and keeps one state machine per node. Pure: lines and clock
 * values go in, node states come out; no I/O.
 *
 * The protocol, from nix-community/colmena:
 * - src/progress/plain.rs prints `format!("{:>width$} | {}", label, text)` on stderr, label = node name,
 *   `(...)` for a job spanning several nodes, empty for the meta job.
 * - src/job.rs `describe_state_transition` gives the state texts (`Evaluating alpha and beta`, `Built …`,
 *   `Pushing system closure`, `Activation failed: …`, `Rebooting` …); src/nix/deployment/goal.rs
 *   `success_str` the activation success texts; src/nix/host/ssh.rs the `Waiting for reboot` message.
 * - At the end src/job.rs `finish` logs, per failed job, `Failed to <what> <nodes> - Last N lines of logs:`
 *   followed by N event lines (`  stdout) …`, `  stderr) …`, ` failure) …`).
 * - Logging: 0.4.x uses env_logger (`[ERROR] …`, `[INFO ] …`), 0.5.x tracing-subscriber (`ERROR …`,
 *   ` INFO …`); src/troubleshooter.rs ends a failed run with `Operation failed with error: …`.
 */
export type Goal = 'build' | 'push' | 'switch' | 'boot' | 'test' | 'dry-activate' | 'upload-keys';
export type Phase = 'pending' | 'evaluating' | 'building' | 'pushing' | 'keys' | 'activating' | 'rebooting';
export type FailureKind = 'evaluation' | 'build' | 'push' | 'keys' | 'activation' | 'reboot' | 'other';

export type ParsedLine =
  | { kind: 'node'; label: string; text: string }
  | { kind: 'log'; level: LogLevel; text: string }
  | { kind: 'text'; text: string };
export type LogLevel = 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const MULTI_NODE_LABEL = '(...)';

/** Splits one output line into a node line, a log line or plain text. Only known labels count as nodes. */
export function classifyLine(raw: string, labels: ReadonlySet<string>): ParsedLine {
  const line = raw.replace(ANSI, '').replace(/\r$/, '');
  const node = /^ *([^ ]*) \| ?(.*)$/s.exec(line);
  if (node && (node[1] === '' || node[1] === MULTI_NODE_LABEL || labels.has(node[1]))) {
    return { kind: 'node', label: node[1], text: node[2] };
  }
  const v04 = /^\[(ERROR|WARN|INFO|DEBUG|TRACE) ?\] (.*)$/s.exec(line);
  if (v04) return { kind: 'log', level: v04[1] as LogLevel, text: v04[2] };
  const v05 = /^ ?(ERROR|WARN|INFO|DEBUG|TRACE) (.*)$/s.exec(line);
  if (v05) return { kind: 'log', level: v05[1] as LogLevel, text: v05[2] };
  return { kind: 'text', text: line };
}

/** Parses src/job.rs `describe_node_list` output: `a`, `a and b`, `a, b, and c`, `a, b, and 3 other nodes`. */
export function parseNodeList(
  text: string,
  known: readonly string[],
): { nodes: string[]; complete: boolean } {
  const truncated = /, and \d+ other nodes$/.test(text);
  const body = text.replace(/, and \d+ other nodes$/, '');
  const names = body
    .split(/, and |, | and /)
    .map((s) => s.trim())
    .filter((s) => known.includes(s));
  return { nodes: [...new Set(names)], complete: !truncated && names.length > 0 && text !== 'some node(s)' };
}

const ACTIVATION_SUCCESS = new Set([
  'Activation successful',
  'Will be activated next boot',
  'Activation successful (test)',
  'Dry activation successful',
]);

const FAILURE_TEXTS: [RegExp, FailureKind][] = [
  [/^Evaluation failed: (.*)$/s, 'evaluation'],
  [/^Build failed: (.*)$/s, 'build'],
  [/^Push failed: (.*)$/s, 'push'],
  [/^Key upload failed: (.*)$/s, 'keys'],
  [/^Activation failed: (.*)$/s, 'activation'],
  [/^Reboot failed: (.*)$/s, 'reboot'],
  [/^Failed: (.*)$/s, 'other'],
];

const BLOCK_KINDS: Record<string, FailureKind> = {
  evaluate: 'evaluation',
  build: 'build',
  'push system closure to': 'push',
  'upload keys to': 'keys',
  'deploy to': 'activation',
  reboot: 'reboot',
  'complete job on': 'other',
};

export interface NodeFailure {
  kind: FailureKind;
  message: string;
}

export interface NodeState {
  name: string;
  phase: Phase;
  phaseSince: number;
  startedAt?: number;
  finishedAt?: number;
  /** The goal's last step succeeded (built / pushed / activated / rebooted / keys uploaded). */
  reachedGoal: boolean;
  failure?: NodeFailure;
  /** Every line colmena printed for this node (its own label only). */
  log: string[];
  /** The event lines of colmena's failure block for this node. */
  lastLines: string[];
  /** Set when ssh said "Host key verification failed."; the host when ssh named it. */
  hostKeyFailed: boolean;
  hostKeyHost?: string;
  /** `would …` lines of switch-to-configuration dry-activate. */
  wouldChange: string[];
}

export interface MetaState {
  done: boolean;
  failure?: string;
  operationError?: string;
  noHostsSelected: boolean;
  applyAllRefused: boolean;
  panic: string[];
  usageError: string[];
  /** Error-level log lines outside failure blocks, for messages when no node explains the failure. */
  errors: string[];
  /** Lines that belong to no node (for the "other output" group). */
  other: string[];
}

export type TrackerEvent =
  | { kind: 'phase'; node: string; phase: Phase }
  | { kind: 'failed'; node: string; failure: NodeFailure }
  | { kind: 'reached-goal'; node: string };

interface Block {
  nodes: string[];
  meta: boolean;
  kind: FailureKind;
  remaining: number;
}

export class NodeLogTracker {
  private readonly states = new Map<string, NodeState>();
  private readonly labels: Set<string>;
  readonly meta: MetaState = {
    done: false,
    noHostsSelected: false,
    applyAllRefused: false,
    panic: [],
    usageError: [],
    errors: [],
    other: [],
  };
  private block?: Block;
  private inPanic = false;
  private readonly namedHosts = new Map<string, string>();

  constructor(
    readonly nodeNames: readonly string[],
    private readonly opts: { goal: Goal; reboot: boolean },
  ) {
    this.labels = new Set(nodeNames);
    for (const name of nodeNames) {
      this.states.set(name, {
        name,
        phase: 'pending',
        phaseSince: 0,
        reachedGoal: false,
        log: [],
        lastLines: [],
        hostKeyFailed: false,
        wouldChange: [],
      });
    }
  }

  nodes(): NodeState[] {
    return [...this.states.values()];
  }

  node(name: string): NodeState | undefined {
    return this.states.get(name);
  }

  /** Nodes that have been in the reboot phase since `phaseSince` and have not finished. */
  rebooting(): NodeState[] {
    return this.nodes().filter((n) => n.phase === 'rebooting' && !n.failure && !n.reachedGoal);
  }

  push(raw: string, now: number): TrackerEvent[] {
    const parsed = classifyLine(raw, this.labels);
    if (parsed.kind === 'node') return this.onNodeLine(parsed.label, parsed.text, now);
    if (parsed.kind === 'log') return this.onLogLine(parsed.level, parsed.text, now);
    this.onText(parsed.text);
    return [];
  }

  private onNodeLine(label: string, text: string, now: number): TrackerEvent[] {
    if (label === '') return this.onMetaLine(text);
    if (label === MULTI_NODE_LABEL) return this.onMultiNodeLine(text, now);
    const state = this.states.get(label)!;
    state.log.push(text);
    state.startedAt ??= now;
    return this.apply(state, text, now);
  }

  private onMetaLine(text: string): TrackerEvent[] {
    this.meta.other.push(text);
    if (text === 'All done!') this.meta.done = true;
    const failed = /^Failed: (.*)$/s.exec(text);
    if (failed) this.meta.failure = failed[1];
    return [];
  }

  /** `(...)` lines come from the chunked evaluation job, which covers the nodes its text names. */
  private onMultiNodeLine(text: string, now: number): TrackerEvent[] {
    this.meta.other.push(`(...) | ${text}`);
    const evaluating = /^Evaluat(?:ing|ed) (.*)$/s.exec(text);
    let targets: NodeState[];
    if (evaluating) {
      const list = parseNodeList(evaluating[1], this.nodeNames);
      targets = list.complete
        ? list.nodes.map((n) => this.states.get(n)!)
        : this.nodes().filter((n) => n.phase === 'pending' || n.phase === 'evaluating');
    } else {
      targets = this.nodes().filter((n) => n.phase === 'evaluating' && !n.failure);
    }
    const events: TrackerEvent[] = [];
    for (const state of targets) {
      state.log.push(text);
      state.startedAt ??= now;
      events.push(...this.apply(state, text, now));
    }
    return events;
  }

  private enter(state: NodeState, phase: Phase, now: number): TrackerEvent[] {
    if (state.phase === phase) return [];
    state.phase = phase;
    state.phaseSince = now;
    return [{ kind: 'phase', node: state.name, phase }];
  }

  private fail(state: NodeState, kind: FailureKind, message: string, now: number): TrackerEvent[] {
    if (state.failure) return [];
    state.failure = { kind, message };
    state.finishedAt = now;
    return [{ kind: 'failed', node: state.name, failure: state.failure }];
  }

  private reach(state: NodeState, now: number): TrackerEvent[] {
    if (state.reachedGoal || state.failure) return [];
    state.reachedGoal = true;
    state.finishedAt = now;
    return [{ kind: 'reached-goal', node: state.name }];
  }

  private apply(state: NodeState, text: string, now: number): TrackerEvent[] {
    const { goal, reboot } = this.opts;
    if (/^Evaluating /.test(text)) return this.enter(state, 'evaluating', now);
    if (/^Building /.test(text)) return this.enter(state, 'building', now);
    if (/^Built /.test(text)) return goal === 'build' ? this.reach(state, now) : [];
    if (text === 'Pushing system closure') return this.enter(state, 'pushing', now);
    if (text === 'Pushed system closure') return goal === 'push' ? this.reach(state, now) : [];
    if (text === 'Uploading keys' || /^Uploading (pre|post)-activation keys/.test(text)) {
      // Post-activation keys come after the goal was reached; they must not move the phase back.
      return state.reachedGoal ? [] : this.enter(state, 'keys', now);
    }
    if (text === 'Uploaded keys') return goal === 'upload-keys' ? this.reach(state, now) : [];
    if (text === 'Activating system profile') return this.enter(state, 'activating', now);
    if (ACTIVATION_SUCCESS.has(text)) return reboot && goal !== 'dry-activate' ? [] : this.reach(state, now);
    if (text === 'Rebooting') return this.enter(state, 'rebooting', now);
    if (text === 'Rebooted') return this.reach(state, now);
    for (const [re, kind] of FAILURE_TEXTS) {
      const m = re.exec(text);
      if (m) {
        // A post-activation key upload can still fail a node that reached its goal.
        if (state.reachedGoal && kind === 'keys') state.reachedGoal = false;
        return this.fail(state, kind, text, now);
      }
    }
    this.noteHostKey(state, text);
    if (/^would /.test(text)) state.wouldChange.push(text);
    return [];
  }

  /** OpenSSH (sshconnect.c) names the host in the lines before "Host key verification failed.". */
  private noteHostKey(state: NodeState, text: string): void {
    const named =
      /^Host key for (\S+) has changed/.exec(text) ??
      /^No \S+ host key is known for (\S+) and you have requested strict checking/.exec(text);
    if (named?.[1]) this.namedHosts.set(state.name, named[1]);
    if (/Host key verification failed\./.test(text)) {
      state.hostKeyFailed = true;
      state.hostKeyHost ??= this.namedHosts.get(state.name);
    }
  }

  private onLogLine(level: LogLevel, text: string, now: number): TrackerEvent[] {
    if (this.block) {
      const entry = /^ *(stdout|stderr|message|failure|created|state|success|noop)\)(?: (.*))?$/s.exec(text);
      if (entry) {
        this.blockEntry(this.block, entry[1], entry[2] ?? '', now);
        if (--this.block.remaining <= 0) this.block = undefined;
        return [];
      }
      this.block = undefined;
    }
    const header = /^Failed to (.+?) - Last (\d+) lines of logs:$/s.exec(text);
    if (header) {
      this.startBlock(header[1], Number(header[2]));
      return [];
    }
    if (level === 'WARN' && /^No hosts selected/.test(text)) this.meta.noHostsSelected = true;
    if (/meta\.allowApplyAll is set to false/.test(text)) this.meta.applyAllRefused = true;
    const op = /^Operation failed with error: (.*)$/s.exec(text);
    if (op) this.meta.operationError = op[1];
    if (level === 'ERROR' && text !== '-----') this.meta.errors.push(text);
    this.meta.other.push(text);
    return [];
  }

  private startBlock(what: string, count: number): void {
    if (what === 'complete requested operation') {
      this.block = count > 0 ? { nodes: [], meta: true, kind: 'other', remaining: count } : undefined;
      return;
    }
    const m =
      /^(evaluate|build|push system closure to|upload keys to|deploy to|reboot|complete job on) (.*)$/s.exec(
        what,
      );
    if (!m) return;
    const list = parseNodeList(m[2], this.nodeNames);
    const kind = BLOCK_KINDS[m[1]];
    const nodes = list.complete
      ? list.nodes
      : this.nodes()
          .filter((n) => n.failure?.kind === kind)
          .map((n) => n.name);
    for (const name of nodes) this.states.get(name)!.lastLines = [];
    this.block = count > 0 ? { nodes, meta: false, kind, remaining: count } : undefined;
  }

  private blockEntry(block: Block, tag: string, text: string, now: number): void {
    if (block.meta) {
      if (tag === 'failure') this.meta.failure ??= text;
      return;
    }
    for (const name of block.nodes) {
      const state = this.states.get(name)!;
      if (tag === 'stdout' || tag === 'stderr' || tag === 'message') {
        state.lastLines.push(text);
        this.noteHostKey(state, text);
      }
      if (tag === 'failure' && !state.failure) this.fail(state, block.kind, text, now);
    }
  }

  private onText(text: string): void {
    if (/^thread '.*' panicked at /.test(text)) this.inPanic = true;
    if (this.inPanic) {
      if (/^note: run with `RUST_BACKTRACE=1`/.test(text)) this.inPanic = false;
      else this.meta.panic.push(text);
    } else if (/^error: /.test(text) || this.meta.usageError.length > 0) {
      if (text.trim() !== '') this.meta.usageError.push(text);
    }
    this.meta.other.push(text);
  }
}
