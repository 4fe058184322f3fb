import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A download source for the cache fixture, standing in for a provider registry or network mirror: it
 * serves named files and counts every download, so a test can prove that a run fetched nothing.
 */
export interface FixtureRegistry {
  url: string;
  files: Record<string, Buffer>;
  downloads: string[];
  /** `<name> <sha256>` lines for the named files: the fixture's lock file. */
  lockFile(names: string[]): string;
  stop(): Promise<void>;
}

export async function startFixtureRegistry(files: Record<string, Buffer>): Promise<FixtureRegistry> {
  const downloads: string[] = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    const body = files[name];
    if (!body) {
      res.writeHead(404);
      res.end();
      return;
    }
    downloads.push(name);
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    files,
    downloads,
    lockFile: (names) =>
      names.map((n) => `${n} ${createHash('sha256').update(files[n]).digest('hex')}\n`).join(''),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
