import { expect, test } from '@jest/globals';
import { generateIdentity, identityToRecipient, Encrypter, armor } from 'age-encryption';
import {
  createAgeUnwrapper,
  verifyMetadata,
  type DataKeyUnwrapper,
  type UnwrapResult,
} from '../../../actions/sops-stage-age-key/src/data-key-unwrap.js';
import type { SopsAgeMetadata } from '../../../actions/sops-stage-age-key/src/sops-file.js';

/** A fake unwrapper: `enc` says what happens ('opened', 'not-ours', 'malformed'). */
const fake: DataKeyUnwrapper = { unwrap: async (enc) => enc as UnwrapResult };
const e = (recipient: string, enc: UnwrapResult) => ({ recipient, enc });

test.each<[string, SopsAgeMetadata, boolean, number, string[]]>([
  [
    'one group, second entry opens',
    { groups: [[e('age1x', 'not-ours'), e('age1me', 'opened')]], threshold: 1 },
    true,
    1,
    ['age1me'],
  ],
  [
    'one group, none opens',
    { groups: [[e('age1x', 'not-ours'), e('age1y', 'malformed')]], threshold: 1 },
    false,
    0,
    [],
  ],
  [
    'two groups, threshold 2, one opens',
    { groups: [[e('age1me', 'opened')], [e('age1x', 'not-ours')]], threshold: 2 },
    false,
    1,
    ['age1me'],
  ],
  [
    'two groups, threshold 1, one opens',
    { groups: [[e('age1me', 'opened')], [e('age1x', 'not-ours')]], threshold: 1 },
    true,
    1,
    ['age1me'],
  ],
  [
    'two groups, both open',
    { groups: [[e('age1me', 'opened')], [e('age1me2', 'opened')]], threshold: 2 },
    true,
    2,
    ['age1me', 'age1me2'],
  ],
])('%s', async (_name, meta, ok, opened, openedAs) => {
  const v = await verifyMetadata(meta, fake, ['age1me']);
  expect([v.ok, v.groupsOpened, v.openedAs]).toEqual([ok, opened, openedAs]);
});

test('malformed entries are counted, recipients listed once', async () => {
  const meta = { groups: [[e('age1x', 'malformed'), e('age1x', 'not-ours')]], threshold: 1 };
  const v = await verifyMetadata(meta, fake, []);
  expect([v.malformed, v.recipients]).toEqual([1, ['age1x']]);
});

test('the real unwrapper opens an entry for its key only, and says malformed for junk', async () => {
  const mine = await generateIdentity();
  const theirs = await generateIdentity();
  const wrap = async (identity: string) => {
    const enc = new Encrypter();
    enc.addRecipient(await identityToRecipient(identity));
    return armor.encode(await enc.encrypt(new Uint8Array(32).fill(7)));
  };
  const u = createAgeUnwrapper([{ secret: mine, recipient: await identityToRecipient(mine) }]);
  expect(await u.unwrap(await wrap(mine))).toBe('opened');
  expect(await u.unwrap(await wrap(theirs))).toBe('not-ours');
  expect(await u.unwrap('-----BEGIN AGE ENCRYPTED FILE-----\nnope\n-----END AGE ENCRYPTED FILE-----\n')).toBe(
    'malformed',
  );
  expect(await u.unwrap('')).toBe('malformed');
});
