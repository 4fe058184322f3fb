import { createHmac } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import {
  applyArgs,
  globalArgs,
  type ApplySettings,
} from '../../../actions/colmena-apply/src/colmena/apply-args.js';
import {
  panicText,
  parseInventory,
  parseVersion,
} from '../../../actions/colmena-apply/src/colmena/colmena-cli.js';
import {
  isPinned,
  parseKnownHosts,
  type KnownHostEntry,
} from '../../../actions/colmena-apply/src/ssh/known-hosts.js';
import {
  compileGlob,
  parseSelector,
  selectNodes,
  type Inventory,
} from '../../../actions/colmena-apply/src/colmena/node-selector.js';
import {
  builderSpecs,
  findHive,
  hasLinuxBuilder,
  linuxBuilderWarning,
  untrackedWarning,
} from '../../../actions/colmena-apply/src/preflight.js';
import { parseSshG, renderSshConfig } from '../../../actions/colmena-apply/src/ssh/ssh-config.js';

describe('compileGlob (glob crate syntax, as colmena --on)', () => {
  test.each([
    ['edge-*', 'edge-01', true],
    ['edge-*', 'core-01', false],
    ['edge-0?', 'edge-01', true],
    ['edge-0?', 'edge-011', false],
    ['edge-[0-1]*', 'edge-1a', true],
    ['edge-[!0-1]*', 'edge-1a', false],
    ['edge-[!0-1]*', 'edge-2a', true],
    ['[]]x', ']x', true],
    ['**', 'anything', true],
    ['a.b', 'aXb', false],
    ['Edge', 'edge', false],
  ])('%s ~ %s = %s', (pattern, text, ok) => {
    expect(compileGlob(pattern)?.(text)).toBe(ok);
  });

  test.each([['edge-['], ['a**'], ['[z-a]'], ['']])('%j is invalid (colmena would panic)', (pattern) => {
    expect(compileGlob(pattern)).toBeUndefined();
  });
});

const inventory: Inventory = parseInventory(
  JSON.stringify({
    'edge-01': {
      tags: ['edge', 'rustdesk'],
      targetHost: '100.64.0.1',
      targetPort: null,
      buildOnTarget: true,
    },
    'edge-02': { tags: ['edge'], targetHost: 'edge-02.tail.example', targetPort: 2222, buildOnTarget: false },
    gateway: { tags: ['core'], targetHost: null, targetPort: null, buildOnTarget: false },
  }),
)!;

describe('selectNodes', () => {
  test.each([
    [undefined, ['edge-01', 'edge-02', 'gateway']],
    [[], ['edge-01', 'edge-02', 'gateway']],
    [['edge-01'], ['edge-01']],
    [['edge-*'], ['edge-01', 'edge-02']],
    [['@rust*'], ['edge-01']],
    [
      ['@core', 'edge-02'],
      ['edge-02', 'gateway'],
    ],
    [['@missing'], []],
    [['nothing-*'], []],
  ])('%j', (selectors, expected) => {
    expect(selectNodes(inventory, selectors)).toEqual(expected);
  });

  test.each([['a,b'], ['a b'], ['@'], ['x[']])('selector %j is rejected', (s) => {
    expect(parseSelector(s)).toBeUndefined();
  });
});

describe('parseInventory / parseVersion', () => {
  test('sorted map with defaults; junk is rejected', () => {
    expect([...inventory.keys()]).toEqual(['edge-01', 'edge-02', 'gateway']);
    expect(parseInventory('{"a":{}}')?.get('a')).toEqual({
      name: 'a',
      tags: [],
      targetHost: null,
      targetPort: null,
      // colmena's defaults (src/nix/hive/options.nix), for the action's own ssh
      targetUser: 'root',
      buildOnTarget: false,
      privilegeEscalationCommand: ['sudo', '-H', '--'],
      sshOptions: [],
    });
    expect(parseInventory('{"a":{"targetUser":null,"sshOptions":["-J","jump"]}}')?.get('a')).toMatchObject({
      targetUser: null,
      sshOptions: ['-J', 'jump'],
    });
    expect(parseInventory('[1]')).toBeUndefined();
    expect(parseInventory('not json')).toBeUndefined();
  });

  test.each([
    ['Colmena 0.4.0\n', { major: 0, minor: 4, patch: 0, pre: undefined }],
    ['Colmena 0.5.0-pre\n', { major: 0, minor: 5, patch: 0, pre: 'pre' }],
    ['colmena 0.3.2', { major: 0, minor: 3, patch: 2, pre: undefined }],
  ])('%j', (out, expected) => {
    expect(parseVersion(out)).toMatchObject(expected);
  });
  test('no version', () => expect(parseVersion('command not found')).toBeUndefined());

  test('panic text from stderr', () => {
    const stderr = [
      ' INFO Using configuration: /h/hive.nix',
      "thread 'main' panicked at src/cli.rs:263:43:",
      'called `Option::unwrap()` on a `None` value',
      'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
    ].join('\n');
    expect(panicText(stderr)).toBe(
      "thread 'main' panicked at src/cli.rs:263:43: called `Option::unwrap()` on a `None` value",
    );
    expect(panicText('error: something\n')).toBe('error: something');
  });
});

const base: ApplySettings = {
  goal: 'switch',
  buildOnTarget: false,
  reboot: false,
  keepResult: false,
  impure: false,
  showTrace: false,
};

describe('colmena argv', () => {
  test.each<[string, Partial<ApplySettings>, string[]]>([
    ['defaults', { on: ['edge-01'] }, ['apply', 'switch', '--on', 'edge-01']],
    [
      'selectors joined as given',
      { on: ['@edge', 'gateway-*'] },
      ['apply', 'switch', '--on', '@edge,gateway-*'],
    ],
    [
      'all deploy flags',
      {
        on: ['a'],
        goal: 'boot',
        parallel: 0,
        reboot: true,
        keepResult: true,
        buildOnTarget: true,
        extraArgs: ['--no-substitute'],
      },
      [
        'apply',
        'boot',
        '--on',
        'a',
        '--parallel',
        '0',
        '--reboot',
        '--keep-result',
        '--build-on-target',
        '--no-substitute',
      ],
    ],
    ['reboot only where colmena activates', { goal: 'build', reboot: true }, ['apply', 'build']],
    [
      'upload-keys is a subcommand in 0.4 and 0.5',
      { goal: 'upload-keys', on: ['a'], keepResult: true },
      ['upload-keys', '--on', 'a'],
    ],
    ['apply all', {}, ['apply', 'switch']],
  ])('%s', (_name, s, expected) => {
    expect(applyArgs({ ...base, ...s })).toEqual(expected);
  });

  test('dry-activate preview uses the same selectors', () => {
    expect(applyArgs({ ...base, on: ['@edge'], reboot: false }, 'dry-activate')).toEqual([
      'apply',
      'dry-activate',
      '--on',
      '@edge',
    ]);
  });

  test('global flags', () => {
    expect(
      globalArgs({
        ...base,
        config: 'flake.nix',
        showTrace: true,
        impure: true,
        nixOptions: { 'max-jobs': '4', builders: '@/etc/nix/machines' },
      }),
    ).toEqual([
      '-f',
      'flake.nix',
      '--show-trace',
      '--impure',
      '--nix-option',
      'max-jobs',
      '4',
      '--nix-option',
      'builders',
      '@/etc/nix/machines',
    ]);
    expect(globalArgs(base)).toEqual([]);
  });
});

function hashed(name: string): string {
  const salt = Buffer.from('0123456789abcdefghij');
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known hosts', () => {
  const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
  const text = [
    '# pinned edge hosts',
    `100.64.0.1 ssh-ed25519 ${KEY}`,
    `[edge-02.tail.example]:2222 ssh-ed25519 ${KEY}`,
    `*.core.example,!bad.core.example ssh-ed25519 ${KEY}`,
    `${hashed('hashed.example')} ssh-ed25519 ${KEY}`,
    `@revoked revoked.example ssh-ed25519 ${KEY}`,
  ].join('\n');
  const entries = (parseKnownHosts(text) as { entries: KnownHostEntry[] }).entries;

  test.each<[string, number | undefined, boolean]>([
    ['100.64.0.1', undefined, true],
    ['100.64.0.1', 2222, false],
    ['edge-02.tail.example', 2222, true],
    ['edge-02.tail.example', undefined, false],
    ['a.core.example', 22, true],
    ['bad.core.example', undefined, false],
    ['hashed.example', undefined, true],
    ['HASHED.example', undefined, true],
    ['revoked.example', undefined, false],
    ['unknown.example', undefined, false],
  ])('%s port %s pinned=%s', (host, port, ok) => {
    expect(isPinned(entries, host, port)).toBe(ok);
  });

  test.each([
    ['only-a-host', 'line 1 is not "host key-type key"'],
    ['host ssh-ed25519 not*base64', 'line 1 has no ssh-ed25519 public key'],
    ['not a key line', 'line 1 has no a public key'],
    [`host ssh-rsa ${KEY}`, 'line 1 has no ssh-rsa public key'],
    ['@bogus host ssh-ed25519 AAAA', 'line 1 has an unknown marker'],
    ['# only comments', 'no host key lines'],
  ])('%j is rejected', (content, error) => {
    expect(parseKnownHosts(content)).toEqual({ error });
  });
});

describe('ssh config', () => {
  test('action options first, pinned known hosts, includes last', () => {
    const text = renderSshConfig({
      includes: ['/home/runner/.ssh/config', '/etc/ssh/ssh_config'],
      knownHostsFile: '/tmp/x y/known_hosts',
      runId: '42',
    });
    const lines = text.trim().split('\n');
    expect(lines[1]).toBe('Host *');
    expect(lines).toContain('  BatchMode yes');
    expect(lines).toContain('  ServerAliveInterval 15');
    expect(lines).toContain('  StrictHostKeyChecking yes');
    expect(lines).toContain('  UserKnownHostsFile "/tmp/x y/known_hosts"');
    expect(lines.slice(-2)).toEqual(['  Include /home/runner/.ssh/config', '  Include /etc/ssh/ssh_config']);
  });

  test('without known-hosts ssh keeps its own host key files', () => {
    const text = renderSshConfig({ includes: [], runId: '1' });
    expect(text).not.toMatch(/StrictHostKeyChecking|UserKnownHostsFile/);
  });

  test('ssh -G output', () => {
    expect(parseSshG('user root\nhostname 100.64.0.9\nport 2222\nhostkeyalias edge-09\n')).toEqual({
      hostname: '100.64.0.9',
      port: 2222,
      hostKeyAlias: 'edge-09',
    });
    expect(parseSshG('hostname a\nport 22\nhostkeyalias none\n')).toEqual({ hostname: 'a', port: 22 });
  });
});

describe('preflight', () => {
  const files: Record<string, string> = {
    '/etc/nix/machines': 'ssh-ng://builder aarch64-linux,x86_64-linux /key 4\n',
    '/etc/nix/darwin-only': 'ssh://mac aarch64-darwin - 2\n',
  };
  test.each<[string[], boolean]>([
    [['builders = @/etc/nix/machines'], true],
    [['extra-builders = ssh://b x86_64-linux'], true],
    [['builders = ssh://a aarch64-darwin ; ssh://b aarch64-linux'], true],
    [['builders = @/etc/nix/darwin-only'], false],
    [['builders ='], false],
    [['# builders = @/etc/nix/machines'], false],
    [[], false],
  ])('%j has a Linux builder: %s', (confs, ok) => {
    expect(hasLinuxBuilder(builderSpecs(confs), (p) => files[p])).toBe(ok);
  });

  test.each<[NodeJS.Platform, boolean, string[], boolean, boolean]>([
    ['darwin', false, ['edge-02'], false, true],
    ['darwin', false, ['edge-02'], true, false],
    ['darwin', true, ['edge-02'], false, false],
    ['darwin', false, [], false, false],
    ['linux', false, ['edge-02'], false, false],
  ])('os %s, build-on-target %s, local builds %j, builder %s → warn %s', (os, bot, nodes, builder, warn) => {
    const w = linuxBuilderWarning({
      os,
      buildOnTarget: bot,
      localBuildNodes: nodes,
      hasLinuxBuilder: builder,
    });
    expect(w !== undefined).toBe(warn);
  });

  test('hive discovery follows colmena: -f first, else flake.nix before hive.nix upwards', () => {
    const present = new Set(['/repo/flake.nix', '/repo/hive/hive.nix']);
    const isFile = (p: string) => present.has(p);
    expect(findHive('/repo/hive', undefined, isFile)).toEqual({
      kind: 'legacy',
      file: '/repo/hive/hive.nix',
    });
    expect(findHive('/repo/other', undefined, isFile)).toEqual({ kind: 'flake', dir: '/repo' });
    expect(findHive('/repo/hive', '../flake.nix', isFile)).toEqual({ kind: 'flake', dir: '/repo' });
    expect(findHive('/repo', '.', isFile)).toEqual({ kind: 'flake', dir: '/repo' });
    expect(findHive('/repo', 'github:org/hive#', isFile)).toEqual({ kind: 'unknown' });
    expect(findHive('/x', undefined, () => false)).toEqual({ kind: 'unknown' });
  });

  test('untracked files warning lists at most ten', () => {
    expect(untrackedWarning('/h', [])).toBeUndefined();
    const w = untrackedWarning(
      '/h',
      Array.from({ length: 12 }, (_, i) => `f${i}.nix`),
    )!;
    expect(w).toContain('12 untracked file(s)');
    expect(w).toContain('and 2 more');
  });
});
