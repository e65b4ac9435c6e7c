import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { serializeOutput, serializeError, formatTimestamp } from "../../../src/api/aws/serialize.js";
import { AwsError } from "../../../src/api/aws/errors.js";

const json = (b: unknown) => JSON.parse(String(b));

test("only modelled members, recursively; null/undefined dropped; ISO timestamps", () => {
  const r = serializeOutput("GetReferenceStore", {
    id: "1234567890",
    arn: "arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890",
    name: "store",
    description: null,
    sseConfig: { type: "KMS", keyArn: undefined, internal: "secret" },
    creationTime: new Date("2024-05-01T12:34:56.789Z"),
    accountId: "123456789012",
    rowid: 7,
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers["Content-Type"], "application/json");
  assert.deepEqual(json(r.body), {
    id: "1234567890",
    arn: "arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890",
    name: "store",
    sseConfig: { type: "KMS" },
    creationTime: "2024-05-01T12:34:56.789Z",
  });
});

test("epoch-ms timestamps format exactly like Date.prototype.toISOString (leap days, century rules, ends of years)", () => {
  const day = 86_400_000;
  const samples = [0, 1, 999, day - 1, day, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2100, 2, 1), Date.UTC(1999, 11, 31, 23, 59, 59, 999)];
  samples.push(Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), -1, 1.5);
  // and a deterministic spread over four centuries
  for (let ms = 7; ms < Date.UTC(2400, 0, 1); ms += 9_876_543_211) samples.push(ms);
  for (const ms of samples) assert.equal(formatTimestamp(ms), new Date(ms).toISOString(), String(ms));
});

test("timestamps: Date, epoch-ms number, string → ISO with milliseconds and Z", () => {
  assert.equal(formatTimestamp(new Date("2024-05-01T12:34:56Z")), "2024-05-01T12:34:56.000Z");
  assert.equal(formatTimestamp(1714566896789), "2024-05-01T12:34:56.789Z");
  assert.equal(formatTimestamp("2024-05-01T14:34:56.789+02:00"), "2024-05-01T12:34:56.789Z");
  const r = serializeOutput("ListReferenceImportJobs", {
    importJobs: [
      { id: "2222222222", referenceStoreId: "1234567890", roleArn: "arn:aws:iam::1:role/x", status: "COMPLETED", creationTime: 1714566896789, completionTime: new Date(1714566900000), sources: [{}], statusMessage: "x" },
    ],
  });
  assert.deepEqual(json(r.body), {
    importJobs: [
      { id: "2222222222", referenceStoreId: "1234567890", roleArn: "arn:aws:iam::1:role/x", status: "COMPLETED", creationTime: "2024-05-01T12:34:56.789Z", completionTime: "2024-05-01T12:35:00.000Z" },
    ],
  });
});

test("required and top-level lists/maps are always present", () => {
  assert.deepEqual(json(serializeOutput("ListReferenceStores", {}).body), { referenceStores: [] });
  assert.deepEqual(json(serializeOutput("ListReferences", { nextToken: undefined }).body), { references: [] });
  assert.deepEqual(json(serializeOutput("ListReferenceImportJobs", {}).body), { importJobs: [] });
  assert.deepEqual(json(serializeOutput("ListTagsForResource", {}).body), { tags: {} });
  const job = json(
    serializeOutput("GetReferenceImportJob", { id: "2222222222", referenceStoreId: "1234567890", roleArn: "arn:aws:iam::1:role/x", status: "SUBMITTED", creationTime: 0 }).body,
  );
  assert.deepEqual(job.sources, []);
  assert.equal(job.creationTime, "1970-01-01T00:00:00.000Z");
  // nextToken kept when present
  assert.deepEqual(json(serializeOutput("ListReferenceStores", { nextToken: "t", referenceStores: [] }).body), { nextToken: "t", referenceStores: [] });
});

test("maps keep their keys (incl. __proto__), nested structures filtered", () => {
  const tags = JSON.parse('{"__proto__":"x","a":"b"}');
  assert.deepEqual(Object.keys(json(serializeOutput("ListTagsForResource", { tags }).body).tags), ["__proto__", "a"]);
  const meta = json(
    serializeOutput("GetReferenceMetadata", {
      id: "1111111111",
      arn: "arn:x",
      referenceStoreId: "1234567890",
      md5: "abc",
      name: "assembly-38",
      creationTime: 0,
      updateTime: 0,
      files: { source: { contentLength: 3249912778, partSize: 104857600, totalParts: 31, path: "/data/x" }, index: { contentLength: 160928, partSize: 104857600, totalParts: 1 }, extra: {} },
    }).body,
  );
  assert.deepEqual(meta.files, {
    source: { contentLength: 3249912778, partSize: 104857600, totalParts: 31 },
    index: { contentLength: 160928, partSize: 104857600, totalParts: 1 },
  });
});

test("TagResource / UntagResource → 204, no body, no content-type", () => {
  for (const op of ["TagResource", "UntagResource"]) {
    const r = serializeOutput(op, {});
    assert.equal(r.status, 204);
    assert.equal(r.body, undefined);
    assert.equal(r.headers["Content-Type"], undefined);
  }
  assert.equal(serializeOutput("TagResource", undefined).status, 204);
});

test("empty outputs with 200 → {}", () => {
  for (const op of ["DeleteReference", "DeleteReferenceStore"]) {
    const r = serializeOutput(op, { ignored: 1 });
    assert.equal(r.status, 200);
    assert.equal(r.body, "{}");
  }
});

test("GetReference: streaming payload passed through, extra headers and status honoured", () => {
  const stream = Readable.from([Buffer.from("ACGT")]);
  const r = serializeOutput("GetReference", { payload: stream }, { headers: { "Content-Length": 4, "Content-Range": "bytes 0-3/100", "x-none": undefined } });
  assert.equal(r.status, 200);
  assert.equal(r.body, stream);
  assert.equal(r.headers["Content-Type"], "application/octet-stream");
  assert.equal(r.headers["Content-Length"], "4");
  assert.equal(r.headers["Content-Range"], "bytes 0-3/100");
  assert.ok(!("x-none" in r.headers));
  const r2 = serializeOutput("GetReference", { payload: Buffer.from("AC") }, { status: 206 });
  assert.equal(r2.status, 206);
  assert.deepEqual(r2.body, Buffer.from("AC"));
  const r3 = serializeOutput("GetReference", {});
  assert.deepEqual(r3.body, Buffer.alloc(0));
  // an extra header replaces a computed one case-insensitively
  const r4 = serializeOutput("GetReference", { payload: "x" }, { headers: { "content-type": "text/plain" } });
  assert.equal(r4.headers["content-type"], "text/plain");
  assert.equal(r4.headers["Content-Type"], undefined);
});

test("extension operation serializes like GetReferenceImportJob", () => {
  const r = serializeOutput("CancelReferenceImportJob", { id: "2222222222", referenceStoreId: "1234567890", roleArn: "arn:aws:iam::1:role/x", status: "CANCELLING", creationTime: 0, secret: 1 });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(json(r.body)).sort(), ["creationTime", "id", "referenceStoreId", "roleArn", "sources", "status"]);
});

test("serializeError: AwsError → its status, x-amzn-ErrorType, {message}", () => {
  const r = serializeError(new AwsError("ResourceNotFoundException", "Reference store 1234567890 not found"));
  assert.equal(r.status, 404);
  assert.equal(r.headers["x-amzn-ErrorType"], "ResourceNotFoundException");
  assert.equal(r.headers["Content-Type"], "application/json");
  assert.deepEqual(JSON.parse(r.body), { message: "Reference store 1234567890 not found" });
  assert.equal(serializeError(new AwsError("ServiceQuotaExceededException", "q")).status, 402);
  assert.equal(serializeError(new AwsError("RangeNotSatisfiableException", "r")).status, 416);
  assert.equal(serializeError(new AwsError("InvalidSignatureException", "s")).status, 403);
});

test("serializeError: anything else → 500 InternalServerException, generic message, JSON body", () => {
  for (const e of [new Error("ENOENT /secret/path"), new TypeError("x is undefined"), "string", undefined, { code: "ValidationException" }]) {
    const r = serializeError(e);
    assert.equal(r.status, 500);
    assert.equal(r.headers["x-amzn-ErrorType"], "InternalServerException");
    const body = JSON.parse(r.body);
    assert.deepEqual(Object.keys(body), ["message"]);
    assert.ok(!body.message.includes("secret"));
  }
});

test("serializeError: framework client errors stay 4xx", () => {
  const tooLarge = Object.assign(new Error("Request body is too large"), { statusCode: 413, code: "FST_ERR_CTP_BODY_TOO_LARGE" });
  const r = serializeError(tooLarge);
  assert.equal(r.status, 413);
  assert.equal(r.headers["x-amzn-ErrorType"], "PayloadTooLargeException");
  const r2 = serializeError(Object.assign(new Error("Unsupported Media Type"), { statusCode: 415 }));
  assert.equal(r2.status, 400);
  assert.equal(r2.headers["x-amzn-ErrorType"], "ValidationException");
  assert.equal(serializeError(Object.assign(new Error("boom"), { statusCode: 503 })).status, 500);
});

test("JSON text is written directly: escapes, awkward map keys and numbers come out as JSON.stringify would", () => {
  const tags: Record<string, string> = { "quote\"and\\slash": "line\nbreak\u2028\u0001", "10": "ten", "2": "two", emoji: "🧬" };
  Object.defineProperty(tags, "__proto__", { value: "not a prototype", enumerable: true });
  const r = serializeOutput("ListTagsForResource", { tags });
  const parsed = json(r.body);
  assert.deepEqual(Object.keys(parsed).sort(), ["tags"]);
  assert.ok(Object.prototype.hasOwnProperty.call(parsed.tags, "__proto__"), "__proto__ stays an ordinary key");
  assert.equal(parsed.tags["__proto__"], "not a prototype");
  for (const k of ["quote\"and\\slash", "10", "2", "emoji"]) assert.equal(parsed.tags[k], tags[k], k);

  const m = serializeOutput("GetReferenceMetadata", {
    id: "1234567890",
    arn: "arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890/reference/1234567890",
    referenceStoreId: "1234567890",
    md5: "abc",
    creationTime: 0,
    updateTime: 1714566896789,
    files: { source: { totalParts: 3, partSize: 104857600, contentLength: 314572801 }, index: { totalParts: "1", contentLength: Number.NaN } },
  });
  const meta = json(m.body);
  assert.equal(meta.creationTime, "1970-01-01T00:00:00.000Z");
  assert.deepEqual(meta.files, {
    source: { totalParts: 3, partSize: 104857600, contentLength: 314572801 },
    index: { totalParts: 1, contentLength: null },
  });
});
