// How an import job ends, decided in one place: by the worker when it has been through every
// source, and by the catalogs when claimJob gives up on a job whose workers kept dying (both
// catalogs and the worker must agree on COMPLETED / COMPLETED_WITH_FAILURES / FAILED).

import { CANCELLED_JOB_MESSAGE, CANCELLED_SOURCE_MESSAGE } from "./rows.js";
import type { JobStatus, SourceRecord } from "./types.js";

/** All sources finished → COMPLETED; none → FAILED; some → COMPLETED_WITH_FAILURES. */
export function outcome(sources: SourceRecord[]): { status: JobStatus; message?: string } {
  const failed = sources.filter((s) => s.status === "FAILED").length;
  if (failed === 0) return { status: "COMPLETED" };
  if (failed === sources.length)
    return { status: "FAILED", message: sources.length === 1 ? sources[0].statusMessage : `all ${failed} sources failed` };
  return { status: "COMPLETED_WITH_FAILURES", message: `${failed} of ${sources.length} sources failed` };
}

/** statusMessage is P_TEXT (no control characters) of at most 127 characters. */
export function statusText(text: string): string {
  const clean = text.replace(/\p{C}+/gu, " ").trim();
  return clean.length > 127 ? clean.slice(0, 124) + "..." : clean || "failed";
}

/** Why a job was given up (job and source statusMessage). */
export function gaveUpMessage(attempts: number): string {
  const times = attempts === 1 ? "once" : `${attempts} times`;
  return statusText(`import stopped ${times} without finishing (worker crashed or lost its lease); not retried`);
}

/**
 * claimJob's test: a job whose lease expired after `maxAttempts` claims is not run again. A
 * SUBMITTED job has never been claimed (attempts 0), so it always runs.
 */
export function attemptsUsedUp(status: JobStatus, attempts: number, maxAttempts: number | undefined): boolean {
  return status !== "SUBMITTED" && maxAttempts !== undefined && attempts >= maxAttempts;
}

/**
 * The terminal state of a job given up after `attempts` claims: every source not yet FINISHED or
 * FAILED becomes FAILED, and the job ends as the worker would have ended it — CANCELLED if it was
 * being cancelled, otherwise by `outcome` (sources already FINISHED keep their references).
 */
export function givenUp(
  status: JobStatus,
  sources: SourceRecord[],
  attempts: number,
): { status: JobStatus; statusMessage?: string; sources: SourceRecord[] } {
  const cancelling = status === "CANCELLING";
  const reason = cancelling ? CANCELLED_SOURCE_MESSAGE : gaveUpMessage(attempts);
  let stopped = 0;
  const ended = sources.map((s) => {
    if (s.status === "FINISHED" || s.status === "FAILED") return s;
    stopped++;
    return { ...s, status: "FAILED" as const, statusMessage: reason };
  });
  if (cancelling) return { status: "CANCELLED", statusMessage: CANCELLED_JOB_MESSAGE, sources: ended };
  const end = outcome(ended);
  // Say why, unless nothing was left to do (the worker died just before finishing the job).
  if (stopped === 0) return { status: end.status, statusMessage: end.message, sources: ended };
  const statusMessage = end.message === reason ? reason : statusText(`${end.message}; ${reason}`);
  return { status: end.status, statusMessage, sources: ended };
}
