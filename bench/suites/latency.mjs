// 10. Overhead with network latency (issue 21): the realistic push-mirror comparison of section 9 with the
// mirror reached through a relay that adds a round-trip time, since the real mirror is remote.
import { landed, notBuilt } from '../lib/actions.mjs';
import * as pushMirror from './overhead/push-mirror.mjs';

/** Round-trip time added: a European host to GitHub or a hosted backup target. */
const RTT_MS = 40;

export const id = '10';
export const name = 'latency';
export const title = 'Overhead with network latency';
export const method =
  'The realistic push-mirror comparison of section 9 (≥ 2,000 refs, 20,000 commits, 50 new ones) with the ' +
  'smart-HTTP mirror reached through a TCP relay on loopback (bench/lib/latency-relay.mjs) that delays ' +
  'every byte by half the round-trip time in each direction and the first bytes of a new connection by ' +
  'one more round trip (the TCP handshake), so each side pays for the round trips it makes. Why a relay ' +
  "and not `tc netem`: the benchmark machine's kernel is built without CONFIG_NET_SCH_NETEM (`tc qdisc " +
  'add dev lo root netem delay 10ms` in a fresh `unshare -n` namespace: "Specified qdisc kind is ' +
  'unknown"; no loadable modules). The relay models round trips, not bandwidth, slow start or loss. ' +
  `Round trip: ${RTT_MS} ms (a European host to GitHub or a hosted backup target). Target (issue 21, ` +
  'realistic sizes): ratio ≤ 1.10.';

const LIMIT = 1.1;
const TARGET = { on: 'ratio', op: '<=', limit: LIMIT, text: `ratio ≤ ${LIMIT}` };

export async function run(ctx) {
  if (!landed(ctx, 'push-mirror')) return [notBuilt('push-mirror (latency)', TARGET)];
  ctx.log(`  push-mirror (realistic size, ${RTT_MS} ms round trip)`);
  return [await pushMirror.measure(ctx, TARGET, 'realistic', { rttMs: RTT_MS })];
}
