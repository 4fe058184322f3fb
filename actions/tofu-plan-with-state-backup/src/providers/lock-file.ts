import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/**
 * What `init` installs, read from the stack's dependency lock file, and where the provider plugin
 * cache keeps it — so the action can tell which providers came from the cache and which were fetched,
 * without parsing init's text.
 *
 * `.terraform.lock.hcl` holds one `provider "<host>/<namespace>/<type>" { version = "…" … }` block per
 * provider (internal/depsfile/locks_file.go); the plugin cache uses the unpacked layout
 * `<cache>/<host>/<namespace>/<type>/<version>/<os>_<arch>/` (internal/providercache/dir.go,
 * package_install.go). Both are the same in OpenTofu and Terraform.
 */
export const LOCK_FILE = '.terraform.lock.hcl';

export interface LockedProvider {
  /** `registry.opentofu.org/hashicorp/aws` */
  source: string;
  version: string;
}

export function parseLockFile(text: string): LockedProvider[] {
  const out: LockedProvider[] = [];
  const src = text.replace(/(^|\s)(#|\/\/)[^\n]*/g, '$1');
  const re = /(^|\n)\s*provider\s+"([^"]+)"\s*\{([^}]*)\}/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    const version = /(^|\n)\s*version\s*=\s*"([^"]+)"/.exec(m[3])?.[2];
    if (version && m[2].split('/').length === 3) out.push({ source: m[2], version });
  }
  return out;
}

/** tofu's name for this machine's platform (`darwin_arm64`, `linux_amd64`). */
export function tofuPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const os = platform === 'win32' ? 'windows' : platform;
  const a = ({ x64: 'amd64', ia32: '386' } as Record<string, string>)[arch] ?? arch;
  return `${os}_${a}`;
}

export function packageDir(cacheDir: string, p: LockedProvider, platform = tofuPlatform()): string {
  return path.join(cacheDir, ...p.source.split('/'), p.version, platform);
}

export interface PackageState {
  source: string;
  version: string;
  present: boolean;
  bytes: number;
  /** size, mtime and inode of every file: changes when tofu (re)installs the package. */
  signature: string;
}

async function filesUnder(dir: string, rel = ''): Promise<{ rel: string; size: number; sig: string }[]> {
  const entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
  const out = [];
  for (const e of entries) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(dir, r)));
    else {
      const st = await fsp.lstat(path.join(dir, r)).catch(() => undefined);
      if (st) out.push({ rel: r, size: st.size, sig: `${r}:${st.size}:${st.mtimeMs}:${st.ino}` });
    }
  }
  return out;
}

/** The cache's packages of these providers for this platform, as they are now. */
export async function snapshotPackages(
  cacheDir: string,
  providers: readonly LockedProvider[],
  platform = tofuPlatform(),
): Promise<PackageState[]> {
  return Promise.all(
    providers.map(async (p) => {
      const files = await filesUnder(packageDir(cacheDir, p, platform));
      return {
        source: p.source,
        version: p.version,
        present: files.length > 0,
        bytes: files.reduce((n, f) => n + f.size, 0),
        signature: files
          .map((f) => f.sig)
          .sort()
          .join('|'),
      };
    }),
  );
}

export interface CacheUse {
  /** Providers init took from the cache as they were. */
  reused: string[];
  /** Providers init installed into the cache (missing, or replaced because they did not match the lock file). */
  fetched: string[];
  reusedBytes: number;
  fetchedBytes: number;
}

/** What init did with the cache, from the packages before and after it. Pure. */
export function compareSnapshots(before: readonly PackageState[], after: readonly PackageState[]): CacheUse {
  const use: CacheUse = { reused: [], fetched: [], reusedBytes: 0, fetchedBytes: 0 };
  for (const a of after) {
    const b = before.find((x) => x.source === a.source && x.version === a.version);
    const name = `${a.source} ${a.version}`;
    if (b?.present && a.present && b.signature === a.signature) {
      use.reused.push(name);
      use.reusedBytes += a.bytes;
    } else if (a.present) {
      use.fetched.push(name);
      use.fetchedBytes += a.bytes;
    }
  }
  return use;
}
