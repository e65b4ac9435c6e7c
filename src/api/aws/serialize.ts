// Response serialization, driven by the operation's output shape.
//
// serializeOutput(op, output):
//  * status = the operation's http.responseCode (200; 204 for TagResource/UntagResource), unless
//    the handler set another (`extra.status`).
//  * Only modelled members are written, recursively; undefined/null are dropped.
//  * Timestamps: Date, epoch-milliseconds number, or a parseable date string → ISO-8601 UTC with
//    milliseconds ("2024-05-01T12:34:56.789Z").
//  * Required list/map members that are absent are written as []/{} (as AWS answers: referenceStores,
//    references, sources, tags), and so are absent top-level list members of the output (importJobs).
//  * Members bound to headers (location "header") become response headers; none in this model.
//  * 204 → no body and no Content-Type. Otherwise `Content-Type: application/json` and a JSON body
//    ("{}" for empty outputs such as DeleteReference).
//  * An output with a streaming blob payload (GetReference `payload`): the member's value is the
//    body as is — a Node Readable (passed through), Buffer/Uint8Array or string — with
//    `Content-Type: application/octet-stream`; a missing payload is an empty body.
//
// What the model does not say (GetReference's Content-Length and Content-Range, a 206 for a
// range) the handler puts in `extra`: headers added verbatim (replacing a computed one
// case-insensitively), and the status.
//
// serializeError(err): AwsError → its status, `x-amzn-ErrorType: <code>`, JSON body
// {"message": "..."}; a framework error carrying statusCode 413 → PayloadTooLargeException, other
// framework 4xx (statusCode/status 400–499) → 400 ValidationException; anything else → 500
// InternalServerException with a generic message (never the internal error text).
// The caller adds x-amzn-RequestId and Date (per request) to both success and error responses.

import type { Readable } from "node:stream";
import { getOperation, getShape, type Operation, type Shape } from "./model.js";
import { AwsError } from "./errors.js";
import { hasOwn, setOwn } from "./wire.js";

export type ResponseBody = string | Buffer | Uint8Array | Readable | undefined;

/** Headers and status a handler adds to what the model says (see the header comment). */
export interface ResponseExtra {
  headers?: Record<string, string | number | undefined>;
  status?: number;
}

export interface SerializedResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text, raw bytes, a stream (GetReference), or undefined (no body, e.g. 204) */
  body: ResponseBody;
}

/** Date | epoch-ms number | date string → "YYYY-MM-DDTHH:MM:SS.sssZ". */
export function formatTimestamp(v: unknown): string {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < MAX_FAST_MS) return isoFromEpochMs(v);
  let d: Date;
  if (v instanceof Date) d = v;
  else if (typeof v === "number") d = new Date(v);
  else if (typeof v === "bigint") d = new Date(Number(v));
  else if (typeof v === "string") d = new Date(v);
  else throw new Error(`serialize: not a timestamp: ${typeof v}`);
  if (Number.isNaN(d.getTime())) throw new Error(`serialize: invalid timestamp ${String(v)}`);
  return d.toISOString();
}

const MAX_FAST_MS = 253402300800000; // 10000-01-01: four-digit years only
const pad2 = (n: number) => (n < 10 ? "0" + n : "" + n);

/**
 * Date.prototype.toISOString for epoch milliseconds in 1970..9999, in plain arithmetic: every
 * listed job and reference carries timestamps, and this is several times cheaper than a Date.
 * (Civil-from-days: H. Hinnant, "chrono-Compatible Low-Level Date Algorithms".)
 */
let lastDay = NaN;
let lastDayText = "";

function isoFromEpochMs(ms: number): string {
  const days = Math.floor(ms / 86400000);
  let rest = ms - days * 86400000;
  // the timestamps of one response mostly fall on one day: compute its "YYYY-MM-DDT" once
  if (days !== lastDay) {
    lastDayText = isoDate(days);
    lastDay = days;
  }
  const h = Math.floor(rest / 3600000);
  rest -= h * 3600000;
  const mi = Math.floor(rest / 60000);
  rest -= mi * 60000;
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  return (
    lastDayText + pad2(h) + ":" + pad2(mi) + ":" + pad2(sec) + "." + (milli < 10 ? "00" : milli < 100 ? "0" : "") + milli + "Z"
  );
}

/** "YYYY-MM-DDT" of a day number since 1970-01-01. */
function isoDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y + "-" + pad2(m) + "-" + pad2(d) + "T";
}

function isStream(v: unknown): v is Readable {
  return typeof v === "object" && v !== null && typeof (v as { pipe?: unknown }).pipe === "function";
}

type ToJson = (value: unknown) => unknown;

/** One compiled converter per shape: the walk over the model happens once, not per response. */
const converters = new WeakMap<Shape, ToJson>();

function toJsonValue(value: unknown, shape: Shape): unknown {
  return converterOf(shape)(value);
}

function converterOf(shape: Shape): ToJson {
  let fn = converters.get(shape);
  if (!fn) {
    // set a forwarding entry first: recursive shapes find it while their members compile
    let real: ToJson | undefined;
    converters.set(shape, (v) => real!(v));
    real = compile(shape);
    converters.set(shape, real);
    fn = real;
  }
  return fn;
}

function compile(shape: Shape): ToJson {
  switch (shape.type) {
    case "structure": {
      const members = Object.entries(shape.members ?? {}).map(([name, ref]) => {
        const mShape = getShape(ref.shape);
        return {
          name,
          key: ref.locationName ?? name,
          convert: converterOf(mShape),
          required: shape.required?.includes(name) ?? false,
          // a name that objects inherit ("constructor", …) must be read only as an own property
          inherited: name in Object.prototype,
          mShape,
        };
      });
      return (value) => {
        if (value === undefined || value === null) return undefined;
        if (typeof value !== "object") throw new Error("serialize: structure expected");
        const src = value as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const m of members) {
          let v = m.inherited && !hasOwn(src, m.name) ? undefined : m.convert(src[m.name]);
          if (v === undefined && m.required) v = emptyOf(m.mShape);
          if (v !== undefined) out[m.key] = v;
        }
        return out;
      };
    }
    case "list": {
      const convert = converterOf(getShape(shape.member!.shape));
      return (value) => {
        if (value === undefined || value === null) return undefined;
        if (!Array.isArray(value)) throw new Error("serialize: list expected");
        const out: unknown[] = [];
        for (const item of value) {
          const v = convert(item);
          if (v !== undefined) out.push(v);
        }
        return out;
      };
    }
    case "map": {
      const convert = converterOf(getShape(shape.value!.shape));
      return (value) => {
        if (value === undefined || value === null) return undefined;
        const out: Record<string, unknown> = {};
        const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as Record<string, unknown>);
        for (const [k, item] of entries) {
          const v = convert(item);
          if (v !== undefined) setOwn(out, String(k), v);
        }
        return out;
      };
    }
    case "timestamp":
      return (value) => (value === undefined || value === null ? undefined : formatTimestamp(value));
    case "integer":
    case "long":
    case "float":
    case "double":
      return (value) => (value === undefined || value === null ? undefined : Number(value));
    case "boolean":
      return (value) => (value === undefined || value === null ? undefined : Boolean(value));
    case "string":
      return (value) => (value === undefined || value === null ? undefined : String(value));
    case "blob":
      return (value) => {
        if (value === undefined || value === null) return undefined;
        if (typeof value === "string") return Buffer.from(value).toString("base64");
        if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
        throw new Error("serialize: blob expected");
      };
    default:
      return () => undefined;
  }
}

function emptyOf(shape: Shape): unknown {
  if (shape.type === "list") return [];
  if (shape.type === "map") return {};
  return undefined;
}

function headerText(v: unknown, shape: Shape): string {
  if (shape.type === "timestamp") return (v instanceof Date ? v : new Date(formatTimestamp(v))).toUTCString();
  return String(v);
}

/**
 * Serialize an operation's output object (as returned by a service handler) into an HTTP response.
 */
export function serializeOutput(
  operation: Operation | string,
  output: object | undefined | null,
  extra?: ResponseExtra,
): SerializedResponse {
  const op = typeof operation === "string" ? getOperation(operation) : operation;
  const out = (output ?? {}) as Record<string, unknown>;
  let status = op.http.responseCode ?? 200;
  const headers: Record<string, string> = {};

  const shape = op.output ? getShape(op.output.shape) : undefined;
  let body: ResponseBody;
  let contentType: string | undefined;

  if (shape) {
    const members = shape.members ?? {};
    // header / status bindings
    for (const [name, ref] of Object.entries(members)) {
      const v = out[name];
      if (v === undefined || v === null) continue;
      if (ref.location === "header") headers[ref.locationName ?? name] = headerText(v, getShape(ref.shape));
      else if (ref.location === "headers") {
        for (const [k, hv] of Object.entries(v as Record<string, unknown>)) headers[(ref.locationName ?? "") + k] = String(hv);
      } else if (ref.location === "statusCode" && typeof v === "number") status = v;
    }
    if (shape.payload) {
      const ref = members[shape.payload];
      const pShape = getShape(ref.shape);
      const v = out[shape.payload];
      if (pShape.type === "blob") {
        contentType = "application/octet-stream";
        if (v === undefined || v === null) body = Buffer.alloc(0);
        else if (isStream(v) || typeof v === "string" || v instanceof Uint8Array) body = v as ResponseBody;
        else throw new Error("serialize: payload must be a Readable, Buffer, Uint8Array or string");
      } else {
        contentType = "application/json";
        body = JSON.stringify(toJsonValue(v, pShape) ?? {});
      }
    } else {
      const json: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(members)) {
        if (ref.location) continue;
        const mShape = getShape(ref.shape);
        let v = hasOwn(out, name) ? toJsonValue(out[name], mShape) : undefined;
        if (v === undefined && (mShape.type === "list" || shape.required?.includes(name))) v = emptyOf(mShape);
        if (v !== undefined) json[ref.locationName ?? name] = v;
      }
      contentType = "application/json";
      body = JSON.stringify(json);
    }
  } else {
    contentType = "application/json";
    body = "{}";
  }

  if (extra?.status !== undefined) status = extra.status;
  if (status === 204 || status === 304) {
    body = undefined;
    contentType = undefined;
  }
  if (contentType) headers["Content-Type"] = contentType;

  if (extra?.headers) {
    for (const [k, v] of Object.entries(extra.headers)) {
      if (v === undefined || v === null) continue;
      // replace case-insensitively (e.g. a caller-supplied content-type)
      for (const existing of Object.keys(headers)) if (existing.toLowerCase() === k.toLowerCase()) delete headers[existing];
      headers[k] = String(v);
    }
  }
  return { status, headers, body };
}

/** statusCode/status carried by a framework error (fastify, http-errors), if any */
function frameworkStatus(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { statusCode?: unknown; status?: unknown };
  const v = typeof e.statusCode === "number" ? e.statusCode : typeof e.status === "number" ? e.status : undefined;
  return v !== undefined && Number.isInteger(v) ? v : undefined;
}

const GENERIC_500 = "An internal error occurred. Please try again later.";

/**
 * Serialize any thrown value as an AWS restJson1 error response. Only AwsError keeps its code
 * and message; everything else becomes 500 InternalServerException with a generic message.
 */
export function serializeError(err: unknown): SerializedResponse & { body: string; code: string } {
  let code: string;
  let status: number;
  let message: string;
  if (err instanceof AwsError) {
    code = err.code;
    status = err.status;
    message = err.message;
  } else if (frameworkStatus(err) === 413) {
    // e.g. fastify's FST_ERR_CTP_BODY_TOO_LARGE: still the client's fault, never a 500
    code = "PayloadTooLargeException";
    status = 413;
    message = "Request body is too large";
  } else if ((frameworkStatus(err) ?? 0) >= 400 && (frameworkStatus(err) ?? 0) < 500) {
    // other client errors raised by the HTTP framework before the protocol layer ran
    // (content-type parser, malformed request): report as a validation problem
    code = "ValidationException";
    status = 400;
    message = "The request could not be read: " + String((err as Error).message ?? "bad request").slice(0, 200);
  } else {
    code = "InternalServerException";
    status = 500;
    message = GENERIC_500;
  }
  return {
    status,
    code,
    headers: { "Content-Type": "application/json", "x-amzn-ErrorType": code },
    body: JSON.stringify({ message }),
  };
}
