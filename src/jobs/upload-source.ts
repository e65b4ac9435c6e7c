// Sources that are local files streamed through the upload extension. An API process stages the
// bytes in the blob store (service/uploads.ts); the job's source names them with an s3:// URI in
// a reserved bucket, `s3://refstore-upload/<uploadId>/<file name>`, which this module resolves to
// the staging key: never to a real bucket or a mount, and only for the job's own store (and so
// account). A source whose upload has not arrived yet is held until it has, has failed, or has
// been idle for the upload timeout.

import { Readable } from "node:stream";
import type { Catalog, UploadRecord } from "../catalog/types.js";
import { SourceError, type BlobStore } from "../blobs/types.js";
import { sleep } from "./sleep.js";

/** The reserved bucket name (an S3 bucket of that name is never read). */
export const UPLOAD_BUCKET = "refstore-upload";

const UPLOAD_URI = /^s3:\/\/refstore-upload\/([0-9]{10})\/(.+)$/;

/** The source URI an upload is imported by. */
export function uploadSourceFile(uploadId: string, fileName: string): string {
  return `s3://${UPLOAD_BUCKET}/${uploadId}/${fileName}`;
}

/**
 * For a URI in the reserved bucket: the upload id, or null when the rest is malformed (no upload
 * can match). Undefined for every other URI.
 */
export function uploadIdOf(uri: string): string | null | undefined {
  if (!uri.startsWith(`s3://${UPLOAD_BUCKET}/`)) return undefined;
  return UPLOAD_URI.exec(uri)?.[1] ?? null;
}

/** Where an upload's bytes are staged (and stay, as the reference's SOURCE, once imported). */
export function stagingKey(storeId: string, uploadId: string): string {
  return `stores/${storeId}/uploads/${uploadId}`;
}

export interface HeldUploadDeps {
  catalog: Catalog;
  blobs: BlobStore;
  /** REFSTORE_UPLOAD_TIMEOUT_SECONDS in ms: an upload idle this long fails its source */
  uploadTimeoutMs: number;
  /** how often a held source looks at its upload again */
  pollMs?: number;
}

/**
 * Wait for the upload `uri` names to be complete, then open its staged bytes. Rejects with a
 * SourceError worded for the source's statusMessage: an unknown upload, one of another job or
 * store, an upload that failed (the API's message: "upload interrupted after N of M bytes"), or
 * one idle for longer than the timeout.
 */
export async function openUpload(
  deps: HeldUploadDeps,
  job: { id: string; storeId: string },
  uri: string,
  signal: AbortSignal,
  onHeld?: (upload: UploadRecord) => void,
): Promise<{ upload: UploadRecord; size: number; stream: Readable }> {
  const id = uploadIdOf(uri);
  const unknown = () => new SourceError("no such upload for this job in this reference store");
  if (!id) throw unknown();
  for (;;) {
    signal.throwIfAborted();
    const upload = await deps.catalog.getUpload(id);
    if (!upload || upload.storeId !== job.storeId || upload.jobId !== job.id) throw unknown();
    if (upload.status === "FAILED") throw new SourceError(upload.statusMessage ?? "the upload failed");
    if (upload.status === "COMPLETE") {
      const size = upload.bytesReceived;
      const stream = size === 0 ? Readable.from([]) : await deps.blobs.read(upload.blobKey, 0, size - 1);
      return { upload, size, stream };
    }
    const idle = Date.now() - upload.updateTime;
    if (idle > deps.uploadTimeoutMs) {
      const got = upload.status === "CREATED" ? "no bytes received" : `${upload.bytesReceived} of ${upload.contentLength} bytes received`;
      throw new SourceError(`upload timed out: nothing for ${Math.round(idle / 1000)} s (${got})`);
    }
    onHeld?.(upload);
    await sleep(deps.pollMs ?? 250, signal);
  }
}

/** Delete an upload's staged blob and its row (the job it belonged to has ended). */
export async function discardUpload(deps: { catalog: Catalog; blobs: BlobStore }, upload: UploadRecord): Promise<void> {
  await deps.blobs.delete(upload.blobKey).catch(() => {});
  await deps.catalog.deleteUpload(upload.id);
}
