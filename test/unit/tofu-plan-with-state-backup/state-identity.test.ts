import { describe, expect, test } from '@jest/globals';
import {
  identityProblem,
  stateIdentity,
  stateKey,
} from '../../../actions/tofu-plan-with-state-backup/src/archive/state-identity.js';
import { buildInventory } from '../../../actions/tofu-plan-with-state-backup/src/recovery/inventory.js';
import { archiveAge } from '../../../actions/tofu-plan-with-state-backup/src/recovery/archive-source.js';

describe('state identity', () => {
  test.each([
    ['/Users/ops/infra/state/edge/terraform.tfstate', '/Users/ops', '~/infra/state/edge/terraform.tfstate'],
    ['/Users/ops/infra/../infra/edge.tfstate', '/Users/ops/', '~/infra/edge.tfstate'],
    ['/srv/state/edge.tfstate', '/Users/ops', '/srv/state/edge.tfstate'],
    ['/Users/ops2/edge.tfstate', '/Users/ops', '/Users/ops2/edge.tfstate'],
    ['/edge.tfstate', '/', '/edge.tfstate'],
  ])('%s with HOME %s → %s', (p, home, key) => {
    expect(stateKey(p, home)).toBe(key);
  });

  test('a runner rebuilt with another home directory keeps the id; another state has another', () => {
    const a = stateIdentity('/Users/ops/infra/state/edge/terraform.tfstate', '/Users/ops');
    const rebuilt = stateIdentity('/home/runner/infra/state/edge/terraform.tfstate', '/home/runner');
    const other = stateIdentity('/Users/ops/infra/state/dns/terraform.tfstate', '/Users/ops');
    expect(a.id).toMatch(/^[0-9a-f]{12}$/);
    expect(rebuilt.id).toBe(a.id);
    expect(other.id).not.toBe(a.id);
    expect(other.stateName).toBe(a.stateName);
  });

  test('an archive names its state by key (format 2) or absolute path (format 1)', () => {
    const me = stateIdentity('/Users/ops/infra/state/edge/terraform.tfstate', '/Users/ops');
    expect(
      identityProblem({ stateKey: '~/infra/state/edge/terraform.tfstate' }, me, '/Users/ops'),
    ).toBeUndefined();
    expect(
      identityProblem({ statePath: '/Users/ops/infra/state/edge/terraform.tfstate' }, me, '/Users/ops'),
    ).toBeUndefined();
    expect(identityProblem({ stateKey: '~/infra/state/dns/terraform.tfstate' }, me, '/Users/ops')).toBe(
      "it is an archive of the state '~/infra/state/dns/terraform.tfstate', not of '~/infra/state/edge/terraform.tfstate'",
    );
    expect(identityProblem({}, me, '/Users/ops')).toMatch(/names no state path/);
  });
});

describe('inventory', () => {
  const me = stateIdentity('/h/infra/edge/terraform.tfstate', '/h');
  const other = stateIdentity('/h/infra/dns/terraform.tfstate', '/h');
  const name = (id: string | null, stamp: string, serial: number) =>
    `terraform.tfstate.${id ? `${id}.` : ''}${stamp}.serial-${serial}.tar.gz`;
  const withSums = (...names: string[]) => names.flatMap((n) => [n, `${n}.sha256`]);
  const now = new Date('2026-11-21T12:00:00Z');

  test('lists this state only, newest first, with serial and age; flags local-only ones', () => {
    const local = withSums(
      name(me.id, '20261121T100000Z', 7),
      name(me.id, '20261120T120000Z', 5),
      name(other.id, '20261121T110000Z', 99),
      name(null, '20261101T000000Z', 1),
    );
    const remote = withSums(name(me.id, '20261120T120000Z', 5), name(me.id, '20261119T120000Z', 3));
    const inv = buildInventory([...local, name(me.id, '20261121T110000Z', 8)], remote, me, now);
    expect(inv.entries.map((e) => [e.serial, e.ageSeconds, e.local, e.remote, e.legacy])).toEqual([
      [7, 7200, true, false, false],
      [5, 86400, true, true, false],
      [3, 172800, false, true, false],
      [1, 1771200, true, false, true],
    ]);
    expect(inv.localOnly).toEqual([name(me.id, '20261121T100000Z', 7)]);
  });

  test('without a remote nothing is flagged', () => {
    const inv = buildInventory(withSums(name(me.id, '20261121T100000Z', 7)), undefined, me, now);
    expect(inv.entries[0].remote).toBeNull();
    expect(inv.localOnly).toEqual([]);
  });

  test.each([
    [0, '0s'],
    [59, '59s'],
    [61, '1m 1s'],
    [3600, '1h'],
    [9 * 86400 + 3 * 3600 + 59, '9d 3h'],
    [-1, 'unknown'],
  ])('age %i s reads %s', (s, want) => {
    expect(archiveAge(s)).toBe(want);
  });
});
