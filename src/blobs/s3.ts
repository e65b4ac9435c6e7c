// S3BlobStore: blobs as objects in an S3 (or S3-compatible) bucket under a prefix, selected with
// REFSTORE_BLOB_URL=s3://bucket/prefix.
//
// Writers buffer only the part being filled (plus at most `queueSize` parts in flight) and use a
// multipart upload once the object outgrows one part; commit() is CompleteMultipartUpload (or a
// single PutObject for an object smaller than one part), so the key becomes visible in one step.
// abort() is AbortMultipartUpload.
//
// sweepIncomplete() lists the multipart uploads under our prefix and decides from the catalog
// (sweep.ts): an upload of a key that is pending is never aborted, whatever its `Initiated` time
// (moto reports 2010-11-10 for every upload; a live upload of another process was once aborted
// that way). One no pending key explains is aborted once refstore has seen it for an hour by its
// own clock; first sightings live in one small object under the prefix. A crashed worker's upload
// is removed much sooner, when the next worker cleans up the job's pending blobs. Servers that
// implement neither ListMultipartUploads nor AbortMultipartUpload (e.g. plain s3rver) are
// tolerated: the sweep and the abort become no-ops and report through `onWarning`.

import { createHash } from "node:crypto";
import { Readable, finished } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import { checkBlobKey, checkRange } from "./disk.js";
import { BlobNotFound, type BlobStore, type BlobWriter, type SweepContext } from "./types.js";
import { parseSightings, sweepLeftovers } from "./sweep.js";
import { isTransient } from "./faults.js";
import { SerialBlobWriter } from "./writer.js";

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 2;
const DEFAULT_SWEEP_MIN_AGE_MS = 60 * 60 * 1000;
/** Under the prefix: when the start-up sweep first saw each unexplained upload (sweep.ts). */
const SIGHTINGS_KEY = ".refstore-sweep-sightings.json";
const MAX_PARTS = 10_000;
/** attempts of one S3 call by S3BlobStore.call (each of which the SDK may retry itself) */
const CALL_ATTEMPTS = 4;

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix ("" or e.g. "refstore/prod"); leading/trailing slashes are ignored. */
  prefix?: string;
  client: S3Client;
  /** Multipart part size in bytes (default 8 MiB; S3 requires >= 5 MiB for all but the last part). */
  partSize?: number;
  /** Part uploads in flight per writer before write() waits (default 2). */
  queueSize?: number;
  /** sweepIncomplete() aborts an upload no pending key explains once it has seen it this long, by refstore's clock (default 1 h; 0 = at once). */
  sweepMinAgeMs?: number;
  /** Destroy the client in close() (set by openBlobStore, which creates the client). */
  ownsClient?: boolean;
  /** Abort a read stream that receives no bytes for this long while the consumer wants data (default 120 s). */
  idleTimeoutMs?: number;
  /** Non-fatal problems (an abort or sweep the server does not support, ...). Default: ignored. */
  onWarning?: (message: string, err?: unknown) => void;
}

// --- helpers shared with sources.ts -----------------------------------------------------------

/** The S3 error code of an SDK error (e.g. "NoSuchKey"), if any. */
export function s3ErrorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { Code?: unknown; name?: unknown };
  if (typeof e.Code === "string") return e.Code;
  if (typeof e.name === "string") return e.name;
  return undefined;
}

/** The HTTP status of an SDK error, if it got a response. */
export function s3HttpStatus(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
  return e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
}

function isNotImplemented(err: unknown): boolean {
  const code = s3ErrorCode(err);
  const status = s3HttpStatus(err);
  return code === "NotImplemented" || code === "MethodNotAllowed" || status === 501 || status === 405;
}

export interface GuardOptions {
  /** Drop this many bytes at the start of the body (a server that ignored part of a Range). */
  skip?: number;
  /**
   * Deliver exactly this many bytes (after `skip`): more are cut off (the body is then released),
   * fewer - the body ending early - is an error (code ERR_SHORT_BODY).
   */
  take?: number;
  /** Fail if the source delivers nothing for this long while the consumer is waiting. */
  idleTimeoutMs?: number;
  /** Turn a source error into the error the consumer sees. */
  mapError?: (err: Error) => Error;
  signal?: AbortSignal;
  highWaterMark?: number;
}

/**
 * Wrap a response body so that (a) it yields Buffers, (b) any error of the body - including a
 * connection that closes early, a short body and a stalled body - becomes an error of the
 * returned stream instead of a hang, and (c) destroying the returned stream releases the body.
 */
export function guardBody(body: Readable, opts: GuardOptions = {}): Readable {
  const mapError = opts.mapError ?? ((e: Error) => e);
  let skip = opts.skip ?? 0;
  let remaining = opts.take ?? Infinity;
  let done = false;
  let timer: NodeJS.Timeout | undefined;

  const out = new Readable({
    highWaterMark: opts.highWaterMark ?? 1024 * 1024,
    read() {
      if (!done && body.isPaused()) body.resume();
    },
    destroy(err, cb) {
      disarm();
      opts.signal?.removeEventListener("abort", onAbort);
      if (!body.destroyed) body.destroy();
      cb(err);
    },
  });
  const fail = (err: Error) => {
    if (done) return;
    done = true;
    disarm();
    if (!out.destroyed) out.destroy(mapError(err));
  };
  const finish = () => {
    if (done) return;
    done = true;
    disarm();
    out.push(null);
  };
  function disarm() {
    if (timer) clearTimeout(timer);
    timer = undefined;
  }
  function arm() {
    if (!opts.idleTimeoutMs || done) return;
    disarm();
    timer = setTimeout(function check() {
      // Paused because the consumer is slow: not the source's fault, keep waiting.
      if (body.isPaused()) {
        timer = setTimeout(check, opts.idleTimeoutMs);
        return;
      }
      fail(Object.assign(new Error(`no data for ${opts.idleTimeoutMs} ms`), { code: "ETIMEDOUT" }));
      body.destroy();
    }, opts.idleTimeoutMs);
    timer.unref?.();
  }
  const onAbort = () => {
    fail(Object.assign(new Error("aborted"), { name: "AbortError", code: "ABORT_ERR" }));
    body.destroy();
  };

  body.on("data", (chunk: unknown) => {
    if (done) return;
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    if (skip > 0) {
      const n = Math.min(skip, buf.length);
      skip -= n;
      buf = buf.subarray(n);
    }
    if (buf.length > remaining) buf = buf.subarray(0, remaining);
    remaining -= buf.length;
    arm();
    if (buf.length > 0 && !out.push(buf)) body.pause();
    if (remaining === 0) {
      finish();
      body.destroy(); // anything more is not ours
    }
  });
  body.on("end", () => {
    if (remaining !== Infinity && remaining > 0) {
      fail(Object.assign(new Error(`body ended ${remaining} bytes early`), { code: "ERR_SHORT_BODY" }));
    } else {
      finish();
    }
  });
  finished(body, (err) => {
    if (err) fail(err);
  });
  if (opts.signal) {
    if (opts.signal.aborted) queueMicrotask(onAbort);
    else opts.signal.addEventListener("abort", onAbort, { once: true });
  }
  if (remaining === 0) {
    finish();
    body.destroy();
  } else {
    arm();
  }
  return out;
}

/** Parse "bytes a-b/total" (total may be "*"). */
function parseContentRange(v: string | undefined): { start: number; end: number; total?: number } | undefined {
  const m = v ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === "*" ? undefined : Number(m[3]) };
}

/** Turn an SDK response body into a Node Readable. */
export function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    return Readable.from(body as AsyncIterable<Uint8Array>, { objectMode: false });
  }
  if (body && typeof (body as ReadableStream).getReader === "function") {
    return Readable.fromWeb(body as import("node:stream/web").ReadableStream);
  }
  if (body === undefined || body === null) return Readable.from([]);
  throw new TypeError("unsupported S3 response body");
}

function md5b64(data: Buffer): string {
  return createHash("md5").update(data).digest("base64");
}

/**
 * The size of part `n` (1-based): `base` for the first 1000 parts, then doubling every 1000
 * parts, at most S3's 5 GiB. With 8 MiB, 1000 parts hold 8 GiB, 4000 parts 120 GiB and the
 * 10 000 S3 allows about 8 TiB (more than S3's 5 TiB per object), while buffers stay 8 MiB for
 * any genome under 8 GiB. Parts of one upload may differ in size (only the last may be < 5 MiB).
 */
export function partSizeOf(base: number, n: number): number {
  return Math.min(base * 2 ** Math.floor((n - 1) / PARTS_PER_SIZE), MAX_PART_SIZE);
}
const PARTS_PER_SIZE = 1000;
const MAX_PART_SIZE = 5 * 1024 ** 3;

/**
 * Sign the request without hashing its payload (x-amz-content-sha256: UNSIGNED-PAYLOAD): the
 * command carries a CRC32 of the body in a signed header instead, which S3 checks (a part that
 * does not match is refused), so the bytes are still guarded end to end at a fraction of the CPU.
 */
function unsignedPayload<C extends { middlewareStack: { add: Function } }>(command: C): C {
  command.middlewareStack.add(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) =>
      (args: { request: { headers: Record<string, string> } }) => {
        args.request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
        return next(args);
      },
    { step: "build", name: "refstoreUnsignedPayload" },
  );
  return command;
}

// --- the store ----------------------------------------------------------------------------------

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  /** Normalised prefix: "" or "a/b/" (always ends with a slash when non-empty). */
  readonly prefix: string;
  readonly client: S3Client;
  readonly partSize: number;
  readonly queueSize: number;
  private readonly sweepMinAgeMs: number;
  private readonly ownsClient: boolean;
  private readonly idleTimeoutMs: number;
  /** @internal */
  readonly warn: (message: string, err?: unknown) => void;

  constructor(opts: S3BlobStoreOptions) {
    if (!opts.bucket) throw new TypeError("S3BlobStore: bucket is required");
    this.bucket = opts.bucket;
    const p = (opts.prefix ?? "").replace(/^\/+|\/+$/g, "");
    if (p.split("/").some((s) => s === "" || s === "." || s === "..") && p !== "") {
      throw new TypeError(`S3BlobStore: invalid prefix ${JSON.stringify(opts.prefix)}`);
    }
    this.prefix = p ? p + "/" : "";
    this.client = opts.client;
    this.partSize = opts.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isSafeInteger(this.partSize) || this.partSize < 1) throw new RangeError("S3BlobStore: bad partSize");
    this.queueSize = Math.max(1, opts.queueSize ?? DEFAULT_QUEUE_SIZE);
    this.sweepMinAgeMs = opts.sweepMinAgeMs ?? DEFAULT_SWEEP_MIN_AGE_MS;
    this.ownsClient = opts.ownsClient ?? false;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 120_000;
    this.warn = opts.onWarning ?? (() => {});
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  /** The S3 object key of a blob key. */
  objectKey(key: string): string {
    checkBlobKey(key);
    return this.prefix + key;
  }

  async create(key: string): Promise<BlobWriter> {
    return new S3BlobWriter(this, this.objectKey(key));
  }

  async put(key: string, data: Buffer): Promise<void> {
    await this.call((c) => c.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: data,
        ContentLength: data.length,
        ContentMD5: md5b64(data),
      }),
    ));
  }

  async read(key: string, start: number, endInclusive: number): Promise<Readable> {
    checkRange(start, endInclusive);
    const Key = this.objectKey(key);
    if (endInclusive < start) {
      if ((await this.size(key)) === undefined) throw new BlobNotFound(key);
      return Readable.from([]);
    }
    try {
      const res = await this.call((c) =>
        c.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=${start}-${endInclusive}` })),
      );
      // Work out what the server actually sent instead of trusting it honoured the Range
      // (s3rver ignores an end of 0 and sends "bytes 0-0/0" with a 1-byte length for an empty
      // object): skip what precedes `start`, cut what follows `endInclusive`.
      const body = toReadable(res.Body);
      const cr = parseContentRange(res.ContentRange);
      const servedStart = cr ? cr.start : 0;
      const total = cr ? cr.total : res.ContentLength;
      const servedEnd = cr ? cr.end : (res.ContentLength ?? Infinity) - 1;
      if (servedStart > start) {
        body.destroy();
        throw new Error(`S3 returned bytes from ${servedStart} for a range starting at ${start} (${Key})`);
      }
      const end = Math.min(endInclusive, servedEnd, total === undefined ? Infinity : total - 1);
      const take = Math.max(0, end - start + 1);
      return guardBody(body, { skip: start - servedStart, take, idleTimeoutMs: this.idleTimeoutMs });
    } catch (err) {
      const code = s3ErrorCode(err);
      const status = s3HttpStatus(err);
      if (code === "NoSuchKey" || code === "NotFound" || (status === 404 && code !== "NoSuchBucket")) {
        throw new BlobNotFound(key);
      }
      // The object exists but the range starts at or after its end: nothing to stream.
      if (code === "InvalidRange" || status === 416) return Readable.from([]);
      throw err;
    }
  }

  async readBytes(key: string, start: number, endInclusive: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.read(key, start, endInclusive)) chunks.push(c as Buffer);
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const res = await this.call((c) => c.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })));
      return res.ContentLength ?? 0;
    } catch (err) {
      const code = s3ErrorCode(err);
      if (s3HttpStatus(err) === 404 && code !== "NoSuchBucket") return undefined;
      if (code === "NotFound" || code === "NoSuchKey") return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    // An unfinished multipart upload of the key (a writer that died) is aborted too: its parts
    // are otherwise kept (and billed) until the start-up sweep, an hour later at the earliest.
    await this.forEachUpload(Key, async (u) => {
      if (u.Key === Key) await this.abortUpload(u.Key, u.UploadId);
    });
    try {
      await this.call((c) => c.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })));
    } catch (err) {
      if (s3ErrorCode(err) === "NoSuchKey") return;
      throw err;
    }
  }

  async checkReady(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: AbortSignal.timeout(5000) });
  }

  async sweepIncomplete(ctx?: SweepContext): Promise<void> {
    // List first, then read the pending keys: a writer registers its key before it creates the
    // upload, so every upload listed is explained unless it finished meanwhile.
    const uploads: { Key: string; UploadId: string }[] = [];
    await this.forEachUpload(this.prefix, async (u) => {
      if (!this.prefix || u.Key.startsWith(this.prefix)) uploads.push(u);
    });
    const pending = new Set<string>();
    for (const k of (await ctx?.pendingKeys()) ?? []) pending.add(this.prefix + k);
    const Key = this.prefix + SIGHTINGS_KEY;
    await sweepLeftovers({
      leftovers: uploads,
      id: (u) => u.UploadId,
      explained: (u) => pending.has(u.Key),
      graceMs: this.sweepMinAgeMs,
      now: ctx?.now?.() ?? Date.now(),
      load: async () => {
        try {
          const res = await this.call((c) => c.send(new GetObjectCommand({ Bucket: this.bucket, Key })));
          return parseSightings(await res.Body!.transformToString());
        } catch (err) {
          if (s3ErrorCode(err) === "NoSuchKey" || s3HttpStatus(err) === 404) return {};
          throw err;
        }
      },
      save: async (seen) => {
        const Body = Buffer.from(JSON.stringify(seen));
        await this.call((c) => c.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body, ContentLength: Body.length })));
      },
      remove: (u) => this.abortUpload(u.Key, u.UploadId),
    });
  }

  /** Every multipart upload under `prefix` (none if the server cannot list them: a warning). */
  private async forEachUpload(
    prefix: string,
    each: (u: { Key: string; UploadId: string }) => Promise<void>,
  ): Promise<void> {
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      let res;
      try {
        res = await this.call((c) =>
          c.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix || undefined, KeyMarker, UploadIdMarker })),
        );
      } catch (err) {
        if (isNotImplemented(err)) {
          this.warn("S3 server does not implement ListMultipartUploads: incomplete uploads not swept", err);
          return;
        }
        throw err;
      }
      for (const u of res.Uploads ?? []) {
        if (u.Key && u.UploadId) await each({ Key: u.Key, UploadId: u.UploadId });
      }
      if (!res.IsTruncated) return;
      if (res.NextKeyMarker === KeyMarker && res.NextUploadIdMarker === UploadIdMarker) return; // no progress
      KeyMarker = res.NextKeyMarker;
      UploadIdMarker = res.NextUploadIdMarker;
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  /**
   * @internal Send a command (made anew for each attempt by `send`), again after a transient
   * fault: the SDK retries 5xx answers it can parse, not an HTML error page of a proxy in front
   * of S3 (its XML parser fails first), nor a connection reset after the headers.
   */
  async call<R>(send: (client: S3Client) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(this.client);
      } catch (err) {
        if (attempt >= CALL_ATTEMPTS || !isTransient(err) || s3ErrorCode(err) === "NoSuchUpload") throw err;
        await new Promise((r) => setTimeout(r, 200 * 4 ** (attempt - 1)));
      }
    }
  }

  /** @internal Abort one multipart upload; never throws (reports through onWarning). */
  async abortUpload(Key: string, UploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }));
    } catch (err) {
      if (s3ErrorCode(err) === "NoSuchUpload") return;
      if (isNotImplemented(err)) {
        this.warn("S3 server does not implement AbortMultipartUpload: parts of an aborted upload remain", err);
        return;
      }
      this.warn(`AbortMultipartUpload failed for ${Key}`, err);
    }
  }
}

/** A multipart upload (or one PutObject for an object smaller than a part). */
class S3BlobWriter extends SerialBlobWriter {
  /** The part being filled (grows up to partSize until the first part is sent, then full size). */
  private buf: Buffer | undefined;
  /** Full-size part buffers whose upload finished, reused for later parts (no GC churn). */
  private readonly spare: Buffer[] = [];
  private bufLen = 0;
  private uploadId: string | undefined;
  private partNumber = 0;
  private readonly parts: CompletedPart[] = [];
  private readonly inflight = new Set<Promise<void>>();
  /** The first error of a part upload (they run in the background). */
  private error: unknown;

  constructor(
    private readonly store: S3BlobStore,
    private readonly key: string,
  ) {
    super();
  }

  /** The size of the part being filled (see partSizeOf). */
  private get partSize(): number {
    return partSizeOf(this.store.partSize, this.partNumber + 1);
  }

  protected async append(chunk: Buffer): Promise<void> {
    if (this.error) throw this.error;
    const partSize = this.partSize;
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, partSize - this.bufLen);
      this.ensureCapacity(this.bufLen + n);
      chunk.copy(this.buf!, this.bufLen, off, off + n);
      this.bufLen += n;
      off += n;
      if (this.bufLen === partSize) {
        const part = this.buf!;
        this.buf = undefined;
        this.bufLen = 0;
        await this.startPart(part);
      }
    }
  }

  /** Grow the current part buffer (copying on the fly; reused chunk buffers are safe). */
  private ensureCapacity(needed: number): void {
    const cap = this.buf?.length ?? 0;
    if (needed <= cap) return;
    if (this.partNumber > 0 && !this.buf) {
      // a multipart upload: every part but the last is full, so take a whole part at once
      const size = this.partSize;
      let b = this.spare.pop();
      while (b && b.length !== size) b = this.spare.pop(); // the parts grew: older buffers go
      this.buf = b ?? Buffer.allocUnsafe(size);
      return;
    }
    const newCap = Math.min(this.partSize, Math.max(needed, cap * 2, 64 * 1024));
    const nb = Buffer.allocUnsafe(newCap);
    if (this.buf) this.buf.copy(nb, 0, 0, this.bufLen);
    this.buf = nb;
  }

  private async startPart(data: Buffer): Promise<void> {
    const { bucket } = this.store;
    if (this.uploadId === undefined) {
      const res = await this.store.call((c) =>
        c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: this.key, ChecksumAlgorithm: "CRC32" })),
      );
      if (!res.UploadId) throw new Error("CreateMultipartUpload returned no UploadId");
      this.uploadId = res.UploadId;
    }
    const PartNumber = ++this.partNumber;
    if (PartNumber > MAX_PARTS) throw new Error(`object too large for ${MAX_PARTS} parts`);
    const UploadId = this.uploadId;
    const p = this.store
      .call((c) => c.send(unsignedPayload(
        new UploadPartCommand({
          Bucket: bucket,
          Key: this.key,
          UploadId,
          PartNumber,
          // CRC32 (zlib's, native) checked by S3 instead of a SHA-256 of the payload signed on
          // the main thread (0.8 CPU-s per GiB): see unsignedPayload
          ChecksumAlgorithm: "CRC32",
          Body: data,
          ContentLength: data.length,
        }),
      )))
      .then((res) => {
        this.parts.push({ PartNumber, ETag: res.ETag, ...(res.ChecksumCRC32 && { ChecksumCRC32: res.ChecksumCRC32 }) });
        if (this.state === "open") this.spare.push(data);
      })
      .catch((err) => {
        this.error ??= err;
      })
      .finally(() => {
        this.inflight.delete(p);
      });
    this.inflight.add(p);
    // Backpressure: at most queueSize parts in flight while the next one is filled.
    while (this.inflight.size >= this.store.queueSize) await Promise.race(this.inflight);
    if (this.error) throw this.error;
  }

  protected async publish(): Promise<void> {
    const { bucket } = this.store;
    if (this.uploadId === undefined) {
      const body = this.buf ? this.buf.subarray(0, this.bufLen) : Buffer.alloc(0);
      await this.store.call((c) => c.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: this.key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5b64(body),
        }),
      ));
    } else {
      if (this.bufLen > 0) {
        const last = this.buf!.subarray(0, this.bufLen);
        this.buf = undefined;
        this.bufLen = 0;
        await this.startPart(last);
      }
      while (this.inflight.size > 0) await Promise.race(this.inflight);
      if (this.error) throw this.error;
      const Parts = [...this.parts].sort((a, b) => a.PartNumber! - b.PartNumber!);
      const UploadId = this.uploadId;
      await this.store.call((c) =>
        c.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: this.key, UploadId, MultipartUpload: { Parts } })),
      );
    }
    this.buf = undefined;
    this.spare.length = 0;
  }

  private discarded = false;
  protected async discard(): Promise<void> {
    this.buf = undefined;
    this.spare.length = 0;
    this.bufLen = 0;
    await Promise.allSettled([...this.inflight]);
    if (this.discarded) return;
    this.discarded = true;
    if (this.uploadId !== undefined) await this.store.abortUpload(this.key, this.uploadId);
  }
}
