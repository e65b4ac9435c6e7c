// An S3-compatible server for tests: s3rver 3.7.1 in-process on 127.0.0.1 (random free port),
// data in a fresh temp directory, silent. See docs/TESTING.md §3 for s3rver's quirks.
//
// s3rver 3.7.1 does not implement ListMultipartUploads (GET /bucket?uploads → 501) nor
// AbortMultipartUpload (DELETE /bucket/key?uploadId=… → 405). Unless `multipartShim: false`,
// this helper adds both on top of s3rver's own on-disk upload layout
// (<dir>/<bucket>/._S3rver_uploads/<uploadId>/{key,metadata,1,2,…}), so crash recovery
// (S3BlobStore.sweepIncomplete / abort) can be tested against it. The shim skips s3rver's
// authentication check and does not page (IsTruncated is always false).

import { createRequire } from "node:module";
import { rmSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { makeS3Client, type S3ClientOptions } from "../../src/blobs/sources.js";

export interface TestS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Options for makeS3Client() that reach this server. */
  clientOptions: S3ClientOptions;
  /** REFSTORE_S3_* variables that point refstore at this server. */
  env: Record<string, string>;
  /** A client for the test itself (destroyed by stop()). */
  client: S3Client;
  /** s3rver's data directory (removed by stop()). */
  dir: string;
  createBucket(name: string): Promise<void>;
  putObject(bucket: string, key: string, body: Buffer | Uint8Array | string | Readable, contentLength?: number): Promise<void>;
  /** Close the server (and every connection to it) and delete its data directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Let the process exit while the server still runs (for a server shared by every test of a
   * file): the listening socket and its connections no longer keep the event loop alive.
   */
  unref(): void;
}

export interface StartS3Options {
  /** Buckets to create before the server accepts requests. */
  buckets?: string[];
  /** Add ListMultipartUploads/AbortMultipartUpload (default true). */
  multipartShim?: boolean;
}

// Minimal typing of the parts of s3rver (CommonJS, no bundled types) used here.
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void;
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  middleware: Middleware[];
  httpServer?: Server;
}
type S3rverCtor = new (opts: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets?: { name: string }[];
  vhostBuckets?: boolean;
}) => S3rverInstance;

const require = createRequire(import.meta.url);

const ACCESS_KEY = "S3RVER";
const SECRET_KEY = "S3RVER";
const REGION = "us-east-1";

// Data directories of servers not stopped yet: removed at process exit if a test crashed.
const liveDirs = new Set<string>();
let exitHook = false;
function trackDir(dir: string): void {
  liveDirs.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once("exit", () => {
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

export async function startS3(opts: StartS3Options = {}): Promise<TestS3> {
  const S3rver = require("s3rver") as S3rverCtor;
  const dir = await mkdtemp(join(tmpdir(), "refstore-s3rver-"));
  trackDir(dir);
  let server: S3rverInstance;
  let port: number;
  try {
    server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: dir,
      vhostBuckets: false,
      configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
    });
    if (opts.multipartShim ?? true) {
      // Before the router (the last middleware), after logging/XML/vhost handling.
      server.middleware.splice(server.middleware.length - 1, 0, multipartShim(dir));
    }
    ({ port } = await server.run());
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const clientOptions: S3ClientOptions = {
    endpoint,
    region: REGION,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    forcePathStyle: true,
  };
  const client = makeS3Client(clientOptions);
  let stopped: Promise<void> | undefined;

  return {
    endpoint,
    port,
    region: REGION,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    clientOptions,
    env: {
      REFSTORE_S3_ENDPOINT: endpoint,
      REFSTORE_S3_ACCESS_KEY_ID: ACCESS_KEY,
      REFSTORE_S3_SECRET_ACCESS_KEY: SECRET_KEY,
      REFSTORE_S3_REGION: REGION,
    },
    client,
    dir,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async putObject(bucket, key, body, contentLength) {
      const data = typeof body === "string" ? Buffer.from(body) : body;
      const len = contentLength ?? (data instanceof Uint8Array ? data.length : undefined);
      if (len === undefined) throw new TypeError("putObject: contentLength is required for a stream body");
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentLength: len }));
    },
    unref() {
      const http = server.httpServer;
      http?.unref();
      http?.on("connection", (socket) => socket.unref());
    },
    stop() {
      stopped ??= (async () => {
        client.destroy();
        const http = server.httpServer;
        const closing = server.close().catch(() => {});
        // close() waits for open connections; keep-alive sockets of other clients would delay it.
        http?.closeAllConnections();
        await closing;
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
        liveDirs.delete(dir);
      })();
      return stopped;
    },
  };
}

// --- ListMultipartUploads / AbortMultipartUpload on s3rver's upload directory -------------------

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
}

function s3Error(ctx: KoaContext, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = "application/xml";
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function multipartShim(root: string): Middleware {
  return async (ctx, next) => {
    // "/bucket/a/b" → ["bucket", "a", "b"]; "/bucket/" (how the SDK addresses a bucket) → ["bucket"]
    const segs = ctx.path.split("/").slice(1);
    if (segs.length === 2 && segs[1] === "") segs.pop();
    const bucket = segs[0] ? decodeURIComponent(segs[0]) : "";
    const q = ctx.query;
    const isList = ctx.method === "GET" && segs.length === 1 && bucket !== "" && "uploads" in q;
    const isAbort = ctx.method === "DELETE" && segs.length >= 2 && typeof q.uploadId === "string";
    if (!isList && !isAbort) return next();

    if (!(await isDir(join(root, bucket)))) {
      s3Error(ctx, 404, "NoSuchBucket", "The specified bucket does not exist");
      return;
    }
    const uploadsDir = join(root, bucket, "._S3rver_uploads");

    if (isAbort) {
      const id = q.uploadId as string;
      if (!/^[0-9a-f]+$/.test(id) || !(await isDir(join(uploadsDir, id)))) {
        s3Error(ctx, 404, "NoSuchUpload", "The specified upload does not exist.");
        return;
      }
      await rm(join(uploadsDir, id), { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
      return;
    }

    const prefix = typeof q.prefix === "string" ? q.prefix : "";
    let ids: string[] = [];
    try {
      ids = await readdir(uploadsDir);
    } catch {
      // no uploads yet
    }
    const uploads: { key: string; id: string; initiated: Date }[] = [];
    for (const id of ids) {
      try {
        const keyFile = join(uploadsDir, id, "key");
        const [key, st] = await Promise.all([readFile(keyFile, "utf8"), stat(keyFile)]);
        if (key.startsWith(prefix)) uploads.push({ key, id, initiated: st.mtime });
      } catch {
        // being completed/aborted concurrently
      }
    }
    uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
    const body = uploads
      .map(
        (u) =>
          `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.id}</UploadId>` +
          `<Initiator><ID>S3RVER</ID><DisplayName>S3rver</DisplayName></Initiator>` +
          `<Owner><ID>S3RVER</ID><DisplayName>S3rver</DisplayName></Owner>` +
          `<StorageClass>STANDARD</StorageClass><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`,
      )
      .join("");
    ctx.status = 200;
    ctx.type = "application/xml";
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${xmlEscape(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
      `<Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
      body +
      `</ListMultipartUploadsResult>`;
  };
}
