import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';

/**
 * A minimal POSIX ustar writer and reader, in-process so the archive is the same on macOS (BSD tar)
 * and Linux (GNU tar) runners and readable by both. Only regular files with short names: that is all
 * a state archive holds. Layout per POSIX pax "ustar Interchange Format".
 */
const BLOCK = 512;

export interface TarSource {
  name: string;
  data: Buffer;
}

function octal(value: number, width: number): string {
  // width-1 octal digits and a NUL terminator.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

export function tarHeader(name: string, size: number, mtime: Date, mode = 0o600): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100 || name.includes('/'))
    throw new Error(`tar entry name '${name}' is not supported`);
  const h = Buffer.alloc(BLOCK, 0);
  nameBytes.copy(h, 0);
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\u000000', 257, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

async function* tarStream(sources: readonly TarSource[], mtime: Date): AsyncGenerator<Buffer> {
  for (const s of sources) {
    yield tarHeader(s.name, s.data.length, mtime);
    yield s.data;
    yield padding(s.data.length);
  }
  yield Buffer.alloc(BLOCK * 2, 0);
}

/**
 * Writes `sources` as a .tar.gz to `dest` in one pass (tar → gzip → sha256 → file) and fsyncs it.
 * `dest` must not exist (callers pass a temp name and rename after). Returns the sha256 of the bytes
 * written.
 */
export async function writeTarGz(
  dest: string,
  sources: readonly TarSource[],
  mtime = new Date(),
): Promise<string> {
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  await pipeline(
    Readable.from(tarStream(sources, mtime)),
    // zlib's default level (6), as gzip and `tar czf` use: level 9 took ~1.6x the time for a state
    // file that is only a few percent smaller (bench/results.md, state archive throughput).
    zlib.createGzip(),
    hashing,
    fs.createWriteStream(dest, { flags: 'wx', mode: 0o600 }),
  );
  const handle = await fsp.open(dest, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

export interface TarEntry {
  name: string;
  size: number;
  data: Buffer;
}

function readOctal(buf: Buffer, offset: number, width: number): number {
  const s = buf
    .toString('ascii', offset, offset + width)
    .replace(/\0.*$/s, '')
    .trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** Parses an uncompressed tar (regular files only); throws on a corrupt header. */
export function parseTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let off = 0;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const stored = readOctal(h, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (sum !== stored) throw new Error(`corrupt tar header at offset ${off}`);
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = readOctal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 0x30);
    const start = off + BLOCK;
    if (start + size > tar.length) throw new Error(`tar entry '${name}' is truncated`);
    if (type === '0') entries.push({ name, size, data: Buffer.from(tar.subarray(start, start + size)) });
    off = start + size + padding(size).length;
  }
  return entries;
}

/** Reads a .tar.gz back in-process (state archives are small enough to hold in memory). */
export async function readTarGz(file: string): Promise<TarEntry[]> {
  const chunks: Buffer[] = [];
  await pipeline(fs.createReadStream(file), zlib.createGunzip(), async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) chunks.push(c);
  });
  return parseTar(Buffer.concat(chunks));
}
