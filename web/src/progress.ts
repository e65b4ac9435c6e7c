// Where the console learns how far each source of an import job has got: refstore's progress
// extension (GET /referencestore/{id}/importjob/{id}/progress, docs/api-decisions.md), which
// answers from what the worker records in the catalog about twice a second. Against a server
// without it (AWS HealthOmics) the call fails, and the pages show each source's status alone.

import type { ImportReferenceSourceItem } from "@aws-sdk/client-omics";
import { signedJson } from "./api.js";
import type { Session } from "./session.js";

export interface SourceProgress {
  status: string;
  /** bytes of the source read so far, when the server reports it */
  bytesRead?: number;
  /** the source's size, when known (an S3 object's Content-Length; unknown for a stream) */
  totalBytes?: number;
}

interface ProgressAnswer {
  sources?: { status?: string; bytesRead?: number; bytesTotal?: number }[];
}

/** Progress of each source of a job (same order as GetReferenceImportJob's `sources`). */
export async function sourceProgress(
  session: Session,
  storeId: string,
  jobId: string,
  sources: readonly ImportReferenceSourceItem[],
): Promise<SourceProgress[]> {
  const base = sources.map((s) => ({ status: s.status ?? "NOT_STARTED" }) as SourceProgress);
  if (!sources.some((s) => s.status === "IN_PROGRESS")) return base; // nothing moving: no call
  let answer: ProgressAnswer;
  try {
    const path = `/referencestore/${encodeURIComponent(storeId)}/importjob/${encodeURIComponent(jobId)}/progress`;
    answer = await signedJson<ProgressAnswer>(session, "GET", path);
  } catch {
    return base; // a server without the extension: statuses only
  }
  return base.map((p, i) => {
    const s = answer.sources?.[i];
    return s ? { ...p, bytesRead: s.bytesRead, totalBytes: s.bytesTotal } : p;
  });
}

/** 0..1 when it can be told, else undefined (an indeterminate bar). */
export function fraction(p: SourceProgress): number | undefined {
  if (p.status === "FINISHED") return 1;
  if (p.status === "NOT_STARTED") return 0;
  if (p.bytesRead !== undefined && p.totalBytes) return Math.min(1, p.bytesRead / p.totalBytes);
  return undefined;
}
