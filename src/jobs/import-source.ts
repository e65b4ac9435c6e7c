// One source of an import job: read s3://bucket/key, run it through the FASTA engine while the
// same bytes go to the blob store, and produce the reference record. Nothing becomes visible
// here: the caller commits the record to the catalog. Every blob key is registered as pending
// before it is written, so a crash at any point leaves only keys a restart can find and delete.

import type { BlobStore, BlobWriter, SourceReader } from "../blobs/types.js";
import type { Catalog, JobRecord, ReferenceRecord, SourceRecord } from "../catalog/types.js";
import { ingestFasta } from "../fasta/ingest.js";
import { newId } from "../catalog/ids.js";

export interface ImportDeps {
  catalog: Catalog;
  blobs: BlobStore;
  sources: SourceReader;
  maxReferenceBytes: number;
  now: () => number;
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
  const all = [keys.source, keys.index, keys.gzi];
  for (const key of all) await deps.catalog.addPendingBlob(key, job.id, deps.now());

  let writer: BlobWriter | undefined;
  try {
    const { stream, size } = await deps.sources.open(source.sourceFile, { roleArn: job.roleArn, signal });
    let bytesRead = 0;
    onProgress?.(0, size);
    // An abort (cancel, graceful stop) before ingestFasta listens destroys the stream with an
    // error that nobody would handle: the whole process would crash. ingestFasta still gets it.
    stream.on("error", () => {});
    let result;
    try {
      writer = await deps.blobs.create(keys.source);
      const w = writer;
      result = await ingestFasta(stream, {
        onBytes: (chunk) => {
          bytesRead += chunk.length;
          onProgress?.(bytesRead, size);
          return w.write(chunk);
        },
        maxUncompressedBytes: deps.maxReferenceBytes,
        signal,
      });
    } finally {
      stream.destroy();
    }
    const sourceLength = await writer.commit();
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
      source: { key: keys.source, contentLength: sourceLength },
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
