import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError, InputError } from '../../../shared/errors.js';
import { describeFsError } from '../../../shared/fsx.js';
import type { ActionContext } from '../../../shared/run.js';
import { deriveIdentities, keyLines, registerKeyForms, renderKeyFile, type AgeIdentity } from './age-keys.js';
import { createAgeUnwrapper, verifyMetadata, type FileVerdict } from './data-key-unwrap.js';
import { expandGlobs } from './file-globs.js';
import { placeKeyFile, prepareKeyLocation } from './runner-key-file.js';
import { checkRecipients, parseSopsConfig, SopsConfigError } from './sops-config.js';
import { NotSopsFileError, readSopsAgeMetadata } from './sops-file.js';
import { looksLikePrivateKey, type TargetClientFactory, type TargetSettings } from './ssh-target.js';
import { STATE } from './state.js';

export interface StageSettings extends Omit<TargetSettings, 'targetHost'> {
  ageKey: string;
  keyFile?: string;
  replaceKeyFile: boolean;
  exportEnv: boolean;
  sopsConfig?: string;
  requireRecipient: boolean;
  verifyFiles?: readonly string[];
  targetHost?: string;
  cleanup: boolean;
}

export interface StageDeps {
  createTarget: TargetClientFactory;
  exportVariable(name: string, value: string): void;
}

export async function stageAgeKey(ctx: ActionContext, s: StageSettings, deps: StageDeps): Promise<void> {
  registerKeyForms(s.ageKey);
  const lines = keyLines(s.ageKey);
  if (s.sshKey && !looksLikePrivateKey(s.sshKey)) {
    throw new InputError(
      'ssh-key',
      'an OpenSSH private key (-----BEGIN … PRIVATE KEY-----)',
      "a value that is not shown because 'ssh-key' is secret",
    );
  }
  const identities = await ctx.step('derive recipients', () => deriveIdentities(lines));
  const recipients = identities.map((i) => i.recipient);
  ctx.output('public-keys', recipients.join(','));
  ctx.result({ publicKeys: recipients });

  await ctx.step('write runner key file', () => stageOnRunner(ctx, s, deps, identities));
  await checkSopsConfig(ctx, s, recipients);
  await verifyFiles(ctx, s, identities);
  await stageOnTarget(ctx, s, deps, renderKeyFile(identities));
}

async function stageOnRunner(ctx: ActionContext, s: StageSettings, deps: StageDeps, ids: AgeIdentity[]) {
  const loc = await prepareKeyLocation(s.keyFile, s.replaceKeyFile).catch((e) => {
    throw keyFileFailure(s.keyFile ?? 'a private directory under RUNNER_TEMP', e);
  });
  // Paths and the file's identity only, saved before it becomes visible: post must find (only) this
  // run's file even if main is interrupted, and put a set-aside original back.
  ctx.saveState(STATE.cleanup, String(s.cleanup));
  ctx.saveState(STATE.keyFile, loc.file);
  if (loc.createdDir) ctx.saveState(STATE.keyDir, loc.createdDir);
  if (loc.setAside) ctx.saveState(STATE.keySetAside, loc.setAside);
  await placeKeyFile(loc, renderKeyFile(ids), (id) => ctx.saveState(STATE.keyFileId, id)).catch((e) => {
    throw keyFileFailure(loc.file, e);
  });
  ctx.output('key-file', loc.file);
  ctx.result({ keyFile: loc.file });
  if (s.exportEnv) deps.exportVariable('SOPS_AGE_KEY_FILE', loc.file);
}

/** A full or read-only disk: a clear failure; the atomic write left no key file that looks complete. */
function keyFileFailure(where: string, e: unknown): unknown {
  if (e instanceof ActionError) return e;
  return new ActionError(
    'key-file-failed',
    `Could not write the runner key file in ${where}: ${describeFsError(e)}.`,
    "Free space or fix the permissions there, or set 'key-file' to a private directory that is writable.",
  );
}

function listed(items: readonly string[], max = 6): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

async function checkSopsConfig(ctx: ActionContext, s: StageSettings, recipients: string[]): Promise<void> {
  if (!s.requireRecipient) return ctx.skip('check .sops.yaml', 'require-recipient is false');
  if (!s.sopsConfig) {
    ctx.warning(
      "No .sops.yaml in the workspace and no 'sops-config' given: the recipient check was skipped.",
    );
    return ctx.skip('check .sops.yaml', 'no .sops.yaml found');
  }
  const file = s.sopsConfig;
  const shown = path.relative(ctx.platform.workspace, file).startsWith('..')
    ? file
    : path.relative(ctx.platform.workspace, file);
  await ctx.step('check .sops.yaml', async () => {
    let rules;
    try {
      rules = parseSopsConfig(await fsp.readFile(file, 'utf8'));
    } catch (e) {
      if (!(e instanceof SopsConfigError)) throw e;
      throw new ActionError(
        'sops-config-invalid',
        `Cannot read the recipients of ${shown}: ${e.message}.`,
        "Fix the file (sops itself would reject it) or point 'sops-config' at the right one.",
      );
    }
    const check = checkRecipients(rules, recipients);
    ctx.result({ sopsConfig: { file: shown, matchedRules: check.matchedRules } });
    if (check.matchedRules.length === 0) {
      throw new ActionError(
        'not-a-recipient',
        `The staged key (${listed(recipients)}) is not a recipient of any creation rule in ${shown}; the rules expect ${listed(check.expected)}.`,
        "Stage the key whose public key is listed there, or add this recipient to .sops.yaml and run 'sops updatekeys' on the files.",
      );
    }
  });
}

interface Checked {
  file: string;
  verdict?: FileVerdict;
  notSops?: string;
}

function describeBad(c: Checked, recipients: string[]): string {
  if (c.notSops) return `${c.file} is not a SOPS file the action can read: ${c.notSops}`;
  const v = c.verdict!;
  if (v.groups > 1)
    return `${c.file} opens ${v.groupsOpened} of ${v.groups} key groups with the staged key, sops needs ${v.threshold} (recipients: ${listed(v.recipients)})`;
  const broken = v.malformed > 0 ? `; ${v.malformed} of its age entries could not be parsed` : '';
  return `${c.file} is encrypted to ${listed(v.recipients)}, not to the staged key ${listed(recipients)}${broken}`;
}

async function verifyFiles(ctx: ActionContext, s: StageSettings, ids: AgeIdentity[]): Promise<void> {
  if (!s.verifyFiles || s.verifyFiles.length === 0) {
    ctx.output('verified-files', 0);
    return ctx.skip('verify files', 'no verify-files given');
  }
  const patterns = s.verifyFiles;
  const workspace = ctx.platform.workspace;
  const recipients = ids.map((i) => i.recipient);
  await ctx.step('verify files', async () => {
    const { files, unmatched } = await expandGlobs(patterns, workspace);
    if (unmatched.length > 0) {
      throw new InputError(
        'verify-files',
        'glob patterns that each match at least one file in the workspace',
        `'${unmatched[0]}', which matched no file`,
      );
    }
    const unwrapper = createAgeUnwrapper(ids);
    const checked: Checked[] = [];
    for (const abs of files) {
      const file = path.relative(workspace, abs) || abs;
      try {
        const meta = readSopsAgeMetadata(await fsp.readFile(abs, 'utf8'));
        checked.push({ file, verdict: await verifyMetadata(meta, unwrapper, recipients) });
      } catch (e) {
        if (!(e instanceof NotSopsFileError)) throw e;
        checked.push({ file, notSops: e.message });
      }
    }
    const bad = checked.filter((c) => !c.verdict?.ok);
    ctx.result({
      verifiedFiles: checked.map((c) => ({
        file: c.file,
        ok: c.verdict?.ok ?? false,
        openedAs: c.verdict?.openedAs ?? [],
      })),
    });
    ctx.output('verified-files', checked.length - bad.length);
    if (bad.length > 0) {
      const more =
        bad.length > 1 ? ` (${bad.length - 1} more of ${checked.length} files fail too; see the report)` : '';
      throw new ActionError(
        bad[0].notSops ? 'not-a-sops-file' : 'cannot-decrypt',
        `The staged key cannot open every file in 'verify-files': ${describeBad(bad[0], recipients)}${more}.`,
        "Re-encrypt the file for this key ('sops updatekeys'), stage the right key, or drop the file from 'verify-files'.",
      );
    }
  });
}

async function stageOnTarget(ctx: ActionContext, s: StageSettings, deps: StageDeps, content: string) {
  if (!s.targetHost) return ctx.skip('stage on target', 'no target-host given');
  const settings: TargetSettings = { ...s, targetHost: s.targetHost };
  const client = await deps.createTarget(settings, (dir) => ctx.saveState(STATE.sshDir, dir));
  try {
    const { sha256 } = await ctx.step(`stage on ${s.targetHost}`, () => client.stage(content));
    ctx.output('target-sha256', sha256);
    ctx.result({
      target: {
        host: s.targetHost,
        port: s.targetPort,
        path: s.targetPath,
        mode: s.targetMode,
        owner: s.targetOwner,
        sha256,
      },
    });
  } finally {
    await client.dispose();
  }
}
