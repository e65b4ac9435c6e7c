// moto's S3 server (`python3 -m moto.server`) on a free loopback port, as a second S3
// implementation beside s3rver: it implements multipart listing and abort itself, and has its own
// quirks (every upload's `Initiated` is 2010-11-10T20:48:33Z). `startMoto()` resolves to
// undefined, having printed why, where python3 or moto is missing: tests then skip.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client, type S3ClientOptions } from "../../src/blobs/sources.js";
import type { TestS3 } from "./s3.js";

let availability: string | undefined | null = null;

/** Why moto cannot run here, or undefined if it can. */
export function motoUnavailable(): string | undefined {
  if (availability !== null) return availability;
  const r = spawnSync("python3", ["-c", "import moto.server, flask"], { encoding: "utf8", timeout: 30_000 });
  availability =
    r.error !== undefined
      ? `python3 not runnable (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`
      : r.status !== 0
        ? `moto's server is not installed for python3 (${(r.stderr || "").trim().split("\n").pop()})`
        : undefined;
  return availability;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
let hooked = false;

export async function startMoto(opts: { buckets?: string[] } = {}): Promise<TestS3 | undefined> {
  const why = motoUnavailable();
  if (why) {
    console.log(`# skipping moto: ${why}`);
    return undefined;
  }
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  const port = await freePort();
  const child = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  live.add(child);
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-2000)));
  const endpoint = `http://127.0.0.1:${port}`;
  // moto needs a few seconds to import on a loaded machine: poll, bounded
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto exited (${child.exitCode}): ${stderr}`);
    const ok = await fetch(endpoint + "/moto-api/").then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto did not answer within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const clientOptions: S3ClientOptions = {
    endpoint,
    region: "us-east-1",
    accessKeyId: "testing",
    secretAccessKey: "testing",
    forcePathStyle: true,
  };
  const client = makeS3Client(clientOptions);
  for (const b of opts.buckets ?? []) await client.send(new CreateBucketCommand({ Bucket: b }));
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    region: "us-east-1",
    accessKeyId: "testing",
    secretAccessKey: "testing",
    clientOptions,
    env: {
      REFSTORE_S3_ENDPOINT: endpoint,
      REFSTORE_S3_ACCESS_KEY_ID: "testing",
      REFSTORE_S3_SECRET_ACCESS_KEY: "testing",
      REFSTORE_S3_REGION: "us-east-1",
    },
    client,
    dir: "",
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async putObject(bucket, key, body, contentLength) {
      const data = typeof body === "string" ? Buffer.from(body) : body;
      const len = contentLength ?? (data instanceof Uint8Array ? data.length : undefined);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentLength: len }));
    },
    unref() {
      child.unref();
    },
    stop() {
      stopped ??= (async () => {
        client.destroy();
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          const t = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(t);
        }
        live.delete(child);
      })();
      return stopped;
    },
  };
}
