// refstore features that other branches are adding to the server. Each is one function here so
// that the pages need not change when the route lands.

import { signedJson, uploadFile } from "./api.js";
import type { Session } from "./session.js";

/**
 * Local files go through the server's upload extension (docs/api-decisions.md): ask for an upload,
 * then PUT the File, streamed from disk by the browser (UNSIGNED-PAYLOAD; never read into memory).
 * Answers the upload's `sourceFile` (an s3:// URI in the reserved bucket) for
 * StartReferenceImportJob; `onProgress` hears the bytes sent so far.
 */
export const UPLOAD_AVAILABLE = true;
export async function uploadLocalFile(
  session: Session,
  storeId: string,
  file: File,
  onProgress?: (sent: number, total: number) => void,
): Promise<string> {
  const path = `/referencestore/${encodeURIComponent(storeId)}/upload`;
  const upload = await signedJson<{ id: string; sourceFile: string }>(session, "POST", path, { fileName: file.name, contentLength: file.size });
  await uploadFile(session, `${path}/${encodeURIComponent(upload.id)}`, file, onProgress);
  return upload.sourceFile;
}

export interface SequenceFacts {
  name: string;
  length: number;
  md5?: string;
  /** ga4gh SQ. digest */
  ga4gh?: string;
}

/**
 * HOOK (GA4GH, issue 10): per-sequence MD5 / SQ. digests and the reference's seqcol digest, once
 * the server exposes them (e.g. the `.dict` under /files gives M5 per sequence; seqcol gives the
 * level-0 digest). Returns null while the server has no such route; the reference page then
 * shows names and lengths from the stored .fai index.
 */
export async function ga4ghFacts(
  _session: Session,
  _storeId: string,
  _referenceId: string,
): Promise<{ sequences: SequenceFacts[]; seqcolDigest?: string } | null> {
  return null;
}

/**
 * HOOK (GA4GH /files, issue 10): the whole-file URLs igv.js should read, once the server serves
 * /files/{store}/{reference}/{name} (whole-file Range). Returns null until then; the genome view
 * then reads a single-part uncompressed reference through presigned GetReference URLs (Range
 * within part 1), and says why it cannot show a larger one.
 */
export function filesUrls(_storeId: string, _referenceId: string, _name: string): { fasta: string; index: string } | null {
  return null;
}
