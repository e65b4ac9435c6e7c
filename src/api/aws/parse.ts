// Request parsing + validation, driven by the operation's input shape.
//
// parseRequest() collects every member from where the model binds it (URI label, query string,
// header, JSON body), converts it to its modelled type and then checks every constraint the model
// states (required, type, length/size min/max, numeric range, enum, pattern) recursively. All
// problems are reported together in one ValidationException (400) whose message names each member
// by path, AWS style:
//   1 validation error detected: Value at 'sources.1.name' failed to satisfy constraint: Member must have length greater than or equal to 3
// List positions in paths are 1-based (as AWS does); map entries are reported at the map's path.
//
// Decisions (documented):
//  * String length = number of Unicode code points (Smithy @length semantics), not UTF-16 units.
//  * Patterns are anchored (^(?:…)$) and compiled with the `u` flag; the model's doubled bars
//    inside character classes ("[\p{L}||\p{M}…]") are dropped (in the model they are separators).
//  * The `Range` shape (GetReference's Range header) does not use the model pattern (which would
//    reject "bytes=0-9" when anchored); it must be a single HTTP byte range:
//    `bytes=<first>-<last>`, `bytes=<first>-` or `bytes=-<suffix>` (unit case-insensitive). Whether
//    the range is satisfiable is the service's business (416): service/ranges.ts, the one parser.
//  * Query integers must be plain decimal (`-?[0-9]+`); anything else is a type error.
//  * A required query-string LIST member that is absent is an empty list (clients send an empty
//    list as no parameter at all — UntagResource `tagKeys`).
//  * A repeated scalar query parameter: the first occurrence wins.
//  * JSON body: empty (or whitespace-only) body = {}; it must be a JSON object; unknown keys are
//    ignored; JSON null = absent; the body is not even parsed when the input has no body members.
//  * JSON timestamps: any RFC 3339 date-time string (any fraction length, Z or ±hh:mm, `T`/`t`/space
//    separator) or an epoch number in seconds (botocore's unixTimestamp form) → Date.
//  * Nothing but AwsError is thrown for bad input.

import { getOperation, getShape, type Operation, type Shape, type ShapeRef } from "./model.js";
import { isByteRange } from "../../service/ranges.js";
import { AwsError } from "./errors.js";
import { hasOwn, headerValue, setOwn, type HeaderBag } from "./wire.js";

export type Input = Record<string, unknown>;

const MAX_REPORTED = 10;

// ---------------------------------------------------------------------------------------------
// patterns

/** Translate a model pattern into an anchored JS source (without flags). */
export function translatePattern(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      out += c + (pattern[i + 1] ?? "");
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      else if (c === "|" && pattern[i + 1] === "|") {
        // "||" inside a class: a separator in the model's notation, not a literal bar
        i++;
        continue;
      }
    } else if (c === "[") {
      inClass = true;
      out += c;
      if (pattern[i + 1] === "^") {
        out += "^";
        i++;
      }
      continue;
    }
    out += c;
  }
  return `^(?:${out})$`;
}

const patternCache = new Map<string, RegExp>();

/** Compiled anchored regex for a model pattern (cached). */
export function compilePattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(translatePattern(pattern), "u");
    patternCache.set(pattern, re);
  }
  return re;
}

/** Shapes whose model pattern is replaced by refstore (see header comment). */
const PATTERN_OVERRIDES: Record<string, { test: (s: string) => boolean; describe: string }> = {
  Range: {
    test: isByteRange,
    describe: "Member must be a single byte range: bytes=<first>-<last>, bytes=<first>- or bytes=-<suffix>",
  },
};

// ---------------------------------------------------------------------------------------------
// timestamps

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Parse an RFC 3339 date-time (any fraction length, Z or ±hh:mm). Undefined if invalid. */
export function parseRfc3339(s: string): Date | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const y = +m[1], mo = +m[2], d = +m[3], h = +m[4], mi = +m[5];
  let sec = +m[6];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 60) return undefined;
  if (sec === 60) sec = 59; // leap second: clamp
  const ms = m[7] ? Math.floor(Number("0." + m[7]) * 1000) : 0;
  let t = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  if (m[9]) {
    const oh = +m[10], om = +m[11];
    if (oh > 23 || om > 59) return undefined;
    const off = (oh * 60 + om) * 60_000;
    t += m[9] === "+" ? -off : off;
  }
  // Date.UTC maps years 0–99 to 1900+; fix that up
  if (y < 100) {
    const dt = new Date(t);
    dt.setUTCFullYear(dt.getUTCFullYear() - 1900);
    t = dt.getTime();
  }
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Length in Unicode code points. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date);
}

class Problems {
  readonly list: string[] = [];
  add(path: string, constraint: string): void {
    this.list.push(`Value at '${path}' failed to satisfy constraint: ${constraint}`);
  }
  missing(path: string): void {
    this.list.push(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
  }
  throwIfAny(): void {
    const n = this.list.length;
    if (n === 0) return;
    const shown = this.list.slice(0, MAX_REPORTED);
    const more = n > MAX_REPORTED ? `; (${n - MAX_REPORTED} more)` : "";
    throw new AwsError(
      "ValidationException",
      `${n} validation error${n === 1 ? "" : "s"} detected: ${shown.join("; ")}${more}`,
    );
  }
}

function typeName(shape: Shape): string {
  switch (shape.type) {
    case "structure":
      return "Member must be an object";
    case "list":
      return "Member must be an array";
    case "map":
      return "Member must be an object (map)";
    case "string":
      return "Member must be a string";
    case "integer":
    case "long":
      return "Member must be an integer";
    case "float":
    case "double":
      return "Member must be a number";
    case "boolean":
      return "Member must be a boolean";
    case "timestamp":
      return "Member must be a timestamp (RFC 3339 date-time string or epoch seconds)";
    case "blob":
      return "Member must be base64-encoded binary data";
  }
}

// ---------------------------------------------------------------------------------------------
// wire → typed values

const INTEGER_TEXT = /^-?[0-9]+$/;
const DECIMAL_TEXT = /^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A scalar from text (URI label, query value, header value). */
function fromText(text: string, shape: Shape, path: string, where: "uri" | "query" | "header", p: Problems): unknown {
  switch (shape.type) {
    case "string":
      return text;
    case "integer":
    case "long":
      if (!INTEGER_TEXT.test(text)) return p.add(path, typeName(shape));
      return Number(text);
    case "float":
    case "double":
      if (!DECIMAL_TEXT.test(text)) return p.add(path, typeName(shape));
      return Number(text);
    case "boolean":
      if (text === "true") return true;
      if (text === "false") return false;
      return p.add(path, typeName(shape));
    case "timestamp": {
      let d: Date | undefined;
      if (where === "header") {
        const t = Date.parse(text);
        d = Number.isNaN(t) ? undefined : new Date(t);
      } else d = parseRfc3339(text);
      if (!d) return p.add(path, typeName(shape));
      return d;
    }
    case "blob":
      if (!BASE64.test(text)) return p.add(path, typeName(shape));
      return Buffer.from(text, "base64");
    default:
      return p.add(path, typeName(shape));
  }
}

/** A value from parsed JSON. null = absent. */
function fromJson(value: unknown, shape: Shape, path: string, p: Problems): unknown {
  if (value === null || value === undefined) return undefined;
  switch (shape.type) {
    case "structure": {
      if (!isPlainObject(value)) return p.add(path, typeName(shape));
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        const key = ref.locationName ?? name;
        if (!hasOwn(value, key)) continue;
        const v = fromJson(value[key], getShape(ref.shape), `${path}.${name}`, p);
        if (v !== undefined) setOwn(out, name, v);
      }
      return out;
    }
    case "list": {
      if (!Array.isArray(value)) return p.add(path, typeName(shape));
      const memberShape = getShape(shape.member!.shape);
      const out: unknown[] = [];
      value.forEach((item, i) => {
        const ip = `${path}.${i + 1}`;
        if (item === null || item === undefined) {
          p.missing(ip);
          return;
        }
        out.push(fromJson(item, memberShape, ip, p));
      });
      return out;
    }
    case "map": {
      if (!isPlainObject(value)) return p.add(path, typeName(shape));
      const keyShape = getShape(shape.key!.shape);
      const valShape = getShape(shape.value!.shape);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) {
        const v = value[k];
        if (v === null || v === undefined) continue;
        if (keyShape.type !== "string") {
          p.add(path, "Map keys must be strings");
          continue;
        }
        const cv = fromJson(v, valShape, path, p);
        if (cv !== undefined) setOwn(out, k, cv);
      }
      return out;
    }
    case "string":
      return typeof value === "string" ? value : p.add(path, typeName(shape));
    case "integer":
    case "long":
      return typeof value === "number" && Number.isInteger(value) ? value : p.add(path, typeName(shape));
    case "float":
    case "double":
      return typeof value === "number" && Number.isFinite(value) ? value : p.add(path, typeName(shape));
    case "boolean":
      return typeof value === "boolean" ? value : p.add(path, typeName(shape));
    case "timestamp": {
      if (typeof value === "string") {
        const d = parseRfc3339(value);
        return d ?? p.add(path, typeName(shape));
      }
      if (typeof value === "number" && Number.isFinite(value)) {
        const d = new Date(Math.round(value * 1000));
        return Number.isNaN(d.getTime()) ? p.add(path, typeName(shape)) : d;
      }
      return p.add(path, typeName(shape));
    }
    case "blob":
      return typeof value === "string" && BASE64.test(value) ? Buffer.from(value, "base64") : p.add(path, typeName(shape));
  }
}

// ---------------------------------------------------------------------------------------------
// constraints

function checkLength(n: number, shape: Shape, path: string, p: Problems): void {
  if (shape.min !== undefined && n < shape.min) p.add(path, `Member must have length greater than or equal to ${shape.min}`);
  if (shape.max !== undefined && n > shape.max) p.add(path, `Member must have length less than or equal to ${shape.max}`);
}

function checkString(s: string, shapeName: string, shape: Shape, path: string, p: Problems): void {
  checkLength(codePointLength(s), shape, path, p);
  if (shape.enum && !shape.enum.includes(s)) {
    p.add(path, `Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
  }
  const override = PATTERN_OVERRIDES[shapeName];
  if (override) {
    if (!override.test(s)) p.add(path, override.describe);
  } else if (shape.pattern !== undefined && !compilePattern(shape.pattern).test(s)) {
    p.add(path, `Member must satisfy regular expression pattern: ${shape.pattern}`);
  }
}

/** Check constraints of an already-typed value. */
function validateValue(value: unknown, shapeName: string, path: string, p: Problems): void {
  if (value === undefined || value === null) return;
  const shape = getShape(shapeName);
  switch (shape.type) {
    case "structure": {
      if (!isPlainObject(value)) return p.add(path, typeName(shape));
      validateStructure(value, shape, path ? `${path}.` : "", p);
      return;
    }
    case "list": {
      if (!Array.isArray(value)) return p.add(path, typeName(shape));
      checkLength(value.length, shape, path, p);
      value.forEach((item, i) => validateValue(item, shape.member!.shape, `${path}.${i + 1}`, p));
      return;
    }
    case "map": {
      if (!isPlainObject(value)) return p.add(path, typeName(shape));
      const keys = Object.keys(value);
      checkLength(keys.length, shape, path, p);
      // AWS reports map entry problems at the map's path, wrapped in "Map keys/value must satisfy"
      const keyP = new Problems();
      const valP = new Problems();
      for (const k of keys) {
        validateValue(k, shape.key!.shape, path, keyP);
        validateValue(value[k], shape.value!.shape, path, valP);
      }
      const strip = (s: string) => s.replace(/^Value (?:null )?at '[^']*' failed to satisfy constraint: /, "");
      for (const c of new Set(keyP.list.map(strip))) p.add(path, `Map keys must satisfy constraint: [${c}]`);
      for (const c of new Set(valP.list.map(strip))) p.add(path, `Map value must satisfy constraint: [${c}]`);
      return;
    }
    case "string":
      if (typeof value !== "string") return p.add(path, typeName(shape));
      return checkString(value, shapeName, shape, path, p);
    case "integer":
    case "long":
    case "float":
    case "double": {
      if (typeof value !== "number" || Number.isNaN(value)) return p.add(path, typeName(shape));
      if ((shape.type === "integer" || shape.type === "long") && !Number.isInteger(value)) return p.add(path, typeName(shape));
      if (shape.min !== undefined && value < shape.min) p.add(path, `Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) p.add(path, `Member must have value less than or equal to ${shape.max}`);
      if ((shape.type === "integer" || shape.type === "long") && !Number.isSafeInteger(value) && shape.max === undefined) {
        p.add(path, typeName(shape));
      }
      return;
    }
    case "boolean":
      if (typeof value !== "boolean") p.add(path, typeName(shape));
      return;
    case "timestamp":
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) p.add(path, typeName(shape));
      return;
    case "blob":
      if (!Buffer.isBuffer(value) && !(value instanceof Uint8Array) && typeof value !== "string") p.add(path, typeName(shape));
      return;
  }
}

function validateStructure(obj: Record<string, unknown>, shape: Shape, prefix: string, p: Problems): void {
  for (const req of shape.required ?? []) {
    if (obj[req] === undefined || obj[req] === null || !hasOwn(obj, req)) p.missing(prefix + req);
  }
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (hasOwn(obj, name)) validateValue(obj[name], ref.shape, prefix + name, p);
  }
}

/**
 * Validate a typed input object against a structure shape (by name). Throws ValidationException
 * naming every offending member. Exposed for callers that build inputs themselves.
 */
export function validateInput(shapeName: string, input: Record<string, unknown>): void {
  const p = new Problems();
  validateStructure(input, getShape(shapeName), "", p);
  p.throwIfAny();
}

// ---------------------------------------------------------------------------------------------
// the request

function parseQuery(rawQuery: string): URLSearchParams {
  return new URLSearchParams(rawQuery.startsWith("?") ? rawQuery.slice(1) : rawQuery);
}

function parseJsonBody(body: Buffer | Uint8Array | string | undefined): Record<string, unknown> {
  if (body === undefined) return {};
  const text = typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsError("ValidationException", "request body is not valid JSON");
  }
  if (!isPlainObject(parsed)) throw new AwsError("ValidationException", "request body must be a JSON object");
  return parsed;
}

/**
 * Build and validate the input object of `operation` from the HTTP request.
 *
 * @param operation  operation (or its name) — from route()
 * @param labels     percent-DECODED URI labels — from route()
 * @param rawQuery   raw query string (with or without the leading "?")
 * @param headers    request headers (Node's IncomingHttpHeaders works; names matched case-insensitively)
 * @param body       raw request body (empty = {})
 * @returns          input object keyed by member name: strings, numbers, booleans, Date (timestamps),
 *                   Buffer (blobs), arrays, plain objects. Absent optional members are absent.
 * @throws           AwsError ValidationException (400) — never anything else for bad input
 */
export function parseRequest(
  operation: Operation | string,
  labels: Record<string, string>,
  rawQuery: string,
  headers: HeaderBag,
  body: Buffer | Uint8Array | string | undefined,
): Input {
  const op = typeof operation === "string" ? getOperation(operation) : operation;
  const input: Input = {};
  if (!op.input) return input;
  const shapeName = op.input.shape;
  const shape = getShape(shapeName);
  const p = new Problems();
  let query: URLSearchParams | undefined;
  const bodyMembers: [string, ShapeRef][] = [];

  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const mShape = getShape(ref.shape);
    const wireName = ref.locationName ?? name;
    switch (ref.location) {
      case "uri": {
        const v = labels[wireName];
        if (v !== undefined && hasOwn(labels, wireName)) {
          const cv = fromText(v, mShape, name, "uri", p);
          if (cv !== undefined) input[name] = cv;
        }
        break;
      }
      case "querystring": {
        query ??= parseQuery(rawQuery);
        if (mShape.type === "list") {
          const itemShape = getShape(mShape.member!.shape);
          const values = query.getAll(wireName);
          if (values.length === 0) {
            // clients send an empty list as no parameter at all
            if (shape.required?.includes(name)) input[name] = [];
            break;
          }
          const out: unknown[] = [];
          values.forEach((t, i) => out.push(fromText(t, itemShape, `${name}.${i + 1}`, "query", p)));
          input[name] = out;
        } else if (mShape.type === "map") {
          // a map bound to the query string takes every parameter no other member claims
          const claimed = new Set(
            Object.entries(shape.members ?? {})
              .filter(([, r]) => r.location === "querystring" && getShape(r.shape).type !== "map")
              .map(([n, r]) => r.locationName ?? n),
          );
          const valShape = getShape(mShape.value!.shape);
          const out: Record<string, unknown> = {};
          for (const k of new Set(query.keys())) {
            if (claimed.has(k)) continue;
            if (valShape.type === "list") setOwn(out, k, query.getAll(k));
            else setOwn(out, k, query.get(k));
          }
          input[name] = out;
        } else {
          const v = query.get(wireName);
          if (v !== null) {
            const cv = fromText(v, mShape, name, "query", p);
            if (cv !== undefined) input[name] = cv;
          }
        }
        break;
      }
      case "header": {
        const v = headerValue(headers, wireName);
        if (v === undefined) break;
        if (mShape.type === "list") {
          const itemShape = getShape(mShape.member!.shape);
          input[name] = v.split(",").map((t, i) => fromText(t.trim(), itemShape, `${name}.${i + 1}`, "header", p));
        } else {
          const cv = fromText(v, mShape, name, "header", p);
          if (cv !== undefined) input[name] = cv;
        }
        break;
      }
      case "headers": {
        const prefix = wireName.toLowerCase();
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(headers)) {
          if (!k.toLowerCase().startsWith(prefix)) continue;
          const v = headerValue(headers, k);
          if (v !== undefined) setOwn(out, k.slice(prefix.length), v);
        }
        if (Object.keys(out).length) input[name] = out;
        break;
      }
      case "statusCode":
        break;
      default:
        bodyMembers.push([name, ref]);
    }
  }

  if (bodyMembers.length > 0) {
    if (shape.payload) {
      // the body IS one member (blob or structure)
      const ref = shape.members![shape.payload];
      const pShape = getShape(ref.shape);
      if (pShape.type === "blob") {
        if (body !== undefined && body.length > 0) input[shape.payload] = typeof body === "string" ? Buffer.from(body) : body;
      } else {
        const json = parseJsonBody(body);
        const v = fromJson(json, pShape, shape.payload, p);
        if (v !== undefined) input[shape.payload] = v;
      }
    } else {
      const json = parseJsonBody(body);
      for (const [name, ref] of bodyMembers) {
        const key = ref.locationName ?? name;
        if (!hasOwn(json, key)) continue;
        const v = fromJson(json[key], getShape(ref.shape), name, p);
        if (v !== undefined) input[name] = v;
      }
    }
  }

  // type problems first: constraint checks on half-converted values would only add noise
  p.throwIfAny();
  validateStructure(input, shape, "", p);
  p.throwIfAny();
  return input;
}
