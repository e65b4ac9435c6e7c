// npm run bench:list [-- --jobs 1000000] [-- --backend sqlite|postgres] [-- --profile <dir>] [-- --cli <main.js>]
//
// ListReferenceImportJobs at scale: loads N jobs into one store, starts a real refstore API
// process, and measures over HTTP with SigV4-signed requests:
//   - latency (p50/p99) of a status-filtered page of 100 at page 1 and at page 9,000
//   - throughput (requests/s) with 8 concurrent keep-alive connections
// beside a bare Node HTTP server answering a fixed JSON body of the same size, measured the same
// way in the same run, so the ratio shows refstore's own overhead.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SignatureV4 } from "@smithy/signature-v4";
import { HttpRequest } from "@smithy/protocol-http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { openCatalog } from "../src/catalog/index.js";
import type { JobRecord } from "../src/catalog/types.js";
import { DEV_CREDENTIAL, loadConfig } from "../src/config.js";
import { Paging } from "../src/service/paging.js";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const JOBS = Number(arg("jobs", "1000000"));
const BACKEND = arg("backend", "sqlite");
const PAGE_DEEP = Number(arg("page", "9000"));
const SAMPLES = Number(arg("samples", "1000"));
const SECONDS = Number(arg("seconds", "5"));
const CONCURRENCY = Number(arg("concurrency", "8"));
// --profile <dir>: the API process writes a V8 CPU profile (.cpuprofile) there when it stops
const PROFILE = args.includes("--profile") ? arg("profile", "bench-profiles") : undefined;
// --cli <path>: another build's dist/src/cli/main.js as the server (A/B runs of a change)
const CLI = resolve(arg("cli", join(dirname(fileURLToPath(import.meta.url)), "../src/cli/main.js")));
const STORE = "1000000001";
const T0 = Date.parse("2024-01-01T00:00:00Z");

interface Prepared {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

async function sign(port: number, path: string, query: Record<string, string>, body: string): Promise<Prepared> {
  const signer = new SignatureV4({
    service: "omics",
    region: "us-east-1",
    sha256: Sha256,
    credentials: { accessKeyId: DEV_CREDENTIAL.accessKeyId, secretAccessKey: DEV_CREDENTIAL.secretAccessKey },
    applyChecksum: false,
  });
  const headers = { host: `127.0.0.1:${port}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };
  const signed = await signer.sign(new HttpRequest({ method: "POST", protocol: "http:", hostname: "127.0.0.1", port, path, query, headers, body }));
  const qs = new URLSearchParams(query).toString();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) out[k] = String(v);
  return { method: "POST", path: qs ? `${path}?${qs}` : path, headers: out, body: Buffer.from(body) };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function once(port: number, p: Prepared): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: p.method, path: p.path, headers: p.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(p.body);
  });
}

type Latency = { p50: number; p99: number; bytes: number };

/** p50/p99 of each request, sent one at a time and interleaved (so warm-up and background
 * noise fall on every request alike, not on whichever is measured first). */
async function latencies(port: number, reqs: Prepared[]): Promise<Latency[]> {
  const times: number[][] = reqs.map(() => []);
  const bytes: number[] = reqs.map(() => 0);
  for (let i = 0; i < 50; i++) for (const p of reqs) await once(port, p); // warm-up
  for (let i = 0; i < SAMPLES; i++) {
    for (let k = 0; k < reqs.length; k++) {
      const t = process.hrtime.bigint();
      const r = await once(port, reqs[k]);
      times[k].push(Number(process.hrtime.bigint() - t) / 1e6);
      if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body}`);
      bytes[k] = r.body.length;
    }
  }
  return times.map((t, k) => {
    t.sort((a, b) => a - b);
    return { p50: t[Math.floor(t.length * 0.5)], p99: t[Math.floor(t.length * 0.99)], bytes: bytes[k] };
  });
}

async function throughput(port: number, p: Prepared): Promise<number> {
  let count = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const r = await once(port, p);
        if (r.status !== 200) throw new Error(`status ${r.status}`);
        count++;
      }
    }),
  );
  return count / SECONDS;
}

function waitForPort(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const tryOnce = () => {
      const req = request({ host: "127.0.0.1", port, method: "GET", path: "/" }, (res) => {
        res.resume();
        resolve();
      });
      req.on("error", () => (Date.now() > deadline ? reject(new Error("server did not start")) : setTimeout(tryOnce, 100)));
      req.end();
    };
    tryOnce();
  });
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "refstore-bench-list-"));
  const env: Record<string, string> = { ...(process.env as Record<string, string>), REFSTORE_DATA_DIR: dataDir, REFSTORE_LOG_LEVEL: "warn" };
  let stopDb: (() => Promise<void>) | undefined;
  if (BACKEND === "postgres") {
    const { getTestDatabaseUrl } = await import("../test/support/postgres.js");
    const db = await getTestDatabaseUrl();
    env.REFSTORE_DATABASE_URL = db.url;
    stopDb = db.stop;
  }
  const config = loadConfig(env);

  // 1. load the jobs: 95% COMPLETED, so a COMPLETED-filtered walk reaches page 9,000
  console.log(`loading ${JOBS.toLocaleString()} jobs into one store (${BACKEND})…`);
  let t = Date.now();
  const catalog = await openCatalog({ database: config.database });
  await catalog.insertStore({ account: config.credentials[0].accountId, id: STORE, name: "bench", creationTime: T0 });
  const BATCH = 10_000;
  let nth = 0;
  let deepCursor: { creationTime: number; id: string } | undefined;
  for (let i = 0; i < JOBS; i += BATCH) {
    const batch: JobRecord[] = [];
    for (let k = i; k < Math.min(JOBS, i + BATCH); k++) {
      const status = k % 20 === 0 ? "FAILED" : "COMPLETED";
      const j: JobRecord = {
        id: String(2_000_000_000 + k),
        storeId: STORE,
        roleArn: "arn:aws:iam::123456789012:role/bench",
        status,
        creationTime: T0 + k,
        completionTime: T0 + k + 60_000,
        sources: [{ index: 0, sourceFile: `s3://bucket/genome-${k}.fa`, name: `genome-${k}`, status: status === "FAILED" ? "FAILED" : "FINISHED" }],
      };
      if (status === "COMPLETED" && ++nth === (PAGE_DEEP - 1) * 100) deepCursor = { creationTime: j.creationTime, id: j.id };
      batch.push(j);
    }
    await catalog.insertJobs(batch);
  }
  await catalog.close();
  let catalogBytes: number;
  if (BACKEND === "postgres") {
    // what autovacuum does to a table that grew over months, done now instead of during the run
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: env.REFSTORE_DATABASE_URL });
    await client.connect();
    await client.query("VACUUM ANALYZE jobs");
    const { rows } = await client.query("SELECT pg_total_relation_size('jobs') AS n");
    catalogBytes = Number(rows[0].n);
    await client.end();
  } else {
    catalogBytes = statSync(join(dataDir, "catalog.sqlite")).size;
  }
  console.log(`loaded in ${((Date.now() - t) / 1000).toFixed(1)} s; the jobs take ${(catalogBytes / 2 ** 20).toFixed(0)} MiB in the catalog (with indexes)`);
  if (!deepCursor) throw new Error(`not enough jobs for page ${PAGE_DEEP}: use --jobs ≥ ${Math.ceil((PAGE_DEEP * 100) / 0.95)}`);

  // 2. the refstore API process
  const port = 21000 + Math.floor(Math.random() * 5000);
  const node = PROFILE ? ["--cpu-prof", "--cpu-prof-dir", PROFILE] : [];
  const server = spawn(process.execPath, [...node, CLI, "serve", "--role", "api", "--port", String(port)], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const children: ChildProcess[] = [server];
  try {
    await waitForPort(port);
    const filter = { status: "COMPLETED", createdAfter: undefined, createdBefore: undefined };
    const paging = new Paging(config.tokenSecret);
    const deepToken = paging.encode(`jobs:${STORE}`, filter, deepCursor);
    const path = `/referencestore/${STORE}/importjobs`;
    const body = JSON.stringify({ filter: { status: "COMPLETED" } });
    const page1 = await sign(port, path, { maxResults: "100" }, body);
    const pageDeep = await sign(port, path, { maxResults: "100", nextToken: deepToken }, body);
    const check = JSON.parse((await once(port, pageDeep)).body.toString());
    if (check.importJobs?.length !== 100) throw new Error(`page ${PAGE_DEEP} is not a full page: ${JSON.stringify(check).slice(0, 300)}`);

    t = Date.now();
    const [l1, lDeep] = await latencies(port, [page1, pageDeep]);
    const rps = await throughput(port, page1);

    // 3. the baseline: a bare Node HTTP server answering a fixed JSON body of the same size
    const bport = port + 1;
    const fixed = (await once(port, page1)).body.toString();
    const bare = spawn(
      process.execPath,
      [
        "-e",
        `const b=Buffer.from(process.env.BODY);require("http").createServer((q,s)=>{q.resume();q.on("end",()=>{s.writeHead(200,{"content-type":"application/json","content-length":b.length});s.end(b)})}).listen(${bport},"127.0.0.1")`,
      ],
      { env: { ...process.env, BODY: fixed }, stdio: "inherit" },
    );
    children.push(bare);
    await waitForPort(bport);
    const [b1] = await latencies(bport, [page1]);
    const brps = await throughput(bport, page1);

    const f = (n: number) => n.toFixed(2);
    console.log(`\nserver: ${CLI}`);
    console.log(`ListReferenceImportJobs, ${JOBS.toLocaleString()} jobs in one store, filter status=COMPLETED, page of 100, ${BACKEND} catalog`);
    console.log(`(${SAMPLES} sequential requests per row, the two refstore rows interleaved; throughput: ${CONCURRENCY} keep-alive connections for ${SECONDS} s; response ${l1.bytes} bytes)\n`);
    console.log("| server | p50 ms | p99 ms | requests/s |");
    console.log("|---|---:|---:|---:|");
    console.log(`| refstore, page 1 | ${f(l1.p50)} | ${f(l1.p99)} | ${rps.toFixed(0)} |`);
    console.log(`| refstore, page ${PAGE_DEEP.toLocaleString()} | ${f(lDeep.p50)} | ${f(lDeep.p99)} | |`);
    console.log(`| bare node:http, fixed body | ${f(b1.p50)} | ${f(b1.p99)} | ${brps.toFixed(0)} |`);
    console.log(
      `\npage ${PAGE_DEEP} / page 1 (p50): ${(lDeep.p50 / l1.p50).toFixed(2)}×; refstore / bare throughput: ${((rps / brps) * 100).toFixed(0)}%`,
    );
    const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
    console.log(`p99 < 10 ms at page 1 and page ${PAGE_DEEP}: ${verdict(l1.p99 < 10 && lDeep.p99 < 10)}`);
    console.log(`page ${PAGE_DEEP} within 20% of page 1 (p50): ${verdict(Math.abs(lDeep.p50 / l1.p50 - 1) <= 0.2)}`);
    console.log(`≥ 2,000 signed requests/s (the target of the embedded catalog): ${verdict(rps >= 2000)}`);
  } finally {
    await Promise.all(
      children.map((c) => {
        if (c.exitCode !== null || c.signalCode !== null) return undefined;
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        return exited;
      }),
    );
    agent.destroy();
    await stopDb?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
