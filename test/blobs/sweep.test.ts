// Nothing live is swept (issue 13, point 1), on s3rver and on moto's server: a process that
// starts while another one is mid-upload leaves that upload alone (its key is pending in the
// catalog), whatever the server says of its age (moto reports 2010-11-10 for every upload, so the
// old "older than the limit" rule aborted live uploads there); an upload no pending key explains
// is aborted only once refstore's own clock has seen it for the grace period.
//
// Deterministic: process A's source read is held by a fault proxy after 12 MiB (A's first 8 MiB
// part is then uploaded) until process B has started and swept.

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateReferenceStoreCommand,
  GetReferenceCommand,
  StartReferenceImportJobCommand,
  OmicsClient,
} from "@aws-sdk/client-omics";
import pino from "pino";
import { S3BlobStore } from "../../src/blobs/s3.js";
import { DiskBlobStore } from "../../src/blobs/disk.js";
import { SqliteCatalog } from "../../src/catalog/sqlite.js";
import { loadConfig } from "../../src/config.js";
import { startRefstore, type Refstore } from "../../src/app/start.js";
import { startS3, type TestS3 } from "../support/s3.js";
import { startMoto } from "../support/moto.js";
import { startFaultProxy } from "../support/fault-proxy.js";
import { TEST_CREDENTIALS, waitForJob } from "../support/refstore.js";
import { fastaOf } from "../support/fasta-gen.js";

const MiB = 1024 * 1024;

async function uploads(client: S3Client, bucket: string, prefix: string) {
  const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return res.Uploads ?? [];
}

const servers: { name: string; start: () => Promise<TestS3 | undefined> }[] = [
  { name: "s3rver", start: () => startS3({ buckets: ["blobs", "src"] }) },
  { name: "moto", start: () => startMoto({ buckets: ["blobs", "src"] }) },
];

for (const { name, start } of servers) {
  describe(`start-up sweep on ${name}`, () => {
    let s3: TestS3 | undefined;
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => {});
      await s3?.stop();
    });

    test("a process started while another is mid-upload leaves the live upload alone; the import completes byte for byte", async (t) => {
      s3 = await start();
      if (!s3) return t.skip("moto is not available here");
      const data = fastaOf(20 * MiB);
      await s3.putObject("src", "big.fa", data);

      const dir = mkdtempSync(join(tmpdir(), "refstore-sweep-"));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const creds = join(dir, "credentials.json");
      writeFileSync(creds, JSON.stringify(TEST_CREDENTIALS));
      // A reads its source (and writes its blobs) through the proxy, which holds the source's body
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const proxy = await startFaultProxy("127.0.0.1", s3.port);
      cleanups.push(() => proxy.close());
      proxy.setPlan((r) => (r.method === "GET" && r.url.startsWith("/src/big.fa") ? { kind: "hold", afterBytes: 12 * MiB, until: held } : undefined));
      const env = (endpoint: string, role: string) => ({
        ...s3!.env,
        REFSTORE_S3_ENDPOINT: endpoint,
        REFSTORE_DATA_DIR: dir,
        REFSTORE_BLOB_URL: "s3://blobs/refstore",
        REFSTORE_CREDENTIALS_FILE: creds,
        REFSTORE_PORT: "0",
        REFSTORE_ROLE: role,
        REFSTORE_POLL_MS: "50",
      });
      const log = pino({ level: "silent" });
      const a: Refstore = await startRefstore(loadConfig(env(proxy.endpoint, "all")), log);
      cleanups.push(() => a.close());
      const omics = new OmicsClient({
        region: "us-east-1",
        endpoint: a.url,
        disableHostPrefix: true,
        credentials: TEST_CREDENTIALS[0],
        maxAttempts: 1,
      });
      cleanups.push(async () => omics.destroy());
      const store = await omics.send(new CreateReferenceStoreCommand({ name: "s" }));
      const job = await omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: store.id!,
          roleArn: "arn:aws:iam::111111111111:role/import",
          sources: [{ sourceFile: "s3://src/big.fa", name: "big" }],
        }),
      );
      // wait (bounded) for A's upload to exist: its first part is on its way
      const deadline = Date.now() + 60_000;
      while ((await uploads(s3.client, "blobs", "refstore/")).length === 0) {
        assert.ok(Date.now() < deadline, "A started no multipart upload within 60 s");
        await new Promise((r) => setTimeout(r, 50));
      }
      const before = await uploads(s3.client, "blobs", "refstore/");
      assert.equal(before.length, 1);

      // B starts (its start-up sweep runs before startRefstore resolves)
      const b = await startRefstore(loadConfig(env(s3.endpoint, "worker")), log);
      cleanups.push(() => b.close());
      assert.deepEqual(
        (await uploads(s3.client, "blobs", "refstore/")).map((u) => u.UploadId),
        before.map((u) => u.UploadId),
        "B's sweep left A's live upload alone",
      );
      release();
      const done = await waitForJob(omics, store.id!, job.id!, 120_000);
      assert.equal(done.status, "COMPLETED", JSON.stringify(done.sources));
      const refId = done.sources![0].referenceId!;
      const got = await omics.send(new GetReferenceCommand({ referenceStoreId: store.id!, id: refId, partNumber: 1 }));
      const bytes = Buffer.from(await got.payload!.transformToByteArray());
      assert.equal(createHash("md5").update(bytes).digest("hex"), createHash("md5").update(data).digest("hex"));
      assert.equal((await uploads(s3.client, "blobs", "refstore/")).length, 0);
    });

    test("an upload no pending key explains is aborted only after the grace period, by refstore's clock", async (t) => {
      s3 ??= await start();
      if (!s3) return t.skip("moto is not available here");
      const dir = mkdtempSync(join(tmpdir(), "refstore-sweep-"));
      const catalog = SqliteCatalog.open(join(dir, "catalog.sqlite"));
      try {
        await catalog.migrate();
        const store = new S3BlobStore({ bucket: "blobs", prefix: "grace", client: s3.client, partSize: 5 * MiB, sweepMinAgeMs: 3_600_000 });
        const Key = "grace/stores/1/references/1/source";
        const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: "blobs", Key }));
        await s3.client.send(
          new UploadPartCommand({ Bucket: "blobs", Key, UploadId, PartNumber: 1, Body: randomBytes(1000), ContentLength: 1000 }),
        );
        const live = await store.create("stores/1/references/2/source");
        await catalog.addPendingBlob("stores/1/references/2/source", "1000000001", 1);
        await live.write(randomBytes(5 * MiB + 1)); // a part: the live upload exists
        const ctx = (now: number) => ({ pendingKeys: () => catalog.pendingBlobKeys(), now: () => now });
        const t0 = Date.now();
        await store.sweepIncomplete(ctx(t0)); // first sighting of the stray upload
        assert.equal((await uploads(s3.client, "blobs", "grace/")).length, 2, "nothing aborted at first sight");
        await store.sweepIncomplete(ctx(t0 + 3_599_000));
        assert.equal((await uploads(s3.client, "blobs", "grace/")).length, 2, "nor within the grace period");
        await store.sweepIncomplete(ctx(t0 + 3_600_000));
        const left = await uploads(s3.client, "blobs", "grace/");
        assert.deepEqual(left.map((u) => u.Key), ["grace/stores/1/references/2/source"], "the stray one is aborted, the pending one kept");
        await store.sweepIncomplete(ctx(t0 + 100 * 3_600_000));
        assert.equal((await uploads(s3.client, "blobs", "grace/")).length, 1, "a pending key's upload is never aborted");
        await live.abort();
      } finally {
        await catalog.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

test("disk: a temporary file of a pending key is never swept; a stray one after the grace period by refstore's clock, whatever its mtime", async () => {
  const dir = mkdtempSync(join(tmpdir(), "refstore-sweep-disk-"));
  try {
    const store = new DiskBlobStore(join(dir, "blobs"), { fsync: false, sweepMinAgeMs: 3_600_000 });
    const live = await store.create("stores/1/references/1/source");
    await live.write(Buffer.from(">a\nACGT\n"));
    const stray = await store.create("stores/1/references/2/source");
    await stray.write(Buffer.from(">b\nACGT\n"));
    const pending = ["stores/1/references/1/source"];
    const ctx = (now: number) => ({ pendingKeys: async () => pending, now: () => now });
    const t0 = Date.now() + 10 * 24 * 3_600_000; // far ahead of every mtime: only refstore's sightings count
    const { readdir } = await import("node:fs/promises");
    const temps = async () => (await readdir(join(dir, "blobs", ".incomplete"))).filter((n) => !n.startsWith(".")).length;
    await store.sweepIncomplete(ctx(t0));
    assert.equal(await temps(), 2, "first sighting: nothing removed");
    await store.sweepIncomplete(ctx(t0 + 3_600_000));
    assert.equal(await temps(), 1, "the stray file is removed after the grace period");
    await store.sweepIncomplete(ctx(t0 + 1000 * 3_600_000));
    assert.equal(await live.commit(), 8, "the pending key's writer was never disturbed");
    await stray.abort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
