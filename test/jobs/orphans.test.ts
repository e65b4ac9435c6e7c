// A worker starting up deletes the blobs that ended or vanished jobs left registered as pending
// (their worker died before cleaning up), and leaves a running job's alone.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { DiskBlobStore } from "../../src/blobs/disk.js";
import type { SourceReader } from "../../src/blobs/types.js";
import { SqliteCatalog } from "../../src/catalog/sqlite.js";
import { ImportWorker } from "../../src/jobs/worker.js";
import { claimedJob } from "../support/claims.js";

test("a starting worker deletes blobs left by ended or deleted jobs, not those of running jobs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "refstore-orphans-"));
  const catalog = SqliteCatalog.open(join(dir, "catalog.sqlite"));
  const blobs = new DiskBlobStore(join(dir, "blobs"), { fsync: false });
  try {
    await catalog.migrate();
    const base = { storeId: "2000000001", roleArn: "arn:aws:iam::111111111111:role/import", creationTime: 1 };
    const source = { index: 0, sourceFile: "s3://mnt/a.fa", name: "a", status: "IN_PROGRESS" as const };
    await catalog.insertJobs([
      { ...base, id: "1000000001", status: "FAILED", completionTime: 2, sources: [{ ...source, status: "FAILED" }] },
      { ...base, id: "1000000002", status: "SUBMITTED", sources: [{ ...source, status: "NOT_STARTED" }] },
    ]);
    // the running job is someone else's, leased far into the future
    assert.equal(claimedJob(await catalog.claimJob("other-worker", 3_600_000, Date.now())).id, "1000000002");
    const keys = { ended: "stores/2000000001/references/1/source", vanished: "stores/2000000009/references/2/source", running: "stores/2000000001/references/3/source" };
    for (const key of Object.values(keys)) await blobs.put(key, Buffer.from(">a\nACGT\n"));
    await catalog.addPendingBlob(keys.ended, "1000000001", 1);
    await catalog.addPendingBlob(keys.vanished, "1000000999", 1);
    await catalog.addPendingBlob(keys.running, "1000000002", 1);

    const sources: SourceReader = { open: async () => Promise.reject(new Error("no sources in this test")) };
    const worker = new ImportWorker(
      { catalog, blobs, sources, maxReferenceBytes: 1 << 20, now: () => Date.now() },
      { concurrency: 1, leaseMs: 30_000, maxAttempts: 3, pollMs: 50, log: pino({ level: "silent" }) },
    );
    worker.start();
    const deadline = Date.now() + 5_000;
    while ((await blobs.size(keys.ended)) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await worker.stop();

    assert.equal(await blobs.size(keys.ended), undefined, "the ended job's blob is deleted");
    assert.equal(await blobs.size(keys.vanished), undefined, "the deleted job's blob is deleted");
    assert.equal(await blobs.size(keys.running), 8, "the running job keeps its blob");
    assert.deepEqual(await catalog.orphanedPendingBlobs(10), []);
    assert.deepEqual(await catalog.pendingBlobsOfJob("1000000002"), [keys.running]);
  } finally {
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
