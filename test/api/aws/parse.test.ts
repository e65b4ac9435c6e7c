import { test } from "node:test";
import assert from "node:assert/strict";
import { route } from "../../../src/api/aws/router.js";
import {
  parseRequest,
  parseRfc3339,
  translatePattern,
  compilePattern,
  codePointLength,
  validateInput,
} from "../../../src/api/aws/parse.js";
import { AwsError } from "../../../src/api/aws/errors.js";
import { model, getShape } from "../../../src/api/aws/model.js";
import { captureAll, STORE_ARN } from "./sdk-capture.js";

type Headers = Record<string, string>;

function req(method: string, url: string, body?: unknown, headers: Headers = {}) {
  const m = route(method, url);
  const buf = body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  return parseRequest(m.operation, m.labels, m.rawQuery, headers, buf);
}

function invalid(fn: () => unknown, ...patterns: (RegExp | string)[]): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AwsError, `expected AwsError, got ${String(e)}`);
    assert.equal(e.code, "ValidationException");
    assert.equal(e.status, 400);
    for (const p of patterns) {
      if (typeof p === "string") assert.ok(e.message.includes(p), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(p)}`);
      else assert.match(e.message, p);
    }
    return e.message;
  }
  assert.fail("expected ValidationException");
}

const START = "/referencestore/1234567890/importjob";
const goodSource = { sourceFile: "s3://bucket/a.fa", name: "ref1" };
const goodStart = { roleArn: "arn:aws:iam::123456789012:role/x", sources: [goodSource] };

test("SDK requests parse back to the input the SDK was given (all 14 operations)", async () => {
  const captured = await captureAll();
  for (const c of captured) {
    const m = route(c.method, c.url);
    const input = parseRequest(m.operation, m.labels, m.rawQuery, c.headers, c.body);
    assert.deepEqual(input, c.input, c.operation);
  }
});

test("empty body = {}, unknown keys ignored, null = absent", () => {
  assert.deepEqual(req("POST", "/referencestores"), {});
  assert.deepEqual(req("POST", "/referencestores", "  \n"), {});
  assert.deepEqual(req("POST", "/referencestores", { bogus: 1, filter: { name: "x", other: true } }), { filter: { name: "x" } });
  assert.deepEqual(req("POST", "/referencestores", { filter: null }), {});
  assert.deepEqual(req("POST", "/referencestore", { name: "s", description: null }), { name: "s" });
  // GET/DELETE: body ignored entirely (not even parsed)
  assert.deepEqual(req("DELETE", "/referencestore/1234567890", "not json"), { id: "1234567890" });
});

test("malformed JSON / non-object body → 400", () => {
  invalid(() => req("POST", "/referencestore", "{nope"), /^request body is not valid JSON$/);
  invalid(() => req("POST", "/referencestore", "[1,2]"), "must be a JSON object");
  invalid(() => req("POST", "/referencestore", "null"), "must be a JSON object");
  invalid(() => req("POST", "/referencestore", "42"), "must be a JSON object");
});

test("required members (top-level and nested) named in the message", () => {
  invalid(() => req("POST", "/referencestore", {}), "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null");
  invalid(() => req("POST", START, { roleArn: goodStart.roleArn }), "'sources'");
  invalid(() => req("POST", START, { ...goodStart, sources: [goodSource, { name: "abc" }] }), "Value null at 'sources.2.sourceFile'");
  invalid(() => req("POST", "/referencestore", { name: "n", sseConfig: {} }), "'sseConfig.type'");
  invalid(() => req("POST", START, { ...goodStart, sources: [null] }), "'sources.1'");
  // required query member (JS SDK sends GetReference without partNumber)
  invalid(() => req("GET", "/referencestore/1234567890/reference/1111111111"), "Value null at 'partNumber'");
});

test("UntagResource: missing tagKeys is an empty list", () => {
  const arn = encodeURIComponent(STORE_ARN);
  assert.deepEqual(req("DELETE", `/tags/${arn}`), { resourceArn: STORE_ARN, tagKeys: [] });
  assert.deepEqual(req("DELETE", `/tags/${arn}?tagKeys=a&tagKeys=b%20c&tagKeys=x%2By`), { resourceArn: STORE_ARN, tagKeys: ["a", "b c", "x+y"] });
  const many = Array.from({ length: 51 }, (_, i) => `tagKeys=k${i}`).join("&");
  invalid(() => req("DELETE", `/tags/${arn}?${many}`), "Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50");
  invalid(() => req("DELETE", `/tags/${arn}?tagKeys=`), "'tagKeys.1'", "greater than or equal to 1");
});

test("types: wrong JSON types named by path", () => {
  invalid(() => req("POST", "/referencestore", { name: 5 }), "Value at 'name' failed to satisfy constraint: Member must be a string");
  invalid(() => req("POST", "/referencestore", { name: "n", tags: ["a"] }), "'tags'", "map");
  invalid(() => req("POST", "/referencestore", { name: "n", tags: { a: 1 } }), "'tags'", "string");
  invalid(() => req("POST", START, { ...goodStart, sources: {} }), "'sources'", "array");
  invalid(() => req("POST", START, { ...goodStart, sources: ["x"] }), "'sources.1'", "object");
  invalid(() => req("POST", "/referencestores", { filter: { createdAfter: true } }), "'filter.createdAfter'", "timestamp");
  invalid(() => req("POST", "/referencestores", { filter: "x" }), "'filter'");
});

test("query integers parsed strictly as decimal", () => {
  assert.deepEqual(req("POST", "/referencestores?maxResults=007"), { maxResults: 7 });
  for (const bad of ["abc", "1.5", "0x10", "1e2", "", "%201", "+5"]) {
    invalid(() => req("POST", `/referencestores?maxResults=${bad}`), "Value at 'maxResults' failed to satisfy constraint: Member must be an integer");
  }
  invalid(() => req("POST", "/referencestores?maxResults=0"), "Value at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1");
  invalid(() => req("POST", "/referencestores?maxResults=-3"), "greater than or equal to 1");
  invalid(() => req("POST", "/referencestores?maxResults=101"), "Member must have value less than or equal to 100");
  invalid(() => req("POST", "/referencestores?maxResults=99999999999999999999999"), "less than or equal to 100");
  invalid(() => req("GET", "/referencestore/1234567890/reference/1111111111?partNumber=10001"), "'partNumber'", "less than or equal to 10000");
  assert.equal(req("GET", "/referencestore/1234567890/reference/1111111111?partNumber=10000").partNumber, 10000);
  // repeated scalar: the first wins
  assert.equal(req("POST", "/referencestores?maxResults=3&maxResults=4").maxResults, 3);
});

test("string length min/max (code points) with member path", () => {
  invalid(
    () => req("POST", START, { ...goodStart, sources: [{ ...goodSource, name: "ab" }] }),
    "1 validation error detected: Value at 'sources.1.name' failed to satisfy constraint: Member must have length greater than or equal to 3",
  );
  invalid(() => req("POST", "/referencestore", { name: "x".repeat(128) }), "Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 127");
  invalid(() => req("POST", "/referencestore", { name: "" }), "Member must have length greater than or equal to 1");
  // astral characters count once each
  const emoji = "\u{1F9EC}";
  assert.equal(codePointLength(emoji.repeat(3)), 3);
  assert.equal(req("POST", START, { ...goodStart, sources: [{ ...goodSource, name: emoji.repeat(3) }] }).sources instanceof Array, true);
  assert.ok(req("POST", "/referencestore", { name: "n", description: emoji.repeat(255) }));
  invalid(() => req("POST", "/referencestore", { name: "n", description: emoji.repeat(256) }), "'description'", "less than or equal to 255");
  invalid(() => req("POST", START, { ...goodStart, roleArn: "arn:short" }), "'roleArn'", "greater than or equal to 20");
});

test("id labels: length and pattern", () => {
  invalid(() => req("GET", "/referencestore/123"), "Value at 'id' failed to satisfy constraint: Member must have length greater than or equal to 10");
  invalid(() => req("GET", "/referencestore/12345abcde"), "Value at 'id' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]+");
  invalid(() => req("GET", `/referencestore/${"1".repeat(37)}`), "less than or equal to 36");
  invalid(() => req("GET", "/referencestore/12345%0A67890"), "'id'", "pattern");
  // both labels reported
  const msg = invalid(() => req("GET", "/referencestore/abc/importjob/xyz"), /^4 validation errors detected: /);
  assert.ok(msg.includes("'id'") && msg.includes("'referenceStoreId'"));
});

test("list and map sizes", () => {
  invalid(() => req("POST", START, { ...goodStart, sources: [] }), "Value at 'sources' failed to satisfy constraint: Member must have length greater than or equal to 1");
  invalid(() => req("POST", START, { ...goodStart, sources: Array(101).fill(goodSource) }), "Value at 'sources' failed to satisfy constraint: Member must have length less than or equal to 100");
  const arn = encodeURIComponent(STORE_ARN);
  const tags51 = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]));
  invalid(() => req("POST", `/tags/${arn}`, { tags: tags51 }), "Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50");
  assert.deepEqual(req("POST", `/tags/${arn}`, { tags: {} }), { resourceArn: STORE_ARN, tags: {} });
  invalid(() => req("POST", `/tags/${arn}`, {}), "Value null at 'tags'");
  // TagMap in CreateReferenceStore has no entry limit
  assert.ok(req("POST", "/referencestore", { name: "n", tags: tags51 }));
  // map keys and values
  invalid(() => req("POST", `/tags/${arn}`, { tags: { "": "v" } }), "Value at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length greater than or equal to 1]");
  invalid(() => req("POST", `/tags/${arn}`, { tags: { k: "v".repeat(257) } }), "Map value must satisfy constraint: [Member must have length less than or equal to 256]");
  invalid(() => req("POST", START, { ...goodStart, sources: [{ ...goodSource, tags: { ["k".repeat(129)]: "" } }] }), "'sources.1.tags'", "Map keys");
  // "__proto__" is an ordinary tag key
  const t = req("POST", `/tags/${arn}`, '{"tags":{"__proto__":"x","a":""}}').tags as Record<string, string>;
  assert.deepEqual(Object.keys(t), ["__proto__", "a"]);
  assert.equal(Object.getPrototypeOf(t), Object.prototype);
});

test("enums", () => {
  invalid(() => req("GET", "/referencestore/1234567890/reference/1111111111?partNumber=1&file=source"), "Value at 'file' failed to satisfy constraint: Member must satisfy enum value set: [SOURCE, INDEX]");
  invalid(() => req("POST", "/referencestore/1234567890/importjobs", { filter: { status: "RUNNING" } }), "'filter.status'", "enum value set");
  invalid(() => req("POST", "/referencestore", { name: "n", sseConfig: { type: "AES" } }), "'sseConfig.type'", "[KMS]");
});

test("patterns: anchored, unicode, model's doubled bars translated", () => {
  assert.equal(translatePattern("[\\p{L}||\\p{M}||\\p{Z}]+"), "^(?:[\\p{L}\\p{M}\\p{Z}]+)$");
  assert.equal(translatePattern("arn:.+"), "^(?:arn:.+)$");
  assert.equal(translatePattern("a|b"), "^(?:a|b)$");
  const text = compilePattern(getShape("ReferenceName").pattern!);
  assert.ok(text.test("GRCh38 primary assembly (v2) — é ü 中文 ≥"));
  assert.ok(!text.test("bell\u0007"));
  assert.ok(!text.test("tab\there"));
  assert.ok(!text.test("new\nline"));
  // every model pattern compiles with the u flag
  for (const s of Object.values(model.shapes)) if (s.pattern) compilePattern(s.pattern);

  invalid(() => req("POST", "/referencestore", { name: "bad\u0000name" }), "Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern");
  invalid(() => req("POST", START, { ...goodStart, sources: [{ ...goodSource, sourceFile: "http://bucket/a.fa" }] }), "'sources.1.sourceFile'", "pattern");
  invalid(() => req("POST", START, { ...goodStart, sources: [{ ...goodSource, sourceFile: "s3://b/a.fa" }] }), "'sources.1.sourceFile'");
  invalid(() => req("POST", START, { ...goodStart, roleArn: "xarn:aws:iam::123456789012:role/x" }), "'roleArn'", "pattern");
  invalid(() => req("POST", "/referencestore", { name: "n", sseConfig: { type: "KMS", keyArn: "arn:aws:kms:us-east-1:1234:key/abcdefgh" } }), "'sseConfig.keyArn'");
  invalid(() => req("POST", "/referencestores/1234567890/references".replace("stores", "store"), { filter: { md5: "abc-def" } }), "'filter.md5'", "pattern");
  invalid(() => req("GET", `/tags/${encodeURIComponent("urn:x")}`), "'resourceArn'", "pattern");
  invalid(() => req("GET", `/tags/${encodeURIComponent("arn:" + "x".repeat(147))}`), "'resourceArn'", "less than or equal to 150");
});

test("Range header: byte-range syntax instead of the model pattern", () => {
  const url = "/referencestore/1234567890/reference/1111111111?partNumber=1";
  for (const ok of ["bytes=0-9", "bytes=100-", "bytes=-500", "BYTES=0-0"]) {
    assert.equal(req("GET", url, undefined, { range: ok }).range, ok);
  }
  assert.equal(req("GET", url, undefined, { Range: "bytes=1-2" }).range, "bytes=1-2");
  for (const bad of ["0-9", "bytes=", "bytes=a-b", "bytes=0-9,20-30", "items=0-9", "bytes=-"]) {
    invalid(() => req("GET", url, undefined, { range: bad }), "Value at 'range' failed to satisfy constraint: Member must be a single byte range");
  }
  invalid(() => req("GET", url, undefined, { range: "bytes=" + "1".repeat(130) + "-" }), "'range'", "less than or equal to 127");
});

test("timestamps in JSON: RFC 3339 forms and epoch seconds → Date", () => {
  const f = (v: unknown) => (req("POST", "/referencestores", { filter: { createdAfter: v } }).filter as { createdAfter: Date }).createdAfter;
  assert.deepEqual(f("2024-01-01T00:00:00Z"), new Date("2024-01-01T00:00:00.000Z"));
  assert.deepEqual(f("2024-01-02T03:04:05.678000Z"), new Date("2024-01-02T03:04:05.678Z"));
  assert.deepEqual(f("2024-01-02T03:04:05.678Z"), new Date("2024-01-02T03:04:05.678Z"));
  assert.deepEqual(f("2024-01-02T05:04:05+02:00"), new Date("2024-01-02T03:04:05Z"));
  assert.deepEqual(f("2024-01-01t23:30:00-01:30"), new Date("2024-01-02T01:00:00Z"));
  assert.deepEqual(f(1704067200), new Date("2024-01-01T00:00:00Z"));
  assert.deepEqual(f(1704067200.5), new Date("2024-01-01T00:00:00.500Z"));
  for (const bad of ["2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-01-01", "2024-01-01T00:00:00", "yesterday", "2024-01-01T25:00:00Z"]) {
    invalid(() => f(bad), "Value at 'filter.createdAfter' failed to satisfy constraint: Member must be a timestamp");
  }
  assert.equal(parseRfc3339("0099-01-01T00:00:00Z")?.toISOString(), "0099-01-01T00:00:00.000Z");
});

test("several problems are reported together", () => {
  const msg = invalid(
    () => req("POST", START, { roleArn: "x", sources: [{ sourceFile: "nope", name: "a" }] }),
    /^\d+ validation errors detected: /,
  );
  for (const p of ["'roleArn'", "'sources.1.sourceFile'", "'sources.1.name'"]) assert.ok(msg.includes(p), p);
});

test("validateInput checks a hand-built input", () => {
  validateInput("GetReferenceStoreRequest", { id: "1234567890" });
  invalid(() => validateInput("GetReferenceStoreRequest", { id: "1" }), "'id'");
});

test("garbage input never throws anything but AwsError", () => {
  const values: unknown[] = [null, 0, -1, 1.5, 1e300, "", "x", "\u0000", true, [], [null], [1, "a"], {}, { a: null }, { __proto__: 1 }, "2024-01-01T00:00:00Z"];
  let n = 0;
  for (const op of Object.values(model.operations)) {
    const shape = getShape(op.input!.shape);
    const bodyMembers = Object.entries(shape.members ?? {}).filter(([, r]) => !r.location).map(([k]) => k);
    const labels: Record<string, string> = {};
    for (const [k, r] of Object.entries(shape.members ?? {})) if (r.location === "uri") labels[r.locationName ?? k] = "x";
    for (const v of values) {
      const bodies = [JSON.stringify(v), ...bodyMembers.map((k) => JSON.stringify({ [k]: v })), ...bodyMembers.map((k) => JSON.stringify({ [k]: [v, { name: v, sourceFile: v, tags: v }] }))];
      for (const b of bodies) {
        for (const q of ["", "maxResults=x&partNumber=&file=&tagKeys=&nextToken=", "tagKeys=%ZZ&nextToken=%"]) {
          try {
            parseRequest(op, labels, q, { range: String(v) }, Buffer.from(b ?? ""));
          } catch (e) {
            n++;
            assert.ok(e instanceof AwsError, `${op.name} ${b} ${q}: ${String(e)}`);
            assert.equal(e.status, 400);
          }
        }
      }
    }
  }
  assert.ok(n > 100);
});
