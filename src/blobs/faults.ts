// Storage faults in words. An error of S3 or of a disk is either transient (it can pass: 5xx,
// throttling, a reset or timeout, an error body that is not S3's XML — a load balancer's HTML —,
// NoSuchUpload for an upload aborted under us) or not; a full disk is its own case. The worker
// re-runs a source after a transient fault, within REFSTORE_STORAGE_RETRY_SECONDS, and then
// fails it with `describeFault`'s words instead of the library's text.

import { s3ErrorCode, s3HttpStatus } from "./s3.js";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "ERR_SHORT_BODY",
]);
const TRANSIENT_S3_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalError",
  "ServiceUnavailable",
  "TimeoutError",
  "NoSuchUpload",
]);

function errno(err: unknown): string | undefined {
  const c = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof c === "string" ? c : undefined;
}

/** The S3 server answered something that is not an S3 error document (an HTML 500 page, say). */
function unparseableBody(err: unknown): boolean {
  return typeof err === "object" && err !== null && "$responseBodyText" in err;
}

export function isNoSpace(err: unknown): boolean {
  const c = errno(err);
  return c === "ENOSPC" || c === "EDQUOT";
}

/** Whether a storage error can pass (worth running the operation again). */
export function isTransient(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  if (unparseableBody(err)) return true;
  const status = s3HttpStatus(err);
  const code = s3ErrorCode(err);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (code !== undefined && TRANSIENT_S3_CODES.has(code)) return true;
  const n = errno(err);
  if (n !== undefined && NETWORK_CODES.has(n)) return true;
  // the SDK wraps a socket error in its own (name/code from the socket)
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isTransient(cause);
}

/** What happened, in words: "S3 answered 503 SlowDown", "cannot reach S3 (ECONNRESET)", … */
export function describeFault(err: unknown): string {
  if (isNoSpace(err)) return "no space left";
  const status = s3HttpStatus(err);
  const code = s3ErrorCode(err);
  const n = errno(err);
  if (unparseableBody(err)) return `S3 answered${status ? ` ${status}` : ""} with a body that is not an S3 error`;
  if (status !== undefined) return `S3 answered ${status}${code && code !== "Error" && !/^\d+$/.test(code) ? ` ${code}` : ""}`;
  if (code === "NoSuchUpload") return "S3 lost the multipart upload (NoSuchUpload)";
  if (n !== undefined && /^E[A-Z]+$|^UND_ERR/.test(n)) return `cannot reach S3 (${n})`;
  if (code === "TimeoutError" || code === "RequestTimeout") return "cannot reach S3 (ETIMEDOUT)";
  const cause = (err as { cause?: unknown })?.cause;
  if (cause !== undefined && cause !== err) return describeFault(cause);
  return code && code !== "Error" ? `S3 error (${code})` : "storage error";
}

/** "5 min", "90 s" */
export function spanText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s >= 120 && s % 60 === 0) return `${s / 60} min`;
  if (s >= 120) return `${Math.round(s / 60)} min`;
  return `${s} s`;
}
