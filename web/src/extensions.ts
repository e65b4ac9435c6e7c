// refstore's own features beyond the AWS API, one function each: upload (another branch is adding
// its route) and the GA4GH identifiers and /files URLs of a reference.

import { signedJson } from "./api.js";
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
  md5: string;
  /** ga4gh SQ. digest */
  ga4gh: string;
  /** path of the refget route serving its bases (absent when the GA4GH routes are off) */
  refget?: string;
}

/** GetReferenceIdentifiers' answer (docs/api-decisions.md); paths are relative to this origin. */
export interface ReferenceIdentifiers {
  seqcolDigest: string;
  sequences: SequenceFacts[];
  ga4ghAccess: "open" | "signed" | "off";
  paths?: { seqcol: string; source: string; index: string; gzi?: string; dict: string };
}

/**
 * Per-sequence MD5 / SQ. digests, the reference's seqcol digest and the paths of its GA4GH
 * resources, from refstore's GetReferenceIdentifiers extension (signed like every call; the
 * console is served by the server it talks to, so the route is there).
 */
export function ga4ghFacts(session: Session, storeId: string, referenceId: string): Promise<ReferenceIdentifiers> {
  return signedJson<ReferenceIdentifiers>(
    session,
    "GET",
    `/referencestore/${encodeURIComponent(storeId)}/reference/${encodeURIComponent(referenceId)}/identifiers`,
  );
}

/**
 * The whole-file /files URLs igv.js reads with Range (any size, BGZF with its .gzi). Null when
 * the server does not serve them to this page: routes off, or `signed` (they want a bearer
 * token, which the console does not hold); the genome view then falls back to presigned parts.
 */
export function filesUrls(ids: ReferenceIdentifiers): { fasta: string; index: string; gzi?: string } | null {
  const p = ids.paths;
  if (!p || ids.ga4ghAccess !== "open") return null;
  const url = (path: string) => new URL(path, location.origin).href;
  return { fasta: url(p.source), index: url(p.index), ...(p.gzi ? { gzi: url(p.gzi) } : {}) };
}
