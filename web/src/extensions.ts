// refstore features that other branches are adding to the server. Each is one function here so
// that the pages need not change when the route lands.

import type { Session } from "./session.js";

/**
 * HOOK (upload route, issue 11 / CLI branch): stream a local file to the server's upload
 * extension and return the `sourceFile` (an s3:// URI, as the CLI issue decides) to put in
 * StartReferenceImportJob — or start the job directly if the route does that. Until the route
 * exists the import form shows local files as unavailable (UPLOAD_AVAILABLE = false).
 */
export const UPLOAD_AVAILABLE = false;
export async function uploadLocalFile(_session: Session, _storeId: string, file: File): Promise<string> {
  throw new Error(`Uploading ${file.name}: this server has no upload route yet; put the file in a bucket and import its s3:// URI`);
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
