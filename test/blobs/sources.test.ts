// S3SourceReader: bucket mounts (local directories) and S3 GetObject (s3rver), error messages.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { S3SourceReader, makeS3Client } from "../../src/blobs/sources.js";
import { SourceError } from "../../src/blobs/types.js";
import { loadConfig, parseBucketMounts } from "../../src/config.js";
import { MAX_MESSAGE_LENGTH } from "../../src/fasta/types.js";
import { startS3, type TestS3 } from "../support/s3.js";

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) {
    assert.ok(Buffer.isBuffer(c), "stream yields Buffers");
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Assert that `p` rejects with a SourceError whose message is exactly `msg`. */
async function rejectsWith(p: Promise<unknown>, msg: string | RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SourceError, `expected SourceError, got ${String(e)}`);
    if (typeof msg === "string") assert.equal(e.message, msg);
    else assert.match(e.message, msg);
    assert.ok(e.message.length <= MAX_MESSAGE_LENGTH, `message too long: ${e.message.length}`);
    return true;
  });
}

describe("bucket mounts", () => {
  let root: string;
  let reader: S3SourceReader;
  const data = randomBytes(3 * 1024 * 1024 + 17);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "refstore-mount-"));
    const dir = join(root, "refs");
    await mkdir(join(dir, "genomes"), { recursive: true });
    await writeFile(join(dir, "genomes", "big.fa"), data);
    await writeFile(join(dir, "genomes", "with space+plus.fa"), ">x\nACGT\n");
    await writeFile(join(root, "secret.txt"), "secret");
    await mkdir(join(root, "outside-dir"));
    await writeFile(join(root, "outside-dir", "f.fa"), "outside");
    await symlink(join(root, "secret.txt"), join(dir, "genomes", "escape.fa"));
    await symlink(join(root, "outside-dir"), join(dir, "linkdir"));
    await symlink("big.fa", join(dir, "genomes", "alias.fa")); // inside → allowed
    await symlink("loop", join(dir, "loop"));
    reader = new S3SourceReader({
      mounts: parseBucketMounts(`refs=${dir},gone=${join(root, "no-such-dir")}`),
      // any S3 access would fail fast: nothing listens there
      s3: { endpoint: "http://127.0.0.1:9", accessKeyId: "a", secretAccessKey: "b", maxAttempts: 1 },
    });
  });
  after(async () => {
    await reader.close();
    await rm(root, { recursive: true, force: true });
  });

  test("reads a file with its size, as Buffers", async () => {
    const { size, stream } = await reader.open("s3://refs/genomes/big.fa");
    assert.equal(size, data.length);
    assert.deepEqual(await readAll(stream), data);
    const small = await reader.open("s3://refs/genomes/with space+plus.fa");
    assert.equal((await readAll(small.stream)).toString(), ">x\nACGT\n");
    const alias = await reader.open("s3://refs/genomes/alias.fa");
    assert.equal(alias.size, data.length);
    alias.stream.destroy();
  });

  test("traversal is rejected", async () => {
    const cases = [
      "s3://refs/../secret.txt",
      "s3://refs/genomes/../../secret.txt",
      "s3://refs/genomes/../big.fa", // stays inside lexically, but '..' is never a key of ours
      "s3://refs//etc/passwd",
      "s3://refs/genomes/escape.fa",
      "s3://refs/linkdir/f.fa",
      "s3://refs/loop",
    ];
    for (const uri of cases) await rejectsWith(reader.open(uri), "key is outside the bucket mount");
  });

  test("missing objects", async () => {
    await rejectsWith(reader.open("s3://refs/genomes/nope.fa"), "no such object");
    await rejectsWith(reader.open("s3://refs/genomes"), "no such object"); // a directory
    await rejectsWith(reader.open("s3://refs/genomes/big.fa/x"), "no such object");
    await rejectsWith(reader.open("s3://gone/x.fa"), "no such object");
  });

  test("bad URIs", async () => {
    await rejectsWith(reader.open("https://refs/x"), /not an s3:\/\/bucket\/key URI$/);
    await rejectsWith(reader.open("s3://refs"), /not an s3:\/\/bucket\/key URI$/);
    await rejectsWith(reader.open("s3://refs/"), /not an s3:\/\/bucket\/key URI$/);
  });

  test("abort signal", async () => {
    const ac = new AbortController();
    const { stream } = await reader.open("s3://refs/genomes/big.fa", { signal: ac.signal });
    ac.abort();
    await assert.rejects(readAll(stream), { name: "AbortError" });
    await assert.rejects(reader.open("s3://refs/genomes/big.fa", { signal: ac.signal }), { name: "AbortError" });
  });

  test("unmounted bucket goes to S3 (unreachable here)", async () => {
    await rejectsWith(reader.open("s3://elsewhere/x.fa"), "cannot reach S3 (ECONNREFUSED)");
  });
});

describe("S3 GetObject (s3rver)", () => {
  let s3: TestS3;
  let reader: S3SourceReader;
  const data = randomBytes(2 * 1024 * 1024 + 5);
  before(async () => {
    s3 = await startS3({ buckets: ["src"] });
    await s3.putObject("src", "genomes/phix.fa", data);
    await s3.putObject("src", "genomes/with space+plus ü.fa", ">x\nAC\n");
    reader = new S3SourceReader({ s3: { ...s3.clientOptions, maxAttempts: 1 } });
  });
  after(async () => {
    await reader.close();
    await s3.stop();
  });

  test("reads an object with its size", async () => {
    const { size, stream } = await reader.open("s3://src/genomes/phix.fa");
    assert.equal(size, data.length);
    assert.deepEqual(await readAll(stream), data);
    const odd = await reader.open("s3://src/genomes/with space+plus ü.fa");
    assert.equal((await readAll(odd.stream)).toString(), ">x\nAC\n");
  });

  test("from environment variables (REFSTORE_S3_* as config.ts reads them)", async () => {
    const config = loadConfig({ ...s3.env });
    const r = new S3SourceReader({ mounts: config.bucketMounts, s3: config.s3 });
    try {
      const { stream } = await r.open("s3://src/genomes/phix.fa");
      assert.equal((await readAll(stream)).length, data.length);
    } finally {
      await r.close();
    }
  });

  test("missing key and bucket", async () => {
    await rejectsWith(reader.open("s3://src/genomes/nope.fa"), "no such object");
    await rejectsWith(reader.open("s3://nobucket/genomes/phix.fa"), "no such bucket");
    const long = "s3://src/" + "d/".repeat(100) + "x.fa";
    await rejectsWith(reader.open(long), "no such object");
  });

  test("access denied", async () => {
    // s3rver accepts any secret but rejects an unknown access key id (403 InvalidAccessKeyId)
    const r = new S3SourceReader({ s3: { ...s3.clientOptions, accessKeyId: "NOBODY", maxAttempts: 1 } });
    try {
      await rejectsWith(r.open("s3://src/genomes/phix.fa"), "access denied");
    } finally {
      await r.close();
    }
  });

  test("no credentials anywhere: the message says how to fix it", async () => {
    // the SDK's default chain reads the process environment: nothing in it, no files, no EC2 metadata
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
    Object.assign(process.env, {
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/nonexistent/aws-config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    });
    const r = new S3SourceReader({ s3: { endpoint: s3.endpoint, region: s3.region, maxAttempts: 1 } });
    try {
      await rejectsWith(r.open("s3://src/genomes/phix.fa"), "no S3 credentials: set REFSTORE_S3_* or REFSTORE_BUCKET_MOUNTS");
    } finally {
      await r.close();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test("injected client", async () => {
    const r = new S3SourceReader({ client: s3.client });
    const { stream } = await r.open("s3://src/genomes/phix.fa");
    assert.equal((await readAll(stream)).length, data.length);
    await r.close(); // does not destroy a client it did not create
    const again = await r.open("s3://src/genomes/phix.fa");
    again.stream.destroy();
  });
});

describe("S3 failures mid-stream", () => {
  let server: Server;
  let port: number;
  let mode: "truncate" | "stall" | "ok" = "ok";
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "Content-Length": "1000", "Content-Type": "application/octet-stream" });
      if (mode === "ok") return res.end(Buffer.alloc(1000, 65));
      res.write(Buffer.alloc(100, 65));
      if (mode === "truncate") setTimeout(() => res.socket?.destroy(), 20);
      // "stall": never finishes (closed by closeAllConnections in after())
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const mk = (idleTimeoutMs = 120_000) =>
    new S3SourceReader({
      client: makeS3Client({ endpoint: `http://127.0.0.1:${port}`, accessKeyId: "a", secretAccessKey: "b", maxAttempts: 1 }),
      idleTimeoutMs,
    });

  test("sanity: a full body reads", async () => {
    mode = "ok";
    const r = mk();
    const { size, stream } = await r.open("s3://b/k");
    assert.equal(size, 1000);
    assert.equal((await readAll(stream)).length, 1000);
  });

  test("connection dropped mid-body → stream error", async () => {
    mode = "truncate";
    const { stream } = await mk().open("s3://b/k");
    await assert.rejects(readAll(stream), (e: unknown) => {
      assert.ok(e instanceof SourceError, String(e));
      assert.match(e.message, /^(connection lost while reading \(\w+\)|object ended early while reading)$/);
      return true;
    });
  });

  test("stalled body → stream error after the idle timeout", async () => {
    mode = "stall";
    const t0 = Date.now();
    const { stream } = await mk(300).open("s3://b/k");
    await assert.rejects(readAll(stream), (e: unknown) => {
      assert.ok(e instanceof SourceError, String(e));
      assert.equal(e.message, "read stalled (ETIMEDOUT)");
      return true;
    });
    assert.ok(Date.now() - t0 < 5000);
  });
});
