// Where the console learns how far each source of an import job has got. This is the ONE place
// to change when refstore's progress extension route (issue 11, the CLI branch: the worker records
// bytes read / total per source in the catalog) is on the server: fetch it here and return one
// entry per source, in the job's source order. Until then the answer is "unknown" and the pages
// show each source's status (an indeterminate bar while IN_PROGRESS).

import type { ImportReferenceSourceItem } from "@aws-sdk/client-omics";
import type { Session } from "./session.js";

export interface SourceProgress {
  status: string;
  /** bytes of the source read so far, when the server reports it */
  bytesRead?: number;
  /** the source's size, when known (an S3 object's Content-Length; unknown for a stream) */
  totalBytes?: number;
}

/**
 * Progress of each source of a job (same order as GetReferenceImportJob's `sources`).
 * HOOK (progress route): when the CLI branch's route lands, call it here with signedJson() and
 * merge its bytesRead/totalBytes into the entries below. Do not probe a route the server lacks:
 * the browser logs every 404 as a console error.
 */
export async function sourceProgress(
  _session: Session,
  _storeId: string,
  _jobId: string,
  sources: readonly ImportReferenceSourceItem[],
): Promise<SourceProgress[]> {
  return sources.map((s) => ({ status: s.status ?? "NOT_STARTED" }));
}

/** 0..1 when it can be told, else undefined (an indeterminate bar). */
export function fraction(p: SourceProgress): number | undefined {
  if (p.status === "FINISHED") return 1;
  if (p.status === "NOT_STARTED") return 0;
  if (p.bytesRead !== undefined && p.totalBytes) return Math.min(1, p.bytesRead / p.totalBytes);
  return undefined;
}
