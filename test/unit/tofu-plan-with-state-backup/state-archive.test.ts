import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  applyRetention,
  createStateArchive,
  verifyArchive,
} from '../../../actions/tofu-plan-with-state-backup/src/archive/state-archive.js';
import { parseState } from '../../../actions/tofu-plan-with-state-backup/src/archive/state-file.js';
import {
  MIB,
  parseTar,
  readTarGz,
  tarHeader,
  writeTarGz,
} from '../../../actions/tofu-plan-with-state-backup/src/archive/tar-gz.js';
import { stateIdentity } from '../../../actions/tofu-plan-with-state-backup/src/archive/state-identity.js';

const LIMIT = { maxBytes: 16 * MIB };
const readFile = (f: string) => readTarGz(fs.readFileSync(f), LIMIT.maxBytes);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tofu-archive-unit-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const context = {
  tool: 'tofu',
  toolVersion: 'tofu 1.9.0',
  runId: '1-1',
  commitSha: 'abc',
  repository: 'ops/infra',
  host: 'mini',
  purpose: 'test',
};

function writeState(file: string, serial: number, lineage = 'L1'): Buffer {
  const bytes = Buffer.from(JSON.stringify({ version: 4, serial, lineage, outputs: {}, resources: [] }));
  fs.writeFileSync(file, bytes);
  return bytes;
}

describe('tar.gz writer and reader', () => {
  test.each([0, 1, 511, 512, 513, 100_000])(
    'a %i-byte entry round-trips and system tar reads it',
    async (size) => {
      const data = Buffer.alloc(size, 7);
      const file = path.join(dir, `rt-${size}.tar.gz`);
      await writeTarGz(file, [
        { name: 'a.txt', data: Buffer.from('hello') },
        { name: 'b.bin', data },
      ]);
      const entries = await readFile(file);
      expect(entries.map((e) => [e.name, e.size])).toEqual([
        ['a.txt', 5],
        ['b.bin', size],
      ]);
      expect(entries[1].data.equals(data)).toBe(true);
      expect(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n').filter(Boolean)).toEqual([
        'a.txt',
        'b.bin',
      ]);
    },
  );

  test('the returned sha256 is that of the file written', async () => {
    const file = path.join(dir, 'sha.tar.gz');
    const digest = await writeTarGz(file, [{ name: 'x', data: Buffer.from('x') }]);
    expect(execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]).toBe(digest);
  });

  test('refuses to overwrite an existing file', async () => {
    const file = path.join(dir, 'exists.tar.gz');
    fs.writeFileSync(file, 'x');
    await expect(writeTarGz(file, [])).rejects.toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  test('a corrupt header is detected', () => {
    const h = tarHeader('a', 0, new Date(0));
    h[0] = 'b'.charCodeAt(0);
    expect(() => parseTar(Buffer.concat([h, Buffer.alloc(1024)]))).toThrow(/corrupt/);
  });

  /** A header with `field` (12 bytes at offset 124) as its size, the checksum recomputed. */
  function withSize(field: Buffer | string, name = 'a'): Buffer {
    const h = tarHeader(name, 0, new Date(0));
    const bytes = Buffer.isBuffer(field) ? field : Buffer.from(field.padEnd(12, '\0').slice(0, 12), 'latin1');
    bytes.copy(h, 124);
    h.write('        ', 148, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    return h;
  }

  test.each<[string, Buffer | string, RegExp]>([
    ['a negative size', '-0001000', /size "-0001000" is not an octal number/],
    ['a decimal digit', '00000000009', /is not an octal number/],
    ['an empty size', '', /is not an octal number/],
    ['a size beyond the archive', '00000100000', /claims 32768 bytes, more than the archive holds/],
    ['a base-256 size', Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0]), /base-256 size/],
  ])('%s is refused', (_why, field, want) => {
    const tar = Buffer.concat([withSize(field), Buffer.alloc(2048)]);
    expect(() => parseTar(tar)).toThrow(want);
  });

  test('space-padded octal sizes as other tars write them are read', () => {
    const tar = Buffer.concat([withSize('      1 \0'), Buffer.from('x'), Buffer.alloc(511 + 1024)]);
    expect(parseTar(tar).map((e) => [e.name, e.data.toString()])).toEqual([['a', 'x']]);
  });

  test.each<[string, (h: Buffer) => void, RegExp]>([
    ['a directory entry', (h) => h.write('5', 156, 'ascii'), /type '5'; only regular files/],
    ['a pax header', (h) => h.write('x', 156, 'ascii'), /type 'x'/],
  ])('%s is refused', (_why, change, want) => {
    const h = withSize('00000000000');
    change(h);
    h.write('        ', 148, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    expect(() => parseTar(Buffer.concat([h, Buffer.alloc(1024)]))).toThrow(want);
  });

  test('a duplicate entry name is refused', () => {
    const tar = Buffer.concat([withSize('0', 'x'), withSize('0', 'x'), Buffer.alloc(1024)]);
    expect(() => parseTar(tar)).toThrow(/duplicate/);
  });

  test('inflating stops at the size limit', async () => {
    const gz = zlib.gzipSync(Buffer.alloc(8 * MIB));
    await expect(readTarGz(gz, 1 * MIB)).rejects.toThrow(/inflates to more than 1 MiB/);
    await expect(readTarGz(Buffer.from('not gzip'), MIB)).rejects.toThrow(/not valid gzip/);
  });

  test.each(['dir/a', 'x'.repeat(101)])('entry name %s is refused', (name) => {
    expect(() => tarHeader(name, 0, new Date())).toThrow();
  });
});

describe('state archives', () => {
  test('archive holds metadata, state and .backup; checksum file verifies with sha256sum -c', async () => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const state = path.join(sd, 'edge.tfstate');
    const bytes = writeState(state, 9);
    fs.writeFileSync(`${state}.backup`, 'previous');
    const r = await createStateArchive({
      identity: stateIdentity(state, '/home/ops'),
      backupDir: path.join(sd, 'backups'),
      context,
      now: () => new Date('2026-11-21T10:00:00Z'),
      ...LIMIT,
    });
    const id = stateIdentity(state, '/home/ops').id;
    expect(path.basename(r.archive)).toBe(`edge.tfstate.${id}.20261121T100000Z.serial-9.tar.gz`);
    expect(
      execFileSync('sha256sum', ['-c', path.basename(r.checksumFile)], {
        cwd: path.dirname(r.archive),
        encoding: 'utf8',
      }),
    ).toMatch(/: OK/);
    const entries = await readFile(r.archive);
    expect(entries.map((e) => e.name)).toEqual(['metadata.json', 'edge.tfstate', 'edge.tfstate.backup']);
    const v = await verifyArchive(r.archive, LIMIT);
    expect(v.state.equals(bytes)).toBe(true);
    expect(v.metadata).toMatchObject({
      format: 2,
      statePath: state,
      stateKey: state,
      stateId: id,
      serial: 9,
      lineage: 'L1',
      includesBackup: true,
      tool: 'tofu',
      runId: '1-1',
    });
    expect(fs.readdirSync(path.dirname(r.archive)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  test('two archives in the same second get distinct names', async () => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const state = path.join(sd, 'edge.tfstate');
    writeState(state, 1);
    let t = Date.parse('2026-11-21T10:00:00Z');
    const now = () => new Date((t += 400));
    const a = await createStateArchive({
      identity: stateIdentity(state),
      backupDir: sd,
      context,
      now,
      ...LIMIT,
    });
    const b = await createStateArchive({
      identity: stateIdentity(state),
      backupDir: sd,
      context,
      now,
      ...LIMIT,
    });
    expect(a.archive).not.toBe(b.archive);
  });

  test.each<[string, (archive: string) => void, RegExp]>([
    [
      'a flipped byte',
      (a) => {
        const b = fs.readFileSync(a);
        b[b.length - 5] ^= 0xff;
        fs.writeFileSync(a, b);
      },
      /sha256 mismatch/,
    ],
    ['a missing checksum file', (a) => fs.rmSync(`${a}.sha256`), /checksum file .* is missing/],
    [
      'an archive larger than the limit',
      (a) => fs.appendFileSync(a, Buffer.alloc(LIMIT.maxBytes)),
      /more than the archive size limit of 16 MiB/,
    ],
    [
      'a checksum file for another archive',
      (a) => fs.writeFileSync(`${a}.sha256`, `${'0'.repeat(64)}  other.tar.gz\n`),
      /does not list/,
    ],
  ])('verification fails on %s', async (_name, damage, want) => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const state = path.join(sd, 'edge.tfstate');
    writeState(state, 2);
    const r = await createStateArchive({ identity: stateIdentity(state), backupDir: sd, context, ...LIMIT });
    damage(r.archive);
    await expect(verifyArchive(r.archive, LIMIT)).rejects.toThrow(want);
  });

  test('a state larger than the limit is not archived', async () => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const state = path.join(sd, 'big.tfstate');
    fs.writeFileSync(state, Buffer.alloc(2 * MIB, 0x20));
    await expect(
      createStateArchive({ identity: stateIdentity(state), backupDir: sd, context, maxBytes: MIB }),
    ).rejects.toThrow(/exceed the archive size limit of 1 MiB \(max-archive-size-mb\)/);
    expect(fs.readdirSync(sd)).toEqual(['big.tfstate']);
  });

  test('an archive without metadata.json is refused: its state cannot be told', async () => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const file = path.join(sd, 'bare.tar.gz');
    const digest = await writeTarGz(file, [{ name: 'terraform.tfstate', data: Buffer.from('{}') }]);
    fs.writeFileSync(`${file}.sha256`, `${digest}  bare.tar.gz\n`);
    await expect(verifyArchive(file, LIMIT)).rejects.toThrow(/no readable metadata\.json/);
  });

  test('an encrypted state is archived as opaque bytes with serial unknown', async () => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const state = path.join(sd, 'enc.tfstate');
    fs.writeFileSync(
      state,
      JSON.stringify({ meta: { key_provider: 'x' }, encrypted_data: 'AAAA', encryption_version: 'v0' }),
    );
    const r = await createStateArchive({ identity: stateIdentity(state), backupDir: sd, context, ...LIMIT });
    expect(r.archive).toMatch(/serial-unknown\.tar\.gz$/);
    const v = await verifyArchive(r.archive, LIMIT);
    expect(v.metadata).toMatchObject({ serial: null, lineage: null, encrypted: true });
    expect(v.state.equals(fs.readFileSync(state))).toBe(true);
  });

  test("retention removes this state's oldest archives with their checksum files, nothing of another state", async () => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const state = path.join(sd, 'a', 'edge.tfstate');
    const other = path.join(sd, 'b', 'edge.tfstate');
    fs.mkdirSync(path.dirname(state));
    fs.mkdirSync(path.dirname(other));
    const id = stateIdentity(state);
    const backups = path.join(sd, 'backups');
    const made: string[] = [];
    const theirs: string[] = [];
    for (let i = 1; i <= 4; i++) {
      writeState(state, i);
      writeState(other, i, 'L2');
      const at = new Date(Date.parse('2026-11-21T10:00:00Z') + i * 1000);
      const o = { backupDir: backups, context, now: () => at, ...LIMIT };
      made.push((await createStateArchive({ identity: id, ...o })).archive);
      theirs.push((await createStateArchive({ identity: stateIdentity(other), ...o })).archive);
    }
    const oldTemp = path.join(backups, `.edge.tfstate.${id.id}.20261121T090000Z.serial-1.tar.gz.tmp-1-ab`);
    const freshTemp = path.join(backups, `.edge.tfstate.${id.id}.20261121T100000Z.serial-9.tar.gz.tmp-2-cd`);
    fs.writeFileSync(oldTemp, 'partial');
    fs.writeFileSync(freshTemp, 'partial');
    fs.utimesSync(oldTemp, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
    const deleted = await applyRetention(backups, id, 2, path.basename(made[3]));
    expect([fs.existsSync(oldTemp), fs.existsSync(freshTemp)]).toEqual([false, true]);
    fs.rmSync(freshTemp);
    expect(deleted.sort()).toEqual([path.basename(made[0]), path.basename(made[1])].sort());
    const left = fs.readdirSync(backups);
    expect(left.filter((n) => n.endsWith('.tar.gz') || n.endsWith('.sha256')).length).toBe(4 + 8);
    for (const t of theirs) expect(left).toContain(path.basename(t));
  });
});

describe('state file parsing', () => {
  test.each<[string, string, object]>([
    [
      'v4 state',
      JSON.stringify({ version: 4, serial: 3, lineage: 'L' }),
      { serial: 3, lineage: 'L', encrypted: false },
    ],
    ['encrypted state', JSON.stringify({ meta: {}, encrypted_data: 'x' }), { encrypted: true }],
    ['not JSON', 'garbage', { encrypted: true }],
  ])('%s', (_name, text, want) => {
    expect(parseState(Buffer.from(text))).toMatchObject({ exists: true, ...want });
  });
});
