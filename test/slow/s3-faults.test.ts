// Storage faults during imports and GetReference (issue 13, points 2 and 7): a fault-injecting
// proxy in front of S3 (s3rver, and moto's server where present) answers chosen requests with
// HTML 500/503 pages, resets connections, stalls answers, or cuts a body; the imports complete
// and every byte is exact. Faults that do not pass fail the source, after
// REFSTORE_STORAGE_RETRY_SECONDS, with the fault in words. Every fault is chosen by request
// ordinal or kind, never by timing.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { S3BlobStore } from "../../src/blobs/s3.js";
import { makeS3Client } from "../../src/blobs/sources.js";
import { startS3, type TestS3 } from "../support/s3.js";
import { startMoto } from "../support/moto.js";
import { HTML_500, HTML_503, startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from "../support/fault-proxy.js";
import { startRig, type Rig } from "../support/rig.js";
import { fastaOf } from "../support/fasta-gen.js";

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");
const SLOW_DOWN = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`;

const isPart = (r: ProxiedRequest) => r.method === "PUT" && r.url.includes("partNumber=");
const isSourceGet = (r: ProxiedRequest) => r.method === "GET" && r.url.startsWith("/src/");

/** A refstore whose S3 traffic goes through a fault proxy (SQLite catalog). */
interface FaultRig {
  rig: Rig;
  proxy: FaultProxy;
}

async function rig(s3: TestS3, env: Record<string, string> = {}): Promise<FaultRig> {
  const proxy = await startFaultProxy("127.0.0.1", s3.port);
  try {
    return { rig: await startRig({ s3, s3Endpoint: proxy.endpoint, env }), proxy };
  } catch (err) {
    await proxy.close();
    throw err;
  }
}

async function closeRig(r: FaultRig | undefined): Promise<void> {
  if (!r) return;
  await r.rig.close();
  await r.proxy.close();
}

/** Fault the n-th request of a kind (counting only requests of that kind). */
function nth(pred: (r: ProxiedRequest) => boolean, faults: Record<number, Fault>) {
  let k = 0;
  return (r: ProxiedRequest) => {
    if (!pred(r)) return undefined;
    return faults[++k];
  };
}

const servers: { name: string; start: () => Promise<TestS3 | undefined> }[] = [
  { name: "s3rver", start: () => startS3({ buckets: ["blobs", "src"] }) },
  { name: "moto", start: () => startMoto({ buckets: ["blobs", "src"] }) },
];

for (const { name, start } of servers) {
  describe(`S3 faults (${name})`, { timeout: 240_000 }, () => {
    let s3: TestS3 | undefined;
    let r: FaultRig | undefined;
    const data = fastaOf(20 * MiB);
    before(async () => {
      s3 = await start();
      if (!s3) return;
      await s3.putObject("src", "big.fa", data);
      await s3.putObject("src", "small.fa", ">s\nACGTACGT\n");
      r = await rig(s3);
    });
    after(async () => {
      await closeRig(r);
      await s3?.stop();
    });

    test("HTML 500/503 pages and resets on parts, a body cut mid-source: the import completes, bytes exact", async (t) => {
      if (!r) return t.skip("moto is not available here");
      const parts = nth(isPart, {
        1: { kind: "answer", status: 503, body: HTML_503 },
        2: { kind: "answer", status: 500, body: HTML_500 },
        4: { kind: "reset" },
      });
      const sources = nth(isSourceGet, { 1: { kind: "cut", afterBytes: 9 * MiB } });
      r.proxy.setPlan((q) => parts(q) ?? sources(q));
      const job = await r.rig.importOne("big.fa");
      assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
      const faulted = r.proxy.log.filter((l) => l.fault);
      assert.ok(faulted.length >= 4, `faults injected: ${JSON.stringify(faulted)}`);
      r.proxy.setPlan(() => undefined);
      assert.equal(md5(await r.rig.getSource(job.sources![0].referenceId!)), md5(data));
    });

    test("GetReference through HTML 500 pages and a reset: bytes exact", async (t) => {
      if (!r) return t.skip("moto is not available here");
      r.proxy.setPlan(() => undefined);
      const job = await r.rig.importOne("small.fa");
      assert.equal(job.status, "COMPLETED");
      const gets = nth((q) => q.method === "GET" && q.url.startsWith("/blobs/"), {
        1: { kind: "answer", status: 500, body: HTML_500 },
        2: { kind: "reset" },
        3: { kind: "answer", status: 503, body: SLOW_DOWN, contentType: "application/xml" },
      });
      r.proxy.setPlan(gets);
      assert.equal((await r.rig.getSource(job.sources![0].referenceId!)).toString(), ">s\nACGTACGT\n");
    });
  });
}

describe("faults that do not pass", { timeout: 240_000 }, () => {
  let s3: TestS3;
  let r: FaultRig | undefined;
  before(async () => {
    s3 = await startS3({ buckets: ["blobs", "src"] });
    await s3.putObject("src", "big.fa", fastaOf(12 * MiB));
    r = await rig(s3, { REFSTORE_STORAGE_RETRY_SECONDS: "2" });
  });
  after(async () => {
    await closeRig(r);
    await s3.stop();
  });

  test("S3 answering 503 SlowDown to every part: the source fails in words after the retry bound", async () => {
    r!.proxy.setPlan((q) => (isPart(q) ? { kind: "answer", status: 503, body: SLOW_DOWN, contentType: "application/xml" } : undefined));
    const job = await r!.rig.importOne("big.fa");
    assert.equal(job.status, "FAILED");
    const msg = job.sources![0].statusMessage!;
    assert.match(msg, /^blob store: S3 answered 503 SlowDown for \d+ s$/, msg);
    assert.doesNotMatch(msg, /internal error/);
  });

  test("an HTML page for every source read: the source fails in words, not with XML parser text", async () => {
    r!.proxy.setPlan((q) => (isSourceGet(q) ? { kind: "answer", status: 500, body: HTML_500 } : undefined));
    const job = await r!.rig.importOne("big.fa");
    assert.equal(job.status, "FAILED");
    const msg = job.sources![0].statusMessage!;
    assert.match(msg, /^S3 answered an error page that is not S3.s \(retried for \d+ s\)$/, msg);
    assert.doesNotMatch(msg, /internal error|mismatched|tag/i);
  });

  test("the source's own errors fail at once (no such object)", async () => {
    r!.proxy.setPlan(() => undefined);
    const t0 = Date.now();
    const job = await r!.rig.importOne("missing.fa");
    assert.equal(job.status, "FAILED");
    assert.equal(job.sources![0].statusMessage, "no such object");
    assert.ok(Date.now() - t0 < 30_000);
  });
});

test("a stalled S3 answer times out and is retried: the upload completes, bytes exact", { timeout: 120_000 }, async () => {
  const s3 = await startS3({ buckets: ["blobs"] });
  const proxy = await startFaultProxy("127.0.0.1", s3.port);
  const client = makeS3Client({ ...s3.clientOptions, endpoint: proxy.endpoint, requestTimeoutMs: 1000 });
  try {
    proxy.setPlan(nth(isPart, { 2: { kind: "stall" } }));
    const store = new S3BlobStore({ bucket: "blobs", client, partSize: 5 * MiB });
    const data = fastaOf(12 * MiB);
    const w = await store.create("k");
    for (let off = 0; off < data.length; off += MiB) await w.write(data.subarray(off, off + MiB));
    assert.equal(await w.commit(), data.length);
    assert.ok(proxy.log.some((l) => l.fault === "stall"));
    const chunks: Buffer[] = [];
    for await (const c of await store.read("k", 0, data.length - 1)) chunks.push(c as Buffer);
    assert.equal(md5(Buffer.concat(chunks)), md5(data));
  } finally {
    client.destroy();
    await proxy.close();
    await s3.stop();
  }
});
