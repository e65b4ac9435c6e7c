// One BlobStore suite, run against DiskBlobStore and against S3BlobStore on s3rver.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, utimes, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { DiskBlobStore } from "../../src/blobs/disk.js";
import { S3BlobStore } from "../../src/blobs/s3.js";
import { openBlobStore } from "../../src/blobs/sources.js";
import { parseBlobUrl } from "../../src/config.js";
import { BlobNotFound, type BlobStore } from "../../src/blobs/types.js";
import { startS3, type TestS3 } from "../support/s3.js";

const MiB = 1024 * 1024;
const PART = 5 * MiB;

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) {
    assert.ok(Buffer.isBuffer(c), "stream yields Buffers");
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface Harness {
  store: BlobStore;
  /** Leave behind what a writer killed mid-upload would leave (bypassing the writer API). */
  crashLeftover(key: string): Promise<void>;
  /** Number of leftovers of uncommitted writers. */
  leftovers(): Promise<number>;
  cleanup(): Promise<void>;
}

function blobSuite(name: string, setup: () => Promise<Harness>) {
  describe(name, () => {
    let h: Harness;
    let store: BlobStore;
    before(async () => {
      h = await setup();
      store = h.store;
    });
    after(async () => {
      await h.cleanup();
    });

    test("chunked write, commit, read back byte for byte", async () => {
      const data = randomBytes(300_000);
      const w = await store.create("stores/1/references/1/source");
      for (let off = 0; off < data.length; off += 70_001) await w.write(data.subarray(off, off + 70_001));
      assert.equal(await w.commit(), data.length);
      assert.equal(await store.size("stores/1/references/1/source"), data.length);
      assert.deepEqual(await readAll(await store.read("stores/1/references/1/source", 0, data.length - 1)), data);
    });

    test("ranged reads", async () => {
      const data = randomBytes(10_000);
      await store.put("r/obj", data);
      const rd = async (s: number, e: number) => readAll(await store.read("r/obj", s, e));
      assert.deepEqual(await rd(0, 0), data.subarray(0, 1));
      assert.deepEqual(await rd(9_999, 9_999), data.subarray(9_999));
      assert.deepEqual(await rd(1234, 5678), data.subarray(1234, 5679));
      assert.deepEqual(await rd(0, 9_999), data);
      // past the end: clamped / empty
      assert.deepEqual(await rd(9_000, 20_000), data.subarray(9_000));
      assert.equal((await rd(10_000, 10_100)).length, 0);
      assert.equal((await rd(5, 4)).length, 0);
      await assert.rejects(store.read("r/obj", -1, 3), RangeError);
    });

    test("readBytes: one Buffer of a range, cut at the end; a deleted or replaced object is not read from a kept handle", async () => {
      const data = randomBytes(10_000);
      await store.put("r/bytes", data);
      assert.deepEqual(await store.readBytes("r/bytes", 1234, 5678), data.subarray(1234, 5679));
      assert.deepEqual(await store.readBytes("r/bytes", 0, 0), data.subarray(0, 1));
      assert.deepEqual(await store.readBytes("r/bytes", 9_000, 20_000), data.subarray(9_000));
      assert.equal((await store.readBytes("r/bytes", 10_000, 10_100)).length, 0);
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => store.readBytes("r/bytes", i * 100, i * 100 + 99)));
      assert.deepEqual(Buffer.concat(many), data.subarray(0, 2000));
      const other = randomBytes(500);
      await store.put("r/bytes", other);
      assert.deepEqual(await store.readBytes("r/bytes", 0, 9_999), other);
      await store.delete("r/bytes");
      await assert.rejects(store.readBytes("r/bytes", 0, 10), BlobNotFound);
      await assert.rejects(store.readBytes("r/never", 0, 10), BlobNotFound);
      await assert.rejects(store.readBytes("r/bytes", -1, 3), RangeError);
    });

    test("empty object", async () => {
      const w = await store.create("r/empty");
      assert.equal(await w.commit(), 0);
      assert.equal(await store.size("r/empty"), 0);
      assert.equal((await readAll(await store.read("r/empty", 0, 0))).length, 0);
    });

    test("caller may reuse its buffer after write() resolves", async () => {
      const buf = Buffer.alloc(64 * 1024);
      const expect: Buffer[] = [];
      const w = await store.create("r/reuse");
      for (let i = 0; i < 10; i++) {
        buf.fill(i + 1);
        expect.push(Buffer.from(buf));
        await w.write(buf);
      }
      buf.fill(0xee);
      await w.commit();
      assert.deepEqual(await readAll(await store.read("r/reuse", 0, 10 * 65536)), Buffer.concat(expect));
    });

    test("writes without awaiting each one stay in order", async () => {
      const w = await store.create("r/unawaited");
      const parts = [Buffer.from("abc"), Buffer.from("defg"), Buffer.from("hij")];
      await Promise.all(parts.map((p) => w.write(p)));
      await w.commit();
      assert.equal((await readAll(await store.read("r/unawaited", 0, 100))).toString(), "abcdefghij");
    });

    test("uncommitted object is not visible; abort leaves nothing", async () => {
      const key = "stores/2/references/2/source";
      const w = await store.create(key);
      await w.write(randomBytes(PART + 1000)); // beyond one part: a multipart upload on S3
      await w.write(randomBytes(1000));
      assert.equal(await store.size(key), undefined);
      await assert.rejects(store.read(key, 0, 10), BlobNotFound);
      assert.equal(await h.leftovers(), 1);
      await w.abort();
      await w.abort(); // idempotent
      assert.equal(await store.size(key), undefined);
      await assert.rejects(store.read(key, 0, 10), (e: unknown) => e instanceof BlobNotFound && /stores\/2/.test(e.message));
      assert.equal(await h.leftovers(), 0);
      await assert.rejects(w.write(Buffer.from("x")));
      await assert.rejects(w.commit());
    });

    test("abort after commit keeps the object; commit twice fails", async () => {
      const w = await store.create("r/kept");
      await w.write(Buffer.from("kept"));
      await w.commit();
      await assert.rejects(w.commit());
      await w.abort();
      assert.equal(await store.size("r/kept"), 4);
    });

    test("sweepIncomplete removes leftovers of a crashed writer", async () => {
      await h.crashLeftover("stores/3/references/3/source");
      // a writer that was simply never finished (process died): its bytes are in flight too
      const w = await store.create("stores/3/references/4/source");
      await w.write(randomBytes(PART + 10));
      assert.equal(await h.leftovers(), 2);
      await store.sweepIncomplete();
      assert.equal(await h.leftovers(), 0);
      assert.equal(await store.size("stores/3/references/3/source"), undefined);
      assert.equal(await store.size("stores/3/references/4/source"), undefined);
      await w.abort(); // still safe afterwards
      await store.sweepIncomplete(); // and again, with nothing to do
    });

    test("delete(key) also discards the unfinished write of a writer that died, and only that one", async () => {
      const dead = await store.create("stores/5/references/1/source");
      await dead.write(randomBytes(PART + 10));
      const alive = await store.create("stores/5/references/2/source");
      await alive.write(randomBytes(PART + 10));
      assert.equal(await h.leftovers(), 2);
      await store.delete("stores/5/references/1/source");
      assert.equal(await h.leftovers(), 1, "the other writer's bytes are untouched");
      await alive.write(Buffer.from(">x\n"));
      assert.equal(await alive.commit(), PART + 13);
      assert.equal(await h.leftovers(), 0);
      await store.delete("stores/5/references/2/source");
    });

    test("delete", async () => {
      await store.put("stores/5/references/5/index", Buffer.from("fai\n"));
      await store.put("stores/5/references/6/index", Buffer.from("other\n"));
      assert.equal(await store.size("stores/5/references/5/index"), 4);
      await store.delete("stores/5/references/5/index");
      assert.equal(await store.size("stores/5/references/5/index"), undefined);
      await assert.rejects(store.read("stores/5/references/5/index", 0, 1), BlobNotFound);
      await store.delete("stores/5/references/5/index"); // missing: fine
      await store.delete("never/existed");
      assert.equal(await store.size("stores/5/references/6/index"), 6);
      // a new object under the deleted key's (pruned) directory
      await store.put("stores/5/references/5/index", Buffer.from("again"));
      assert.equal(await store.size("stores/5/references/5/index"), 5);
    });

    test("put overwrites", async () => {
      await store.put("r/over", Buffer.from("first version"));
      await store.put("r/over", Buffer.from("second"));
      assert.equal((await readAll(await store.read("r/over", 0, 100))).toString(), "second");
    });

    test("invalid keys are rejected", async () => {
      for (const key of ["", "../x", "a/../../x", "/abs/path", "a//b", "a/./b", "a/", ".incomplete/x", "a\\b"]) {
        await assert.rejects(store.create(key), TypeError, key);
        await assert.rejects(store.size(key), TypeError, key);
        await assert.rejects(store.read(key, 0, 1), TypeError, key);
        await assert.rejects(store.put(key, Buffer.from("x")), TypeError, key);
        await assert.rejects(store.delete(key), TypeError, key);
      }
    });

    test("large object across several parts round-trips", async () => {
      const size = 20 * MiB + 123;
      const data = randomBytes(size);
      const key = "stores/9/references/9/source";
      const w = await store.create(key);
      const step = MiB + 7;
      for (let off = 0; off < size; off += step) await w.write(data.subarray(off, off + step));
      assert.equal(await w.commit(), size);
      assert.equal(await store.size(key), size);
      const whole = await readAll(await store.read(key, 0, size - 1));
      assert.equal(whole.length, size);
      assert.equal(sha(whole), sha(data));
      // a range spanning a part boundary, and the tail
      assert.deepEqual(await readAll(await store.read(key, PART - 5, PART + 5)), data.subarray(PART - 5, PART + 6));
      assert.deepEqual(await readAll(await store.read(key, size - 200, size - 1)), data.subarray(size - 200));
      assert.equal(await h.leftovers(), 0);
      await store.delete(key);
    });

    test("a read stream can be abandoned early", async () => {
      await store.put("r/abandon", randomBytes(3 * MiB));
      const s = await store.read("r/abandon", 0, 3 * MiB - 1);
      for await (const c of s) {
        assert.ok(c.length > 0);
        break; // destroys the stream
      }
      assert.equal(await store.size("r/abandon"), 3 * MiB);
    });
  });
}

// --- DiskBlobStore ---------------------------------------------------------------------------

test("DiskBlobStore: the start-up sweep spares what it sees for the first time, whatever the mtime", async () => {
  const dir = await mkdtemp(join(tmpdir(), "refstore-blobs-"));
  try {
    const store = new DiskBlobStore(dir); // default: an hour's grace from the first sighting
    const w = await store.create("stores/1/references/1/source");
    await w.write(Buffer.from(">chr1\nACGT\n"));
    await store.sweepIncomplete(); // another process starting while this writer works
    assert.equal(await w.commit(), 11);
    assert.equal(await store.size("stores/1/references/1/source"), 11);
    const old = join(dir, ".incomplete", "crashed-long-ago");
    await writeFile(old, "x");
    await utimes(old, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    await store.sweepIncomplete();
    assert.deepEqual((await readdir(join(dir, ".incomplete"))).filter((n) => !n.startsWith(".")), ["crashed-long-ago"]);
    await store.sweepIncomplete({ pendingKeys: async () => [], now: () => Date.now() + 3600_000 });
    assert.deepEqual((await readdir(join(dir, ".incomplete"))).filter((n) => !n.startsWith(".")), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const directIo of [true, false]) {
  blobSuite(`DiskBlobStore (${directIo ? "O_DIRECT where the filesystem takes it" : "through the page cache"})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "refstore-blobs-"));
    const store = new DiskBlobStore(dir, { sweepMinAgeMs: 0, directIo });
    const inc = join(dir, ".incomplete");
    return {
      store,
      async crashLeftover() {
        await mkdir(inc, { recursive: true });
        await writeFile(join(inc, "crashed-writer"), randomBytes(1000));
      },
      async leftovers() {
        return (await readdir(inc).catch(() => [])).length;
      },
      async cleanup() {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}

test("DiskBlobStore: sizes around the direct-write buffer and block boundaries round-trip, on both paths", async (t) => {
  for (const directIo of [true, false]) {
    const dir = await mkdtemp(join(tmpdir(), "refstore-blobs-"));
    try {
      const store = new DiskBlobStore(dir, { directIo });
      const sizes = [1, 4095, 4096, 4097, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 8 * MiB, 8 * MiB + 4096 + 3, 13 * MiB + 17];
      for (const size of sizes) {
        const data = randomBytes(size);
        const w = await store.create(`sizes/${size}`);
        // odd chunk sizes, so that buffer boundaries fall inside chunks
        for (let off = 0; off < size; off += 999_983) await w.write(data.subarray(off, off + 999_983));
        assert.equal(await w.commit(), size);
        assert.equal(await store.size(`sizes/${size}`), size, `size ${size} (directIo ${directIo})`);
        assert.equal(sha(await readAll(await store.read(`sizes/${size}`, 0, size - 1))), sha(data), `bytes of ${size}`);
      }
      if (directIo) t.diagnostic(`O_DIRECT used on ${tmpdir()}: ${store._directWrites}`);
      else assert.equal(store._directWrites, false);
      // an aborted direct write leaves nothing behind
      const w = await store.create("sizes/aborted");
      await w.write(randomBytes(5 * MiB));
      await w.abort();
      assert.equal(await store.size("sizes/aborted"), undefined);
      assert.deepEqual(await readdir(join(dir, ".incomplete")), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

// --- S3BlobStore on s3rver -------------------------------------------------------------------

async function listUploads(client: S3Client, bucket: string, prefix: string) {
  const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return res.Uploads ?? [];
}

let s3: TestS3 | undefined;
after(async () => {
  await s3?.stop();
});

blobSuite("S3BlobStore (s3rver)", async () => {
  s3 ??= await startS3({ buckets: ["blobs"] });
  const srv = s3;
  const prefix = "refstore/test";
  const store = new S3BlobStore({
    bucket: "blobs",
    prefix,
    client: srv.client,
    partSize: PART,
    sweepMinAgeMs: 0,
  });
  return {
    store,
    async crashLeftover(key) {
      const Key = `${prefix}/${key}`;
      const { UploadId } = await srv.client.send(new CreateMultipartUploadCommand({ Bucket: "blobs", Key }));
      await srv.client.send(
        new UploadPartCommand({ Bucket: "blobs", Key, UploadId, PartNumber: 1, Body: randomBytes(1000), ContentLength: 1000 }),
      );
    },
    async leftovers() {
      return (await listUploads(srv.client, "blobs", prefix + "/")).length;
    },
    async cleanup() {
      await store.close();
    },
  };
});

describe("S3BlobStore specifics", () => {
  let srv: TestS3;
  before(async () => {
    s3 ??= await startS3({ buckets: ["blobs"] });
    srv = s3;
    await srv.createBucket("specifics");
  });

  test("keys live under the prefix; small objects need no multipart upload", async () => {
    const store = new S3BlobStore({ bucket: "specifics", prefix: "/a/b/", client: srv.client });
    assert.equal(store.prefix, "a/b/");
    assert.equal(store.objectKey("x/y"), "a/b/x/y");
    await store.put("x/y", Buffer.from("hello"));
    const w = await store.create("x/z");
    await w.write(Buffer.from("tiny"));
    assert.equal((await listUploads(srv.client, "specifics", "")).length, 0);
    await w.commit();
    const other = new S3BlobStore({ bucket: "specifics", client: srv.client });
    assert.equal(await other.size("a/b/x/y"), 5);
    assert.equal(await other.size("a/b/x/z"), 4);
    assert.equal(await other.size("x/y"), undefined);
  });

  test("sweepIncomplete spares young uploads by default and others' prefixes always", async () => {
    const mine = new S3BlobStore({ bucket: "specifics", prefix: "mine", client: srv.client, partSize: PART });
    const w = await mine.create("k");
    await w.write(randomBytes(PART));
    const theirs = new S3BlobStore({ bucket: "specifics", prefix: "theirs", client: srv.client, partSize: PART, sweepMinAgeMs: 0 });
    const w2 = await theirs.create("k");
    await w2.write(randomBytes(PART));
    await mine.sweepIncomplete(); // default: an hour's grace from the first sighting
    assert.equal((await listUploads(srv.client, "specifics", "mine/")).length, 1);
    const eager = new S3BlobStore({ bucket: "specifics", prefix: "mine", client: srv.client, sweepMinAgeMs: 0 });
    await eager.sweepIncomplete();
    assert.equal((await listUploads(srv.client, "specifics", "mine/")).length, 0);
    assert.equal((await listUploads(srv.client, "specifics", "theirs/")).length, 1);
    await w2.abort();
    assert.equal((await listUploads(srv.client, "specifics", "")).length, 0);
    await w.abort();
  });

  test("missing bucket is an error, not 'not found'", async () => {
    const store = new S3BlobStore({ bucket: "no-such-bucket", client: srv.client });
    await assert.rejects(store.read("k", 0, 1), (e: Error) => !(e instanceof BlobNotFound));
  });

  test("plain s3rver (no abort/list support): abort and sweep degrade to warnings", async () => {
    const plain = await startS3({ buckets: ["b"], multipartShim: false });
    try {
      const warnings: string[] = [];
      const store = new S3BlobStore({
        bucket: "b",
        client: plain.client,
        partSize: PART,
        sweepMinAgeMs: 0,
        onWarning: (m) => warnings.push(m),
      });
      const w = await store.create("k");
      await w.write(randomBytes(PART + 1));
      await w.abort();
      await store.sweepIncomplete();
      assert.equal(await store.size("k"), undefined);
      assert.equal(warnings.length, 2, warnings.join("; "));
      assert.match(warnings[0], /AbortMultipartUpload/);
      assert.match(warnings[1], /ListMultipartUploads/);
    } finally {
      await plain.stop();
    }
  });
});

// REFSTORE_BLOB_URL is parsed by config.ts (its bad values: test/config.test.ts); here, that the
// parsed location opens the store it names.
describe("openBlobStore", () => {
  test("default, file:// and s3://", async () => {
    const d = openBlobStore(parseBlobUrl(undefined, "/var/lib/refstore"));
    assert.ok(d instanceof DiskBlobStore);
    assert.equal(d.root, "/var/lib/refstore/blobs");
    const f = openBlobStore(parseBlobUrl("file:///srv/blobs", "/x"));
    assert.ok(f instanceof DiskBlobStore);
    assert.equal(f.root, "/srv/blobs");
    const s = openBlobStore(parseBlobUrl("s3://bucket/some/prefix/", "/x"), { endpoint: "http://127.0.0.1:1" });
    assert.ok(s instanceof S3BlobStore);
    assert.equal(s.bucket, "bucket");
    assert.equal(s.prefix, "some/prefix/");
    assert.equal(await s.client.config.forcePathStyle, true);
    await s.close();
    const n = openBlobStore(parseBlobUrl("s3://bucket", "/x"));
    assert.ok(n instanceof S3BlobStore && n.prefix === "");
    await n.close();
    assert.throws(() => parseBlobUrl("http://x/y", "/x"), /REFSTORE_BLOB_URL/);
  });
});

describe("test/support/s3 helper", () => {
  test("stop() frees the port and the data directory, even with open keep-alive connections", async () => {
    const { createConnection } = await import("node:net");
    const { stat } = await import("node:fs/promises");
    const srv = await startS3();
    await srv.createBucket("bkt");
    await srv.putObject("bkt", "k", "v");
    // another client that is never destroyed keeps a keep-alive socket open
    const { makeS3Client } = await import("../../src/blobs/sources.js");
    const other = makeS3Client(srv.clientOptions);
    const store = new S3BlobStore({ bucket: "bkt", client: other });
    assert.equal(await store.size("k"), 1);
    const t0 = Date.now();
    await srv.stop();
    await srv.stop(); // idempotent
    assert.ok(Date.now() - t0 < 1000, `stop took ${Date.now() - t0} ms`);
    await assert.rejects(stat(srv.dir), { code: "ENOENT" });
    await new Promise<void>((resolve, reject) => {
      const sock = createConnection({ host: "127.0.0.1", port: srv.port });
      sock.on("connect", () => {
        sock.destroy();
        reject(new Error("port still open"));
      });
      sock.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNREFUSED" ? resolve() : reject(e)));
    });
    other.destroy();
  });
});

test("DiskBlobStore on tmpfs (O_DIRECT only on recent kernels): writes round-trip either way", async (t) => {
  let dir: string;
  try {
    dir = await mkdtemp("/dev/shm/refstore-blobs-");
  } catch {
    t.skip("no /dev/shm here");
    return;
  }
  try {
    const store = new DiskBlobStore(dir, { directIo: true });
    const data = randomBytes(5 * MiB + 3);
    await store.put("k", data);
    t.diagnostic(`O_DIRECT used on /dev/shm: ${store._directWrites}`);
    assert.equal(sha(await readAll(await store.read("k", 0, data.length - 1))), sha(data));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
