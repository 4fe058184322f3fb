import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { portResult, probePort } from '../../../actions/k3s-verify/src/checks/ports.js';

// Real sockets on loopback: a TCP listener, a UDP listener, and ports that were just closed.
let tcp: net.Server;
let udp: dgram.Socket;
let closedTcp: number;
let closedUdp: number;
const received: Buffer[] = [];

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  tcp = net.createServer((c) => c.end());
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  udp = dgram.createSocket('udp4');
  udp.on('message', (m) => received.push(m));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  closedTcp = await freePort();
  closedUdp = await freePort();
});

afterAll(async () => {
  await new Promise<void>((r) => tcp.close(() => r()));
  await new Promise<void>((r) => udp.close(() => r()));
});

test('TCP: a listener is open', async () => {
  const p = await probePort(
    { host: '127.0.0.1', port: (tcp.address() as AddressInfo).port, protocol: 'tcp' },
    2000,
  );
  expect(p.state).toBe('open');
  expect(portResult(p)).toMatchObject({ check: 'port', status: 'pass', reason: 'open' });
});

test('TCP: a closed port is refused (pending, not proof of anything else)', async () => {
  const p = await probePort({ host: '127.0.0.1', port: closedTcp, protocol: 'tcp' }, 2000);
  expect(p.state).toBe('refused');
  expect(portResult(p)).toMatchObject({ status: 'pending', object: `127.0.0.1:${closedTcp}/tcp` });
});

test('UDP: a datagram is sent and reported as sent, never as open', async () => {
  const p = await probePort(
    { host: '127.0.0.1', port: (udp.address() as AddressInfo).port, protocol: 'udp' },
    2000,
  );
  expect(p.state).toBe('sent');
  expect(p.detail).toContain('no proof');
  expect(received.length).toBeGreaterThanOrEqual(1);
  expect(portResult(p).status).toBe('pass');
});

test('UDP: an ICMP port-unreachable on loopback shows as refused', async () => {
  const p = await probePort({ host: '127.0.0.1', port: closedUdp, protocol: 'udp' }, 2000);
  expect(p.state).toBe('refused');
  expect(portResult(p).status).toBe('pending');
});

test('an unresolvable host is unreachable', async () => {
  const p = await probePort({ host: 'no-such-host.invalid', port: 21116, protocol: 'tcp' }, 2000);
  expect(p.state).toBe('unreachable');
});
