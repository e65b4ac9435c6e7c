// Crash safety and cancellation. A named pipe in a mounted bucket stands in for a slow S3 object:
// the import blocks on it until the test writes, so the test can kill the server (SIGKILL, a real
// crash of a real process) or cancel the job while a source is being imported. A pipe nobody ever
// writes to stands in for a poison source, one that takes down every worker importing it.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateReferenceStoreCommand,
  GetReferenceImportJobCommand,
  GetReferenceMetadataCommand,
  ListReferencesCommand,
  OmicsClient,
  StartReferenceImportJobCommand,
} from "@aws-sdk/client-omics";
import Database from "better-sqlite3";
import { gaveUpMessage } from "../../../src/catalog/outcome.js";
import { genome, manifest } from "../../support/fixtures.js";
import { signedSend } from "../../support/http.js";
import { startTestServer, TEST_CREDENTIALS, waitForJob, type TestServer } from "../../support/refstore.js";
import { until, waitForSourceInProgress } from "../../support/wait.js";

const ROLE = "arn:aws:iam::111111111111:role/x";
const A = TEST_CREDENTIALS[0];
const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../../src/cli/main.js");


/** `refstore serve` as a child process on `dir`/data, with a 1 s lease and bucket mnt=`dir`/mount. */
function spawnRefstore(dir: string, port: number, env: Record<string, string> = {}): ChildProcess {
  const credsFile = join(dir, "creds.json");
  writeFileSync(credsFile, JSON.stringify(TEST_CREDENTIALS));
  return spawn(process.execPath, [CLI, "serve", "--port", String(port)], {
    env: {
      ...process.env,
      REFSTORE_DATA_DIR: join(dir, "data"),
      REFSTORE_CREDENTIALS_FILE: credsFile,
      REFSTORE_BUCKET_MOUNTS: `mnt=${join(dir, "mount")}`,
      REFSTORE_LEASE_SECONDS: "1",
      REFSTORE_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

describe("a worker killed in the middle of an import", () => {
  let dir: string;
  let child: ChildProcess | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "refstore-crash-"));
  });
  after(() => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  function startProcess(port: number): Promise<ChildProcess> {
    return Promise.resolve(spawnRefstore(dir, port));
  }

  test("after a restart the job is taken up again and its reference appears exactly once", async () => {
    mkdirSync(join(dir, "mount"), { recursive: true });
    const fifo = join(dir, "mount", "slow.fa");
    execFileSync("mkfifo", [fifo]);
    writeFileSync(join(dir, "mount", "phix.fa"), genome("phix.fa"));
    const port = 20000 + Math.floor(Math.random() * 20000);
    child = await startProcess(port);
    const omics = new OmicsClient({ region: "us-east-1", endpoint: `http://127.0.0.1:${port}`, disableHostPrefix: true, credentials: A, maxAttempts: 1 });
    const store = await until("server up", async () => (await omics.send(new CreateReferenceStoreCommand({ name: "crash" }))).id);
    const started = await omics.send(
      new StartReferenceImportJobCommand({
        referenceStoreId: store,
        roleArn: ROLE,
        sources: [
          { sourceFile: "s3://mnt/phix.fa", name: "first" },
          { sourceFile: "s3://mnt/slow.fa", name: "slow" },
        ],
      }),
    );
    // feed half the genome into the pipe, then crash the server while it waits for the rest
    const yeast = genome("yeast-chrI.fa");
    const w = createWriteStream(fifo);
    w.on("error", () => {}); // EPIPE once the reading server is gone
    await new Promise<void>((r) => w.write(yeast.subarray(0, 100_000), () => r()));
    await until("source 2 in progress", async () => {
      const j = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: store, id: started.id }));
      return j.sources![1].status === "IN_PROGRESS" && j.sources![0].status === "FINISHED";
    });
    child.kill("SIGKILL");
    await new Promise((r) => child!.once("exit", r));
    w.destroy();
    unlinkSync(fifo);
    writeFileSync(fifo, yeast); // the object is now whole

    child = await startProcess(port);
    await until("server up again", async () => (await omics.send(new ListReferencesCommand({ referenceStoreId: store }))).references);
    const job = await waitForJob(omics, store, started.id!);
    assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
    const refs = (await omics.send(new ListReferencesCommand({ referenceStoreId: store }))).references!;
    assert.deepEqual(refs.map((r) => r.name).sort(), ["first", "slow"], "each source imported once");
    const slow = await omics.send(new GetReferenceMetadataCommand({ referenceStoreId: store, id: job.sources![1].referenceId }));
    assert.equal(slow.md5, manifest.files.find((f) => f.file === "yeast-chrI.fa")!.md5);
    // nothing half-written is left: only the two references' files remain
    const blobs = listFiles(join(dir, "data", "blobs")).filter((p) => !p.includes(".incomplete"));
    assert.equal(blobs.length, 4, blobs.join("\n"));
    const incomplete = join(dir, "data", "blobs", ".incomplete");
    assert.deepEqual(readdirSync(incomplete).length, 0);
    child.kill("SIGTERM");
    await new Promise((r) => child!.once("exit", r));
    child = undefined;
    omics.destroy();
  });
});

describe("a poison job: a source whose workers die every time", () => {
  let dir: string;
  let child: ChildProcess | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "refstore-poison-"));
  });
  after(() => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  test("is given up after REFSTORE_MAX_ATTEMPTS crashes (COMPLETED_WITH_FAILURES); a graceful stop is no attempt", async () => {
    mkdirSync(join(dir, "mount"), { recursive: true });
    const fifo = join(dir, "mount", "poison.fa");
    execFileSync("mkfifo", [fifo]);
    writeFileSync(join(dir, "mount", "phix.fa"), genome("phix.fa"));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const start = () => (child = spawnRefstore(dir, port, { REFSTORE_MAX_ATTEMPTS: "2", REFSTORE_LOG_LEVEL: "error" }));
    const stop = async (signal: NodeJS.Signals) => {
      const exited = once(child!, "exit");
      child!.kill(signal);
      await exited;
      child = undefined;
    };
    // What the API does not show: the job's claim count and owner, and pending blobs.
    const sql = <T>(text: string): T[] => {
      const db = new Database(join(dir, "data", "catalog.sqlite"));
      try {
        db.pragma("busy_timeout = 5000");
        return db.prepare(text).all() as T[];
      } finally {
        db.close();
      }
    };
    type Claim = { attempts: number; owner: string | null };
    const claim = (id: string) => sql<Claim>(`SELECT attempts, owner FROM jobs WHERE id = '${id}'`)[0];

    start();
    const omics = new OmicsClient({ region: "us-east-1", endpoint: `http://127.0.0.1:${port}`, disableHostPrefix: true, credentials: A, maxAttempts: 1 });
    const store = await until("server up", async () => (await omics.send(new CreateReferenceStoreCommand({ name: "poison" }))).id);
    const { id } = await omics.send(
      new StartReferenceImportJobCommand({
        referenceStoreId: store,
        roleArn: ROLE,
        sources: [
          { sourceFile: "s3://mnt/phix.fa", name: "first" },
          { sourceFile: "s3://mnt/poison.fa", name: "poison" },
        ],
      }),
    );
    // A graceful stop in the middle of the poison source (a few bytes in, so that the worker
    // reads, and can be interrupted): the job is given back without using up an attempt.
    const w = createWriteStream(fifo);
    w.on("error", () => {}); // EPIPE once the reader is gone
    await new Promise<void>((r) => w.write(">poison\nACGT\n", () => r()));
    await until("source 2 in progress", async () => {
      const j = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: store, id }));
      return j.sources![0].status === "FINISHED" && j.sources![1].status === "IN_PROGRESS";
    });
    assert.equal(claim(id!).attempts, 1);
    const exited = once(child!, "exit");
    child!.kill("SIGTERM");
    await until("job given back", async () => claim(id!).owner === null || undefined);
    // Only now close the pipe: the process cannot exit while a thread of its pool still blocks
    // reading it (libuv joins them at exit), but EOF earlier would end the source as a FASTA.
    w.destroy();
    await exited;
    assert.deepEqual(claim(id!), { attempts: 0, owner: null }, "given back, no attempt used");

    // Two crashes with the poison source open (nobody writes to the pipe now): the first
    // restart takes the job up at once (it was given back), the second after the lease expired.
    for (const attempt of [1, 2]) {
      start();
      await until(`attempt ${attempt}`, async () => {
        const c = claim(id!);
        return c.attempts === attempt && c.owner !== null;
      });
      await stop("SIGKILL");
    }

    // The next worker gives the job up when the lease expires, instead of running it again.
    start();
    const job = await until("job given up", async () => {
      const j = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: store, id }));
      return j.status === "IN_PROGRESS" ? undefined : j;
    });
    const reason = gaveUpMessage(2);
    assert.equal(job.status, "COMPLETED_WITH_FAILURES", JSON.stringify(job));
    assert.equal(job.statusMessage, `1 of 2 sources failed; ${reason}`);
    assert.ok(job.completionTime);
    assert.equal(job.sources![0].status, "FINISHED");
    assert.deepEqual([job.sources![1].status, job.sources![1].statusMessage, job.sources![1].referenceId], ["FAILED", reason, undefined]);
    const refs = (await omics.send(new ListReferencesCommand({ referenceStoreId: store }))).references!;
    assert.deepEqual(refs.map((r) => [r.id, r.name]), [[job.sources![0].referenceId, "first"]]);
    // The blobs the killed attempts had registered are gone; only the first reference's remain.
    await until("pending blobs deleted", async () => sql(`SELECT key FROM pending_blobs`).length === 0 || undefined);
    const blobs = listFiles(join(dir, "data", "blobs")).filter((p) => !p.includes(".incomplete"));
    assert.equal(blobs.length, 2, blobs.join("\n"));
    assert.deepEqual(claim(id!), { attempts: 2, owner: null });
    // It stays given up, and the worker is alive and well.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: store, id }))).status, "COMPLETED_WITH_FAILURES");
    assert.equal(child!.exitCode, null);
    await stop("SIGTERM");
    omics.destroy();
  });
});

describe("cancelling an import job (refstore extension)", () => {
  let server: TestServer;
  let omics: OmicsClient;
  let store: string;
  let mount: string;
  before(async () => {
    server = await startTestServer();
    mount = join(server.dataDir, "mount");
    mkdirSync(mount);
    await server.restart({ bucketMounts: `mnt=${mount}` });
    omics = server.client();
    store = (await omics.send(new CreateReferenceStoreCommand({ name: "cancel" }))).id!;
  });
  after(() => server.stop());

  const cancel = (id: string) => signedSend(server.url, "POST", `/referencestore/${store}/importjob/${id}/cancel`, A);

  test("a running job goes CANCELLING → CANCELLED; unfinished sources are not imported", async () => {
    const fifo = join(mount, "pipe.fa");
    execFileSync("mkfifo", [fifo]);
    writeFileSync(join(mount, "phix.fa"), genome("phix.fa"));
    const started = await omics.send(
      new StartReferenceImportJobCommand({
        referenceStoreId: store,
        roleArn: ROLE,
        sources: [
          { sourceFile: "s3://mnt/pipe.fa", name: "piped" },
          { sourceFile: "s3://mnt/phix.fa", name: "phix" },
        ],
      }),
    );
    const w = createWriteStream(fifo);
    w.on("error", () => {}); // EPIPE once the reading server is gone
    await new Promise<void>((r) => w.write(">chr1\nACGT\n", () => r()));
    await waitForSourceInProgress(omics, store, started.id!);
    const r = await cancel(started.id!);
    assert.equal(r.status, 200, r.body.toString());
    assert.ok(["CANCELLING", "CANCELLED"].includes(r.json().status));
    const job = await waitForJob(omics, store, started.id!);
    w.destroy();
    assert.equal(job.status, "CANCELLED");
    assert.ok(job.completionTime);
    for (const s of job.sources!) {
      assert.equal(s.status, "FAILED");
      assert.match(s.statusMessage!, /cancel/);
      assert.equal(s.referenceId, undefined);
    }
    assert.deepEqual((await omics.send(new ListReferencesCommand({ referenceStoreId: store }))).references, []);
  });

  test("a job not yet started is cancelled at once; a finished one stays as it is; unknown → 404", async () => {
    await server.restart({ role: "api", bucketMounts: `mnt=${mount}` });
    omics = server.client();
    const started = await omics.send(
      new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources: [{ sourceFile: "s3://mnt/phix.fa", name: "phix" }] }),
    );
    const r = await cancel(started.id!);
    assert.equal(r.json().status, "CANCELLED");
    await server.restart({ role: "all", bucketMounts: `mnt=${mount}` });
    omics = server.client();
    const done = await omics.send(
      new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources: [{ sourceFile: "s3://mnt/phix.fa", name: "phix" }] }),
    );
    assert.equal((await waitForJob(omics, store, done.id!)).status, "COMPLETED");
    assert.equal((await cancel(done.id!)).json().status, "COMPLETED");
    const stillCancelled = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: store, id: started.id }));
    assert.equal(stillCancelled.status, "CANCELLED", "a cancelled job is never picked up");
    const missing = await cancel("1000000000");
    assert.equal(missing.status, 404);
  });
});
