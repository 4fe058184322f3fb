import { spawnSync } from 'node:child_process';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Damage for stored cache archives, to prove a restore is verified: `@actions/cache` uploads a tar
 * compressed with zstd when `zstd` is installed, else gzip (toolkit packages/cache/src/internal/
 * cacheUtils.ts getCompressionMethod, tar.ts). Tar layout per POSIX pax / ustar: 512-byte headers, the
 * size in octal at offset 124, the type flag at 156 ('0' or NUL for a file, 'x'/'g' for pax headers whose
 * records, e.g. `path=…`, name the next entry), data padded to 512 bytes.
 */
function decompress(archive: Buffer): { tar: Buffer; kind: 'gzip' | 'zstd' } {
  if (archive[0] === 0x1f && archive[1] === 0x8b) return { tar: gunzipSync(archive), kind: 'gzip' };
  if (archive.readUInt32LE(0) === 0xfd2fb528) {
    const r = spawnSync('zstd', ['-d', '-c', '-q'], { input: archive, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`zstd -d failed: ${r.stderr}`);
    return { tar: r.stdout, kind: 'zstd' };
  }
  throw new Error('unknown archive compression');
}

function compress(tar: Buffer, kind: 'gzip' | 'zstd'): Buffer {
  if (kind === 'gzip') return gzipSync(tar);
  const r = spawnSync('zstd', ['-c', '-q'], { input: tar, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  return r.stdout;
}

/** Every regular file in the tar: its path and where its data starts. */
export function tarFiles(tar: Buffer): { path: string; offset: number; size: number }[] {
  const out: { path: string; offset: number; size: number }[] = [];
  let at = 0;
  let paxPath: string | undefined;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156]);
    const data = at + 512;
    if (type === 'x') {
      const records = tar.subarray(data, data + size).toString('utf8');
      paxPath = /\d+ path=([^\n]*)\n/.exec(records)?.[1];
    } else {
      if (type === '0' || type === '\0')
        out.push({ path: paxPath ?? (prefix ? `${prefix}/${name}` : name), offset: data, size });
      if (type !== 'g') paxPath = undefined;
    }
    at = data + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Flips one byte of the first file whose path ends with `suffix`; the archive stays a valid tar. */
export function corruptFileIn(archive: Buffer, suffix: string): Buffer {
  const { tar, kind } = decompress(archive);
  const target = tarFiles(tar).find((f) => f.path.endsWith(suffix) && f.size > 0);
  if (!target) throw new Error(`no file ending in '${suffix}' in the archive`);
  const copy = Buffer.from(tar);
  copy[target.offset] ^= 0xff;
  return compress(copy, kind);
}

/** The paths of the files in a stored archive (for assertions). */
export function archivePaths(archive: Buffer): string[] {
  return tarFiles(decompress(archive).tar).map((f) => f.path);
}
