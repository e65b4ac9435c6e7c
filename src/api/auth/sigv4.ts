// AWS Signature Version 4 verification — header auth and presigned query-string auth.
//
// The received request is re-signed with @smithy/signature-v4 (the signer the JS SDK uses) and the
// signatures are compared in constant time:
//   * only the headers listed in SignedHeaders go into the re-signed request, forced in with
//     `signableHeaders` (the signer would skip e.g. user-agent otherwise);
//   * `applyChecksum: false` (otherwise the signer adds and signs x-amz-content-sha256, and every
//     botocore request would fail), `uriEscapePath: true` (omics double-encodes the path);
//   * the signing date is parsed from X-Amz-Date by hand;
//   * a signed x-amz-security-token is passed as the session token (its value is not checked
//     against any STS: refstore has none — the access key decides the account);
//   * a present x-amz-content-sha256 is checked against the body (the signer trusts it blindly);
//   * HMAC/SHA-256 via node:crypto (same results as @aws-crypto/sha256-js, much faster). Derived
//     signing keys are cached by the signer per (secret, date, region, service, token), so a
//     verification costs a few small HMACs (well under 1 ms).
//
// Protocol-neutral: shared by the APIs (the AWS one maps failures to its modelled error codes,
// the GA4GH one to 401/403). Failure → SigV4Failure with a reason:
//   no Authorization header and no X-Amz-* query auth     missing
//   malformed Authorization header / presign parameters   malformed
//   unknown access key id                                  unknown-key
//   signature mismatch, wrong scope date/service, body
//   hash mismatch, clock skew > 15 min (either way)        mismatch
//   presigned URL past X-Amz-Date + X-Amz-Expires          expired ("Request has expired")
//
// Presigned URLs: the payload hash is accepted either as UNSIGNED-PAYLOAD (what presignUrl() and
// S3-style presigners produce) or as the hash of the actual (usually empty) body (what a plain
// SignatureV4.presign() of a body-less request produces).

import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { HttpRequest } from "@smithy/protocol-http";
import { hasOwn, headerValue, setOwn, splitUrl, type HeaderBag } from "../wire.js";

export type { HeaderBag } from "../wire.js";

// ---------------------------------------------------------------------------------------------
// types


export interface SigV4Request {
  method: string;
  /** raw request target as received (Node's req.url): path still percent-encoded, with query */
  url: string;
  headers: HeaderBag;
}

export interface CredentialRecord {
  secretAccessKey: string;
  accountId: string;
}

export type CredentialLookup = (
  accessKeyId: string,
) => CredentialRecord | undefined | Promise<CredentialRecord | undefined>;

export interface VerifiedCaller {
  accountId: string;
  accessKeyId: string;
  /** region from the credential scope (the server is region-agnostic) */
  region: string;
  /** x-amz-security-token / X-Amz-Security-Token if the caller sent one */
  sessionToken?: string;
  presigned: boolean;
}

export interface VerifyOptions {
  /** signing name expected in the credential scope; default "omics" */
  service?: string;
  /** allowed clock skew in ms; default 15 minutes */
  maxSkewMs?: number;
  /**
   * The body is streamed and not given (the upload extension): the request must sign
   * `x-amz-content-sha256: UNSIGNED-PAYLOAD` in its Authorization header (not presigned).
   */
  unsignedPayload?: boolean;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const DEFAULT_SERVICE = "omics";
const DEFAULT_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_EXPIRES = 604800;
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SHA256_HEADER = "x-amz-content-sha256";
const PRESIGN_PARAMS = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
];

// ---------------------------------------------------------------------------------------------
// node:crypto hash for the smithy signer (Checksum interface)

type SourceData = string | ArrayBuffer | ArrayBufferView;
type Sha256Ctor = ConstructorParameters<typeof SignatureV4>[0]["sha256"];

function toBuf(d: SourceData): Buffer {
  if (typeof d === "string") return Buffer.from(d, "utf8");
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

class NodeSha256 {
  private h: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.h = this.make();
  }
  private make(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", toBuf(this.secret));
  }
  update(data: SourceData): void {
    this.h.update(toBuf(data));
  }
  digest(): Promise<Uint8Array> {
    const b = this.h.digest();
    return Promise.resolve(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  }
  reset(): void {
    this.h = this.make();
  }
}

const Sha256 = NodeSha256 as unknown as Sha256Ctor;

// ---------------------------------------------------------------------------------------------
// helpers

export type SigV4FailureReason = "missing" | "malformed" | "unknown-key" | "mismatch" | "expired";

/** Why a request's signature was not accepted; `message` is worded as AWS words it. */
export class SigV4Failure extends Error {
  constructor(
    readonly reason: SigV4FailureReason,
    message: string,
  ) {
    super(message);
    this.name = "SigV4Failure";
  }
}

function fail(reason: SigV4FailureReason, message: string): never {
  throw new SigV4Failure(reason, message);
}

const SIG_MISMATCH =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/** "20261128T120000Z" → Date (undefined if malformed). */
export function parseAmzDate(s: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? "");
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  if (Number.isNaN(d.getTime()) || d.getUTCDate() !== +m[3] || d.getUTCHours() !== +m[4]) return undefined;
  return d;
}

/** Date → "20261128T120000Z" */
export function formatAmzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function queryObject(params: URLSearchParams, skip?: Set<string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    if (skip?.has(k)) continue;
    const prev = hasOwn(out, k) ? out[k] : undefined;
    setOwn(out, k, prev === undefined ? v : ([] as string[]).concat(prev, v));
  }
  return out;
}

function sha256Hex(body: Buffer): string {
  return body.length === 0 ? EMPTY_SHA256 : createHash("sha256").update(body).digest("hex");
}

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(given, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

function parseCredential(cred: string, where: string): Scope {
  const parts = cred.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request" || !parts[0] || !/^\d{8}$/.test(parts[1]) || !parts[2] || !parts[3]) {
    fail(
      "malformed",
      `${where}: Credential must have the form <access key id>/<yyyymmdd>/<region>/<service>/aws4_request, got '${cred.slice(0, 200)}'`,
    );
  }
  return { accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3] };
}

const SIGNED_HEADERS = /^[a-z0-9!#$%&'*+.^_`|~-]+(?:;[a-z0-9!#$%&'*+.^_`|~-]+)*$/;

function checkScope(scope: Scope, date: Date, service: string): void {
  const ymd = formatAmzDate(date).slice(0, 8);
  if (scope.date !== ymd) {
    fail(
      "mismatch",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${ymd}'`,
    );
  }
  if (scope.service !== service) {
    fail("mismatch", `Credential should be scoped to correct service: '${service}'.`);
  }
}

function checkSkew(date: Date, now: Date, maxSkewMs: number, raw: string): void {
  const diff = date.getTime() - now.getTime();
  if (Math.abs(diff) <= maxSkewMs) return;
  const mins = Math.round(maxSkewMs / 60000);
  if (diff < 0) {
    const edge = formatAmzDate(new Date(now.getTime() - maxSkewMs));
    fail("mismatch", `Signature expired: ${raw} is now earlier than ${edge} (${formatAmzDate(now)} - ${mins} min.)`);
  }
  const edge = formatAmzDate(new Date(now.getTime() + maxSkewMs));
  fail("mismatch", `Signature expired: ${raw} is now later than ${edge} (${formatAmzDate(now)} + ${mins} min.)`);
}

function signedHeaderBag(req: SigV4Request, signed: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of signed) {
    const v = headerValue(req.headers, h);
    if (v === undefined) fail("mismatch", SIG_MISMATCH);
    out[h] = v;
  }
  return out;
}

function makeSigner(service: string, region: string, accessKeyId: string, secretAccessKey: string, sessionToken?: string) {
  return new SignatureV4({
    service,
    region,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
    credentials: { accessKeyId, secretAccessKey, sessionToken },
  });
}

// ---------------------------------------------------------------------------------------------
// verification

/**
 * Verify the SigV4 signature of a request (Authorization header, or presigned query string).
 *
 * @param req     method, raw url (path percent-encoded as received, with query), headers (any case)
 * @param body    the raw body bytes (empty Buffer when none)
 * @param lookup  access key id → { secretAccessKey, accountId } or undefined (may be async)
 * @param now     the server's clock (for skew / expiry checks)
 * @returns       who signed: { accountId, accessKeyId, region, sessionToken?, presigned }
 * @throws        SigV4Failure (see the file header)
 */
export async function verifySigV4(
  req: SigV4Request,
  body: Buffer,
  lookup: CredentialLookup,
  now: Date = new Date(),
  options: VerifyOptions = {},
): Promise<VerifiedCaller> {
  const service = options.service ?? DEFAULT_SERVICE;
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_SKEW_MS;
  const auth = headerValue(req.headers, "authorization");
  const { rawPath: path, rawQuery } = splitUrl(req.url);
  if (auth === undefined || auth.trim() === "") {
    const params = new URLSearchParams(rawQuery);
    if (params.has("X-Amz-Algorithm") || params.has("X-Amz-Signature") || params.has("X-Amz-Credential")) {
      if (options.unsignedPayload) fail("malformed", "this operation takes an Authorization header, not a presigned URL");
      return verifyPresigned(req, path, params, body, lookup, now, service, maxSkewMs);
    }
    fail("missing", "Missing Authentication Token");
  }

  // --- parse the Authorization header
  const a = auth.trim();
  const sp = a.indexOf(" ");
  const algorithm = sp < 0 ? a : a.slice(0, sp);
  if (algorithm !== ALGORITHM) {
    fail("malformed", `Unsupported authorization type '${algorithm.slice(0, 64)}': only ${ALGORITHM} is accepted.`);
  }
  const fields = new Map<string, string>();
  for (const part of a.slice(sp + 1).split(",")) {
    const t = part.trim();
    if (!t) continue;
    const eq = t.indexOf("=");
    if (eq <= 0) fail("malformed", `Authorization header has a malformed component '${t.slice(0, 64)}'.`);
    fields.set(t.slice(0, eq), t.slice(eq + 1));
  }
  for (const k of ["Credential", "SignedHeaders", "Signature"]) {
    if (!fields.get(k)) fail("malformed", `Authorization header requires '${k}' parameter.`);
  }
  const scope = parseCredential(fields.get("Credential")!, "Authorization header");
  const signedList = fields.get("SignedHeaders")!;
  const signature = fields.get("Signature")!;
  if (!SIGNED_HEADERS.test(signedList)) fail("malformed", "Authorization header has a malformed 'SignedHeaders' parameter.");
  if (!/^[0-9a-f]{64}$/.test(signature)) fail("malformed", "Authorization header has a malformed 'Signature' parameter.");
  const signed = signedList.split(";");
  if (!signed.includes("host")) fail("malformed", "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  const rawDate = headerValue(req.headers, "x-amz-date");
  const date = parseAmzDate(rawDate);
  if (!date) fail("malformed", "Authorization header requires existence of a valid 'X-Amz-Date' header.");

  // --- who is it
  const cred = await lookup(scope.accessKeyId);
  if (!cred) fail("unknown-key", "The security token included in the request is invalid.");

  checkScope(scope, date, service);
  checkSkew(date, now, maxSkewMs, rawDate!);

  // the signer trusts a present x-amz-content-sha256: check it against the body ourselves
  const claimed = headerValue(req.headers, SHA256_HEADER);
  if (options.unsignedPayload) {
    if (claimed !== UNSIGNED_PAYLOAD || !signed.includes(SHA256_HEADER))
      fail("mismatch", `this operation streams its body: sign the header '${SHA256_HEADER}: ${UNSIGNED_PAYLOAD}'`);
  } else if (claimed !== undefined && claimed !== sha256Hex(body)) {
    fail("mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const headers = signedHeaderBag(req, signed);
  const sessionToken = signed.includes("x-amz-security-token") ? headers["x-amz-security-token"] : undefined;
  const request = new HttpRequest({
    method: req.method.toUpperCase(),
    protocol: "http:",
    hostname: headers.host,
    path,
    query: queryObject(new URLSearchParams(rawQuery)),
    headers,
    body: body.length ? body : undefined,
  });
  const signer = makeSigner(service, scope.region, scope.accessKeyId, cred.secretAccessKey, sessionToken);
  const out = await signer.sign(request, { signingDate: date, signableHeaders: new Set(signed) });
  const expected = /Signature=([0-9a-f]{64})/.exec(String(out.headers.authorization))?.[1] ?? "";
  if (!sameSignature(expected, signature)) fail("mismatch", SIG_MISMATCH);

  return {
    accountId: cred.accountId,
    accessKeyId: scope.accessKeyId,
    region: scope.region,
    ...(headerValue(req.headers, "x-amz-security-token") !== undefined
      ? { sessionToken: headerValue(req.headers, "x-amz-security-token") }
      : {}),
    presigned: false,
  };
}

async function verifyPresigned(
  req: SigV4Request,
  path: string,
  params: URLSearchParams,
  body: Buffer,
  lookup: CredentialLookup,
  now: Date,
  service: string,
  maxSkewMs: number,
): Promise<VerifiedCaller> {
  for (const k of PRESIGN_PARAMS) {
    if (k !== "X-Amz-Security-Token" && !params.get(k)) {
      fail("malformed", `AWS query-string parameters must include '${k}'.`);
    }
    if (params.getAll(k).length > 1) fail("malformed", `AWS query-string parameter '${k}' appears more than once.`);
  }
  const algorithm = params.get("X-Amz-Algorithm")!;
  if (algorithm !== ALGORITHM) fail("malformed", `Unsupported X-Amz-Algorithm '${algorithm.slice(0, 64)}': only ${ALGORITHM} is accepted.`);
  const scope = parseCredential(params.get("X-Amz-Credential")!, "X-Amz-Credential");
  const rawDate = params.get("X-Amz-Date")!;
  const date = parseAmzDate(rawDate);
  if (!date) fail("malformed", "X-Amz-Date must be in the ISO8601 basic format YYYYMMDD'T'HHMMSS'Z'.");
  const rawExpires = params.get("X-Amz-Expires")!;
  if (!/^[0-9]{1,7}$/.test(rawExpires) || +rawExpires < 1 || +rawExpires > MAX_PRESIGN_EXPIRES) {
    fail("malformed", `X-Amz-Expires must be an integer from 1 to ${MAX_PRESIGN_EXPIRES} (seconds).`);
  }
  const expires = +rawExpires;
  const signedList = params.get("X-Amz-SignedHeaders")!;
  if (!SIGNED_HEADERS.test(signedList)) fail("malformed", "X-Amz-SignedHeaders is malformed.");
  const signed = signedList.split(";");
  if (!signed.includes("host")) fail("malformed", "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  const signature = params.get("X-Amz-Signature")!;
  if (!/^[0-9a-f]{64}$/.test(signature)) fail("malformed", "X-Amz-Signature is malformed.");

  const cred = await lookup(scope.accessKeyId);
  if (!cred) fail("unknown-key", "The security token included in the request is invalid.");

  checkScope(scope, date, service);
  if (date.getTime() - now.getTime() > maxSkewMs) checkSkew(date, now, maxSkewMs, rawDate);
  if (now.getTime() > date.getTime() + expires * 1000) fail("expired", "Request has expired");

  const headers = signedHeaderBag(req, signed);
  const sessionToken = params.get("X-Amz-Security-Token") ?? undefined;
  const query = queryObject(params, new Set(PRESIGN_PARAMS));
  const signer = makeSigner(service, scope.region, scope.accessKeyId, cred.secretAccessKey, sessionToken);
  const signedSet = new Set(signed);
  const candidates: (string | undefined)[] = [UNSIGNED_PAYLOAD, undefined];
  for (const payload of candidates) {
    const hdrs: Record<string, string> = { ...headers };
    const unsignable = new Set<string>();
    if (payload !== undefined && !signedSet.has(SHA256_HEADER)) {
      hdrs[SHA256_HEADER] = payload; // read by the signer as the payload hash, kept out of the canonical headers
      unsignable.add(SHA256_HEADER);
    }
    const request = new HttpRequest({
      method: req.method.toUpperCase(),
      protocol: "http:",
      hostname: headers.host,
      path,
      query: { ...query },
      headers: hdrs,
      body: body.length ? body : undefined,
    });
    const out = await signer.presign(request, {
      signingDate: date,
      expiresIn: expires,
      signableHeaders: signedSet,
      unsignableHeaders: unsignable,
      unhoistableHeaders: new Set([...signed, SHA256_HEADER]),
    });
    const expected = String(out.query?.["X-Amz-Signature"] ?? "");
    if (sameSignature(expected, signature)) {
      return {
        accountId: cred.accountId,
        accessKeyId: scope.accessKeyId,
        region: scope.region,
        ...(sessionToken !== undefined ? { sessionToken } : {}),
        presigned: true,
      };
    }
    if (signedSet.has(SHA256_HEADER)) break; // the payload hash was a signed header: one try only
  }
  fail("mismatch", SIG_MISMATCH);
}

// ---------------------------------------------------------------------------------------------
// presigning (CLI / tests)

export interface PresignOptions {
  /**
   * Either `url`: the absolute URL as the client will send it — path labels already
   * percent-encoded (as the SDKs encode them, e.g. `/tags/arn%3Aaws%3A…`), query optional
   * (e.g. `?partNumber=1&file=SOURCE`) —
   */
  url?: string;
  /** … or `endpoint` ("http://127.0.0.1:8470") + `path` (raw, labels percent-encoded) + `query`. */
  endpoint?: string;
  path?: string;
  query?: Record<string, string | number | readonly (string | number)[] | undefined>;
  method?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  /** default "omics" */
  service?: string;
  /** seconds, 1–604800; default 3600 */
  expiresIn?: number;
  /** default now */
  signingDate?: Date;
}

/** RFC 3986 strict encoding (as SigV4 canonicalization and the SDKs use). */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * Presign a URL (query-string SigV4, payload UNSIGNED-PAYLOAD, only `host` signed) so that e.g. a
 * GetReference download can be handed to curl. Returns the full URL.
 */
export async function presignUrl(opts: PresignOptions): Promise<string> {
  let u: URL;
  if (opts.url !== undefined) u = new URL(opts.url);
  else if (opts.endpoint !== undefined) {
    const base = new URL(opts.endpoint);
    const path = opts.path ?? "/";
    u = new URL(base.origin + base.pathname.replace(/\/$/, "") + (path.startsWith("/") ? path : "/" + path));
  } else throw new TypeError("presignUrl: give either url or endpoint (+ path, query)");
  for (const [k, v] of Object.entries(opts.query ?? {})) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) u.searchParams.append(k, String(item));
  }
  const expiresIn = opts.expiresIn ?? 3600;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_EXPIRES) {
    throw new RangeError(`expiresIn must be an integer from 1 to ${MAX_PRESIGN_EXPIRES}`);
  }
  // the raw path exactly as given (URL keeps existing %XX escapes)
  const rawPath = u.pathname || "/";
  const signer = makeSigner(opts.service ?? DEFAULT_SERVICE, opts.region, opts.accessKeyId, opts.secretAccessKey, opts.sessionToken);
  const request = new HttpRequest({
    method: (opts.method ?? "GET").toUpperCase(),
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: rawPath,
    query: queryObject(u.searchParams),
    headers: { host: u.host, [SHA256_HEADER]: UNSIGNED_PAYLOAD },
  });
  const out = await signer.presign(request, {
    signingDate: opts.signingDate ?? new Date(),
    expiresIn,
    unsignableHeaders: new Set([SHA256_HEADER]),
    unhoistableHeaders: new Set([SHA256_HEADER]),
  });
  const parts: string[] = [];
  for (const [k, v] of Object.entries(out.query ?? {})) {
    if (v === null || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${escapeUri(k)}=${escapeUri(String(item))}`);
  }
  return `${u.protocol}//${u.host}${rawPath}?${parts.join("&")}`;
}
