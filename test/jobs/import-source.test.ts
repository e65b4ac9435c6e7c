// importSource when an import is interrupted (a cancel, or a graceful stop aborting its signal).

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { DiskBlobStore } from "../../src/blobs/disk.js";
import { guardBody } from "../../src/blobs/s3.js";
import type { BlobStore, SourceReader } from "../../src/blobs/types.js";
import { SqliteCatalog } from "../../src/catalog/sqlite.js";
import type { JobRecord } from "../../src/catalog/types.js";
import { importSource } from "../../src/jobs/import-source.js";

test("an abort after the source is open but before it is read rejects the import and leaves the process up", async () => {
  const dir = mkdtempSync(join(tmpdir(), "refstore-import-"));
  const catalog = SqliteCatalog.open(join(dir, "catalog.sqlite"));
  try {
    await catalog.migrate();
    const disk = new DiskBlobStore(join(dir, "blobs"), { fsync: false });
    const controller = new AbortController();
    // The source stream is guarded as the real readers guard theirs (an abort destroys it with
    // an error). The abort lands while the blob writer is being created, before ingestFasta
    // listens to the stream: an unhandled 'error' event then would crash the process.
    const sources: SourceReader = {
      open: async (_uri, opts) => ({ stream: guardBody(new PassThrough(), { signal: opts?.signal }) }),
    };
    const blobs: BlobStore = {
      create: async (key) => {
        controller.abort(new Error("worker stopping"));
        await new Promise((r) => setTimeout(r, 20));
        return disk.create(key);
      },
      put: (key, data) => disk.put(key, data),
      read: (key, start, end) => disk.read(key, start, end),
      readBytes: (key, start, end) => disk.readBytes(key, start, end),
      size: (key) => disk.size(key),
      delete: (key) => disk.delete(key),
      sweepIncomplete: () => disk.sweepIncomplete(),
      checkReady: () => disk.checkReady(),
      close: () => disk.close(),
    };
    const job: JobRecord = {
      id: "1000000001",
      storeId: "2000000001",
      roleArn: "arn:aws:iam::111111111111:role/import",
      status: "IN_PROGRESS",
      creationTime: 1,
      sources: [{ index: 0, sourceFile: "s3://mnt/slow.fa", name: "slow", status: "IN_PROGRESS" }],
    };
    await assert.rejects(
      importSource({ catalog, blobs, sources, maxReferenceBytes: 1 << 20, now: () => 2 }, job, job.sources[0], controller.signal),
      /worker stopping|aborted/,
    );
    assert.deepEqual(await catalog.pendingBlobsOfJob(job.id), [], "the attempt's pending blobs are deleted");
  } finally {
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
