'use strict';
/*
 * Shared state of the NixOS node stand-ins (README.md in this directory names what each follows). One directory per node,
 * named by NIXOS_NODE_ROOT, holds everything a NixOS host keeps in /nix, /run and systemd's memory:
 *
 *   node.json                         name, sshd (bin, config, pid file, log), inject flag
 *   nix/var/nix/profiles/system       -> system-<N>-link -> <root>/nix/store/<hash>-nixos-system-<name>-<N>
 *   nix/store/<…>/system.json         what that generation runs: { units: { "<unit>": "active|inactive|failed" },
 *                                     bootloaderFails?: true } (written by the test fixture)
 *   run/current-system                -> the running generation's store path
 *   state/units.json                  the unit states now
 *   state/transient/<unit>.json       transient units made by systemd-run (timers and services)
 *   state/calls.jsonl                 every stand-in call {program, argv, at}
 *   state/journal.log                 what transient services printed
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function root() {
  const r = process.env.NIXOS_NODE_ROOT;
  if (!r) {
    process.stderr.write('NIXOS_NODE_ROOT is not set: this stand-in only runs inside a test node\n');
    process.exit(1);
  }
  return r;
}

const p = (...parts) => path.join(root(), ...parts);

function readJson(file, fallback) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return fallback;
  }
}

/** Atomic: the timer process and ssh sessions read these files concurrently. */
function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 1));
  fs.renameSync(tmp, file);
}

function record(program, argv) {
  fs.mkdirSync(p('state'), { recursive: true });
  fs.appendFileSync(
    p('state', 'calls.jsonl'),
    JSON.stringify({ program, argv, at: Date.now(), pid: process.pid }) + '\n',
  );
}

function journal(unit, text) {
  const lines = String(text)
    .split('\n')
    .filter((l) => l !== '');
  fs.appendFileSync(
    p('state', 'journal.log'),
    lines.map((l) => `${new Date().toISOString()} ${unit}: ${l}\n`).join(''),
  );
}

const node = () => readJson(p('node.json'), {});
const units = () => readJson(p('state', 'units.json'), {});
const setUnits = (u) => writeJson(p('state', 'units.json'), u);

function transientFile(unit) {
  return p('state', 'transient', `${unit}.json`);
}
const transient = (unit) => readJson(transientFile(unit), null);
const setTransient = (unit, v) => writeJson(transientFile(unit), v);
function dropTransient(unit) {
  fs.rmSync(transientFile(unit), { force: true });
}
function allTransient() {
  const dir = p('state', 'transient');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ unit: f.slice(0, -5), ...readJson(path.join(dir, f), {}) }));
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// --- sshd.service: the node's OpenSSH server (started by the test, stopped/started by activations) ---
function sshdPid() {
  const s = node().sshd;
  try {
    const pid = Number(fs.readFileSync(s.pidFile, 'utf8').trim());
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function stopSshd() {
  const pid = sshdPid();
  if (!pid) return;
  // The listener only: sessions already open (the one running this activation) stay up, as with
  // `systemctl stop sshd` (KillMode=process in nixpkgs' sshd.service).
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) sleepMs(50);
}

function startSshd() {
  if (sshdPid()) return;
  const s = node().sshd;
  fs.rmSync(s.pidFile, { force: true });
  // Without -D sshd binds its listeners, then daemonizes; it is listening when this returns.
  const r = spawnSync(s.bin, ['-f', s.config, '-E', s.log], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !sshdPid(); i++) sleepMs(50);
  if (r.status !== 0 || !sshdPid()) throw new Error(`sshd did not start (exit ${r.status})`);
}

/** The system state as systemd computes it: degraded as soon as one unit is failed. */
function failedUnits() {
  const u = units();
  const failed = Object.keys(u).filter((name) => u[name] === 'failed');
  for (const t of allTransient()) if (t.state === 'failed') failed.push(t.unit);
  return failed.sort();
}

module.exports = {
  root,
  p,
  readJson,
  writeJson,
  record,
  journal,
  node,
  units,
  setUnits,
  transient,
  setTransient,
  dropTransient,
  allTransient,
  alive,
  sshdPid,
  stopSshd,
  startSshd,
  failedUnits,
  sleepMs,
};
