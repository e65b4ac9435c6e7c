// One source of an import job: read s3://bucket/key, run it through the FASTA engine while the
// same bytes go to the blob store, and produce the reference record. Nothing becomes visible
// here: the caller commits the record to the catalog. Every blob key is registered as pending
// before it is written, so a crash at any point leaves only keys a restart can find and delete.

import { SourceError, StorageError, type BlobStore, type BlobWriter, type SourceReader } from "../blobs/types.js";
import { describeFault, isNoSpace, isTransient, spanText } from "../blobs/faults.js";
import { CATALOG_FULL_MESSAGE, isCatalogFull } from "../catalog/errors.js";
import { FastaError } from "../fasta/types.js";
import type { Catalog, JobRecord, ReferenceRecord, SourceRecord } from "../catalog/types.js";
import { ingestFasta } from "../fasta/ingest.js";
import { newId } from "../catalog/ids.js";
import { sleep } from "./sleep.js";
import { openUpload, uploadIdOf } from "./upload-source.js";

export interface ImportDeps {
  catalog: Catalog;
  blobs: BlobStore;
  sources: SourceReader;
  maxReferenceBytes: number;
  now: () => number;
  /** how long transient storage faults are retried before the source fails (REFSTORE_STORAGE_RETRY_SECONDS) */
  storageRetryMs?: number;
  /** how long a source waits for an upload that receives nothing (REFSTORE_UPLOAD_TIMEOUT_SECONDS) */
  uploadTimeoutMs?: number;
}

const DEFAULT_UPLOAD_TIMEOUT_MS = 10 * 60_000;

const DEFAULT_STORAGE_RETRY_MS = 5 * 60_000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

/**
 * importSource, run again from the start after a transient storage fault (S3 5xx or throttling
 * the SDK's own retries did not get past, a reset or stalled read, an upload aborted under us),
 * with exponential backoff, for at most `deps.storageRetryMs`; then the source fails with a
 * StorageError in words. A full blob store fails at once, with its own message. Every other
 * error (the source's own: no such object, access denied, bad FASTA) passes through at once.
 */
export async function importSourceRetrying(
  deps: ImportDeps,
  job: JobRecord,
  source: SourceRecord,
  signal: AbortSignal,
  onRetry?: (info: { attempt: number; delayMs: number; fault: string }) => void,
  /** as importSource's; a source read again after a fault counts from 0 again */
  onProgress?: (bytesRead: number, bytesTotal: number | undefined) => void,
): Promise<{ reference: ReferenceRecord; keys: string[] }> {
  const budget = deps.storageRetryMs ?? DEFAULT_STORAGE_RETRY_MS;
  const started = Date.now();
  let delay = FIRST_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await importSource(deps, job, source, signal, onProgress);
    } catch (err) {
      if (signal.aborted) throw err;
      if (isCatalogFull(err)) throw new StorageError(`no space left for the catalog (${CATALOG_FULL_MESSAGE})`, { cause: err });
      if (isNoSpace(err)) throw new StorageError(`no space left on the blob store (${deps.blobs.location ?? "its disk"})`, { cause: err });
      const transient = err instanceof SourceError ? err.transient : !(err instanceof FastaError) && isTransient(err);
      if (!transient) throw err;
      const spent = Date.now() - started;
      if (spent + delay > budget) {
        if (err instanceof SourceError) throw Object.assign(new SourceError(`${err.message} (retried for ${spanText(spent)})`), { cause: err });
        throw new StorageError(`blob store: ${describeFault(err)} for ${spanText(spent)}`, { cause: err });
      }
      onRetry?.({ attempt, delayMs: delay, fault: err instanceof SourceError ? err.message : `blob store: ${describeFault(err)}` });
      await sleep(delay, signal);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }
}

/** The blob keys a new reference's files are written under. */
function blobKeysOfNewReference(storeId: string, referenceId: string) {
  const base = `stores/${storeId}/references/${referenceId}`;
  return { source: `${base}/source`, index: `${base}/index.fai`, gzi: `${base}/source.gzi` };
}

export async function importSource(
  deps: ImportDeps,
  job: JobRecord,
  source: SourceRecord,
  signal: AbortSignal,
  /** bytes of the source read so far and its size when known: at the open, then per chunk */
  onProgress?: (bytesRead: number, bytesTotal: number | undefined) => void,
): Promise<{ reference: ReferenceRecord; keys: string[] }> {
  const referenceId = newId();
  const keys = blobKeysOfNewReference(job.storeId, referenceId);
  // An uploaded file is staged in the blob store already: its staged blob becomes the
  // reference's SOURCE as it is (one write of the bytes, not two), and only the index is written.
  const uploaded = uploadIdOf(source.sourceFile) !== undefined;
  const all = uploaded ? [keys.index, keys.gzi] : [keys.source, keys.index, keys.gzi];
  for (const key of all) await deps.catalog.addPendingBlob(key, job.id, deps.now());

  let writer: BlobWriter | undefined;
  try {
    let stagedKey: string | undefined;
    const { stream, size } = uploaded
      ? await openUpload(
          { catalog: deps.catalog, blobs: deps.blobs, uploadTimeoutMs: deps.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS },
          job,
          source.sourceFile,
          signal,
          (held) => onProgress?.(0, held.contentLength),
        ).then((u) => ((stagedKey = u.upload.blobKey), u))
      : await deps.sources.open(source.sourceFile, { roleArn: job.roleArn, signal });
    let bytesRead = 0;
    onProgress?.(0, size);
    // An abort (cancel, graceful stop) before ingestFasta listens destroys the stream with an
    // error that nobody would handle: the whole process would crash. ingestFasta still gets it.
    stream.on("error", () => {});
    let result;
    try {
      const w = stagedKey === undefined ? (writer = await deps.blobs.create(keys.source)) : undefined;
      result = await ingestFasta(stream, {
        onBytes: (chunk) => {
          bytesRead += chunk.length;
          onProgress?.(bytesRead, size);
          return w?.write(chunk);
        },
        maxUncompressedBytes: deps.maxReferenceBytes,
        signal,
      });
    } finally {
      stream.destroy();
    }
    const sourceLength = writer ? await writer.commit() : bytesRead;
    writer = undefined;
    await deps.blobs.put(keys.index, result.fai);
    const extraKeys: string[] = [];
    if (result.gzi) {
      await deps.blobs.put(keys.gzi, result.gzi);
      extraKeys.push(keys.gzi);
    }
    const now = deps.now();
    const reference: ReferenceRecord = {
      id: referenceId,
      storeId: job.storeId,
      name: source.name,
      description: source.description,
      md5: result.md5,
      status: "ACTIVE",
      creationTime: now,
      updateTime: now,
      creationJobId: job.id,
      source: { key: stagedKey ?? keys.source, contentLength: sourceLength },
      index: { key: keys.index, contentLength: result.fai.length },
      extraKeys,
      sequences: result.sequences,
      compression: result.compression,
    };
    return { reference, keys: all };
  } catch (err) {
    await writer?.abort().catch(() => {});
    await deleteKeys(deps, all);
    throw err;
  }
}

/** Delete blobs (best effort) and forget them as pending. */
export async function deleteKeys(deps: Pick<ImportDeps, "blobs" | "catalog">, keys: string[]): Promise<void> {
  for (const key of keys) await deps.blobs.delete(key).catch(() => {});
  await deps.catalog.removePendingBlobs(keys);
}
