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

/** The archive is not a state archive this action can read (corrupt, hostile or too large). */
export class ArchiveFormatError extends Error {}

export const MIB = 1024 * 1024;

/**
 * A numeric header field: octal digits, optionally space-padded in front and ended by NUL or space
 * (POSIX ustar). Anything else — a sign, a non-octal digit, GNU's base-256 form (high bit set), an
 * empty field — is refused: a negative size once made the reader step backwards forever.
 */
function readOctal(buf: Buffer, offset: number, width: number, what: string, at: number): number {
  const field = buf.subarray(offset, offset + width);
  if (field[0] & 0x80)
    throw new ArchiveFormatError(`tar header at offset ${at}: base-256 ${what} is not supported`);
  const text = field.toString('latin1');
  const m = /^ *([0-7]+)[ \0]*$/.exec(text);
  if (!m)
    throw new ArchiveFormatError(
      `tar header at offset ${at}: ${what} ${JSON.stringify(text.replace(/\0+$/, ''))} is not an octal number`,
    );
  return parseInt(m[1], 8);
}

function headerSum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum;
}

/**
 * Parses an uncompressed tar of regular files (what writeTarGz writes). Every header is checked:
 * checksum, an octal size that fits in what is left of the archive, a regular-file type, a plain and
 * unique name. Each step advances by at least one block, so parsing ends after at most
 * `tar.length / 512` headers whatever the input.
 */
export function parseTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  const names = new Set<string>();
  let off = 0;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    if (readOctal(h, 148, 8, 'checksum', off) !== headerSum(h))
      throw new ArchiveFormatError(`corrupt tar header at offset ${off} (checksum mismatch)`);
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = readOctal(h, 124, 12, 'size', off);
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]);
    const start = off + BLOCK;
    if (size > tar.length - start)
      throw new ArchiveFormatError(
        `tar entry '${name.slice(0, 100)}' claims ${size} bytes, more than the archive holds`,
      );
    if (type !== '0')
      throw new ArchiveFormatError(
        `tar entry '${name.slice(0, 100)}' has type '${type}'; only regular files are expected`,
      );
    if (name === '' || name.includes('/') || name === '.' || name === '..' || names.has(name))
      throw new ArchiveFormatError(`tar entry name '${name.slice(0, 100)}' is empty, a path or a duplicate`);
    names.add(name);
    entries.push({ name, size, data: Buffer.from(tar.subarray(start, start + size)) });
    off = start + size + padding(size).length;
  }
  return entries;
}

/**
 * Inflates a .tar.gz held in memory, never beyond `maxBytes` (zlib stops there), in libuv's thread
 * pool so a signal handler can still run meanwhile; then parses it.
 */
export async function readTarGz(gz: Buffer, maxBytes: number): Promise<TarEntry[]> {
  const tar = await new Promise<Buffer>((resolve, reject) =>
    zlib.gunzip(gz, { maxOutputLength: maxBytes }, (e, out) => {
      if (!e) return resolve(out);
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        return reject(new ArchiveFormatError(`it inflates to more than ${formatMib(maxBytes)}`));
      reject(new ArchiveFormatError(`it is not valid gzip (${e.message})`));
    }),
  );
  return parseTar(tar);
}

export function formatMib(bytes: number): string {
  return `${Math.round((bytes / MIB) * 10) / 10} MiB`;
}
