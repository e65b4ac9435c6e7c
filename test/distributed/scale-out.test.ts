// Scale-out is real: several refstore processes (`refstore serve --role all|api|worker`, real
// child processes) share one PostgreSQL catalog and one S3 blob bucket, as behind a load
// balancer. Import sources are real genomes read through the S3 API (s3rver), except where a
// named pipe in a bucket mount stands in for an object that is still arriving, so that a worker
// can be SIGKILLed in the middle of an import.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateReferenceStoreCommand,
  GetReferenceCommand,
  GetReferenceImportJobCommand,
  GetReferenceMetadataCommand,
  ListReferenceImportJobsCommand,
  ListReferencesCommand,
  StartReferenceImportJobCommand,
  type ImportReferenceJobItem,
  type OmicsClient,
  type ReferenceListItem,
} from "@aws-sdk/client-omics";
import { ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { request as httpRequest } from "node:http";
import { mapLimit, startCluster, until, type Cluster, type ClusterProcess } from "../support/cluster.js";
import { signedSend, signedStreamHeaders } from "../support/http.js";
import { TEST_CREDENTIALS } from "../support/refstore.js";
import { cleanEnv, runCli } from "../cli/run.js";
import { genome, manifest } from "../support/fixtures.js";
import { TERMINAL_JOB_STATUSES, waitForJob, waitForJobState } from "../support/wait.js";

const ROLE = "arn:aws:iam::111111111111:role/import";
const SOURCE_BUCKET = "genomes";
/** small real genomes, plain and BGZF, one and several sequences */
const GENOMES = ["phix.fa", "sars-cov-2.fa", "human-mito.fa", "lambda.fa", "mixed-case-crlf.fa", "multi.fa", "phix-lambda.fa.gz"];
const truth = (file: string) => manifest.files.find((f) => f.file === file)!;
const md5 = (b: Buffer | Uint8Array) => createHash("md5").update(b).digest("hex");

/** Every import job of a store, walking the pages. */
async function allJobs(omics: OmicsClient, store: string, maxResults = 100): Promise<ImportReferenceJobItem[]> {
  const out: ImportReferenceJobItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: store, maxResults, nextToken }));
    out.push(...page.importJobs!);
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** Every reference of a store, each page from the next client in turn (a load balancer). */
async function allReferences(clients: OmicsClient[], store: string, maxResults: number): Promise<ReferenceListItem[]> {
  const out: ReferenceListItem[] = [];
  let nextToken: string | undefined;
  let i = 0;
  do {
    const page = await clients[i++ % clients.length].send(new ListReferencesCommand({ referenceStoreId: store, maxResults, nextToken }));
    out.push(...page.references!);
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** Every object key in the blob bucket. */
async function blobKeys(cluster: Cluster): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const res = await cluster.s3.client.send(new ListObjectsV2Command({ Bucket: cluster.blobBucket, ContinuationToken }));
    keys.push(...(res.Contents ?? []).map((o) => o.Key!));
    ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys.sort();
}

/** The blob keys a reference owns (see src/catalog/types.ts referenceBlobKeys). */
function keysOf(cluster: Cluster, store: string, ref: string, bgzf: boolean): string[] {
  const base = `${cluster.blobPrefix}/stores/${store}/references/${ref}`;
  return [`${base}/index.fai`, `${base}/source`, ...(bgzf ? [`${base}/source.gzi`] : [])];
}

/** Log lines of level error or fatal, and non-JSON output (a crash), of the given processes. */
function problems(processes: ClusterProcess[]): string[] {
  return processes.flatMap((p) => [
    ...p.logs.filter((l) => l.level >= 50).map((l) => `${p.name}: ${JSON.stringify(l)}`),
    ...p.rawOutput.map((l) => `${p.name}: ${l}`),
  ]);
}

describe("two `all` processes and one `worker` on one PostgreSQL and one S3", () => {
  let cluster: Cluster;
  let api1: ClusterProcess;
  let api2: ClusterProcess;
  let worker: ClusterProcess;
  let omics1: OmicsClient;
  let omics2: OmicsClient;

  before(async () => {
    cluster = await startCluster();
    await cluster.s3.createBucket(SOURCE_BUCKET);
    for (const file of GENOMES) await cluster.s3.putObject(SOURCE_BUCKET, file, genome(file));
    worker = await cluster.spawn("worker", "worker");
    api1 = await cluster.spawn("all-1", "all");
    api2 = await cluster.spawn("all-2", "all");
    omics1 = api1.client();
    omics2 = api2.client();
  });
  after(async () => {
    await cluster?.stop();
  });

  test("200 import jobs submitted through both API processes each complete once, spread over all three workers", async () => {
    const store = (await omics1.send(new CreateReferenceStoreCommand({ name: "scale-out" }))).id!;
    const N = 200;
    const fileOf = (i: number) => GENOMES[i % GENOMES.length];
    // Submitted alternately through the two API processes, 10 requests in flight.
    const started = await mapLimit(Array.from({ length: N }, (_, i) => i), 10, async (i) => {
      const omics = i % 2 === 0 ? omics1 : omics2;
      const r = await omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: store,
          roleArn: ROLE,
          sources: [{ sourceFile: `s3://${SOURCE_BUCKET}/${fileOf(i)}`, name: `ref-${i}` }],
        }),
      );
      return { i, id: r.id!, via: i % 2 === 0 ? api1.name : api2.name };
    });
    const jobIds = started.map((s) => s.id);
    assert.equal(new Set(jobIds).size, N, "every submission got its own job id");

    // Wait until every job is terminal (listing through either process shows the same catalog).
    const listed = await until(
      "all 200 jobs terminal",
      async () => {
        const jobs = await allJobs(omics2, store);
        return jobs.length === N && jobs.every((j) => TERMINAL_JOB_STATUSES.has(j.status!)) ? jobs : undefined;
      },
      60_000,
    );
    assert.deepEqual(listed.map((j) => j.id).sort(), [...jobIds].sort(), "the list holds exactly the submitted jobs");

    // Each job: COMPLETED, its one source FINISHED with a reference (read through the other process).
    const jobs = await mapLimit(started, 10, async (s) =>
      (s.i % 2 === 0 ? omics2 : omics1).send(new GetReferenceImportJobCommand({ referenceStoreId: store, id: s.id })),
    );
    for (const [k, job] of jobs.entries()) {
      assert.equal(job.status, "COMPLETED", `job ${k}: ${JSON.stringify(job.sources)}`);
      assert.ok(job.completionTime, `job ${k} has a completion time`);
      assert.equal(job.sources!.length, 1);
      assert.equal(job.sources![0].status, "FINISHED");
      assert.equal(job.sources![0].statusMessage, undefined);
      assert.match(job.sources![0].referenceId ?? "", /^[0-9]{10}$/);
    }
    const refIdOfJob = new Map(jobs.map((j) => [j.id!, j.sources![0].referenceId!]));

    // Exactly 200 references, no duplicates, each the bytes of its genome (pages alternate between
    // the processes: a nextToken of one is good at the other).
    const refs = await allReferences([omics1, omics2], store, 17);
    assert.equal(refs.length, N, "exactly one reference per job");
    assert.equal(new Set(refs.map((r) => r.id)).size, N, "no reference listed twice");
    assert.equal(new Set(refs.map((r) => r.name)).size, N, "no source imported twice");
    assert.deepEqual(refs.map((r) => r.id).sort(), [...refIdOfJob.values()].sort(), "the references are the jobs' references");
    for (const r of refs) {
      const i = Number(r.name!.slice("ref-".length));
      assert.equal(r.md5, truth(fileOf(i)).md5, `${r.name} (${fileOf(i)})`);
    }

    // A sample, one per genome, through both processes: metadata and the stored bytes.
    for (let i = 0; i < GENOMES.length; i++) {
      const file = fileOf(i);
      const id = refIdOfJob.get(started[i].id)!;
      const omics = i % 2 === 0 ? omics2 : omics1;
      const meta = await omics.send(new GetReferenceMetadataCommand({ referenceStoreId: store, id }));
      assert.equal(meta.md5, truth(file).md5, file);
      assert.equal(meta.status, "ACTIVE");
      assert.equal(meta.files?.source?.contentLength, truth(file).bytes, file);
      const got = await omics.send(new GetReferenceCommand({ referenceStoreId: store, id, partNumber: 1, file: "SOURCE" }));
      const bytes = await got.payload!.transformToByteArray();
      assert.equal(md5(bytes), truth(file).md5, `${file}: GetReference returns the bytes imported`);
    }

    // Which process imported what, from the processes' own logs ("source imported", with jobId):
    // each job's source exactly once in the whole cluster, and every process took part.
    const imported = cluster.processes.flatMap((p) => p.logged("source imported").map((l) => ({ proc: p.name, jobId: l.jobId!, ref: l.referenceId! })));
    const perProcess = Object.fromEntries(cluster.processes.map((p) => [p.name, imported.filter((x) => x.proc === p.name).length]));
    console.log(`# imports per process: ${JSON.stringify(perProcess)}`);
    assert.equal(imported.length, N, `${imported.length} "source imported" lines for ${N} sources`);
    assert.deepEqual(imported.map((x) => x.jobId).sort(), [...jobIds].sort(), "each job's source imported exactly once, cluster-wide");
    for (const x of imported) assert.equal(x.ref, refIdOfJob.get(x.jobId), "the logged reference is the job's reference");
    for (const p of [worker, api1, api2]) assert.ok(perProcess[p.name] > 0, `${p.name} imported nothing: ${JSON.stringify(perProcess)}`);
    const finished = cluster.processes.flatMap((p) => p.logged("import job finished"));
    assert.equal(finished.length, N, "each job finished once");
    const lost = cluster.processes.flatMap((p) => p.logged("lease lost: another worker took this job over"));
    assert.deepEqual(lost, [], "no worker lost a lease: no job was taken over");

    // The blob bucket holds exactly the references' files: nothing stray, nothing half-written.
    const expected = refs.flatMap((r) => {
      const file = fileOf(Number(r.name!.slice(4)));
      return keysOf(cluster, store, r.id!, truth(file).compression === "bgzf");
    });
    const inBucket = (await blobKeys(cluster)).filter((k) => k.includes(`/stores/${store}/`));
    assert.deepEqual(inBucket, expected.sort());
    assert.deepEqual(problems(cluster.processes), [], "no errors logged");
  });

  test("ListReferenceImportJobs walked through one process while another inserts jobs: no duplicates, no gaps", async () => {
    const store = (await omics1.send(new CreateReferenceStoreCommand({ name: "walk" }))).id!;
    // Jobs whose source does not exist: they fail fast, so the workers change their status while
    // the list is walked (the order must not depend on it).
    const start = (omics: OmicsClient, n: string) =>
      omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: store,
          roleArn: ROLE,
          sources: [{ sourceFile: `s3://${SOURCE_BUCKET}/missing/${n}.fa`, name: n }],
        }),
      );
    // The jobs that exist before the walk: created concurrently through both processes (each with
    // its own clock), so creation times collide and the id must break the ties.
    const PRE = 120;
    const pre = await mapLimit(Array.from({ length: PRE }, (_, i) => i), 10, async (i) => (await start(i % 2 ? omics2 : omics1, `pre-${i}`)).id!);

    // A client inserts jobs through process 2 for as long as the walk lasts (3 requests in flight).
    // A job whose StartReferenceImportJob returned before the walk began existed before it.
    let phase: "warm-up" | "walk" | "done" = "warm-up";
    const existing = new Set(pre);
    const inserted: string[] = [];
    let insertedDuringWalk = 0;
    let n = 0;
    const inserter = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (phase !== "done") {
          const startedIn = phase;
          const id = (await start(omics2, `during-${n++}`)).id!;
          inserted.push(id);
          if (phase === "warm-up") existing.add(id);
          else if (startedIn === "walk" && phase === "walk") insertedDuringWalk++;
        }
      }),
    );
    // Let the inserter get going, so that inserts overlap every page of the walk.
    await until("inserts under way", async () => (inserted.length >= 3 ? true : undefined));
    phase = "walk";

    const walk: ImportReferenceJobItem[] = [];
    let pages = 0;
    let nextToken: string | undefined;
    try {
      do {
        const page = await omics1.send(new ListReferenceImportJobsCommand({ referenceStoreId: store, maxResults: 7, nextToken }));
        assert.ok(page.importJobs!.length <= 7);
        walk.push(...page.importJobs!);
        nextToken = page.nextToken;
        pages++;
      } while (nextToken);
    } finally {
      phase = "done";
      await inserter;
    }
    const walked = walk.map((j) => j.id!);
    const ties = walk.filter((j, k) => k > 0 && j.creationTime!.getTime() === walk[k - 1].creationTime!.getTime()).length;
    console.log(
      `# walk: ${pages} pages, ${walked.length} jobs (${ties} sharing the creation time of the one before); ` +
        `${existing.size} existed before it, ${insertedDuringWalk} were inserted during it, ` +
        `${walked.filter((id) => !existing.has(id)).length} jobs not existing at the start were seen`,
    );

    assert.equal(new Set(walked).size, walked.length, "no job listed twice");
    const seen = new Set(walked);
    for (const id of existing) assert.ok(seen.has(id), `job ${id}, created before the walk, is listed`);
    const known = new Set([...pre, ...inserted]);
    for (const id of walked) assert.ok(known.has(id), `listed job ${id} was never created`);
    for (let k = 1; k < walk.length; k++) {
      const a = walk[k - 1];
      const b = walk[k];
      const ta = a.creationTime!.getTime();
      const tb = b.creationTime!.getTime();
      assert.ok(ta < tb || (ta === tb && a.id! < b.id!), `order at ${k}: ${a.id}@${ta} before ${b.id}@${tb}`);
    }
    assert.ok(insertedDuringWalk > 0, "jobs really were inserted during the walk");

    // Once the inserts are over, a walk shows every job exactly once.
    const final = (await allJobs(omics1, store, 7)).map((j) => j.id!);
    assert.equal(final.length, PRE + inserted.length);
    assert.deepEqual([...final].sort(), [...known].sort());
  });
});

describe("a `worker` process killed with SIGKILL in the middle of an import", () => {
  let cluster: Cluster;
  let mount: string;
  /** incomplete multipart uploads in the blob bucket once the job was taken over and completed */

  before(async () => {
    // mount dir is inside the cluster dir, which startCluster creates: set it up after the start
    cluster = await startCluster({ env: { REFSTORE_LEASE_SECONDS: "2" } });
    mount = join(cluster.dir, "mount");
    mkdirSync(mount);
  });
  after(async () => {
    await cluster?.stop();
  });

  test("another worker completes the job; the reference appears once with the right bytes; no stray objects", async () => {
    const mounts = { REFSTORE_BUCKET_MOUNTS: `mnt=${mount}` };
    // Two API-only processes and one worker: only `w1` can claim the job.
    const api1 = await cluster.spawn("api-1", "api", mounts);
    const api2 = await cluster.spawn("api-2", "api", mounts);
    const w1 = await cluster.spawn("worker-1", "worker", mounts);
    const omics1 = api1.client();
    const omics2 = api2.client();

    // Larger than one 8 MiB multipart part, so the killed worker has a multipart upload going:
    // 48 copies of yeast chrI (real sequence, renamed records), 11 MB.
    const yeast = genome("yeast-chrI.fa");
    const body = yeast.subarray(yeast.indexOf(0x0a) + 1);
    const big = Buffer.concat(Array.from({ length: 48 }, (_, k) => [Buffer.from(`>chrI_copy${k + 1}\n`), body]).flat());
    const HALF = 10 * 1024 * 1024;
    assert.ok(big.length > HALF);

    const store = (await omics1.send(new CreateReferenceStoreCommand({ name: "kill" }))).id!;
    const fifo = join(mount, "big.fa");
    execFileSync("mkfifo", [fifo]);
    const { id: jobId } = await omics1.send(
      new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources: [{ sourceFile: "s3://mnt/big.fa", name: "big" }] }),
    );

    // Feed 10 MiB: the worker reads it, fills its first part and starts the multipart upload.
    const w = createWriteStream(fifo);
    w.on("error", () => {}); // EPIPE once the reader is gone
    await new Promise<void>((r) => w.write(big.subarray(0, HALF), () => r()));
    await waitForJobState(omics2, store, jobId!, "and its source IN_PROGRESS", (j) => j.status === "IN_PROGRESS" && j.sources![0].status === "IN_PROGRESS");
    const uploadsOfW1 = await until("the killed worker's multipart upload", async () => {
      const res = await cluster.s3.client.send(new ListMultipartUploadsCommand({ Bucket: cluster.blobBucket }));
      const u = (res.Uploads ?? []).filter((x) => x.Key!.includes(`/stores/${store}/`));
      return u.length ? u : undefined;
    });
    const [{ owner: owner1 }] = await cluster.sql<{ owner: string }>("SELECT owner FROM jobs WHERE id = $1", [jobId]);
    assert.ok(owner1);

    // A second worker that comes up meanwhile leaves a job alone while its lease is renewed
    // (a negative check, so it has to wait: longer than one lease of 2 s).
    const w2 = await cluster.spawn("worker-2", "worker", mounts);
    await new Promise((r) => setTimeout(r, 3000));
    const [held] = await cluster.sql<{ owner: string; lease_expires: number }>("SELECT owner, lease_expires FROM jobs WHERE id = $1", [jobId]);
    assert.equal(held.owner, owner1, "the live worker keeps its job");
    assert.ok(Number(held.lease_expires) > Date.now(), "its lease is being renewed");

    // The crash. Then the object becomes whole (a regular file in place of the pipe).
    await w1.kill("SIGKILL");
    w.destroy();
    unlinkSync(fifo);
    writeFileSync(fifo, big);

    const job = await waitForJob(omics2, store, jobId!, 30_000);
    assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
    assert.equal(job.sources![0].status, "FINISHED");
    const refId = job.sources![0].referenceId!;

    // The surviving worker did it, after clearing what the dead one had registered.
    assert.deepEqual(w1.logged("source imported"), [], "the killed worker never finished");
    assert.deepEqual(w2.logged("source imported").map((l) => [l.jobId, l.referenceId]), [[jobId, refId]]);
    assert.equal(w2.logged("deleting blobs left by an interrupted attempt").filter((l) => l.jobId === jobId).length, 1);

    // One reference, byte for byte the object.
    const refs = (await omics1.send(new ListReferencesCommand({ referenceStoreId: store }))).references!;
    assert.deepEqual(refs.map((r) => [r.id, r.name]), [[refId, "big"]], "the reference appears exactly once");
    const meta = await omics2.send(new GetReferenceMetadataCommand({ referenceStoreId: store, id: refId }));
    assert.equal(meta.md5, md5(big));
    assert.equal(meta.files?.source?.contentLength, big.length);
    const got = await omics1.send(new GetReferenceCommand({ referenceStoreId: store, id: refId, partNumber: 1, file: "SOURCE" }));
    assert.ok(Buffer.from(await got.payload!.transformToByteArray()).equals(big), "GetReference returns the object's bytes");
    const fai = await omics1.send(new GetReferenceCommand({ referenceStoreId: store, id: refId, partNumber: 1, file: "INDEX" }));
    const faiLines = (await fai.payload!.transformToString()).trimEnd().split("\n");
    assert.equal(faiLines.length, 48);
    assert.ok(faiLines.every((l, k) => l.startsWith(`chrI_copy${k + 1}\t230208\t`)));

    // Visible objects: exactly the reference's files; nothing of the dead attempt.
    assert.deepEqual(await blobKeys(cluster), keysOf(cluster, store, refId, false));
    const pending = await cluster.sql("SELECT key FROM pending_blobs");
    assert.deepEqual(pending, [], "no blob is left registered as pending");

    // Incomplete multipart uploads (invisible, but stored and, on AWS, billed): the worker that
    // took the job over aborted the dead attempt's upload when it deleted its pending keys.
    const uploads = (await cluster.s3.client.send(new ListMultipartUploadsCommand({ Bucket: cluster.blobBucket }))).Uploads ?? [];
    assert.ok(uploadsOfW1.length > 0, "the killed worker really had an upload open");
    assert.deepEqual(uploads.map((u) => u.Key), [], "no incomplete multipart upload is left after the takeover");
    assert.deepEqual(problems([api1, api2, w2]), [], "no errors logged");
  });
});

describe("local files in scale-out: API-only processes receive the bytes, a worker-only process imports them", () => {
  let cluster: Cluster;
  let api1: ClusterProcess;
  let api2: ClusterProcess;
  let worker: ClusterProcess;
  let store: string;
  const A = TEST_CREDENTIALS[0];

  before(async () => {
    // a short upload timeout: an API process killed mid-body leaves an upload nobody finishes
    cluster = await startCluster({ env: { REFSTORE_UPLOAD_TIMEOUT_SECONDS: "3" } });
    api1 = await cluster.spawn("api-1", "api");
    api2 = await cluster.spawn("api-2", "api");
    worker = await cluster.spawn("worker", "worker");
    store = (await api1.client().send(new CreateReferenceStoreCommand({ name: "uploads" }))).id!;
  });
  after(async () => {
    await cluster?.stop();
  });

  const createUpload = async (via: ClusterProcess, fileName: string) => {
    const r = await signedSend(via.url!, "POST", `/referencestore/${store}/upload`, A, { body: JSON.stringify({ fileName }) });
    assert.equal(r.status, 200, r.body.toString());
    return r.json() as { id: string; sourceFile: string };
  };
  /** PUT `bytes` to `via`, but only the first `cut` of them, then drop the connection (or kill the process). */
  const partialPut = async (via: ClusterProcess, uploadId: string, bytes: Buffer, cut: number, then: () => Promise<void> | void) => {
    const path = `/referencestore/${store}/upload/${uploadId}`;
    const u = new URL(via.url!);
    const headers = await signedStreamHeaders(via.url!, path, A, bytes.length);
    const req = httpRequest({ host: u.hostname, port: u.port, method: "PUT", path, headers });
    req.on("error", () => {});
    await new Promise<void>((r) => req.write(bytes.subarray(0, cut), () => r()));
    await until("the bytes arrived", async () => {
      const [row] = await cluster.sql<{ bytes_received: string }>("SELECT bytes_received FROM uploads WHERE id = $1", [uploadId]);
      return row && Number(row.bytes_received) > 0 ? true : undefined;
    });
    await then();
    req.destroy();
  };

  test("the CLI imports a local file through one API process; the worker imports it; bytes equal, stored once", async () => {
    const file = join(cluster.dir, "sars-cov-2.fa");
    writeFileSync(file, genome("sars-cov-2.fa"));
    const env = cleanEnv({ REFSTORE_ENDPOINT: api1.url, REFSTORE_ACCESS_KEY_ID: A.accessKeyId, REFSTORE_SECRET_ACCESS_KEY: A.secretAccessKey });
    const r = await runCli(["import", store, file, "--wait"], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const refId = /sars-cov-2: reference ([0-9]{10})/.exec(r.stdout)![1];
    assert.equal(worker.logged("source imported").filter((l) => l.referenceId === refId).length, 1, "the worker-only process imported it");
    const got = await api2.client().send(new GetReferenceCommand({ referenceStoreId: store, id: refId, partNumber: 1 }));
    assert.ok(Buffer.from(await got.payload!.transformToByteArray()).equals(genome("sars-cov-2.fa")));
    // the staged object is the reference's SOURCE: one copy of the bytes, beside the index
    const keys = (await blobKeys(cluster)).filter((k) => k.includes(`/stores/${store}/`));
    // an ordinary job, listed like any other
    const [listed] = (await api2.client().send(new ListReferenceImportJobsCommand({ referenceStoreId: store }))).importJobs!;
    const job = await api2.client().send(new GetReferenceImportJobCommand({ referenceStoreId: store, id: listed.id! }));
    const uploadId = /^s3:\/\/refstore-upload\/(\d{10})\/sars-cov-2\.fa$/.exec(job.sources![0].sourceFile!)![1];
    assert.deepEqual(keys, [`${cluster.blobPrefix}/stores/${store}/references/${refId}/index.fai`, `${cluster.blobPrefix}/stores/${store}/uploads/${uploadId}`]);
    assert.deepEqual(await cluster.sql("SELECT id FROM uploads"), []);
  });

  test("a connection dropped mid-body at one API process: FAILED with the count, nothing visible, nothing left in S3", async () => {
    const bytes = genome("lambda.fa");
    const upload = await createUpload(api1, "lambda.fa");
    const { id } = await api2.client().send(
      new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources: [{ sourceFile: upload.sourceFile, name: "dropped" }] }),
    );
    await partialPut(api2, upload.id, bytes, 20_000, () => {});
    const job = await until("job terminal", async () => {
      const j = await api1.client().send(new GetReferenceImportJobCommand({ referenceStoreId: store, id: id! }));
      return TERMINAL_JOB_STATUSES.has(j.status!) ? j : undefined;
    });
    assert.equal(job.status, "FAILED");
    assert.match(job.sources![0].statusMessage!, new RegExp(`^upload interrupted after \\d+ of ${bytes.length} bytes$`));
    const refs = await api1.client().send(new ListReferencesCommand({ referenceStoreId: store, filter: { name: "dropped" } }));
    assert.equal(refs.references!.length, 0);
    await until("the upload discarded", async () => ((await cluster.sql("SELECT id FROM uploads WHERE id = $1", [upload.id])).length === 0 ? true : undefined));
    assert.ok(!(await blobKeys(cluster)).some((k) => k.includes(`/uploads/${upload.id}`)), "nothing staged left");
    const open = (await cluster.s3.client.send(new ListMultipartUploadsCommand({ Bucket: cluster.blobBucket }))).Uploads ?? [];
    assert.deepEqual(open.filter((u) => u.Key!.includes(`/uploads/${upload.id}`)), [], "the staging upload was aborted");
  });

  test("the API process receiving an upload is killed: the held source fails once the upload timeout passes", async () => {
    const bytes = genome("lambda.fa");
    const doomed = await cluster.spawn("api-doomed", "api");
    const upload = await createUpload(doomed, "lambda.fa");
    const { id } = await api1.client().send(
      new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources: [{ sourceFile: upload.sourceFile, name: "orphaned" }] }),
    );
    await partialPut(doomed, upload.id, bytes, 20_000, () => doomed.kill("SIGKILL"));
    const job = await until("job terminal", async () => {
      const j = await api1.client().send(new GetReferenceImportJobCommand({ referenceStoreId: store, id: id! }));
      return TERMINAL_JOB_STATUSES.has(j.status!) ? j : undefined;
    }, 30_000);
    assert.equal(job.status, "FAILED");
    assert.match(job.sources![0].statusMessage!, new RegExp(`^upload timed out: nothing for \\d+ s \\(\\d+ of ${bytes.length} bytes received\\)$`));
    await until("the upload discarded", async () => ((await cluster.sql("SELECT id FROM uploads WHERE id = $1", [upload.id])).length === 0 ? true : undefined));
    assert.deepEqual(problems([api1, api2, worker]), [], "no errors logged");
  });
});
