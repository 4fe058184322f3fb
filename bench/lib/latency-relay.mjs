// Network latency on loopback without netem: a TCP relay that delays every byte by a fixed one-way time
// in each direction, and a new connection's first bytes by the TCP handshake's round trip as well.
//
// Why not `tc qdisc … netem`: the kernel of the benchmark machine is built without CONFIG_NET_SCH_NETEM
// (`tc qdisc add dev lo root netem delay 10ms` in a fresh `unshare -n` namespace answers "Specified qdisc
// kind is unknown"; /proc/config.gz says "# CONFIG_NET_SCH_NETEM is not set"; there are no loadable
// modules). What the relay models: round trips (each request/response exchange waits one RTT; each new
// TCP connection waits one more before its first request arrives). What it does not: bandwidth limits,
// TCP slow start and window effects on large transfers (the relay ends TCP locally on both sides), loss.
import * as net from 'node:net';

/** A queue that writes each chunk at its due time, in order (due times never go backwards). */
function delayedWriter(target) {
  const queue = [];
  let timer;
  const drain = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length && queue[0].due <= now) {
      const item = queue.shift();
      if (item.end) target.end();
      else target.write(item.chunk);
    }
    if (queue.length) timer = setTimeout(drain, queue[0].due - now);
  };
  let last = 0;
  return {
    push(item, due) {
      last = Math.max(last, due);
      queue.push({ ...item, due: last });
      if (!timer) timer = setTimeout(drain, Math.max(0, last - Date.now()));
    },
    clear() {
      clearTimeout(timer);
      queue.length = 0;
    },
  };
}

/** Starts a relay to 127.0.0.1:`targetPort` adding `rttMs` of round-trip time. */
export async function startLatencyRelay({ targetPort, rttMs }) {
  const oneWay = rttMs / 2;
  let connections = 0;
  const sockets = new Set();
  const server = net.createServer((client) => {
    connections++;
    const accepted = Date.now();
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const toUpstream = delayedWriter(upstream);
    const toClient = delayedWriter(client);
    // SYN → SYN-ACK → data: a request reaches the server 1.5 RTT after the client began to connect.
    const firstByteAt = accepted + 3 * oneWay;
    client.on('data', (chunk) => toUpstream.push({ chunk }, Math.max(Date.now() + oneWay, firstByteAt)));
    client.on('end', () => toUpstream.push({ end: true }, Math.max(Date.now() + oneWay, firstByteAt)));
    upstream.on('data', (chunk) => toClient.push({ chunk }, Date.now() + oneWay));
    upstream.on('end', () => toClient.push({ end: true }, Date.now() + oneWay));
    const close = () => {
      toUpstream.clear();
      toClient.clear();
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', () => setTimeout(close, rttMs));
    upstream.on('close', () => setTimeout(close, rttMs));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    connections: () => connections,
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
