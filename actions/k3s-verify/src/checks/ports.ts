import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { result, type CheckResult } from './result.js';
import { portId, type PortTarget } from '../expect/expectations.js';

/**
 * Port checks from the runner. TCP: a completed connect proves a listener. UDP has no handshake: a
 * datagram is sent and reported as "sent", never as proof; only an ICMP port-unreachable that comes back
 * (seen on a connected socket as ECONNREFUSED) says something, and it says "closed".
 */
export type PortState = 'open' | 'sent' | 'refused' | 'timeout' | 'unreachable';

export interface PortProbe {
  target: PortTarget;
  state: PortState;
  detail: string;
}

export type PortProber = (target: PortTarget, timeoutMs: number) => Promise<PortProbe>;

function tcpProbe(target: PortTarget, timeoutMs: number): Promise<PortProbe> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const done = (state: PortState, detail: string) => {
      socket.destroy();
      resolve({ target, state, detail });
    };
    socket.setTimeout(timeoutMs, () =>
      done('timeout', `no answer within ${timeoutMs} ms (filtered or host down)`),
    );
    socket.once('connect', () => done('open', 'TCP connect succeeded'));
    socket.once('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'ECONNREFUSED' ? 'refused' : 'unreachable', `${e.code ?? 'error'}: ${e.message}`),
    );
  });
}

/** How long a UDP probe waits for an ICMP port-unreachable before calling the datagram "sent". */
const UDP_LISTEN_MS = 300;

function udpProbe(target: PortTarget, timeoutMs: number): Promise<PortProbe> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
    let settled = false;
    const done = (state: PortState, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve({ target, state, detail });
    };
    const timer = setTimeout(
      () => done('unreachable', `could not send within ${timeoutMs} ms`),
      Math.max(timeoutMs, UDP_LISTEN_MS + 100),
    );
    socket.on('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'ECONNREFUSED' ? 'refused' : 'unreachable', `${e.code ?? 'error'}: ${e.message}`),
    );
    socket.connect(target.port, target.host, () => {
      // An empty datagram: no protocol on the other side should act on it.
      socket.send(Buffer.alloc(0), (err) => {
        if (err) return done('unreachable', err.message);
        setTimeout(
          () => done('sent', 'datagram sent (UDP gives no proof that something listens)'),
          UDP_LISTEN_MS,
        );
      });
    });
  });
}

export const probePort: PortProber = (target, timeoutMs) =>
  target.protocol === 'tcp' ? tcpProbe(target, timeoutMs) : udpProbe(target, timeoutMs);

export function portResult(probe: PortProbe): CheckResult {
  const ok = probe.state === 'open' || probe.state === 'sent';
  return result('port', portId(probe.target), ok ? 'pass' : 'pending', probe.state, probe.detail);
}
