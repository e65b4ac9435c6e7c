// Stopping a worker with a grace period (REFSTORE_STOP_GRACE_SECONDS): it claims nothing more,
// lets the running import finish, and only past the grace aborts it and gives the job back.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import pino from "pino";
import { DiskBlobStore } from "../../src/blobs/disk.js";
import type { SourceReader } from "../../src/blobs/types.js";
import { SqliteCatalog } from "../../src/catalog/sqlite.js";
import type { JobRecord } from "../../src/catalog/types.js";
import { ImportWorker } from "../../src/jobs/worker.js";
import { until } from "../support/wait.js";

const STORE = "2000000001";


async function withWorker(run: (ctx: { catalog: SqliteCatalog; worker: ImportWorker; feed: PassThrough }) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), "refstore-drain-"));
  const catalog = SqliteCatalog.open(join(dir, "catalog.sqlite"));
  const blobs = new DiskBlobStore(join(dir, "blobs"), { fsync: false });
  const feed = new PassThrough();
  const sources: SourceReader = { open: async () => ({ stream: feed }) };
  try {
    await catalog.migrate();
    const job = (id: string, creationTime: number): JobRecord => ({
      id,
      storeId: STORE,
      roleArn: "arn:aws:iam::111111111111:role/import",
      status: "SUBMITTED",
      creationTime,
      sources: [{ index: 0, sourceFile: "s3://mnt/a.fa", name: `ref-${id}`, status: "NOT_STARTED" }],
    });
    await catalog.insertJobs([job("1000000001", 1), job("1000000002", 2)]);
    const worker = new ImportWorker(
      { catalog, blobs, sources, maxReferenceBytes: 1 << 20, now: () => Date.now() },
      { concurrency: 1, leaseMs: 30_000, maxAttempts: 3, pollMs: 20, log: pino({ level: "silent" }) },
    );
    worker.start();
    await until("the first job running", async () => ((await catalog.getJob(STORE, "1000000001"))?.sources[0].status === "IN_PROGRESS" ? true : undefined));
    feed.write(">a\nACGT\n");
    await run({ catalog, worker, feed });
  } finally {
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("within the grace period the running import finishes, and nothing more is claimed", async () => {
  await withWorker(async ({ catalog, worker, feed }) => {
    let stopped = false;
    const stopping = worker.stop(10_000).then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(stopped, false, "the worker waits for its import");
    feed.end("ACGT\n");
    await stopping;
    const done = await catalog.getJob(STORE, "1000000001");
    assert.equal(done?.status, "COMPLETED");
    assert.equal((await catalog.getJob(STORE, "1000000002"))?.status, "SUBMITTED", "the next job was not claimed");
  });
});

test("past the grace period the import is aborted and its job given back", async () => {
  await withWorker(async ({ catalog, worker }) => {
    const t0 = Date.now();
    await worker.stop(300);
    assert.ok(Date.now() - t0 >= 250, "it waited for the grace period");
    const given = await catalog.getJob(STORE, "1000000001");
    assert.equal(given?.status, "IN_PROGRESS");
    assert.equal(given?.attempts, 0, "given back: no attempt used");
    assert.deepEqual(await catalog.pendingBlobsOfJob("1000000001"), [], "its partial blobs are gone");
  });
});
