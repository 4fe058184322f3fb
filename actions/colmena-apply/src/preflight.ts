import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTool } from '../../../shared/tool.js';

/**
 * Checks before deploying that only warn: a macOS deployer without a Linux builder, and files a flake hive
 * will not see because git does not track them.
 */

/** `builders` / `extra-builders` values from nix.conf texts (NIX_CONFIG uses the same syntax). */
export function builderSpecs(confTexts: readonly string[]): string[] {
  const specs: string[] = [];
  for (const text of confTexts) {
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*(?:extra-)?builders\s*=\s*(.*?)\s*$/.exec(line.replace(/#.*$/, ''));
      if (m && m[1] !== '') specs.push(m[1]);
    }
  }
  return specs;
}

/**
 * True when a builder spec names a Linux system. A spec is `@file` (machines file) or machine lines
 * separated by `;` or newlines: `uri systems key max-jobs …` (nix.conf(5) "builders").
 */
export function hasLinuxBuilder(
  specs: readonly string[],
  readFile: (p: string) => string | undefined,
): boolean {
  for (const spec of specs) {
    const machines = spec.startsWith('@') ? (readFile(spec.slice(1)) ?? '') : spec;
    for (const machine of machines.split(/[;\n]/)) {
      const fields = machine.trim().replace(/#.*$/, '').split(/\s+/);
      if (fields.length >= 2 && fields[1].split(',').some((s) => s.endsWith('-linux'))) return true;
    }
  }
  return false;
}

export interface BuilderCheck {
  os: NodeJS.Platform;
  buildOnTarget: boolean;
  /** Selected nodes that build on the deployer (deployment.buildOnTarget = false). */
  localBuildNodes: readonly string[];
  hasLinuxBuilder: boolean;
}

export function linuxBuilderWarning(c: BuilderCheck): string | undefined {
  if (c.os !== 'darwin' || c.buildOnTarget || c.localBuildNodes.length === 0 || c.hasLinuxBuilder) return;
  return (
    `This macOS runner builds the Linux systems of ${c.localBuildNodes.join(', ')} itself, but no Linux ` +
    'builder is configured (nix.conf builders, NIX_CONFIG or nix-options); the build will fail unless the ' +
    "hive sets meta.machinesFile. Configure a Linux remote builder or set 'build-on-target: true'."
  );
}

/** Reads the nix.conf files Nix reads, plus NIX_CONFIG and the builders given through nix-options. */
export function runnerBuilderSpecs(
  env: NodeJS.ProcessEnv,
  nixOptions: Readonly<Record<string, string>>,
): string[] {
  const files = ['/etc/nix/nix.conf'];
  const xdg = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, '.config') : undefined);
  if (xdg) files.push(path.join(xdg, 'nix', 'nix.conf'));
  const texts = files.map((f) => readText(f) ?? '');
  if (env.NIX_CONFIG) texts.push(env.NIX_CONFIG);
  for (const [k, v] of Object.entries(nixOptions))
    if (k === 'builders' || k === 'extra-builders') texts.push(`builders = ${v}`);
  return builderSpecs(texts);
}

export function readText(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

export type HiveKind =
  { kind: 'flake'; dir: string } | { kind: 'legacy'; file: string } | { kind: 'unknown' };

/** Which hive colmena will use: `-f` when given, else the first flake.nix / hive.nix upwards (src/cli.rs). */
export function findHive(cwd: string, config: string | undefined, isFile: (p: string) => boolean): HiveKind {
  if (config) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(config) || config.includes('#')) return { kind: 'unknown' };
    const p = path.resolve(cwd, config);
    if (path.basename(p) === 'flake.nix') return { kind: 'flake', dir: path.dirname(p) };
    if (isFile(path.join(p, 'flake.nix'))) return { kind: 'flake', dir: p };
    return { kind: 'legacy', file: p };
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (isFile(path.join(dir, 'flake.nix'))) return { kind: 'flake', dir };
    if (isFile(path.join(dir, 'hive.nix'))) return { kind: 'legacy', file: path.join(dir, 'hive.nix') };
    if (path.dirname(dir) === dir) return { kind: 'unknown' };
  }
}

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    // ENOENT, or ENOTDIR when a path component is a file (`-f hive.nix` probed for hive.nix/flake.nix).
    return false;
  }
}

export interface GitCli {
  /** Untracked, not ignored files under `dir`; undefined when `dir` is not in a git work tree. */
  untrackedFiles(dir: string): Promise<string[] | undefined>;
}

export function createGitCli(): GitCli {
  return {
    async untrackedFiles(dir) {
      const r = await runTool({
        bin: 'git',
        args: ['-C', dir, 'ls-files', '--others', '--exclude-standard', '-z', '--', '.'],
        echo: 'none',
        timeoutMs: 30_000,
      }).catch(() => undefined);
      if (!r || r.exitCode !== 0) return undefined;
      return r.stdout.split('\0').filter((f) => f.length > 0);
    },
  };
}

export function untrackedWarning(dir: string, files: readonly string[]): string | undefined {
  if (files.length === 0) return;
  const shown = files.slice(0, 10).join(', ') + (files.length > 10 ? `, and ${files.length - 10} more` : '');
  return (
    `The flake hive in '${dir}' has ${files.length} untracked file(s) that Nix will not see: ${shown}. ` +
    "'git add' them if the hive needs them."
  );
}
