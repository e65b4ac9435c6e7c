// npm run bench:import [-- --backend sqlite|postgres] [-- --size <GiB>] [-- --keep]
//                      [-- --runs 3] [-- --jobs 4] [-- --profile <dir>] [-- --cli <main.js>]
//
// Import speed on one generated FASTA (25 records, 60-column lines, --size GiB, default 1), all
// measured in the same run on the same file, after one warm-up read (so every step reads from
// the page cache):
//   - md5sum and `samtools faidx` (the yardsticks: a full import reads the file once, like them)
//   - the hashes on one core (bench/hash-child.ts): CPU-s per GiB of the md5x2 kernel (per
//     stream, two hashed together), with the copy into WebAssembly memory, and node:crypto's
//     MD5 and SHA-512
//   - the FASTA engine alone (ingestFasta, bench/import-engine.ts) in a fresh child process
//   - the engine writing the copy to local disk as an import does (fsync on commit), no server:
//     what storing the bytes costs this machine
//   - a FULL import through a real refstore server (`refstore serve` as a child process): the
//     SDK's StartReferenceImportJob of s3://bench/<file> from a bucket mount, polled every 20 ms,
//     timed from Start to a terminal status; the stored reference's MD5 (and its .fai, against
//     samtools) are checked before any speed is printed
// Each is run --runs times (default 3); the table shows the median, with min–max.
// Then import throughput with 1 and with 2 workers: --jobs imports (default 4) of a genome a
// quarter of --size, submitted at once, timed until all are terminal.
//
// Backends: sqlite = SQLite catalog + local-disk blobs, one `all` process (the 2-worker case is
// REFSTORE_IMPORT_CONCURRENCY=2); postgres = embedded PostgreSQL catalog + blobs in s3rver (run
// in a child process of its own), one `--role api` process and 1 or 2 `--role worker` processes.
// --profile <dir> passes --cpu-prof to the server of the full imports (.cpuprofile files there);
// --cli <path> runs another build's dist/src/cli/main.js as the server (to compare a change).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, statSync, unlinkSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  CreateReferenceStoreCommand,
  GetReferenceCommand,
  GetReferenceImportJobCommand,
  GetReferenceMetadataCommand,
  OmicsClient,
  StartReferenceImportJobCommand,
  type GetReferenceImportJobCommandOutput,
} from "@aws-sdk/client-omics";
import pg from "pg";
import { md5Engine } from "../src/fasta/ingest.js";
import { generateFasta } from "./import-engine.js";
import {
  cleanupAll,
  cleaningUp,
  cpuTimes,
  freePort,
  median,
  onCleanup,
  procStatusMb,
  runTimed,
  sleep,
  stopChild,
  track,
  trackDir,
  untrackDir,
  waitForHttp,
  type CpuTimes,
} from "./support.js";

// The SDK's notice that Node 20 support ends (printed once per process otherwise).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const BACKEND = arg("backend", "sqlite");
const SIZE_GIB = Number(arg("size", "1"));
const KEEP = args.includes("--keep");
const RUNS = Number(arg("runs", "3"));
const JOBS = Number(arg("jobs", "4"));
const PROFILE = args.includes("--profile") ? resolve(arg("profile", "bench-profiles")) : undefined;
if (BACKEND !== "sqlite" && BACKEND !== "postgres") throw new Error("--backend must be sqlite or postgres");
if (!(SIZE_GIB > 0) || !(RUNS >= 1) || !(JOBS >= 1)) throw new Error("--size, --runs and --jobs must be positive");

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
// --cli: another build's dist/src/cli/main.js (A/B runs of a change; default this build's)
const CLI = resolve(arg("cli", join(HERE, "../src/cli/main.js")));
const BYTES = Math.round(SIZE_GIB * 2 ** 30);
const SMALL_BYTES = Math.round(BYTES / 4); // the genome of the 1-vs-2-worker comparison
const CRED = { accessKeyId: "AKIDBENCHIMPORT", secretAccessKey: "bench-import-secret", accountId: "111122223333" };
const ROLE_ARN = `arn:aws:iam::${CRED.accountId}:role/bench-import`;
const BLOB_BUCKET = "refstore-blobs";
const TERMINAL = new Set(["COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"]);
const MB = 1e6; // throughput in MB/s and GB/hour: powers of ten; RSS in MiB

// --- the backend --------------------------------------------------------------------------------

interface Backend {
  label: string;
  /** environment of every refstore process; `tag` keeps blob prefixes of runs apart */
  env(tag: string): Record<string, string>;
  /** pid of s3rver (postgres only), for its CPU time */
  s3Pid?: number;
  dbUrl?: string;
}

async function startBackend(): Promise<Backend> {
  if (BACKEND === "sqlite") return { label: "SQLite catalog + local-disk blobs", env: () => ({}) };
  const { getTestDatabaseUrl } = await import("../test/support/postgres.js");
  const db = await getTestDatabaseUrl();
  onCleanup(() => db.stop());
  const s3 = await startS3Child();
  return {
    label: "PostgreSQL catalog (embedded) + blobs in s3rver",
    dbUrl: db.url,
    s3Pid: s3.pid,
    env: (tag) => ({ REFSTORE_DATABASE_URL: db.url, REFSTORE_BLOB_URL: `s3://${BLOB_BUCKET}/${tag}`, ...s3.env }),
  };
}

/** s3rver in its own process (bench/s3-server.ts): its file writing stays off our event loop. */
async function startS3Child(): Promise<{ pid: number; env: Record<string, string> }> {
  const child = track(
    spawn(process.execPath, [join(HERE, "s3-server.js"), BLOB_BUCKET], { stdio: ["pipe", "pipe", "inherit"] }),
  );
  const line = await new Promise<string>((res, rej) => {
    createInterface({ input: child.stdout! }).once("line", res);
    child.once("exit", (code) => rej(new Error(`s3rver child exited (${code}) before it listened`)));
  });
  child.stdout!.resume();
  const { env } = JSON.parse(line) as { env: Record<string, string> };
  return { pid: child.pid!, env };
}

// --- refstore processes -------------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  port?: number;
  client?: OmicsClient;
  /** why the process is unusable (it exited), or undefined */
  dead(): string | undefined;
  stop(): Promise<void>;
}

async function startProc(
  name: string,
  role: "all" | "api" | "worker",
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<Proc> {
  // every role listens (workers serve /health, /ready, /metrics), so each process gets a port
  const port = await freePort();
  const argv = [...nodeArgs, CLI, "serve", "--role", role, "--port", String(port)];
  const child = track(
    spawn(process.execPath, argv, {
      env: {
        ...process.env,
        REFSTORE_LOG_LEVEL: "warn",
        REFSTORE_ACCESS_KEY_ID: CRED.accessKeyId,
        REFSTORE_SECRET_ACCESS_KEY: CRED.secretAccessKey,
        REFSTORE_ACCOUNT_ID: CRED.accountId,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let output = "";
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-8000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const dead = () =>
    child.exitCode !== null || child.signalCode !== null
      ? `${name} exited (${child.exitCode ?? child.signalCode}): ${output.trim()}`
      : undefined;
  const proc: Proc = {
    name,
    child,
    pid: child.pid!,
    port,
    dead,
    async stop() {
      proc.client?.destroy();
      await stopChild(child);
      // a crash during the run shows here even if the numbers looked fine
      if (child.exitCode !== 0 && child.exitCode !== null) console.error(`${name} exited with ${child.exitCode}: ${output}`);
    },
  };
  if (port) {
    await waitForHttp(port, dead);
    proc.client = new OmicsClient({
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${port}`,
      disableHostPrefix: true,
      credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: CRED.secretAccessKey },
      maxAttempts: 1,
    });
  }
  return proc;
}

/** PostgreSQL: pids of the LISTEN connections of workers (a worker is ready once it listens). */
async function listeners(dbUrl: string): Promise<Set<number>> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const r = await c.query(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'refstore-listen'",
    );
    return new Set(r.rows.map((row) => row.pid as number));
  } finally {
    await c.end();
  }
}

async function waitForNewListeners(dbUrl: string, before: Set<number>, n: number, procs: Proc[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const p of procs) {
      const why = p.dead();
      if (why) throw new Error(why);
    }
    const now = await listeners(dbUrl);
    if ([...now].filter((pid) => !before.has(pid)).length >= n) return;
    if (Date.now() > deadline) throw new Error(`workers did not start listening for jobs within 30 s`);
    await sleep(50);
  }
}

// --- imports through the API --------------------------------------------------------------------

type Job = GetReferenceImportJobCommandOutput;

async function createStore(client: OmicsClient, name: string): Promise<string> {
  return (await client.send(new CreateReferenceStoreCommand({ name }))).id!;
}

async function startImport(client: OmicsClient, storeId: string, file: string, name: string): Promise<string> {
  const r = await client.send(
    new StartReferenceImportJobCommand({
      referenceStoreId: storeId,
      roleArn: ROLE_ARN,
      sources: [{ sourceFile: `s3://bench/${basename(file)}`, name }],
    }),
  );
  return r.id!;
}

/** Poll every job every 20 ms until all are terminal; `procs` dying fails at once. */
async function waitForJobs(client: OmicsClient, storeId: string, ids: string[], procs: Proc[]): Promise<Job[]> {
  const done = new Map<string, Job>();
  for (;;) {
    for (const p of procs) {
      const why = p.dead();
      if (why) throw new Error(why);
    }
    for (const id of ids) {
      if (done.has(id)) continue;
      const job = await client.send(new GetReferenceImportJobCommand({ referenceStoreId: storeId, id }));
      if (TERMINAL.has(job.status!)) done.set(id, job);
    }
    if (done.size === ids.length) return ids.map((id) => done.get(id)!);
    await sleep(20);
  }
}

/** A benchmark that imports wrongly must not print a speed: status, MD5 and .fai must be right. */
async function verify(client: OmicsClient, storeId: string, job: Job, md5: string, fai: string | undefined): Promise<void> {
  const src = job.sources?.[0];
  if (job.status !== "COMPLETED") {
    throw new Error(
      `import job ${job.id} ended ${job.status} (${job.statusMessage ?? "no message"}); ` +
        `source ${src?.sourceFile}: ${src?.status}: ${src?.statusMessage ?? "no message"}`,
    );
  }
  const id = src?.referenceId;
  if (!id) throw new Error(`import job ${job.id} is COMPLETED but names no reference`);
  const meta = await client.send(new GetReferenceMetadataCommand({ referenceStoreId: storeId, id }));
  if (meta.md5 !== md5) throw new Error(`reference ${id}: md5 ${meta.md5}, but md5sum of the file is ${md5}`);
  if (fai !== undefined) {
    const r = await client.send(new GetReferenceCommand({ referenceStoreId: storeId, id, partNumber: 1, file: "INDEX" }));
    const got = await r.payload!.transformToString();
    if (got !== fai) throw new Error(`reference ${id}: its .fai differs from samtools faidx's`);
  }
}

// --- the steps ----------------------------------------------------------------------------------

interface Row {
  step: string;
  seconds: number[];
  peakRssMb: number[];
  /** extra text for the RSS cell */
  rssNote?: string;
  missing?: string;
}

async function timeCommand(step: string, cmd: string, cmdArgs: string[], before?: () => void): Promise<Row & { stdout: string }> {
  const row: Row & { stdout: string } = { step, seconds: [], peakRssMb: [], stdout: "" };
  for (let i = 0; i < RUNS; i++) {
    before?.();
    const r = await runTimed(cmd, cmdArgs);
    if (r.code !== 0) throw new Error(`${cmd} ${cmdArgs.join(" ")} exited with ${r.code}: ${r.stderr}`);
    row.seconds.push(r.seconds);
    row.peakRssMb.push(r.peakRssMb);
    row.stdout = r.stdout;
  }
  return row;
}

function samtoolsAvailable(): boolean {
  const ok = () => spawnSync("samtools", ["--version"], { stdio: "ignore" }).status === 0;
  if (ok()) return true;
  if (process.getuid?.() !== 0 || spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) return false;
  console.log("samtools is missing: apt-get install -y samtools …");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (spawnSync("apt-get", ["install", "-y", "samtools"], { stdio: "inherit", env }).status !== 0) {
    spawnSync("apt-get", ["update"], { stdio: "inherit", env });
    spawnSync("apt-get", ["install", "-y", "samtools"], { stdio: "inherit", env });
  }
  return ok();
}

// The engine in a fresh process (bench/engine-child.ts: no leftovers of earlier steps in its RSS);
// it reports its own timing (benchEngine: ingestFasta over a 1 MiB-chunk file stream), VmHWM and
// CPU split.
/** The engine in a child process; with `storeDir`, it also writes the copy to local disk. */
async function engineRow(file: string, storeDir?: string): Promise<{ row: Row; cpu: CpuTimes[] }> {
  const step = storeDir
    ? "engine + writing the copy to local disk (no server)"
    : "engine alone (ingestFasta in a child process)";
  const row: Row = { step, seconds: [], peakRssMb: [] };
  const cpu: CpuTimes[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await runTimed(process.execPath, [join(HERE, "engine-child.js"), file, ...(storeDir ? [storeDir] : [])]);
    if (r.code !== 0) throw new Error(`engine child exited with ${r.code}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { seconds: number; vmHwmMb: number; cpu: CpuTimes };
    row.seconds.push(out.seconds);
    row.peakRssMb.push(out.vmHwmMb);
    cpu.push(out.cpu);
  }
  return { row, cpu };
}

interface ImportDetail {
  rssBeforeMb: number;
  server: CpuTimes;
  s3CpuSeconds?: number;
  /** this benchmark process (SDK client polling every 20 ms) */
  clientCpuSeconds: number;
}

/** One full import per fresh server process, so that its VmHWM belongs to that import. */
async function fullImportRow(
  backend: Backend,
  work: string,
  file: string,
  md5: string,
  fai: string | undefined,
): Promise<{ row: Row; details: ImportDetail[] }> {
  const row: Row = { step: "FULL import via refstore API (bucket mount)", seconds: [], peakRssMb: [] };
  const details: ImportDetail[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dataDir = trackDir(join(work, `full-${i}`));
    mkdirSync(dataDir);
    const env = { ...backend.env(`full-${i}`), REFSTORE_DATA_DIR: dataDir, REFSTORE_BUCKET_MOUNTS: `bench=${dirname(file)}` };
    const nodeArgs = PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${join(PROFILE, `full-${i + 1}`)}`] : [];
    // dirty pages of the previous run must not be written back during this one
    spawnSync("sync");
    const before = backend.dbUrl ? await listeners(backend.dbUrl) : undefined;
    const server = await startProc(`refstore (all) run ${i + 1}`, "all", env, nodeArgs);
    try {
      if (backend.dbUrl) await waitForNewListeners(backend.dbUrl, before!, 1, [server]);
      const client = server.client!;
      const store = await createStore(client, `bench-full-${i}`);
      const rssBeforeMb = procStatusMb(server.pid, "VmRSS")!;
      const cpu0 = cpuTimes(server.pid)!;
      const s3cpu0 = backend.s3Pid ? cpuTimes(backend.s3Pid)?.total : undefined;
      const self0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const id = await startImport(client, store, file, "bench");
      const [job] = await waitForJobs(client, store, [id], [server]);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const self = process.cpuUsage(self0);
      const cpu1 = cpuTimes(server.pid)!;
      const s3cpu1 = backend.s3Pid ? cpuTimes(backend.s3Pid)?.total : undefined;
      const peak = procStatusMb(server.pid, "VmHWM")!;
      await verify(client, store, job, md5, fai);
      row.seconds.push(seconds);
      row.peakRssMb.push(peak);
      details.push({
        rssBeforeMb,
        server: { total: cpu1.total - cpu0.total, main: cpu1.main - cpu0.main },
        s3CpuSeconds: s3cpu0 !== undefined && s3cpu1 !== undefined ? s3cpu1 - s3cpu0 : undefined,
        clientCpuSeconds: (self.user + self.system) / 1e6,
      });
      console.log(`  full import run ${i + 1}: ${seconds.toFixed(2)} s, peak RSS ${peak.toFixed(0)} MiB, md5${fai ? " and .fai" : ""} ok`);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  row.rssNote = `(idle before: ${median(details.map((d) => d.rssBeforeMb)).toFixed(0)})`;
  return { row, details };
}

interface ScaleResult {
  workers: number;
  layout: string;
  seconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  s3CpuSeconds?: number;
}

/** JOBS imports submitted at once; 1 or 2 workers; timed from the first Start to the last terminal. */
async function scaling(backend: Backend, work: string, file: string, md5: string, workers: number): Promise<ScaleResult> {
  const dataDir = trackDir(join(work, `scale-${workers}`));
  mkdirSync(dataDir);
  const base = { ...backend.env(`scale-${workers}`), REFSTORE_BUCKET_MOUNTS: `bench=${dirname(file)}` };
  const procs: Proc[] = [];
  let layout: string;
  try {
    if (BACKEND === "sqlite") {
      // SQLite: one process owns the catalog; its import concurrency is the sqlite "worker count"
      layout = `1 all process, REFSTORE_IMPORT_CONCURRENCY=${workers}`;
      procs.push(
        await startProc("refstore (all)", "all", { ...base, REFSTORE_DATA_DIR: dataDir, REFSTORE_IMPORT_CONCURRENCY: String(workers) }),
      );
    } else {
      layout = `1 api + ${workers} worker process${workers > 1 ? "es" : ""}, REFSTORE_IMPORT_CONCURRENCY=1 each`;
      const before = await listeners(backend.dbUrl!);
      procs.push(await startProc("refstore (api)", "api", { ...base, REFSTORE_DATA_DIR: join(dataDir, "api") }));
      for (let w = 0; w < workers; w++) {
        procs.push(
          await startProc(`refstore (worker ${w + 1})`, "worker", {
            ...base,
            REFSTORE_DATA_DIR: join(dataDir, `worker-${w}`),
            REFSTORE_IMPORT_CONCURRENCY: "1",
          }),
        );
      }
      await waitForNewListeners(backend.dbUrl!, before, workers, procs);
    }
    spawnSync("sync");
    const api = procs[0];
    const importers = BACKEND === "sqlite" ? procs : procs.slice(1);
    const client = api.client!;
    const store = await createStore(client, `bench-scale-${workers}`);
    const cpu0 = importers.map((p) => cpuTimes(p.pid)!.total);
    const s3cpu0 = backend.s3Pid ? cpuTimes(backend.s3Pid)?.total : undefined;
    const t0 = process.hrtime.bigint();
    const ids: string[] = [];
    for (let j = 0; j < JOBS; j++) ids.push(await startImport(client, store, file, `bench-${j}`));
    const jobs = await waitForJobs(client, store, ids, procs);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpuSeconds = importers.reduce((s, p, k) => s + cpuTimes(p.pid)!.total - cpu0[k], 0);
    const s3cpu1 = backend.s3Pid ? cpuTimes(backend.s3Pid)?.total : undefined;
    const peakRssMb = Math.max(...importers.map((p) => procStatusMb(p.pid, "VmHWM")!));
    for (const job of jobs) await verify(client, store, job, md5, undefined);
    console.log(`  ${workers} worker(s): ${JOBS} imports in ${seconds.toFixed(2)} s, md5 ok`);
    return {
      workers,
      layout,
      seconds,
      peakRssMb,
      cpuSeconds,
      s3CpuSeconds: s3cpu0 !== undefined && s3cpu1 !== undefined ? s3cpu1 - s3cpu0 : undefined,
    };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// --- machine, disk, output ----------------------------------------------------------------------

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1].trim();
  } catch {
    // no /proc/cpuinfo
  }
  return cpus()[0]?.model ?? "unknown";
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Read a file once so that every timed step finds it in the page cache. */
function warm(file: string): void {
  const devnull = openSync("/dev/null", "w");
  try {
    const r = spawnSync("cat", [file], { stdio: ["ignore", devnull, "inherit"] });
    if (r.status !== 0) throw new Error(`cat ${file} failed`);
  } finally {
    closeSync(devnull);
  }
}

const f2 = (n: number) => n.toFixed(2);
const gib = (b: number) => (b >= 2 ** 30 ? `${+(b / 2 ** 30).toFixed(2)} GiB` : `${+(b / 2 ** 20).toFixed(0)} MiB`);

function printRow(r: Row, bytes: number): void {
  if (r.missing) {
    console.log(`| ${r.step} | ${r.missing} | | |`);
    return;
  }
  const s = median(r.seconds);
  const range = r.seconds.length > 1 ? ` (${f2(Math.min(...r.seconds))}–${f2(Math.max(...r.seconds))})` : "";
  const rss = median(r.peakRssMb).toFixed(0) + (r.rssNote ? ` ${r.rssNote}` : "");
  console.log(`| ${r.step} | ${f2(s)}${range} | ${(bytes / MB / s).toFixed(0)} | ${rss} |`);
}

interface HashFigures {
  gib: number;
  md5x2PerStream: number;
  md5x2WithCopyPerStream: number;
  nodeMd5: number;
  nodeSha512: number;
}

/** The hashes on one core, in a child process, RUNS times (medians). */
async function hashFigures(): Promise<HashFigures | string> {
  const runs: HashFigures[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await runTimed(process.execPath, [join(HERE, "hash-child.js"), "1"]);
    if (r.code !== 0) return `hash benchmark failed: ${r.stderr.trim().split("\n").pop()}`;
    runs.push(JSON.parse(r.stdout) as HashFigures);
  }
  const m = (f: (h: HashFigures) => number) => median(runs.map(f));
  return {
    gib: runs[0].gib,
    md5x2PerStream: m((h) => h.md5x2PerStream),
    md5x2WithCopyPerStream: m((h) => h.md5x2WithCopyPerStream),
    nodeMd5: m((h) => h.nodeMd5),
    nodeSha512: m((h) => h.nodeSha512),
  };
}

// --- main ---------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  // FASTA files and everything refstore stores go under one directory in os.tmpdir()
  const root = mkdtempSync(join(tmpdir(), "refstore-bench-import-"));
  trackDir(root);
  const srcDir = join(root, "bucket"); // the bucket mount: s3://bench/<name>
  const work = join(root, "work");
  mkdirSync(srcDir);
  mkdirSync(work);
  if (KEEP) {
    // keep the generated FASTA files; the data of every run goes anyway
    untrackDir(root);
    trackDir(work);
  }

  // The file, one stored copy of it, the worker comparison's genome and its copies, and (with
  // s3rver) multipart parts next to the assembled object: about 4× the size at the worst moment.
  const need = 4 * BYTES + SMALL_BYTES;
  const free = freeBytes(root);
  if (free < need) {
    throw new Error(
      `not enough free space in ${tmpdir()}: ${gib(free)} free, this benchmark needs about ${gib(need)} ` +
        `(4× --size ${SIZE_GIB}); set TMPDIR to a larger filesystem or use a smaller --size`,
    );
  }

  const cores = availableParallelism();
  console.log(`refstore import benchmark — ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpuModel()}, ${cores} cores, ${gib(totalmem())} RAM; node ${process.version}; ` +
      `temp dir ${tmpdir()} (${gib(free)} free)`,
  );
  if (CLI !== resolve(join(HERE, "../src/cli/main.js"))) console.log(`server: ${CLI}`);
  console.log(`backend: ${BACKEND}; --size ${SIZE_GIB} GiB; ${RUNS} runs per step; ${JOBS} jobs per worker comparison\n`);

  const file = join(srcDir, "genome.fa");
  const small = join(srcDir, "genome-small.fa");
  let t = Date.now();
  await generateFasta(file, BYTES, { records: 25, lineWidth: 60 });
  await generateFasta(small, SMALL_BYTES, { records: 25, lineWidth: 60, seed: 2 });
  const size = statSync(file).size;
  const smallSize = statSync(small).size;
  console.log(`generated ${file} (${size.toLocaleString()} bytes) and a ${gib(smallSize)} genome in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  warm(file);
  warm(small);
  spawnSync("sync"); // the generated files' dirty pages go to disk now, not during a timed step

  t = Date.now();
  const backend = await startBackend();
  if (BACKEND === "postgres") console.log(`embedded PostgreSQL and s3rver (own process) started in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // d. md5sum (also gives the MD5 every import must reproduce)
  console.log("md5sum…");
  const md5Row = await timeCommand("md5sum", "md5sum", [file]);
  const md5 = md5Row.stdout.split(/\s+/)[0];
  const smallMd5 = spawnSync("md5sum", [small], { encoding: "utf8" }).stdout.split(/\s+/)[0];

  // c. samtools faidx (its .fai is also what every import's INDEX must equal)
  console.log("samtools faidx…");
  let samRow: Row;
  let fai: string | undefined;
  if (samtoolsAvailable()) {
    const faiPath = `${file}.fai`;
    samRow = await timeCommand("samtools faidx", "samtools", ["faidx", file], () => rmSync(faiPath, { force: true }));
    fai = readFileSync(faiPath, "utf8");
    unlinkSync(faiPath);
  } else {
    samRow = { step: "samtools faidx", seconds: [], peakRssMb: [], missing: "samtools not available" };
  }

  console.log("hashes on one core…");
  const hashes = await hashFigures();

  // a. the engine alone
  console.log("engine alone…");
  const engine = await engineRow(file);
  // what storing the copy costs this machine (page cache and fsync), apart from the server
  const engineWrite = await engineRow(file, join(work, "engine-store"));

  // b. the full import
  console.log("full import…");
  const full = await fullImportRow(backend, work, file, md5, fai);

  // the worker comparison
  console.log(`${JOBS} imports of ${gib(smallSize)} with 1, then 2 workers…`);
  const scale = [await scaling(backend, work, small, smallMd5, 1), await scaling(backend, work, small, smallMd5, 2)];

  // --- the report ---
  const s3note =
    BACKEND === "postgres"
      ? `S3 figures are against s3rver (a Node process writing files, in its own process) on the same ${cores}-core machine, not real S3.`
      : undefined;
  console.log(`\n## Import of one ${gib(size)} FASTA (25 records, 60-column lines), ${backend.label}`);
  console.log(`machine: ${cpuModel()}, ${cores} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`seconds: median of ${RUNS} runs (min–max); file in the page cache (read once before); MB = 10^6 bytes; RSS in MiB`);
  if (s3note) console.log(s3note);
  console.log("");
  console.log("| step | seconds | MB/s | peak RSS MiB |");
  console.log("|---|---:|---:|---:|");
  printRow(md5Row, size);
  printRow(samRow, size);
  printRow(engine.row, size);
  printRow(engineWrite.row, size);
  printRow(full.row, size);

  const fullS = median(full.row.seconds);
  const peak = Math.max(...full.row.peakRssMb);
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log("");
  console.log("| ratio | value | target | |");
  console.log("|---|---:|---:|---|");
  if (samRow.missing) console.log(`| full import / samtools faidx | samtools not available | ≤ 1.2× | |`);
  else {
    const r = fullS / median(samRow.seconds);
    console.log(`| full import / samtools faidx | ${f2(r)}× | ≤ 1.2× | ${verdict(r <= 1.2)} |`);
    const re = median(engine.row.seconds) / median(samRow.seconds);
    console.log(`| engine alone / samtools faidx | ${f2(re)}× | ≤ 1.0× | ${verdict(re <= 1.0)} |`);
  }
  const rMd5 = fullS / median(md5Row.seconds);
  console.log(`| full import / md5sum | ${f2(rMd5)}× | ≤ 2.0× | ${verdict(rMd5 <= 2.0)} |`);
  console.log(`| full import / engine alone | ${f2(fullS / median(engine.row.seconds))}× | | |`);
  console.log(`| full import / engine + writing the copy | ${f2(fullS / median(engineWrite.row.seconds))}× | | |`);
  console.log(`| full import peak RSS (worst run) | ${peak.toFixed(0)} MiB | < 256 MiB | ${verdict(peak < 256)} |`);

  // where the CPU went (medians over runs): a Node process's main thread runs the JavaScript
  const d = full.details;
  const med = (f: (x: ImportDetail) => number) => median(d.map(f));
  const e = engine.cpu;
  console.log(
    `\nCPU seconds during the full import (median): server ${f2(med((x) => x.server.total))} ` +
      `(main thread ${f2(med((x) => x.server.main))}, other threads ${f2(med((x) => x.server.total - x.server.main))})` +
      (BACKEND === "postgres" ? `, s3rver ${f2(med((x) => x.s3CpuSeconds ?? 0))}` : "") +
      `, this benchmark (polling every 20 ms) ${f2(med((x) => x.clientCpuSeconds))}` +
      `; engine alone (whole process): ${f2(median(e.map((c) => c.total)))} (main thread ${f2(median(e.map((c) => c.main)))})` +
      `; engine + writing the copy: ${f2(median(engineWrite.cpu.map((c) => c.total)))}; ` +
      `wall ${f2(fullS)} s on ${cores} cores`,
  );

  const perGib = size / 2 ** 30;
  console.log(
    `\nCPU seconds per GiB: full import (server) ${f2(med((x) => x.server.total) / perGib)}, ` +
      `engine alone ${f2(median(e.map((c) => c.total)) / perGib)}, engine + writing the copy ${f2(median(engineWrite.cpu.map((c) => c.total)) / perGib)}` +
      ` (digests: ${md5Engine().kind}${md5Engine().reason ? `, ${md5Engine().reason}` : ""})`,
  );
  console.log(`\n## Hashes on one core, CPU seconds per GiB of one stream (median of ${RUNS}; bench/hash-child.ts)\n`);
  if (typeof hashes === "string") console.log(hashes);
  else {
    console.log("| hash | CPU-s per GiB |");
    console.log("|---|---:|");
    console.log(`| md5x2 kernel, per stream (two streams hashed together) | ${f2(hashes.md5x2PerStream)} |`);
    console.log(`| md5x2 kernel with the copy into WebAssembly memory, per stream | ${f2(hashes.md5x2WithCopyPerStream)} |`);
    console.log(`| node:crypto MD5 | ${f2(hashes.nodeMd5)} |`);
    console.log(`| node:crypto SHA-512 | ${f2(hashes.nodeSha512)} |`);
    console.log(
      `\nboth MD5s of an import: md5x2 ${f2(2 * hashes.md5x2WithCopyPerStream)} CPU-s per GiB, node:crypto ${f2(2 * hashes.nodeMd5)} ` +
        `(${f2(hashes.md5x2WithCopyPerStream / hashes.nodeMd5)}×)`,
    );
  }

  console.log(`\n## Import throughput, 1 vs 2 workers: ${JOBS} imports of a ${gib(smallSize)} FASTA submitted at once, ${backend.label}`);
  console.log("(one run each; from the first StartReferenceImportJob to the last terminal status; every reference's MD5 checked)");
  if (s3note) console.log(s3note);
  console.log("");
  console.log("| workers | processes | seconds | imports/hour | GB/hour | peak RSS MiB per importing process | CPU s (importers) |" + (BACKEND === "postgres" ? " CPU s (s3rver) |" : ""));
  console.log("|---:|---|---:|---:|---:|---:|---:|" + (BACKEND === "postgres" ? "---:|" : ""));
  for (const s of scale) {
    const perHour = (JOBS / s.seconds) * 3600;
    const gbHour = ((JOBS * smallSize) / 1e9 / s.seconds) * 3600;
    console.log(
      `| ${s.workers} | ${s.layout} | ${f2(s.seconds)} | ${perHour.toFixed(0)} | ${gbHour.toFixed(0)} | ${s.peakRssMb.toFixed(0)} | ${f2(s.cpuSeconds)} |` +
        (BACKEND === "postgres" ? ` ${f2(s.s3CpuSeconds ?? 0)} |` : ""),
    );
  }
  console.log(`\n2 workers / 1 worker throughput: ${f2(scale[0].seconds / scale[1].seconds)}× (on ${cores} cores)`);
  console.log(`\ntotal benchmark time ${((Date.now() - started) / 1000).toFixed(0)} s` + (KEEP ? `; FASTA files kept in ${srcDir}` : ""));
}

main()
  .catch((err) => {
    if (cleaningUp()) return; // interrupted: the children were killed under us
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
