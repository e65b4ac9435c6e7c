// Import sources: reading `s3://bucket/key` URIs, either from a local directory that mirrors the
// bucket (REFSTORE_BUCKET_MOUNTS="bucket=/dir,other=/dir2") or through the S3 API
// (REFSTORE_S3_ENDPOINT, REFSTORE_S3_ACCESS_KEY_ID, REFSTORE_S3_SECRET_ACCESS_KEY, REFSTORE_S3_REGION).
// Also: the S3 client factory and the BlobStore factory (config.ts parses REFSTORE_BLOB_URL and
// REFSTORE_BUCKET_MOUNTS into the typed values these take).

import { closeSync, constants as fsc, createReadStream, fstat, open as openCb, type Stats } from "node:fs";
import { realpath } from "node:fs/promises";

const openFd = (path: string, flags: number) =>
  new Promise<number>((resolve, reject) => openCb(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
const fstatFd = (fd: number) =>
  new Promise<Stats>((resolve, reject) => fstat(fd, (err, st) => (err ? reject(err) : resolve(st))));
import { isAbsolute, relative, resolve } from "node:path";
import { GetObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { BlobLocation } from "../config.js";
import { DiskBlobStore } from "./disk.js";
import { isTransient } from "./faults.js";
import { S3BlobStore, guardBody, s3ErrorCode, s3HttpStatus, toReadable, type S3BlobStoreOptions } from "./s3.js";
import { SourceError, type BlobStore, type SourceReader } from "./types.js";
import type { Readable } from "node:stream";
import { Socket } from "node:net";

// --- S3 client ----------------------------------------------------------------------------------

export interface S3ClientOptions {
  /** Custom endpoint (e.g. http://127.0.0.1:9000); implies path-style addressing. */
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Default us-east-1. */
  region?: string;
  /** Default: true when an endpoint is set, else false. */
  forcePathStyle?: boolean;
  /** SDK attempts per request (default 3). */
  maxAttempts?: number;
  /** TCP connect timeout in ms (default 10 s). */
  connectionTimeoutMs?: number;
  /**
   * A request whose socket is silent this long fails with TimeoutError, which the SDK retries
   * (default 120 s, as stalled reads): without it, an S3 server that stalls an answer hangs the
   * import for ever.
   */
  requestTimeoutMs?: number;
}

/**
 * An S3Client for refstore. Explicit keys if both are given, else the SDK's default credential
 * chain. Flexible checksums are only used WHEN_REQUIRED: the SDK's default (aws-chunked uploads
 * with trailing checksums) is not understood by several S3-compatible servers (s3rver stores
 * the chunk framing as data); integrity of uploads is covered by Content-MD5 instead.
 */
export function makeS3Client(opts: S3ClientOptions = {}): S3Client {
  const config: S3ClientConfig = {
    region: opts.region || "us-east-1",
    forcePathStyle: opts.forcePathStyle ?? Boolean(opts.endpoint),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: opts.maxAttempts ?? 3,
    // throwOnRequestTimeout: without it the SDK only logs a warning and goes on waiting
    requestHandler: { connectionTimeout: opts.connectionTimeoutMs ?? 10_000, requestTimeout: opts.requestTimeoutMs ?? 120_000, throwOnRequestTimeout: true },
  };
  if (opts.endpoint) config.endpoint = opts.endpoint;
  if (opts.accessKeyId && opts.secretAccessKey) {
    config.credentials = {
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
      ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
    };
  }
  return new S3Client(config);
}

// --- the blob store ---------------------------------------------------------------------------

/**
 * The BlobStore at `location` (config.ts reads it from REFSTORE_BLOB_URL): a DiskBlobStore in a
 * directory, or an S3BlobStore owning a new client built from `s3opts`.
 */
export function openBlobStore(
  location: BlobLocation,
  s3opts: S3ClientOptions = {},
  storeOpts: Omit<S3BlobStoreOptions, "bucket" | "prefix" | "client" | "ownsClient"> = {},
): BlobStore {
  if (location.kind === "disk") return new DiskBlobStore(location.dir, { sweepMinAgeMs: storeOpts.sweepMinAgeMs });
  return new S3BlobStore({
    ...storeOpts,
    bucket: location.bucket,
    prefix: location.prefix,
    client: makeS3Client(s3opts),
    ownsClient: true,
  });
}

// --- URIs and messages --------------------------------------------------------------------------

/** Split `s3://bucket/key`; undefined if it is not such a URI. */
function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/s.exec(uri);
  if (!m) return undefined;
  return { bucket: m[1], key: m[2] };
}

// A source's statusMessage says what went wrong and where inside the source (FASTA messages:
// "line N, column C: ..."), never which source: the item it belongs to names its sourceFile, and
// the 127 characters are kept for the cause. One style for the reader's, the engine's and the
// blob store's messages.

function errCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const c = (err as { code?: unknown }).code;
  return typeof c === "string" ? c : undefined;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ECONNABORTED",
  "EPROTO",
  "UND_ERR_SOCKET",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/** The short reason for an S3 error (without the URI). */
function s3ErrorReason(err: unknown): string {
  const code = s3ErrorCode(err);
  const status = s3HttpStatus(err);
  if (code === "NoSuchKey" || (status === 404 && code !== "NoSuchBucket")) return "no such object";
  if (code === "NoSuchBucket") return "no such bucket";
  if (
    code === "AccessDenied" ||
    code === "InvalidAccessKeyId" ||
    code === "SignatureDoesNotMatch" ||
    code === "AllAccessDisabled" ||
    code === "ExpiredToken" ||
    code === "InvalidToken" ||
    status === 403 ||
    status === 401
  ) {
    return "access denied";
  }
  if (code === "InvalidObjectState") return "object is archived";
  // the usual first-run snag: say what would fix it (statusMessage has room for little more)
  if (code === "CredentialsProviderError") return "no S3 credentials: set REFSTORE_S3_* or REFSTORE_BUCKET_MOUNTS";
  // an error page that is not S3's XML (a proxy's HTML 500): the SDK's parser failed on it
  if (typeof err === "object" && err !== null && "$responseBodyText" in err) return "S3 answered an error page that is not S3's";
  const net = errCode(err);
  if (status === undefined && (net !== undefined && (NETWORK_CODES.has(net) || net.startsWith("E")))) {
    return `cannot reach S3 (${net})`;
  }
  if (status === undefined && (code === "TimeoutError" || code === "RequestTimeout")) return "cannot reach S3 (ETIMEDOUT)";
  if (status !== undefined && status >= 500) return `S3 error (${code && code !== "Error" ? code : status})`;
  if (code && code !== "Error" && /^[A-Za-z]+$/.test(code)) return `S3 error (${code})`;
  if (status !== undefined) return `S3 error (HTTP ${status})`;
  return `cannot reach S3 (${net ?? "unknown error"})`;
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (typeof err === "object" && err !== null && (err as Error).name === "AbortError");
}

// --- the reader ---------------------------------------------------------------------------------

export interface SourceReaderOptions {
  /** bucket → local directory (config.ts reads them from REFSTORE_BUCKET_MOUNTS). */
  mounts?: Map<string, string>;
  /** The client for non-mounted buckets, or options to create one lazily (default: the SDK's credential chain). */
  client?: S3Client;
  s3?: S3ClientOptions;
  /** A stream that delivers nothing for this long (while wanted) fails (default 120 s). */
  idleTimeoutMs?: number;
}

/**
 * SourceReader for s3:// URIs. `roleArn` is accepted and ignored: access uses the configured
 * credentials (no STS AssumeRole). Cancelling through `signal` rejects / destroys the stream with
 * an AbortError (not a SourceError).
 */
export class S3SourceReader implements SourceReader {
  private readonly mounts: Map<string, string>;
  private clientInstance: S3Client | undefined;
  private readonly ownsClient: boolean;
  private readonly s3opts: S3ClientOptions;
  private readonly idleTimeoutMs: number;

  constructor(opts: SourceReaderOptions = {}) {
    this.mounts = opts.mounts ?? new Map();
    this.clientInstance = opts.client;
    this.ownsClient = !opts.client;
    this.s3opts = opts.s3 ?? {};
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 120_000;
  }

  private get client(): S3Client {
    this.clientInstance ??= makeS3Client(this.s3opts);
    return this.clientInstance;
  }

  async open(uri: string, opts: { roleArn?: string; signal?: AbortSignal } = {}): Promise<{ size?: number; stream: Readable }> {
    const parsed = parseS3Uri(uri);
    if (!parsed) throw new SourceError("not an s3://bucket/key URI");
    opts.signal?.throwIfAborted();
    const dir = this.mounts.get(parsed.bucket);
    if (dir !== undefined) return this.openMounted(dir, parsed.key, opts.signal);
    return this.openS3(parsed.bucket, parsed.key, opts.signal);
  }

  private async openMounted(dir: string, key: string, signal?: AbortSignal) {
    const outside = () => new SourceError("key is outside the bucket mount");
    const missing = () => new SourceError("no such object");
    if (key.includes("\0") || key.startsWith("/") || key.split("/").some((s) => s === "..")) throw outside();
    // S3 keys are exact: "x/" (or "a//b", "a/./b") is not the file "x" (or "a/b"), which path
    // resolution would make of it. No file has such a name, so there is no such object.
    if (key.endsWith("/") || key.split("/").some((s) => s === "" || s === ".")) throw missing();
    const inside = (root: string, p: string) => {
      const rel = relative(root, p);
      return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
    };
    const lexical = resolve(dir, key);
    if (!inside(dir, lexical)) throw outside();
    let realDir: string;
    try {
      realDir = await realpath(dir);
    } catch {
      throw missing(); // the mount directory itself is gone: nothing can be read from it
    }
    let real: string;
    try {
      real = await realpath(lexical);
    } catch (err) {
      if (errCode(err) === "ELOOP") throw outside();
      throw missing(); // ENOENT, ENOTDIR, ...
    }
    if (!inside(realDir, real)) throw outside();
    let fd: number;
    try {
      // O_NONBLOCK: opening a named pipe that has no writer would otherwise block a thread of
      // libuv's pool until one appears (four such opens stall every file read of the process).
      fd = await openFd(real, fsc.O_RDONLY | fsc.O_NONBLOCK);
    } catch (err) {
      const c = errCode(err);
      if (c === "EACCES" || c === "EPERM") throw new SourceError("access denied");
      throw missing();
    }
    let size: number | undefined;
    try {
      const st = await fstatFd(fd);
      // A named pipe streams from another program (its length is unknown until it ends).
      if (!st.isFile() && !st.isFIFO()) throw missing();
      size = st.isFile() ? st.size : undefined;
    } catch (err) {
      closeSync(fd);
      throw err instanceof SourceError ? err : missing();
    }
    // A pipe is read through libuv's event loop (a net.Socket on the fd), not its thread pool: a
    // writer-less pipe then waits in epoll, the idle timeout of S3 reads applies, and a cancel
    // closes it at once. (fs reads of a non-blocking pipe would fail with EAGAIN.)
    const fifo = size === undefined;
    const file = fifo
      ? new Socket({ fd, readable: true, writable: false })
      : createReadStream("", { fd, highWaterMark: 1024 * 1024, autoClose: true });
    const stream = guardBody(file, {
      take: size,
      idleTimeoutMs: fifo ? this.idleTimeoutMs : undefined,
      signal,
      mapError: (e) =>
        isAbort(e, signal) ? e : new SourceError(`read failed (${errCode(e) ?? e.message})`),
    });
    return { size, stream };
  }

  private async openS3(bucket: string, key: string, signal?: AbortSignal) {
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    } catch (err) {
      if (isAbort(err, signal)) throw err;
      throw Object.assign(new SourceError(s3ErrorReason(err)), { cause: err, transient: isTransient(err) });
    }
    const size = res.ContentLength;
    const stream = guardBody(toReadable(res.Body), {
      take: size,
      idleTimeoutMs: this.idleTimeoutMs,
      signal,
      mapError: (e) => {
        if (isAbort(e, signal)) return e;
        const code = errCode(e) ?? "ECONNRESET";
        const reason =
          code === "ERR_SHORT_BODY"
            ? "object ended early while reading"
            : code === "ETIMEDOUT"
              ? "read stalled (ETIMEDOUT)"
              : `connection lost while reading (${code})`;
        return Object.assign(new SourceError(reason), { cause: e, transient: true });
      },
    });
    return { size, stream };
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return; // an injected client belongs to the caller
    this.clientInstance?.destroy();
    this.clientInstance = undefined; // a later open() makes a new one
  }
}
