// The console's API access. Everything AWS models goes through @aws-sdk/client-omics, signed in
// the browser with the session's key (host prefixes off, endpoint = this page's origin).
// refstore's extension routes (cancel) are signed here with @smithy/signature-v4, and download
// links are presigned the same way as src/api/aws/sigv4.ts presignUrl() does it (query-string
// SigV4, UNSIGNED-PAYLOAD, only `host` signed) — this file cannot import that one (the console
// imports no API), so the few lines are repeated.

import { OmicsClient } from "@aws-sdk/client-omics";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Session } from "./session.js";

export const SERVICE = "omics";

let cached: { session: Session; client: OmicsClient } | null = null;

export function omics(session: Session): OmicsClient {
  if (cached && cached.session === session) return cached.client;
  cached?.client.destroy();
  const client = new OmicsClient({
    region: session.region,
    endpoint: location.origin,
    disableHostPrefix: true,
    credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey },
    // polling retries on its own next second; one retry covers a dropped connection
    maxAttempts: 2,
  });
  cached = { session, client };
  return client;
}

function signer(session: Session): SignatureV4 {
  return new SignatureV4({
    service: SERVICE,
    region: session.region,
    credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey },
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
}

/** The request to sign for `url` (its query, when given, as the signer wants it). */
function toSign(method: string, url: URL, headers: Record<string, string>, query?: Record<string, string>, body?: string): HttpRequest {
  return new HttpRequest({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query,
    headers: { host: url.host, ...headers },
    body,
  });
}

/** An error as the API worded it: its type (x-amzn-ErrorType / the SDK's name) and message. */
export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = type;
  }
}

/** "ConflictException: Reference store … still has references" — never an empty string. */
export function errorText(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const name = e.name && e.name !== "Error" ? e.name : "";
    const message = e.message ?? "";
    if (name === "TypeError" && /fetch/i.test(message)) return `Network error: the server could not be reached (${message})`;
    if (name && message) return `${name}: ${message}`;
    if (name || message) return name || message;
    if (e.$metadata?.httpStatusCode) return `HTTP ${e.$metadata.httpStatusCode} with no message`;
  }
  return String(err) || "Unknown error";
}

/** A SigV4-signed request to one of refstore's extension routes; JSON in and out. */
export async function signedJson<T>(session: Session, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, location.origin);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const request = toSign(method, url, payload !== undefined ? { "content-type": "application/json" } : {}, query, payload);
  const signed = await signer(session).sign(request);
  const headers = new Headers();
  for (const [k, v] of Object.entries(signed.headers)) if (k.toLowerCase() !== "host") headers.set(k, v);
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: fall through with the text
  }
  if (!res.ok) {
    const type = res.headers.get("x-amzn-errortype")?.split(":")[0] || `HTTP ${res.status}`;
    const message = (json as { message?: string; Message?: string } | undefined)?.message
      ?? (json as { Message?: string } | undefined)?.Message
      ?? text;
    throw new ApiError(type, message, res.status);
  }
  return json as T;
}

function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** A presigned GET URL (like src/api/aws/sigv4.ts presignUrl): anyone holding it may fetch until it expires. */
export async function presign(session: Session, path: string, query: Record<string, string>, expiresIn = 3600): Promise<string> {
  const url = new URL(path, location.origin);
  const request = toSign("GET", url, { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, query);
  const out = await signer(session).presign(request, {
    expiresIn,
    unsignableHeaders: new Set(["x-amz-content-sha256"]),
    unhoistableHeaders: new Set(["x-amz-content-sha256"]),
  });
  const parts: string[] = [];
  for (const [k, v] of Object.entries(out.query ?? {})) {
    if (v === null || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${escapeUri(k)}=${escapeUri(String(item))}`);
  }
  return `${url.origin}${url.pathname}?${parts.join("&")}`;
}

/** GetReference of one part, presigned: a plain link that downloads it. */
export function presignPart(session: Session, storeId: string, referenceId: string, file: "SOURCE" | "INDEX", partNumber: number): Promise<string> {
  return presign(session, `/referencestore/${escapeUri(storeId)}/reference/${escapeUri(referenceId)}`, {
    partNumber: String(partNumber),
    file,
  });
}

/** CancelReferenceImportJob, refstore's extension (docs/api-decisions.md). */
export function cancelImportJob(session: Session, storeId: string, jobId: string) {
  return signedJson<{ status?: string }>(session, "POST", `/referencestore/${escapeUri(storeId)}/importjob/${escapeUri(jobId)}/cancel`);
}

export const JOB_STATUSES = ["SUBMITTED", "IN_PROGRESS", "CANCELLING", "CANCELLED", "FAILED", "COMPLETED", "COMPLETED_WITH_FAILURES"] as const;
export const TERMINAL = new Set(["CANCELLED", "FAILED", "COMPLETED", "COMPLETED_WITH_FAILURES"]);

/**
 * PUT a File as the body of a signed request (the upload extension), streamed by the browser from
 * disk: the signature covers `x-amz-content-sha256: UNSIGNED-PAYLOAD` instead of the bytes, so the
 * file is never read here. XMLHttpRequest rather than fetch: only it reports upload progress.
 */
export async function uploadFile(session: Session, path: string, file: File, onProgress?: (sent: number, total: number) => void): Promise<unknown> {
  const url = new URL(path, location.origin);
  const request = toSign("PUT", url, { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" });
  const signed = await signer(session).sign(request);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url.href);
    for (const [k, v] of Object.entries(signed.headers)) if (k.toLowerCase() !== "host") xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, file.size);
    xhr.onerror = () => reject(new ApiError("NetworkError", `Uploading ${file.name}: the connection failed`));
    xhr.onabort = () => reject(new ApiError("AbortError", `Uploading ${file.name}: aborted`));
    xhr.onload = () => {
      let json: { message?: string; Message?: string } | undefined;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : {};
      } catch {
        json = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(json);
      const type = xhr.getResponseHeader("x-amzn-errortype")?.split(":")[0] || `HTTP ${xhr.status}`;
      reject(new ApiError(type, json?.message ?? json?.Message ?? xhr.responseText, xhr.status));
    };
    xhr.send(file);
  });
}
