// Small helpers for bench scripts that run other programs: cleanup of children and temp
// directories on any exit, timing a command with its peak RSS, /proc readings, free ports.

import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";

// --- cleanup ------------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const hooks: (() => Promise<void>)[] = [];
let handlersInstalled = false;

/** Kill `child` when the benchmark ends, however it ends. */
export function track<C extends ChildProcess>(child: C): C {
  children.add(child);
  child.once("exit", () => children.delete(child));
  installCleanupHandlers();
  return child;
}

/** Remove `dir` (recursively) when the benchmark ends. */
export function trackDir(dir: string): string {
  dirs.add(dir);
  installCleanupHandlers();
  return dir;
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/** Run `fn` on cleanup (before children are killed and directories removed). */
export function onCleanup(fn: () => Promise<void>): void {
  hooks.push(fn);
  installCleanupHandlers();
}

/** SIGTERM a child and wait for it (SIGKILL after `graceMs`). */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

let cleaning: Promise<void> | undefined;
/** True once cleanup has begun (errors of children killed by it are expected then). */
export const cleaningUp = () => cleaning !== undefined;
/** Graceful cleanup: hooks, then every tracked child, then every tracked directory. */
export function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    for (const h of hooks.splice(0).reverse()) await h().catch(() => {});
    await Promise.all([...children].map((c) => stopChild(c, 5_000)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    dirs.clear();
  })();
  return cleaning;
}

function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Last resort (an uncaught error, process.exit): no time for anything asynchronous.
  process.once("exit", () => {
    for (const c of children) c.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: cleaning up…`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

// --- /proc --------------------------------------------------------------------------------------

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM, …) in MiB; undefined once the process is gone. */
export function procStatusMb(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    ticks = Number(r.stdout?.trim()) || 100;
  }
  return ticks;
}

function statCpu(path: string): number {
  const s = readFileSync(path, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  // fields 14 and 15 of stat (utime, stime) are 11 and 12 after "pid (comm) "
  return (Number(f[11]) + Number(f[12])) / clockTicks();
}

export interface CpuTimes {
  /** user + system seconds of the whole process (every thread, live or exited) */
  total: number;
  /** user + system seconds of the main thread (the JavaScript event loop of a Node process) */
  main: number;
}

/** CPU time of a process (Node 20 does not name its threads, so only main vs the rest). */
export function cpuTimes(pid: number): CpuTimes | undefined {
  try {
    return { total: statCpu(`/proc/${pid}/stat`), main: statCpu(`/proc/${pid}/task/${pid}/stat`) };
  } catch {
    return undefined;
  }
}

// --- timing a command ---------------------------------------------------------------------------

export interface Timed {
  seconds: number;
  /** VmHWM sampled every few ms until the process exits (misses at most the last few ms) */
  peakRssMb: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion; wall time from spawn to exit; peak RSS by sampling VmHWM. */
export function runTimed(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = track(spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] }));
    let peak = 0;
    const sample = () => {
      const v = child.pid !== undefined ? procStatusMb(child.pid, "VmHWM") : undefined;
      if (v !== undefined) peak = Math.max(peak, v);
    };
    const timer = setInterval(sample, 5);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
    child.once("error", (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.once("exit", (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      clearInterval(timer);
      resolve({ seconds, peakRssMb: peak, code, stdout, stderr });
    });
  });
}

// --- network ------------------------------------------------------------------------------------

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once anything answers HTTP on the port; rejects early if `dead()` says why. */
export function waitForHttp(port: number, dead: () => string | undefined, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tryOnce = () => {
      const why = dead();
      if (why) return reject(new Error(why));
      const req = request({ host: "127.0.0.1", port, method: "GET", path: "/" }, (res) => {
        res.resume();
        resolve();
      });
      req.on("error", () =>
        Date.now() > deadline ? reject(new Error(`nothing answers on port ${port}`)) : setTimeout(tryOnce, 50),
      );
      req.end();
    };
    tryOnce();
  });
}

// --- numbers ------------------------------------------------------------------------------------

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
