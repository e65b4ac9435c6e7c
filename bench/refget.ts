// npm run bench:refget [-- --size <GiB>] [-- --requests 20000] [-- --concurrency 8] [-- --reads 10000000] [-- --vs <main.js>] [-- --keep]
//
// The GA4GH read path of a real refstore (`refstore serve`, SQLite + disk, a child process) on
// one generated genome of --size GiB (default 1: 4 records of ~264 Mbp, 60-column lines), stored
// as BGZF and as plain text. Every figure beside its yardstick,
// measured in the same run on the same machine:
//   - random 1 kbp subsequences by start/end over keep-alive connections (--concurrency at a
//     time, --requests of them after a warm-up): p50/p99 latency and requests/s, beside a bare
//     node:http server (its own child process) answering a fixed 1 kB body to the same client;
//   (the BGZF copy is stored first and deleted before the plain one: both hold the same
//   sequences, which refget serves from the oldest live copy)
//   - one whole sequence (~264 Mbp) streamed and discarded: MB/s beside
//     `samtools faidx <file> chr1 > /dev/null` on the same file (which also strips line breaks);
//   - CRAM decode (`samtools view x.cram > /dev/null`) of --reads 100 bp reads on chr1 with
//     REF_PATH pointing at refstore and an empty REF_CACHE, beside the same decode with the local
//     FASTA (-T) and with the same sequence served by a plain static file server (node:http +
//     createReadStream of <md5> files, its own child process) and an empty REF_CACHE.
// --vs <path>: another build's dist/src/cli/main.js as a second refstore (its own data directory,
// the same files imported), measured in the same run, turn about with this build (A/B of a change
// on a machine whose speed drifts).
// Every body is checked (length; the whole sequence's MD5) before any speed is printed.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateReferenceStoreCommand,
  DeleteReferenceCommand,
  GetReferenceImportJobCommand,
  OmicsClient,
  StartReferenceImportJobCommand,
} from "@aws-sdk/client-omics";
import { generateFasta } from "./import-engine.js";
import { cleanupAll, freePort, onCleanup, runTimed, sleep, stopChild, track, trackDir, untrackDir, waitForHttp } from "./support.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const SIZE_GIB = Number(arg("size", "1"));
const REQUESTS = Number(arg("requests", "20000"));
const CONCURRENCY = Number(arg("concurrency", "8"));
const READS = Number(arg("reads", "10000000"));
const VS = arg("vs", "");
const KEEP = args.includes("--keep");
const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, "../src/cli/main.js");
const CRED = { accessKeyId: "AKIDBENCHREFGET", secretAccessKey: "bench-refget-secret", accountId: "123456789012" };

interface Child {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

async function startChild(name: string, argv: string[], env: Record<string, string>, port: number): Promise<Child> {
  const child = track(spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output = (output + c).slice(-4000)));
  child.stderr!.on("data", (c: Buffer) => (output = (output + c).slice(-4000)));
  const dead = () => (child.exitCode !== null || child.signalCode !== null ? `${name} exited: ${output}` : undefined);
  await waitForHttp(port, dead);
  return { child, port, stop: () => stopChild(child) };
}

/** A bare node:http server answering every request with the same 1,000-byte body. */
const BARE = `
const http = require("node:http");
const body = Buffer.alloc(1000, 65);
http.createServer((req, res) => { res.writeHead(200, { "content-type": "text/plain", "content-length": body.length }); res.end(body); })
  .listen(Number(process.argv[1]), "127.0.0.1");
`;

/** A plain static file server: GET /<name> streams <dir>/<name>. */
const STATIC = `
const http = require("node:http"), fs = require("node:fs"), path = require("node:path");
const dir = process.argv[2];
http.createServer((req, res) => {
  const file = path.join(dir, path.basename(req.url.split("?")[0]));
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) { res.writeHead(404); return res.end(); }
    res.writeHead(200, { "content-type": "text/plain", "content-length": st.size });
    fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
  });
}).listen(Number(process.argv[1]), "127.0.0.1");
`;

/** Closed-loop load: `concurrency` requests in flight over keep-alive sockets; latency of each. */
async function load(port: number, paths: () => string, n: number, concurrency: number, expectBytes: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = request({ host: "127.0.0.1", port, path: paths(), agent }, (res) => {
        let got = 0;
        res.on("data", (c: Buffer) => (got += c.length));
        res.on("end", () => {
          if (res.statusCode !== 200 || got !== expectBytes) return reject(new Error(`status ${res.statusCode}, ${got} bytes`));
          resolve(Number(process.hrtime.bigint() - t0) / 1e6);
        });
      });
      req.on("error", reject);
      req.end();
    });
  const run = async (count: number) => {
    const lat: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        lat.push(await one());
      }
    };
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { lat, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  };
  await run(Math.min(2000, n)); // warm-up: JIT, connections, page cache
  const { lat, seconds } = await run(n);
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)], rps: n / seconds };
}

/** GET a URL, discard the body; seconds, bytes and (if `hash`) the body's MD5 (hashing in this
 * client costs as much as the transfer on 2 cores: the timed runs do not hash). */
function download(port: number, path: string, hash: boolean): Promise<{ seconds: number; bytes: number; md5?: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const h = hash ? createHash("md5") : undefined;
    request({ host: "127.0.0.1", port, path }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => {
        bytes += c.length;
        h?.update(c);
      });
      res.on("end", () => resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, bytes, md5: h?.digest("hex") }));
    })
      .on("error", reject)
      .end();
  });
}

async function getJson(port: number, path: string): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

const shell = (cmd: string, env: NodeJS.ProcessEnv = process.env) => runTimed("sh", ["-c", cmd], { env });

async function importFile(omics: OmicsClient, store: string, file: string): Promise<string> {
  const started = await omics.send(
    new StartReferenceImportJobCommand({
      referenceStoreId: store,
      roleArn: "arn:aws:iam::123456789012:role/bench",
      sources: [{ sourceFile: `s3://bench/${file}`, name: file.replace(/\W/g, "-") }],
    }),
  );
  for (;;) {
    const job = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: store, id: started.id! }));
    if (job.status === "COMPLETED") return job.sources![0].referenceId!;
    if (["FAILED", "CANCELLED", "COMPLETED_WITH_FAILURES"].includes(job.status!)) throw new Error(`import of ${file}: ${JSON.stringify(job.sources)}`);
    await sleep(100);
  }
}

const fmt = (x: number, d = 1) => x.toFixed(d);

async function main() {
  if (spawnSync("samtools", ["--version"], { stdio: "ignore" }).status !== 0) throw new Error("bench:refget needs samtools and bgzip on PATH");
  const dir = mkdtempSync(join(tmpdir(), "refstore-bench-refget-"));
  trackDir(dir);
  if (KEEP) {
    untrackDir(dir);
    console.log(`files kept in ${dir}`);
  }
  const plain = join(dir, "genome.fa");
  const t0 = Date.now();
  const lengths = await generateFasta(plain, Math.round(SIZE_GIB * 2 ** 30), { records: 4, lineWidth: 60, nRuns: 0.001 });
  console.log(`generated ${plain}: ${lengths.length} records, ${lengths.map((l) => fmt(l / 1e6)).join(", ")} Mbp (${fmt((Date.now() - t0) / 1000)} s)`);
  const gz = `${plain}.gz`;
  const bg = await shell(`bgzip -@ ${cpus().length} -c ${plain} > ${gz} && samtools faidx ${gz} && samtools faidx ${plain}`);
  if (bg.code !== 0) throw new Error(bg.stderr);

  const builds = [{ name: "refstore", cli: CLI }, ...(VS ? [{ name: "baseline (--vs)", cli: VS }] : [])];
  const servers: { name: string; port: number; omics: OmicsClient; store: string }[] = [];
  for (const [i, b] of builds.entries()) {
    const port = await freePort();
    const server = await startChild(b.name, [b.cli, "serve", "--role", "all", "--port", String(port)], {
      REFSTORE_DATA_DIR: join(dir, `data-${i}`),
      REFSTORE_BUCKET_MOUNTS: `bench=${dir}`,
      REFSTORE_LOG_LEVEL: "warn",
      REFSTORE_ACCESS_KEY_ID: CRED.accessKeyId,
      REFSTORE_SECRET_ACCESS_KEY: CRED.secretAccessKey,
      REFSTORE_ACCOUNT_ID: CRED.accountId,
    }, port);
    onCleanup(() => server.stop());
    const omics = new OmicsClient({ region: "us-east-1", endpoint: `http://127.0.0.1:${port}`, disableHostPrefix: true, credentials: CRED, maxAttempts: 1 });
    const store = (await omics.send(new CreateReferenceStoreCommand({ name: "bench-refget" }))).id!;
    servers.push({ name: b.name, port, omics, store });
  }
  const port = servers[0].port;
  const barePort = await freePort();
  const bare = await startChild("bare node:http", ["-e", BARE, String(barePort)], {}, barePort);
  onCleanup(() => bare.stop());

  const rows: string[][] = [];
  const bareLoad = await load(barePort, () => "/", REQUESTS, CONCURRENCY, 1000);
  rows.push(["bare node:http, fixed 1 kB body", fmt(bareLoad.p50, 2), fmt(bareLoad.p99, 2), fmt(bareLoad.rps, 0), "100%"]);

  let chr1: { ga4gh: string; md5: string; length: number } | undefined;
  const whole: string[][] = [];
  // BGZF first, then (BGZF deleted) plain: the CRAM decodes below read the plain copy
  for (const [label, file] of [["BGZF", "genome.fa.gz"], ["plain", "genome.fa"]] as const) {
    const refIds: string[] = [];
    for (const sv of servers) refIds.push(await importFile(sv.omics, sv.store, file));
    const list = await getJson(port, "/ga4gh/seqcol/v1/list/collection");
    const col = await getJson(port, `/ga4gh/seqcol/v1/collection/${list.results[0]}`);
    const meta = (await getJson(port, `/ga4gh/refget/v2/sequence/${col.sequences[0]}/metadata`)).metadata;
    chr1 = { ga4gh: meta.ga4gh, md5: meta.md5, length: meta.length };
    const ids: string[] = col.sequences;
    const lens: number[] = col.lengths;
    for (const sv of servers) {
      let x = 12345;
      const random = () => {
        x = (x * 1103515245 + 12345) % 2147483648;
        const k = x % ids.length;
        const s = Math.floor((x / 2147483648) * (lens[k] - 1000));
        return `/ga4gh/refget/v2/sequence/${ids[k]}?start=${s}&end=${s + 1000}`;
      };
      const r = await load(sv.port, random, REQUESTS, CONCURRENCY, 1000);
      rows.push([`${sv.name} refget, ${label}, random 1 kbp start/end`, fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.rps, 0), `${fmt((100 * r.rps) / bareLoad.rps, 0)}%`]);
    }

    const ours: number[][] = servers.map(() => []);
    const theirs: number[] = [];
    for (const sv of servers) {
      const checked = await download(sv.port, `/ga4gh/refget/v2/sequence/${chr1.ga4gh}`, true);
      if (checked.bytes !== chr1.length || checked.md5 !== chr1.md5) throw new Error(`whole chr1 (${label}, ${sv.name}): ${checked.bytes} bytes, md5 ${checked.md5}`);
    }
    for (let i = 0; i < 2; i++) {
      for (const [k, sv] of servers.entries()) {
        const d = await download(sv.port, `/ga4gh/refget/v2/sequence/${chr1.ga4gh}`, false);
        if (d.bytes !== chr1.length) throw new Error(`whole chr1 (${label}, ${sv.name}): ${d.bytes} bytes`);
        ours[k].push(d.seconds);
      }
      const s = await shell(`samtools faidx ${join(dir, file)} chr1 > /dev/null`);
      if (s.code !== 0) throw new Error(s.stderr);
      theirs.push(s.seconds);
    }
    const mb = chr1.length / 1e6;
    for (const [k, sv] of servers.entries())
      whole.push([`${label}, ${sv.name}`, fmt(mb / Math.min(...ours[k]), 0), fmt(mb / Math.min(...theirs), 0), `${fmt(Math.min(...theirs) / Math.min(...ours[k]), 2)}×`]);
    if (label === "BGZF") for (const [k, sv] of servers.entries()) await sv.omics.send(new DeleteReferenceCommand({ referenceStoreId: sv.store, id: refIds[k] }));
  }

  // CRAM: reads on chr1 from the bases refstore serves (checked against the MD5 above)
  const seqDir = join(dir, "static");
  mkdirSync(seqDir);
  const seqFile = join(seqDir, chr1!.md5);
  const fetchOut = await shell(`curl -s -o ${seqFile} http://127.0.0.1:${port}/ga4gh/refget/v2/sequence/${chr1!.md5}`);
  if (fetchOut.code !== 0) throw new Error("curl failed: " + fetchOut.stderr);
  const bases = readFileSync(seqFile);
  if (createHash("md5").update(bases).digest("hex") !== chr1!.md5) throw new Error("chr1 bases differ");
  const cram = join(dir, "reads.cram");
  const enc = spawn("samtools", ["view", "-C", "-T", plain, "-o", cram, "-"], { stdio: ["pipe", "inherit", "inherit"] });
  const header = `@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:${chr1!.length}\tM5:${chr1!.md5}\n`;
  enc.stdin!.write(header);
  const step = Math.max(1, Math.floor((chr1!.length - 100) / READS));
  const qual = "I".repeat(100);
  let batch = "";
  for (let i = 0, pos = 0; i < READS && pos + 100 <= chr1!.length; i++, pos += step) {
    let read = bases.toString("latin1", pos, pos + 100);
    if (i % 50 === 0) read = read.slice(0, 50) + (read[50] === "A" ? "C" : "A") + read.slice(51);
    batch += `r${i}\t0\tchr1\t${pos + 1}\t60\t100M\t*\t0\t0\t${read}\t${qual}\n`;
    if (batch.length > 1 << 20) {
      if (!enc.stdin!.write(batch)) await new Promise((r) => enc.stdin!.once("drain", r));
      batch = "";
    }
  }
  enc.stdin!.end(batch);
  await new Promise((r) => enc.once("exit", r));
  if (enc.exitCode !== 0) throw new Error("CRAM encoding failed");
  const staticPort = await freePort();
  const stat = await startChild("static server", ["-e", STATIC, String(staticPort), seqDir], {}, staticPort);
  onCleanup(() => stat.stop());
  const decode = async (how: string, refPath?: string) => {
    const times: number[] = [];
    let lines = "";
    for (let i = 0; i < 2; i++) {
      const cache = mkdtempSync(join(dir, "cache-"));
      const env = { ...process.env, HOME: dir, XDG_CACHE_HOME: join(dir, "xdg"), REF_CACHE: join(cache, "%2s/%2s/%s"), ...(refPath ? { REF_PATH: refPath } : {}) };
      const t = await shell(refPath ? `samtools view ${cram} | wc -l` : `samtools view -T ${plain} ${cram} | wc -l`, env);
      if (t.code !== 0) throw new Error(`${how}: ${t.stderr}`);
      lines = t.stdout.trim();
      times.push(t.seconds);
      rmSync(cache, { recursive: true, force: true });
    }
    return { seconds: Math.min(...times), lines };
  };
  const local = await decode("local FASTA");
  renameSync(plain, `${plain}.away`); // REF_PATH decodes must not find the local file
  const viaStatic = await decode("static server", `http://127.0.0.1:${staticPort}/%s`);
  const viaRefstore: { name: string; seconds: number; lines: string }[] = [];
  for (const sv of servers) viaRefstore.push({ name: sv.name, ...(await decode(sv.name, `http://127.0.0.1:${sv.port}/ga4gh/refget/v2/sequence/%s`)) });
  renameSync(`${plain}.away`, plain);
  for (const v of [viaStatic, ...viaRefstore]) if (v.lines !== local.lines) throw new Error(`decoded records differ: ${local.lines} locally, ${v.lines} over REF_PATH`);

  console.log(`\nrandom 1 kbp subsequences: ${REQUESTS} requests, ${CONCURRENCY} in flight, keep-alive, after a warm-up (${cpus().length} cores, one client process)`);
  console.table(rows.map(([what, p50, p99, rps, rel]) => ({ what, "p50 ms": p50, "p99 ms": p99, "req/s": rps, "of bare": rel })));
  console.log(`whole chr1 (${fmt(chr1!.length / 1e6)} Mbp), best of 2 (after one download whose MD5 is checked), MB/s of bases`);
  console.table(whole.map(([what, ours, theirs, ratio]) => ({ source: what, "refstore refget": ours, "samtools faidx > /dev/null": theirs, "refstore / samtools": ratio })));
  console.log(`CRAM decode of ${local.lines} reads (100 bp, chr1), samtools view > wc -l, empty REF_CACHE, best of 2`);
  console.table([
    { reference: "local FASTA (-T)", seconds: fmt(local.seconds, 2) },
    { reference: "REF_PATH → static file server", seconds: fmt(viaStatic.seconds, 2) },
    ...viaRefstore.map((v) => ({ reference: `REF_PATH → ${v.name} refget`, seconds: fmt(v.seconds, 2), "vs static": `${fmt(v.seconds / viaStatic.seconds, 2)}×` })),
  ]);
}

main()
  .then(() => cleanupAll())
  .catch(async (err) => {
    console.error(err);
    await cleanupAll();
    process.exit(1);
  });
