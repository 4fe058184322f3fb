import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../../shared/errors.js';
import {
  selectHandoff,
  sensitiveOutputStrings,
} from '../../../actions/tofu-plan-with-state-backup/src/tofu/handoff.js';
import {
  parseHashsum,
  remoteJoin,
} from '../../../actions/tofu-plan-with-state-backup/src/archive/rclone-cli.js';
import { parseStackList } from '../../../actions/tofu-plan-with-state-backup/src/stacks/terramate-cli.js';
import { tofuFailureReason } from '../../../actions/tofu-plan-with-state-backup/src/tofu/tofu-cli.js';

const outputs = {
  host_id: { sensitive: false, value: 'i-123' },
  private_ip: { sensitive: false, value: '10.0.0.5' },
  volume: { sensitive: false, value: { id: 'vol-1', device: '/dev/sdb' } },
  admin_token: { sensitive: true, value: 'tok-very-secret' },
};

describe('handoff selection', () => {
  test('all non-sensitive outputs by default, sorted; sensitive ones withheld', () => {
    const h = selectHandoff(outputs);
    expect(Object.keys(h.values)).toEqual(['host_id', 'private_ip', 'volume']);
    expect(h.withheld).toEqual(['admin_token']);
    expect(JSON.stringify(h.values)).not.toContain('tok-very-secret');
  });
  test.each<[string[], string[], string[]]>([
    [['private_ip'], ['private_ip'], []],
    [['private_ip', 'region'], ['private_ip'], ['region']],
    [[], ['host_id', 'private_ip', 'volume'], []],
  ])('allowlist %j → %j (missing %j)', (allow, keys, missing) => {
    const h = selectHandoff(outputs, allow);
    expect(Object.keys(h.values)).toEqual(keys);
    expect(h.missing).toEqual(missing);
  });
  test('a sensitive output in the allowlist is an input error naming handoff-outputs', () => {
    expect(() => selectHandoff(outputs, ['host_id', 'admin_token'])).toThrow(InputError);
    expect(() => selectHandoff(outputs, ['admin_token'])).toThrow(/'handoff-outputs'.*admin_token/);
  });
  test('sensitive values to register: long enough leaves and the JSON of structures', () => {
    expect(
      sensitiveOutputStrings({
        a: { sensitive: true, value: 'tok-very-secret' },
        b: { sensitive: true, value: { k: 'nested-secret', n: 1 } },
        c: { sensitive: true, value: 'abc' },
        d: { sensitive: false, value: 'public-value' },
      }),
    ).toEqual(['tok-very-secret', 'nested-secret', '{"k":"nested-secret","n":1}']);
  });
});

describe('rclone helpers', () => {
  test.each([
    ['pcloud:infra/state', 'a.tar.gz', 'pcloud:infra/state/a.tar.gz'],
    ['pcloud:', 'a.tar.gz', 'pcloud:a.tar.gz'],
    [':local:/srv/offsite/', 'a.tar.gz', ':local:/srv/offsite/a.tar.gz'],
    [':local:/srv/offsite', 'a.tar.gz', ':local:/srv/offsite/a.tar.gz'],
  ])('%s + %s → %s', (dest, name, want) => {
    expect(remoteJoin(dest, name)).toBe(want);
  });
  const sha = 'b'.repeat(64);
  test.each([
    [`${sha}  a.tar.gz\n`, sha],
    [`${sha}  sub/a.tar.gz\n`, sha],
    [`${sha}  a.tar.gz.sha256\n`, undefined],
    ['', undefined],
    ['UNSUPPORTED  a.tar.gz', undefined],
  ])('hashsum output %j → %s', (stdout, want) => {
    expect(parseHashsum(stdout, 'a.tar.gz')).toBe(want);
  });
});

describe('terramate list output', () => {
  test.each<[string, string[]]>([
    ['stacks/network\nstacks/edge\n', ['stacks/network', 'stacks/edge']],
    ['./stacks/a/\n\n', ['stacks/a']],
    ['', []],
  ])('%j → %j', (stdout, want) => {
    expect(parseStackList(stdout)).toEqual(want);
  });
  test.each(['/etc', '../outside', 'a/../../b'])('refuses %s', (line) => {
    expect(() => parseStackList(line)).toThrow(/outside the project/);
  });
});

describe('tofu failure classification', () => {
  test.each([
    [
      'Error: Error acquiring the state lock\n\nError message: resource temporarily unavailable',
      'state-locked',
    ],
    ['Error: Invalid reference', 'plan-failed'],
  ])('%j → %s', (stderr, want) => {
    expect(tofuFailureReason(stderr, 'plan-failed')).toBe(want);
  });
});
