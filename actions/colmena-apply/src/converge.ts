import * as fs from 'node:fs/promises';
import type { ActionContext } from '../../../shared/run.js';
import type { Settings } from '../../../shared/inputs.js';
import { ActionError, InputError } from '../../../shared/errors.js';
import { applyArgs, globalArgs, type ApplySettings } from './colmena/apply-args.js';
import type { ColmenaCli, ColmenaCliOptions, ColmenaVersion } from './colmena/colmena-cli.js';
import { runColmena, type RunOutcome } from './colmena/deployment.js';
import type { inputs } from './inputs.js';
import { isPinned, parseKnownHosts, type KnownHostEntry } from './ssh/known-hosts.js';
import { flakeUriCredentials, refusedNixOption, SAFE_CREDENTIALS_HINT } from './nix-options.js';
import type { Inventory } from './colmena/node-selector.js';
import { selectNodes } from './colmena/node-selector.js';
import {
  findHive,
  hasLinuxBuilder,
  isFile,
  linuxBuilderWarning,
  readText,
  runnerBuilderSpecs,
  untrackedWarning,
  type GitCli,
} from './preflight.js';
import { pause } from '../../../shared/tool.js';
import { publish } from './outputs.js';
import type { NodeOps } from './safety/node-ops.js';
import type { NodePaths } from './safety/node-scripts.js';
import { guardedApply } from './safety/guarded-apply.js';
import { createSafetyNet, safetyNetMode, validateSafetyNet } from './safety/setup.js';
import type { PreparedSsh } from './ssh/ssh-config.js';
import * as log from '../../../shared/log.js';

/** The action's flow: validate, prepare SSH, preflight, optional dry-activate, apply, report. */
export type ColmenaSettings = Settings<typeof inputs>;

export interface SshResolver {
  /** The name and port ssh looks up in known_hosts for a host (`ssh -G`, honouring the config). */
  knownHostsName(configFile: string, host: string, port: number | null): Promise<string>;
}

export interface Deps {
  colmena(o: ColmenaCliOptions): ColmenaCli;
  git: GitCli;
  ssh: SshResolver;
  prepareSsh(o: {
    userConfig?: string;
    knownHosts?: string;
    home?: string;
    runId: string;
  }): Promise<PreparedSsh>;
  env: NodeJS.ProcessEnv;
  os: NodeJS.Platform;
  /** The action's own operations on the nodes (rollback, health checks), over the generated ssh config. */
  nodeOps(configFile: string, paths: NodePaths): NodeOps;
  clock?: { now(): number; pause(ms: number): Promise<void> };
}

export const SSH_DIR_STATE = 'sshDir';
const ACTIVATING_GOALS = ['switch', 'boot', 'test'];

/** Cross-input rules; returns the parsed pinned keys. */
export function validateSettings(s: ColmenaSettings): KnownHostEntry[] | undefined {
  if ((!s.on || s.on.length === 0) && !s.allowApplyAll) {
    throw new InputError(
      'on',
      'node selectors (names, globs or @tags); required unless allow-apply-all is true',
      'nothing',
    );
  }
  if (s.reboot && !ACTIVATING_GOALS.includes(s.goal)) {
    throw new InputError(
      'reboot',
      "'false' unless goal is switch, boot or test",
      `'true' with goal '${s.goal}'`,
    );
  }
  if (s.dryActivateFirst && !ACTIVATING_GOALS.includes(s.goal)) {
    throw new InputError(
      'dry-activate-first',
      "'false' unless goal is switch, boot or test",
      `'true' with goal '${s.goal}'`,
    );
  }
  validateSafetyNet(s);
  const refused = s.nixOptions && refusedNixOption(s.nixOptions);
  if (refused) {
    throw new InputError(
      'nix-options',
      `Nix options without credentials, since this input reaches colmena's arguments, the log and the report; ${SAFE_CREDENTIALS_HINT}`,
      `${refused}`,
    );
  }
  if (s.config && flakeUriCredentials(s.config).length > 0) {
    throw new InputError(
      'config',
      `a hive file or flake URI without credentials, since this input reaches colmena's arguments, the log and the report; give Nix the token instead: ${SAFE_CREDENTIALS_HINT}, or a git credential helper for git+https`,
      'a URI with credentials in it',
    );
  }
  if (!s.knownHosts) return undefined;
  // Each line is masked as a secret: a bare `#` line would mask every `#` (and refuse `-f .#` in argv).
  if (s.knownHosts.split(/\r?\n/).some((l) => l.trim().length > 0 && l.trim().length < 6)) {
    throw new InputError(
      'known-hosts',
      'known_hosts lines, none shorter than 6 characters (each line is masked as a secret)',
      'other text',
    );
  }
  const parsed = parseKnownHosts(s.knownHosts);
  if ('error' in parsed) {
    throw new InputError(
      'known-hosts',
      `known_hosts lines: host patterns, key type, base64 key (${parsed.error})`,
      'other text',
    );
  }
  return parsed.entries;
}

function applySettings(s: ColmenaSettings): ApplySettings {
  return {
    config: s.config,
    on: s.on,
    goal: s.goal,
    buildOnTarget: s.buildOnTarget,
    parallel: s.parallel,
    reboot: s.reboot,
    keepResult: s.keepResult,
    impure: s.impure,
    showTrace: s.showTrace,
    nixOptions: s.nixOptions,
    extraArgs: s.extraArgs,
  };
}

function checkVersion(ctx: ActionContext, v: ColmenaVersion): void {
  if (v.major === 0 && v.minor < 4) {
    throw new ActionError(
      'invalid-input',
      `colmena ${v.raw} is too old: this action reads the output of 0.4 and 0.5.`,
      "Install colmena 0.4 or newer or point 'colmena-binary' at it.",
    );
  }
  if (v.major > 0 || v.minor > 5)
    ctx.warning(
      `colmena ${v.raw} is newer than the versions this action knows (0.4, 0.5); its output may have changed.`,
    );
}

export async function converge(ctx: ActionContext, s: ColmenaSettings, deps: Deps): Promise<void> {
  const started = Date.now();
  const deadline = started + s.timeout;
  // Workflows read these with fromJSON() even after an early failure, so they always exist.
  publish(ctx, []);
  const pinned = validateSettings(s);
  const ssh = await deps.prepareSsh({
    userConfig: s.sshConfig,
    knownHosts: s.knownHosts,
    home: deps.env.HOME,
    runId: ctx.platform.runId,
  });
  ctx.saveState(SSH_DIR_STATE, ssh.dir);
  const apply = applySettings(s);
  const cli = deps.colmena({
    bin: s.colmenaBinary,
    cwd: s.workingDirectory,
    globalArgs: globalArgs(apply),
    env: { SSH_CONFIG_FILE: ssh.configFile },
  });
  try {
    const { inventory, selected } = await resolveNodes(ctx, cli, s, deadline);
    await ctx.step('preflight', () => preflight(ctx, s, deps, inventory, selected));
    if (pinned && s.goal !== 'build') {
      await ctx.step('check pinned host keys', () =>
        checkPinned(deps, ssh.configFile, pinned, inventory, selected),
      );
    }
    const common = { nodes: selected, rebootTimeoutMs: s.rebootTimeout, deadline };
    const mode = safetyNetMode(s);
    if (mode.skipped) ctx.warning(mode.skipped);
    const net = mode.enabled
      ? createSafetyNet(s, {
          nodeOps: (paths) => deps.nodeOps(ssh.configFile, paths),
          inventory,
          selected,
          runId: `${ctx.platform.runId}-${ctx.platform.runAttempt}`,
          clock: deps.clock ?? { now: () => Date.now(), pause },
        })
      : undefined;
    if (s.dryActivateFirst) await ctx.step('dry-activate', () => dryActivate(ctx, cli, apply, common));
    else ctx.skip('dry-activate', 'dry-activate-first is false');
    if (net) {
      await guardedApply(ctx, cli, apply, net, {
        ...common,
        goal: s.goal,
        reboot: s.reboot,
        rollback: s.rollback,
      });
      return;
    }
    const outcome = await ctx.step(`apply ${s.goal}`, async () => {
      const o = await runColmena(cli, {
        ...common,
        args: applyArgs(apply),
        goal: s.goal,
        reboot: s.reboot,
        label: `colmena ${s.goal === 'upload-keys' ? 'upload-keys' : `apply ${s.goal}`}`,
      });
      publish(ctx, o.details);
      if (o.failure) throw o.failure;
      return o;
    });
    for (const d of outcome.details.filter((n) => n.result === 'skipped')) {
      ctx.warning(
        `colmena did not deploy the selected node ${d.name} (${d.error}); a node without deployment.targetHost is skipped.`,
      );
    }
  } finally {
    await fs.rm(ssh.dir, { recursive: true, force: true });
  }
}

/** The version check and the selector preview; colmena itself exits 0 when nothing matches. */
async function resolveNodes(
  ctx: ActionContext,
  cli: ColmenaCli,
  s: ColmenaSettings,
  deadline: number,
): Promise<{ inventory: Inventory; selected: string[] }> {
  const left = () => Math.max(1000, deadline - Date.now());
  const version = await ctx.step('detect colmena version', () => cli.version(left()));
  checkVersion(ctx, version);
  ctx.result({ colmenaVersion: version.raw });
  const inventory = await ctx.step('resolve nodes', () => cli.inventory(left()));
  const selected = selectNodes(inventory, s.on);
  ctx.result({ selectedNodes: selected });
  if (selected.length === 0) {
    throw new ActionError(
      'no-nodes-selected',
      `The selectors '${(s.on ?? []).join(',')}' match none of the hive's ${inventory.size} node(s) (${[...inventory.keys()].join(', ') || 'none'}).`,
      "Fix 'on' (node names, globs like edge-*, or @tag); colmena itself would report success without deploying anything.",
    );
  }
  log.info(`Selected ${selected.length} of ${inventory.size} node(s): ${selected.join(', ')}`);
  return { inventory, selected };
}

/** `dry-activate` on the same nodes; shows what would change and stops the step when it fails. */
async function dryActivate(
  ctx: ActionContext,
  cli: ColmenaCli,
  apply: ApplySettings,
  common: { nodes: string[]; rebootTimeoutMs: number; deadline: number },
): Promise<void> {
  const preview = await runColmena(cli, {
    ...common,
    args: applyArgs({ ...apply, reboot: false }, 'dry-activate'),
    goal: 'dry-activate',
    reboot: false,
    label: 'colmena apply dry-activate',
  });
  reportPreview(ctx, preview);
  if (!preview.failure) return;
  publish(ctx, preview.details);
  throw new ActionError(
    preview.failure.reason,
    `dry-activate (run first, nothing was activated): ${preview.failure.message}`,
    preview.failure.hint,
  );
}

function reportPreview(ctx: ActionContext, preview: RunOutcome): void {
  const changes = preview.details.map((d) => ({
    name: d.name,
    result: d.result,
    wouldChange: d.wouldChange,
  }));
  ctx.result({ dryActivate: changes });
  log.startGroup('dry-activate: what would change');
  for (const c of changes) {
    log.info(`${c.name} (${c.result}):`);
    for (const line of c.wouldChange.length > 0 ? c.wouldChange : ['no unit changes reported'])
      log.info(`  ${line}`);
  }
  log.endGroup();
}

async function preflight(
  ctx: ActionContext,
  s: ColmenaSettings,
  deps: Deps,
  inventory: Inventory,
  selected: readonly string[],
): Promise<void> {
  const builder = linuxBuilderWarning({
    os: deps.os,
    buildOnTarget: s.buildOnTarget,
    localBuildNodes: selected.filter((n) => !inventory.get(n)?.buildOnTarget),
    hasLinuxBuilder: hasLinuxBuilder(runnerBuilderSpecs(deps.env, s.nixOptions ?? {}), readText),
  });
  if (builder) ctx.warning(builder);
  const hive = findHive(s.workingDirectory, s.config, isFile);
  if (hive.kind === 'flake') {
    const files = await deps.git.untrackedFiles(hive.dir);
    const warning = files && untrackedWarning(hive.dir, files);
    if (warning) ctx.warning(warning);
  }
}

async function checkPinned(
  deps: Deps,
  configFile: string,
  pinned: readonly KnownHostEntry[],
  inventory: Inventory,
  selected: readonly string[],
): Promise<void> {
  const missing: string[] = [];
  for (const name of selected) {
    const node = inventory.get(name);
    if (!node?.targetHost) continue;
    const lookup = await deps.ssh.knownHostsName(configFile, node.targetHost, node.targetPort);
    const m = /^\[(.+)\]:(\d+)$/.exec(lookup);
    const ok = m ? isPinned(pinned, m[1], Number(m[2])) : isPinned(pinned, lookup);
    if (!ok) missing.push(`${lookup} (node ${name})`);
  }
  if (missing.length > 0) {
    throw new ActionError(
      'host-key',
      `known-hosts pins no key for ${missing.join(', ')}; colmena's ssh (StrictHostKeyChecking=accept-new) would trust whatever key the host presents.`,
      'Add the verified host key to known-hosts (ssh-keyscan output checked out of band); nothing was deployed.',
    );
  }
}
