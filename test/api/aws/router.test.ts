import { test } from "node:test";
import assert from "node:assert/strict";
import { route, routeTable } from "../../../src/api/aws/router.js";
import { splitUrl } from "../../../src/api/aws/wire.js";
import { AwsError } from "../../../src/api/aws/errors.js";
import { awsOperationNames, operationNames, getOperation } from "../../../src/api/aws/model.js";
import { captureAll, STORE_ARN, REF_ARN } from "./sdk-capture.js";

function rejects(fn: () => unknown, code: string, re?: RegExp): AwsError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AwsError, `expected AwsError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected ${code}`);
}

const enc = encodeURIComponent;

test("model: 14 AWS operations + the cancel, progress and identifiers extensions", () => {
  assert.equal(awsOperationNames.length, 14);
  assert.equal(operationNames.length, 17);
  assert.ok(operationNames.includes("CancelReferenceImportJob"));
  assert.equal(getOperation("CancelReferenceImportJob").output?.shape, "GetReferenceImportJobResponse");
  assert.equal(getOperation("GetReferenceImportJobProgress").http.requestUri, "/referencestore/{referenceStoreId}/importjob/{id}/progress");
  assert.equal(getOperation("GetReferenceIdentifiers").http.requestUri, "/referencestore/{referenceStoreId}/reference/{id}/identifiers");
  assert.equal(routeTable.length, 17);
});

test("route table comes from the model's requestUri templates", () => {
  for (const r of routeTable) {
    const op = getOperation(r.operation);
    assert.equal(r.requestUri, op.http.requestUri);
    assert.equal(r.method, op.http.method);
  }
});

const CASES: [string, string, string, Record<string, string>][] = [
  ["POST", "/referencestore", "CreateReferenceStore", {}],
  ["GET", "/referencestore/1234567890", "GetReferenceStore", { id: "1234567890" }],
  ["POST", "/referencestores", "ListReferenceStores", {}],
  ["POST", "/referencestores?maxResults=5&nextToken=abc", "ListReferenceStores", {}],
  ["DELETE", "/referencestore/1234567890", "DeleteReferenceStore", { id: "1234567890" }],
  ["POST", "/referencestore/1234567890/importjob", "StartReferenceImportJob", { referenceStoreId: "1234567890" }],
  ["GET", "/referencestore/1234567890/importjob/2222222222", "GetReferenceImportJob", { referenceStoreId: "1234567890", id: "2222222222" }],
  ["POST", "/referencestore/1234567890/importjobs", "ListReferenceImportJobs", { referenceStoreId: "1234567890" }],
  ["POST", "/referencestore/1234567890/references", "ListReferences", { referenceStoreId: "1234567890" }],
  ["GET", "/referencestore/1234567890/reference/1111111111/metadata", "GetReferenceMetadata", { referenceStoreId: "1234567890", id: "1111111111" }],
  ["GET", "/referencestore/1234567890/reference/1111111111?partNumber=1&file=INDEX", "GetReference", { referenceStoreId: "1234567890", id: "1111111111" }],
  ["DELETE", "/referencestore/1234567890/reference/1111111111", "DeleteReference", { referenceStoreId: "1234567890", id: "1111111111" }],
  ["POST", `/tags/${enc(STORE_ARN)}`, "TagResource", { resourceArn: STORE_ARN }],
  ["DELETE", `/tags/${enc(REF_ARN)}?tagKeys=a&tagKeys=b%20c`, "UntagResource", { resourceArn: REF_ARN }],
  ["GET", `/tags/${enc(REF_ARN)}`, "ListTagsForResource", { resourceArn: REF_ARN }],
  ["POST", "/referencestore/1234567890/importjob/2222222222/cancel", "CancelReferenceImportJob", { referenceStoreId: "1234567890", id: "2222222222" }],
  ["GET", "/referencestore/1234567890/importjob/2222222222/progress", "GetReferenceImportJobProgress", { referenceStoreId: "1234567890", id: "2222222222" }],
  ["GET", "/referencestore/1234567890/reference/1111111111/identifiers", "GetReferenceIdentifiers", { referenceStoreId: "1234567890", id: "1111111111" }],
];

test("every operation routes by method + raw path, labels decoded", () => {
  const seen = new Set<string>();
  for (const [method, url, op, labels] of CASES) {
    const m = route(method, url);
    assert.equal(m.operation, op, `${method} ${url}`);
    assert.deepEqual(m.labels, labels, `${method} ${url}`);
    seen.add(op);
  }
  assert.equal(seen.size, operationNames.length);
});

test("percent-encoded ARN label: raw path matched, then decoded", () => {
  const raw = "/tags/arn%3Aaws%3Aomics%3Aus-east-1%3A123456789012%3AreferenceStore%2F1234567890";
  const m = route("POST", raw);
  assert.equal(m.operation, "TagResource");
  assert.equal(m.labels.resourceArn, "arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890");
  assert.equal(m.rawPath, raw);
  // a decoded "/" inside the ARN is a second path segment: no route
  rejects(() => route("POST", "/tags/arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890"), "UnknownOperationException");
});

test("query string is separated and does not affect routing", () => {
  const m = route("DELETE", `/tags/${enc(REF_ARN)}?tagKeys=a&tagKeys=b%20c`);
  assert.equal(m.rawQuery, "tagKeys=a&tagKeys=b%20c");
  assert.deepEqual(splitUrl("/a/b?x=1#frag"), { rawPath: "/a/b", rawQuery: "x=1" });
  assert.deepEqual(splitUrl("http://control-storage-localhost:9000/referencestores?x"), { rawPath: "/referencestores", rawQuery: "x" });
  assert.equal(route("POST", "http://tags-localhost:9000/referencestores").operation, "ListReferenceStores");
});

test("method is case-insensitive", () => {
  assert.equal(route("get", "/referencestore/1234567890").operation, "GetReferenceStore");
});

test("unknown route → 404 UnknownOperationException", () => {
  for (const [m, u] of [
    ["GET", "/"],
    ["GET", "/nope"],
    ["POST", "/referencestore/1234567890/importjobs/extra"],
    ["GET", "/referencestore/"],
    ["GET", "/referencestore//reference/1"],
    ["GET", "/referencestore/1234567890/reference/1111111111/metadata/"],
    ["POST", "/tags/"],
  ]) {
    const e = rejects(() => route(m, u), "UnknownOperationException");
    assert.equal(e.status, 404);
  }
});

test("wrong method on a known path → 404 naming the accepted methods", () => {
  const e = rejects(() => route("PUT", "/referencestore/1234567890"), "UnknownOperationException", /accepts DELETE, GET/);
  assert.equal(e.status, 404);
  rejects(() => route("GET", "/referencestores"), "UnknownOperationException", /accepts POST/);
  rejects(() => route("GET", "/referencestore/1/importjob/2/cancel"), "UnknownOperationException", /accepts POST/);
});

test("malformed percent-encoding in a label → 400", () => {
  const e = rejects(() => route("GET", "/tags/arn%3"), "ValidationException", /resourceArn/);
  assert.equal(e.status, 400);
});

test("requests produced by the real SDK route to their operation (host prefixes ignored)", async () => {
  const captured = await captureAll();
  assert.equal(captured.length, 14);
  for (const c of captured) {
    const m = route(c.method, c.url);
    assert.equal(m.operation, c.operation, `${c.method} ${c.url}`);
  }
  const tag = captured.find((c) => c.operation === "TagResource")!;
  assert.match(tag.url, /^\/tags\/arn%3Aaws%3Aomics%3A/);
  assert.equal(tag.headers.host, "tags-localhost:9000");
});
