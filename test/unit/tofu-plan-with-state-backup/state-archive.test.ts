import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  applyRetention,
  createStateArchive,
  verifyArchive,
} from '../../../actions/tofu-plan-with-state-backup/src/archive/state-archive.js';
import { parseState } from '../../../actions/tofu-plan-with-state-backup/src/archive/state-file.js';
import {
  parseTar,
  readTarGz,
  tarHeader,
  writeTarGz,
} from '../../../actions/tofu-plan-with-state-backup/src/archive/tar-gz.js';

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
      const entries = await readTarGz(file);
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
      statePath: state,
      backupDir: path.join(sd, 'backups'),
      context,
      now: () => new Date('2026-11-21T10:00:00Z'),
    });
    expect(path.basename(r.archive)).toBe('edge.tfstate.20261121T100000Z.serial-9.tar.gz');
    expect(
      execFileSync('sha256sum', ['-c', path.basename(r.checksumFile)], {
        cwd: path.dirname(r.archive),
        encoding: 'utf8',
      }),
    ).toMatch(/: OK/);
    const entries = await readTarGz(r.archive);
    expect(entries.map((e) => e.name)).toEqual(['metadata.json', 'edge.tfstate', 'edge.tfstate.backup']);
    const v = await verifyArchive(r.archive);
    expect(v.state.equals(bytes)).toBe(true);
    expect(v.metadata).toMatchObject({
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
    const a = await createStateArchive({ statePath: state, backupDir: sd, context, now });
    const b = await createStateArchive({ statePath: state, backupDir: sd, context, now });
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
      'a checksum file for another archive',
      (a) => fs.writeFileSync(`${a}.sha256`, `${'0'.repeat(64)}  other.tar.gz\n`),
      /does not list/,
    ],
  ])('verification fails on %s', async (_name, damage, want) => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const state = path.join(sd, 'edge.tfstate');
    writeState(state, 2);
    const r = await createStateArchive({ statePath: state, backupDir: sd, context });
    damage(r.archive);
    await expect(verifyArchive(r.archive)).rejects.toThrow(want);
  });

  test('an encrypted state is archived as opaque bytes with serial unknown', async () => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const state = path.join(sd, 'enc.tfstate');
    fs.writeFileSync(
      state,
      JSON.stringify({ meta: { key_provider: 'x' }, encrypted_data: 'AAAA', encryption_version: 'v0' }),
    );
    const r = await createStateArchive({ statePath: state, backupDir: sd, context });
    expect(r.archive).toMatch(/serial-unknown\.tar\.gz$/);
    const v = await verifyArchive(r.archive);
    expect(v.metadata).toMatchObject({ serial: null, lineage: null, encrypted: true });
    expect(v.state.equals(fs.readFileSync(state))).toBe(true);
  });

  test('retention removes the oldest archives with their checksum files', async () => {
    const sd = fs.mkdtempSync(path.join(dir, 's-'));
    const state = path.join(sd, 'edge.tfstate');
    const made: string[] = [];
    for (let i = 1; i <= 4; i++) {
      writeState(state, i);
      const at = new Date(Date.parse('2026-11-21T10:00:00Z') + i * 1000);
      made.push(
        (await createStateArchive({ statePath: state, backupDir: sd, context, now: () => at })).archive,
      );
    }
    const oldTemp = path.join(sd, '.edge.tfstate.20261121T090000Z.serial-1.tar.gz.tmp-1-ab');
    const freshTemp = path.join(sd, '.edge.tfstate.20261121T100000Z.serial-9.tar.gz.tmp-2-cd');
    fs.writeFileSync(oldTemp, 'partial');
    fs.writeFileSync(freshTemp, 'partial');
    fs.utimesSync(oldTemp, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
    const deleted = await applyRetention(sd, 'edge.tfstate', 2, path.basename(made[3]));
    expect([fs.existsSync(oldTemp), fs.existsSync(freshTemp)]).toEqual([false, true]);
    fs.rmSync(freshTemp);
    expect(deleted.sort()).toEqual([path.basename(made[0]), path.basename(made[1])].sort());
    expect(fs.readdirSync(sd).filter((n) => n.endsWith('.tar.gz') || n.endsWith('.sha256')).length).toBe(4);
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
