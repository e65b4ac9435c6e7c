// A scale-out deployment for tests: several real refstore processes (`node dist/src/cli/main.js
// serve --role …`, spawned as children) on one PostgreSQL catalog (test/support/postgres.ts) and
// one S3 blob bucket in an in-process s3rver (test/support/s3.ts), the way refstore is run behind
// a load balancer.
//
// Each process gets its own REFSTORE_DATA_DIR and logs JSON (pino) at info level to a pipe that
// the helper reads line by line, so that tests can see which process did what ("source imported"
// with its jobId) and learn the port an API process chose (`--port 0`, "refstore listening").
// Children that outlive the test process (a failed test, an exception) are SIGKILLed when it exits.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ListReferenceStoresCommand, OmicsClient } from "@aws-sdk/client-omics";
import pg from "pg";
import { getTestDatabaseUrl, type TestDatabase } from "./postgres.js";
import { TEST_CREDENTIALS } from "./refstore.js";
import { startS3, type TestS3 } from "./s3.js";

/** dist/test/support → dist/src/cli/main.js */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");

export type ClusterRole = "api" | "worker" | "all";
export type Credential = (typeof TEST_CREDENTIALS)[number];

/** One pino line of a child (the fields tests look at; everything else is kept too). */
export interface LogLine {
  level: number;
  msg: string;
  jobId?: string;
  referenceId?: string;
  [field: string]: unknown;
}

export interface ClusterProcess {
  name: string;
  role: ClusterRole;
  child: ChildProcess;
  pid: number;
  /** base URL of the process's listener (the APIs on roles api and all; /health, /ready, /metrics on every role) */
  url?: string;
  /** every JSON log line so far */
  logs: LogLine[];
  /** non-JSON output (stderr, crashes) */
  rawOutput: string[];
  /** an Omics client for this process (API roles only); destroyed by the cluster */
  client(cred?: Credential): OmicsClient;
  /** log lines with this msg */
  logged(msg: string): LogLine[];
  /** resolves when the process has exited */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** send a signal and wait for the exit */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface Cluster {
  db: TestDatabase;
  s3: TestS3;
  /** the bucket that holds refstore's blobs (REFSTORE_BLOB_URL=s3://<blobBucket>/refstore) */
  blobBucket: string;
  blobPrefix: string;
  /** scratch directory: data dirs, credentials, mounts */
  dir: string;
  /** the environment every process gets (before its own extras) */
  env: Record<string, string>;
  processes: ClusterProcess[];
  /** A query on the shared catalog (for what the API does not show, e.g. which worker holds a job). */
  sql<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** Start a process and wait until it is up (API roles: an API call answers). */
  spawn(name: string, role: ClusterRole, extraEnv?: Record<string, string>): Promise<ClusterProcess>;
  /** SIGTERM every live process (SIGKILL after 10 s), then stop S3 and drop the database. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once("exit", () => {
    for (const c of live) c.kill("SIGKILL");
  });
}

import { until } from "./wait.js";
export { until };

export async function startCluster(opts: { env?: Record<string, string> } = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "refstore-cluster-"));
  const [dbResult, s3Result] = await Promise.allSettled([getTestDatabaseUrl(), startS3()]);
  if (dbResult.status === "rejected" || s3Result.status === "rejected") {
    if (dbResult.status === "fulfilled") await dbResult.value.stop();
    if (s3Result.status === "fulfilled") await s3Result.value.stop();
    rmSync(dir, { recursive: true, force: true });
    throw dbResult.status === "rejected" ? dbResult.reason : (s3Result as PromiseRejectedResult).reason;
  }
  const db: TestDatabase = dbResult.value;
  const s3: TestS3 = s3Result.value;
  const blobBucket = "refstore-blobs";
  const blobPrefix = "refstore";
  await s3.createBucket(blobBucket);
  const credsFile = join(dir, "credentials.json");
  writeFileSync(credsFile, JSON.stringify(TEST_CREDENTIALS));
  const env: Record<string, string> = {
    REFSTORE_DATABASE_URL: db.url,
    REFSTORE_BLOB_URL: `s3://${blobBucket}/${blobPrefix}`,
    ...s3.env,
    REFSTORE_CREDENTIALS_FILE: credsFile,
    REFSTORE_POLL_MS: "100",
    REFSTORE_LOG_LEVEL: "info",
    // the SDK's notice that Node 20 support ends in 2027 (stderr of every process otherwise)
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...opts.env,
  };
  const clients: OmicsClient[] = [];
  const processes: ClusterProcess[] = [];
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on("error", () => {});
  /** backend pids of the LISTEN connections of workers (application_name refstore-listen) */
  const listeners = async () =>
    new Set<number>(
      (
        await pool.query(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'refstore-listen'",
        )
      ).rows.map((r) => r.pid as number),
    );

  const cluster: Cluster = {
    db,
    s3,
    blobBucket,
    blobPrefix,
    dir,
    env,
    processes,

    async sql(text, values) {
      return (await pool.query(text, values)).rows;
    },

    // Start processes one after the other: a worker's readiness is judged by a new LISTEN
    // connection on the catalog.
    async spawn(name, role, extraEnv = {}) {
      const listenersBefore = await listeners();
      const dataDir = join(dir, `data-${name}`);
      mkdirSync(dataDir, { recursive: true });
      const child = spawn(process.execPath, [CLI, "serve", "--role", role, "--port", "0"], {
        env: { ...process.env, ...env, REFSTORE_DATA_DIR: dataDir, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
      });
      track(child);
      const logs: LogLine[] = [];
      const rawOutput: string[] = [];
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal })),
      );
      let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      void exited.then((e) => (exitInfo = e));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        try {
          const parsed = JSON.parse(line) as LogLine;
          if (parsed && typeof parsed === "object" && typeof parsed.msg === "string") {
            logs.push(parsed);
            return;
          }
        } catch {
          // not JSON
        }
        rawOutput.push(line);
      });
      createInterface({ input: child.stderr! }).on("line", (line) => rawOutput.push(line));

      const proc: ClusterProcess = {
        name,
        role,
        child,
        pid: child.pid!,
        logs,
        rawOutput,
        exited,
        alive: () => exitInfo === undefined,
        logged: (msg) => logs.filter((l) => l.msg === msg),
        client(cred = TEST_CREDENTIALS[0]) {
          if (!proc.url) throw new Error(`${name} (${role}) has no HTTP API`);
          const c = new OmicsClient({
            region: "us-east-1",
            endpoint: proc.url,
            disableHostPrefix: true,
            credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey },
            maxAttempts: 1,
          });
          clients.push(c);
          return c;
        },
        async kill(signal = "SIGTERM") {
          if (exitInfo) return;
          child.kill(signal);
          await exited;
        },
      };
      processes.push(proc);

      const died = () =>
        exitInfo
          ? `${name} exited (${exitInfo.code ?? exitInfo.signal}): ${[...rawOutput, ...logs.map((l) => JSON.stringify(l))].join("\n").slice(-4000)}`
          : undefined;
      // A worker (role worker or all) is up once it listens for job notifications: its
      // LISTEN connection (application_name refstore-listen) shows in pg_stat_activity.
      if (role !== "api")
        await until(
          `${name} listening for jobs`,
          async () => ([...(await listeners())].some((pid) => !listenersBefore.has(pid)) ? true : undefined),
          30_000,
          died,
        );
      // Every process logs its address once it listens (--port 0: the port it was given); a
      // worker's serves /health, /ready and /metrics only.
      proc.url = await until(
        `${name} listening`,
        async () => logs.find((l) => l.msg === "refstore listening")?.url as string | undefined,
        30_000,
        died,
      );
      if (role === "worker") return proc;
      const probe = proc.client();
      await until(`${name} answering`, async () => (await probe.send(new ListReferenceStoresCommand({}))).referenceStores, 30_000, died);
      return proc;
    },

    async stop() {
      for (const c of clients) c.destroy();
      await Promise.all(
        processes.map(async (p) => {
          if (!p.alive()) return;
          const timer = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
          await p.kill("SIGTERM");
          clearTimeout(timer);
        }),
      );
      await pool.end().catch(() => {});
      await s3.stop();
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** Run `f` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}
