// A request fuzzer over every operation of the model (issue 13, point 7): malformed JSON, wrong
// types, path-label injection, odd Range headers, bad signatures. Whatever comes in, the answer
// is a 4xx (or a 2xx for what happens to be valid), never a 5xx, and the server stays alive.
// Deterministic (a seeded generator) and bounded (a fixed number of cases per operation).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CreateReferenceStoreCommand, StartReferenceImportJobCommand } from "@aws-sdk/client-omics";
import { send, signedSend } from "../support/http.js";
import { startTestServer, TEST_CREDENTIALS, waitForJob, type TestServer } from "../support/refstore.js";

const model = JSON.parse(readFileSync(new URL("../../../src/api/aws/model/omics-reference-store.json", import.meta.url), "utf8")) as {
  operations: Record<string, { http: { method: string; requestUri: string } }>;
};

const A = TEST_CREDENTIALS[0];
const CASES_PER_OPERATION = 24;

// xorshift32: the same cases on every run
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const LABELS = [
  "..",
  "%2e%2e",
  "..%2F..%2Fetc%2Fpasswd",
  "a%2Fb",
  "%00",
  "%ZZ",
  "%C3%A0",
  "%F0%9F%98%80",
  "x".repeat(2000),
  "1234567890",
  "-1",
  "%20",
  "arn%3Aaws%3Aomics%3Aus-east-1%3A111111111111%3AreferenceStore%2F..",
  "%3Cscript%3E",
  "{id}",
  "1e9",
];
const BODIES = [
  "{",
  "[]",
  "null",
  "true",
  '"a string"',
  "{}",
  '{"name": 5}',
  '{"name": ["a"], "description": {}}',
  '{"maxResults": "ten"}',
  '{"maxResults": -1, "nextToken": 7}',
  '{"maxResults": 1e309}',
  '{"filter": {"createdAfter": "yesterday"}}',
  '{"filter": {"createdAfter": 1e20}}',
  '{"sources": [{"sourceFile": 1}], "roleArn": []}',
  '{"sources": {}, "roleArn": "arn:aws:iam::1:role/x"}',
  '{"tags": {"a": 1}}',
  '{"tags": []}',
  '{"name": "\\ud800"}',
  '{"__proto__": {"polluted": true}, "name": "p"}',
  '{"constructor": {"prototype": {"x": 1}}}',
  "\u0000\u0001\u0002",
  '{"a":' .repeat(500) + "1" + "}".repeat(500),
  "x".repeat(2 * 1024 * 1024),
];
const RANGES = ["bytes=5-1", "bytes=-", "bytes=abc", "items=0-1", "bytes=0-1,2-3", "bytes=99999999999999999999-", "bytes=-0", "bytes= 0-1", "bytes=0-", ""];
const QUERIES = ["", "?partNumber=abc", "?partNumber=0", "?partNumber=99999999999", "?file=NOPE", "?tagKeys=", "?tagKeys=a&tagKeys=a", "?%zz=1", "?x=%00"];

let server: TestServer;
let storeId: string;
let referenceId: string;

before(async () => {
  server = await startTestServer();
  const omics = server.client();
  storeId = (await omics.send(new CreateReferenceStoreCommand({ name: "fuzz" }))).id!;
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const mount = join(server.dataDir, "mnt");
  mkdirSync(mount);
  writeFileSync(join(mount, "a.fa"), ">a\nACGTACGTAC\n");
  await server.restart({ bucketMounts: `mnt=${mount}` });
  const omics2 = server.client();
  const job = await omics2.send(
    new StartReferenceImportJobCommand({
      referenceStoreId: storeId,
      roleArn: "arn:aws:iam::111111111111:role/import",
      sources: [{ sourceFile: "s3://mnt/a.fa", name: "ref-a" }],
    }),
  );
  referenceId = (await waitForJob(omics2, storeId, job.id!)).sources![0].referenceId!;
});
after(() => server.stop());

test("every operation: malformed input of every kind answers 4xx, never 5xx; the server stays alive", async () => {
  const next = rng(13);
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  const failures: string[] = [];
  let sent = 0;
  for (const [name, op] of Object.entries(model.operations)) {
    for (let i = 0; i < CASES_PER_OPERATION; i++) {
      // a third of the cases keep real ids so that they reach the handlers, not just the router
      const real = i % 3 === 0;
      const path = op.http.requestUri.replace(/\{(\w+)\+?\}/g, (_, label: string) => {
        if (real && label === "referenceStoreId") return storeId;
        if (real && label === "id") return name.includes("Store") ? storeId : referenceId;
        if (real && label === "resourceArn")
          return encodeURIComponent(`arn:aws:omics:us-east-1:111111111111:referenceStore/${storeId}`);
        return pick(LABELS);
      });
      const query = pick(QUERIES);
      const headers: Record<string, string> = { "content-type": pick(["application/json", "text/plain", "application/x-amz-json-1.1"]) };
      if (name === "GetReference" || next() < 0.2) {
        const range = pick(RANGES);
        if (range) headers.range = range;
      }
      const body = op.http.method === "GET" || op.http.method === "DELETE" ? (next() < 0.2 ? pick(BODIES) : undefined) : pick(BODIES);
      const r = await signedSend(server.url, op.http.method, path + query, A, { body, headers });
      sent++;
      if (r.status >= 500) failures.push(`${name} ${op.http.method} ${path.slice(0, 80)}${query} body=${(body ?? "").slice(0, 60)} → ${r.status} ${r.body.toString().slice(0, 200)}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${sent} requests answered 5xx`);
  assert.equal((await send(server.url, "GET", "/health")).status, 200);
});

test("bad signatures on every operation: 4xx, never 5xx", async () => {
  const failures: string[] = [];
  const auths = [
    undefined,
    "garbage",
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
    "AWS4-HMAC-SHA256 Credential=AKIDTESTACCOUNTA/20200101/us-east-1/omics/aws4_request, SignedHeaders=host, Signature=00",
    "AWS4-HMAC-SHA256 Credential=AKIDTESTACCOUNTA/%ZZ/us-east-1/omics/aws4_request, SignedHeaders=host;x-amz-date, Signature=zz",
    `AWS4-HMAC-SHA256 Credential=${"A".repeat(5000)}/x/y/z/aws4_request, SignedHeaders=host, Signature=0`,
  ];
  for (const [name, op] of Object.entries(model.operations)) {
    const path = op.http.requestUri.replace(/\{(\w+)\+?\}/g, () => storeId);
    for (const auth of auths) {
      const headers: Record<string, string> = { "x-amz-date": "20200101T000000Z" };
      if (auth !== undefined) headers.authorization = auth;
      const r = await send(server.url, op.http.method, path, { headers, body: op.http.method === "POST" ? "{}" : undefined });
      if (r.status >= 500 || r.status < 400) failures.push(`${name} auth=${String(auth).slice(0, 60)} → ${r.status}`);
    }
    // a valid signature by an unknown secret, and a presigned URL with a broken query
    const wrong = await signedSend(server.url, op.http.method, path, { accessKeyId: A.accessKeyId, secretAccessKey: "wrong" });
    if (wrong.status !== 403) failures.push(`${name} wrong secret → ${wrong.status}`);
    const pre = await send(server.url, op.http.method, `${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%ZZ&X-Amz-Expires=-1&X-Amz-Signature=`);
    if (pre.status >= 500 || pre.status < 400) failures.push(`${name} bad presign → ${pre.status}`);
  }
  assert.deepEqual(failures, []);
  assert.equal((await send(server.url, "GET", "/health")).status, 200);
});
