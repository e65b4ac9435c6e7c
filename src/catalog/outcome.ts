// How an import job ends, decided in one place: by the worker when it has been through every
// source or wound up a cancellation, and by the catalogs when a cancel ends a job that never
// started or claimJob gives up on a job whose workers kept dying (both catalogs and the worker
// must agree on COMPLETED / COMPLETED_WITH_FAILURES / FAILED / CANCELLED and on the messages).

import { shortenMessage } from "../fasta/types.js";
import type { JobStatus, SourceRecord } from "./types.js";

export const CANCELLED_SOURCE_MESSAGE = "cancelled before this source was imported";
export const CANCELLED_JOB_MESSAGE = "cancelled on request";

/** A job's terminal status, message and sources, as the catalog stores them. */
export interface JobEnd {
  status: JobStatus;
  statusMessage?: string;
  sources: SourceRecord[];
}

/** All sources finished → COMPLETED; none → FAILED; some → COMPLETED_WITH_FAILURES. */
export function outcome(sources: SourceRecord[]): { status: JobStatus; message?: string } {
  const failed = sources.filter((s) => s.status === "FAILED").length;
  if (failed === 0) return { status: "COMPLETED" };
  if (failed === sources.length)
    return { status: "FAILED", message: sources.length === 1 ? sources[0].statusMessage : `all ${failed} sources failed` };
  return { status: "COMPLETED_WITH_FAILURES", message: `${failed} of ${sources.length} sources failed` };
}

/** statusMessage is P_TEXT (no control characters) of at most MAX_MESSAGE_LENGTH characters. */
export function statusText(text: string): string {
  return shortenMessage(text.replace(/\p{C}+/gu, " ").trim()) || "failed";
}

/** Why a job was given up (job and source statusMessage). */
export function gaveUpMessage(attempts: number): string {
  const times = attempts === 1 ? "once" : `${attempts} times`;
  return statusText(`import stopped ${times} without finishing (worker crashed or lost its lease); not retried`);
}

/** Every source not yet FINISHED or FAILED becomes FAILED with `reason`; `stopped` counts them. */
function failUnfinished(sources: SourceRecord[], reason: string): { sources: SourceRecord[]; stopped: number } {
  let stopped = 0;
  const ended = sources.map((s) => {
    if (s.status === "FINISHED" || s.status === "FAILED") return s;
    stopped++;
    return { ...s, status: "FAILED" as const, statusMessage: reason };
  });
  return { sources: ended, stopped };
}

/** A cancelled job: CANCELLED; sources already FINISHED keep their references, the rest FAILED. */
export function cancelled(sources: SourceRecord[]): JobEnd {
  return {
    status: "CANCELLED",
    statusMessage: CANCELLED_JOB_MESSAGE,
    sources: failUnfinished(sources, CANCELLED_SOURCE_MESSAGE).sources,
  };
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
export function givenUp(status: JobStatus, sources: SourceRecord[], attempts: number): JobEnd {
  if (status === "CANCELLING") return cancelled(sources);
  const reason = gaveUpMessage(attempts);
  const { sources: ended, stopped } = failUnfinished(sources, reason);
  const end = outcome(ended);
  // Say why, unless nothing was left to do (the worker died just before finishing the job).
  if (stopped === 0) return { status: end.status, statusMessage: end.message, sources: ended };
  const statusMessage = end.message === reason ? reason : statusText(`${end.message}; ${reason}`);
  return { status: end.status, statusMessage, sources: ended };
}
