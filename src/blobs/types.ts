// BlobStore: where SOURCE and INDEX bytes live. Two implementations: disk.ts (embedded
// default, under REFSTORE_DATA_DIR) and s3.ts (scale-out, REFSTORE_BLOB_URL=s3://bucket/prefix).
// The same test suite runs against both (test/blobs/store.test.ts).
//
// Crash safety: writers put bytes under their final key only through a BlobWriter whose
// commit() makes the object visible in one step (rename on disk, CompleteMultipartUpload on S3).
// abort() leaves nothing behind. A key that was never committed is never readable.

import type { Readable } from "node:stream";

export interface BlobWriter {
  /** Append bytes. Resolves when the bytes were accepted (backpressure). */
  write(chunk: Buffer): Promise<void>;
  /** Make the object visible under its key. Returns the total length written. */
  commit(): Promise<number>;
  /** Discard everything written so far. Safe to call after a failure, and more than once. */
  abort(): Promise<void>;
}

export interface BlobStore {
  /** Start writing an object under `key` (not visible until commit). */
  create(key: string): Promise<BlobWriter>;
  /** Write a small object in one call (e.g. a .fai). */
  put(key: string, data: Buffer): Promise<void>;
  /** Stream bytes [start, endInclusive] of the object. Rejects with BlobNotFound if missing. */
  read(key: string, start: number, endInclusive: number): Promise<Readable>;
  /**
   * Bytes [start, endInclusive] of the object in one Buffer (cut at its end), for small ranges
   * (a refget subsequence): disk keeps the file open between calls and reads it positionally.
   * Rejects with BlobNotFound if missing.
   */
  readBytes(key: string, start: number, endInclusive: number): Promise<Buffer>;
  /** Size of the object, or undefined if it does not exist. */
  size(key: string): Promise<number | undefined>;
  /** Delete (missing keys are not an error). */
  delete(key: string): Promise<void>;
  /**
   * Remove leftovers of writers that never committed or aborted (after a crash). Decides from
   * `ctx.pendingKeys()` (the catalog), never from the storage's own timestamps: a pending key is
   * never touched; a leftover no pending key explains is removed only once this sweep has seen it
   * for the store's grace period, by refstore's clock (first sightings are kept in the store).
   */
  sweepIncomplete(ctx?: SweepContext): Promise<void>;
  /** Resolves when the store can be written and read (/ready); rejects with the reason. */
  checkReady(): Promise<void>;
  close(): Promise<void>;
  /** Where the blobs are, for messages: a directory, or s3://bucket/prefix/. */
  readonly location?: string;
}

export interface SweepContext {
  /** Keys the catalog holds as pending: a running job writes them, or a catalog-driven cleanup will delete them. */
  pendingKeys(): Promise<Iterable<string>>;
  /** refstore's clock (default Date.now()). */
  now?: () => number;
}

export class BlobNotFound extends Error {
  constructor(key: string) {
    super(`blob not found: ${key}`);
    this.name = "BlobNotFound";
  }
}

// --- import sources ---------------------------------------------------------------------------

/** Reads an import source (s3://bucket/key) as a stream of bytes. */
export interface SourceReader {
  /**
   * Open the object. Rejects with SourceError (a short, user-facing message such as
   * "no such object": the cause only, the source item names the URI) if it cannot be read.
   */
  open(uri: string, opts?: { roleArn?: string; signal?: AbortSignal }): Promise<{ size?: number; stream: Readable }>;
}

export class SourceError extends Error {
  /** set when the cause can pass (a 5xx, a reset, a stall): the worker reads the source again */
  transient = false;
  constructor(message: string) {
    super(message);
    this.name = "SourceError";
  }
}

/**
 * A storage fault the source fails with, in words: the retries (REFSTORE_STORAGE_RETRY_SECONDS)
 * are used up, or a disk is full. Not the user's input: the source may be imported again as is.
 */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StorageError";
  }
}
