import { test } from "node:test";
import assert from "node:assert/strict";
import { SignatureV4 } from "@smithy/signature-v4";
import { HttpRequest } from "@smithy/protocol-http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { verifySigV4, presignUrl, parseAmzDate, type CredentialLookup, type SigV4Request } from "../../../src/api/aws/sigv4.js";
import { AwsError } from "../../../src/api/aws/errors.js";
import { captureAll, toWire, ACCESS_KEY_ID, SECRET, ACCOUNT, REF_ARN, type CapturedRequest } from "./sdk-capture.js";

const lookup: CredentialLookup = (akid) => (akid === ACCESS_KEY_ID ? { secretAccessKey: SECRET, accountId: ACCOUNT } : undefined);

function dateOf(r: { headers: Record<string, string> }): Date {
  return parseAmzDate(r.headers["x-amz-date"])!;
}

async function rejects(p: Promise<unknown>, code: string, re?: RegExp): Promise<AwsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AwsError, `expected AwsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, 403);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected ${code}`);
}

let capturedCache: CapturedRequest[] | undefined;
async function captured(): Promise<CapturedRequest[]> {
  return (capturedCache ??= await captureAll());
}

test("real SDK requests (host prefix on) verify for all 14 operations", async () => {
  const all = await captured();
  assert.equal(all.length, 14);
  const hosts = new Set<string>();
  for (const c of all) {
    const who = await verifySigV4(c, c.body, lookup, dateOf(c));
    assert.deepEqual(who, { accountId: ACCOUNT, accessKeyId: ACCESS_KEY_ID, region: "us-east-1", presigned: false }, c.operation);
    hosts.add(c.headers.host);
  }
  assert.deepEqual([...hosts].sort(), ["control-storage-localhost:9000", "storage-localhost:9000", "tags-localhost:9000"]);
});

test("real SDK requests without host prefix and with a session token verify", async () => {
  for (const c of await captureAll({ disableHostPrefix: true, sessionToken: "FQoGZXIvYXdzE//token+/=" })) {
    assert.equal(c.headers.host, "localhost:9000");
    const who = await verifySigV4(c, c.body, lookup, dateOf(c));
    assert.equal(who.sessionToken, "FQoGZXIvYXdzE//token+/=");
  }
});

test("header names in any case are found", async () => {
  const c = (await captured()).find((x) => x.operation === "GetReference")!;
  const upper: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) upper[k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())] = v;
  await verifySigV4({ ...c, headers: upper }, c.body, lookup, dateOf(c));
});

test("tampered body → InvalidSignatureException", async () => {
  const c = (await captured()).find((x) => x.operation === "CreateReferenceStore")!;
  const body = Buffer.from(c.body.toString().replace("my-ref-store", "my-ref-storf"));
  await rejects(verifySigV4(c, body, lookup, dateOf(c)), "InvalidSignatureException", /x-amz-content-sha256/);
  // and with a re-computed content hash header: the signature no longer matches
  const { createHash } = await import("node:crypto");
  const headers = { ...c.headers, "x-amz-content-sha256": createHash("sha256").update(body).digest("hex") };
  await rejects(verifySigV4({ ...c, headers }, body, lookup, dateOf(c)), "InvalidSignatureException", /does not match the signature you provided/);
});

test("tampered path / query / host / signed header → InvalidSignatureException", async () => {
  const all = await captured();
  const get = all.find((x) => x.operation === "GetReferenceStore")!;
  const d = dateOf(get);
  await rejects(verifySigV4({ ...get, url: get.url.replace("1234567890", "1234567891") }, get.body, lookup, d), "InvalidSignatureException", /does not match/);
  const tag = all.find((x) => x.operation === "ListTagsForResource")!;
  await rejects(verifySigV4({ ...tag, url: tag.url.replace("%2F", "%2f") }, tag.body, lookup, dateOf(tag)), "InvalidSignatureException");
  await rejects(verifySigV4({ ...tag, url: tag.url + "0" }, tag.body, lookup, dateOf(tag)), "InvalidSignatureException");
  const list = all.find((x) => x.operation === "ListReferenceStores")!;
  await rejects(verifySigV4({ ...list, url: list.url.replace("maxResults=5", "maxResults=6") }, list.body, lookup, dateOf(list)), "InvalidSignatureException");
  await rejects(verifySigV4({ ...list, url: list.url + "&extra=1" }, list.body, lookup, dateOf(list)), "InvalidSignatureException");
  await rejects(verifySigV4({ ...list, headers: { ...list.headers, host: "localhost:9000" } }, list.body, lookup, dateOf(list)), "InvalidSignatureException");
  await rejects(verifySigV4({ ...list, method: "PUT" }, list.body, lookup, dateOf(list)), "InvalidSignatureException");
  const ref = all.find((x) => x.operation === "GetReference")!;
  await rejects(verifySigV4({ ...ref, headers: { ...ref.headers, range: "bytes=0-99" } }, ref.body, lookup, dateOf(ref)), "InvalidSignatureException");
  const { range: _r, ...noRange } = ref.headers;
  await rejects(verifySigV4({ ...ref, headers: noRange }, ref.body, lookup, dateOf(ref)), "InvalidSignatureException");
  // unsigned headers may change freely
  await verifySigV4({ ...ref, headers: { ...ref.headers, "user-agent": "curl", "x-forwarded-for": "1.2.3.4" } }, ref.body, lookup, dateOf(ref));
});

test("unknown key → UnrecognizedClientException; wrong secret → InvalidSignatureException", async () => {
  const c = (await captured())[0];
  await rejects(verifySigV4(c, c.body, () => undefined, dateOf(c)), "UnrecognizedClientException", /^The security token included in the request is invalid\.$/);
  await rejects(
    verifySigV4(c, c.body, async () => ({ secretAccessKey: SECRET + "x", accountId: ACCOUNT }), dateOf(c)),
    "InvalidSignatureException",
    /^The request signature we calculated does not match the signature you provided/,
  );
});

test("clock skew over 15 minutes → Signature expired", async () => {
  const c = (await captured())[1];
  const d = dateOf(c).getTime();
  await verifySigV4(c, c.body, lookup, new Date(d + 14 * 60_000));
  await verifySigV4(c, c.body, lookup, new Date(d - 14 * 60_000));
  await rejects(verifySigV4(c, c.body, lookup, new Date(d + 16 * 60_000)), "InvalidSignatureException", /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  await rejects(verifySigV4(c, c.body, lookup, new Date(d - 16 * 60_000)), "InvalidSignatureException", /^Signature expired: .* is now later than/);
});

test("missing / malformed Authorization", async () => {
  const c = (await captured())[1];
  const { authorization, ...rest } = c.headers;
  await rejects(verifySigV4({ ...c, headers: rest }, c.body, lookup), "MissingAuthenticationTokenException", /^Missing Authentication Token$/);
  const bad = [
    "Bearer abc",
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/omics/aws4_request",
    authorization.replace(/Signature=[0-9a-f]+/, "Signature=xyz"),
    authorization.replace("aws4_request", "aws5_request"),
    authorization.replace(/SignedHeaders=[^,]+/, "SignedHeaders=x-amz-date"),
    authorization.replace(/Credential=[^,]+/, "Credential=AKID"),
  ];
  for (const a of bad) await rejects(verifySigV4({ ...c, headers: { ...rest, authorization: a } }, c.body, lookup), "IncompleteSignatureException");
  const { "x-amz-date": _d, ...noDate } = c.headers;
  await rejects(verifySigV4({ ...c, headers: noDate }, c.body, lookup), "IncompleteSignatureException", /X-Amz-Date/);
  // scope for another service / another day
  await rejects(
    verifySigV4({ ...c, headers: { ...c.headers, authorization: authorization.replace("/omics/", "/s3/") } }, c.body, lookup, dateOf(c)),
    "InvalidSignatureException",
    /service/,
  );
  await rejects(
    verifySigV4({ ...c, headers: { ...c.headers, authorization: authorization.replace(/\/\d{8}\//, "/19990101/") } }, c.body, lookup, dateOf(c)),
    "InvalidSignatureException",
    /Credential scope/,
  );
});

test("botocore-style request (no x-amz-content-sha256, SignedHeaders=content-type;host;x-amz-date)", async () => {
  const date = new Date("2026-01-15T10:00:00Z");
  const body = Buffer.from('{"filter": {"md5": "abc"}}');
  const signer = new SignatureV4({ service: "omics", region: "eu-west-1", sha256: Sha256, uriEscapePath: true, applyChecksum: false, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } });
  const signed = await signer.sign(
    new HttpRequest({
      method: "DELETE",
      protocol: "http:",
      hostname: "localhost",
      port: 9000,
      path: `/tags/${encodeURIComponent(REF_ARN)}`,
      query: { tagKeys: ["a", "b c"] },
      headers: { host: "localhost:9000", "content-type": "application/json" },
      body,
    }),
    { signingDate: date },
  );
  assert.match(String(signed.headers.authorization), /SignedHeaders=content-type;host;x-amz-date,/);
  const wire = toWire(signed as never);
  assert.equal(wire.headers["x-amz-content-sha256"], undefined);
  const who = await verifySigV4(wire, body, lookup, date);
  assert.equal(who.region, "eu-west-1");
  await rejects(verifySigV4(wire, Buffer.from('{"filter": {"md5": "abd"}}'), lookup, date), "InvalidSignatureException", /does not match/);
  // reordered query parameters are fine (canonical query is sorted)
  const [p, q] = wire.url.split("?");
  await verifySigV4({ ...wire, url: `${p}?${q.split("&").reverse().join("&")}` }, body, lookup, date);
});

test("presigned URL round trip (presignUrl → curl-style GET)", async () => {
  const date = new Date("2026-03-01T08:00:00Z");
  const url = await presignUrl({
    url: "http://storage-localhost:9000/referencestore/1234567890/reference/1111111111?partNumber=1&file=SOURCE",
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET,
    region: "us-east-1",
    expiresIn: 600,
    signingDate: date,
  });
  const u = new URL(url);
  assert.equal(u.searchParams.get("X-Amz-SignedHeaders"), "host");
  assert.equal(u.searchParams.get("X-Amz-Expires"), "600");
  assert.equal(u.searchParams.get("partNumber"), "1");
  const req: SigV4Request = { method: "GET", url: u.pathname + u.search, headers: { host: u.host, "user-agent": "curl/8" } };
  const who = await verifySigV4(req, Buffer.alloc(0), lookup, new Date(date.getTime() + 60_000));
  assert.deepEqual(who, { accountId: ACCOUNT, accessKeyId: ACCESS_KEY_ID, region: "us-east-1", presigned: true });
  // expired
  await rejects(verifySigV4(req, Buffer.alloc(0), lookup, new Date(date.getTime() + 601_000)), "AccessDeniedException", /expired/);
  // not yet valid
  await rejects(verifySigV4(req, Buffer.alloc(0), lookup, new Date(date.getTime() - 20 * 60_000)), "InvalidSignatureException");
  // tampered
  await rejects(verifySigV4({ ...req, url: req.url.replace("partNumber=1", "partNumber=2") }, Buffer.alloc(0), lookup, date), "InvalidSignatureException");
  await rejects(verifySigV4({ ...req, url: req.url.replace("X-Amz-Expires=600", "X-Amz-Expires=6000") }, Buffer.alloc(0), lookup, date), "InvalidSignatureException");
  await rejects(verifySigV4({ ...req, headers: { host: "evil:9000" } }, Buffer.alloc(0), lookup, date), "InvalidSignatureException");
  await rejects(verifySigV4(req, Buffer.alloc(0), () => undefined, date), "UnrecognizedClientException");
  await rejects(verifySigV4({ ...req, url: req.url.replace(/X-Amz-Signature=[0-9a-f]+/, "") }, Buffer.alloc(0), lookup, date), "IncompleteSignatureException");
  await rejects(verifySigV4({ ...req, url: req.url.replace("X-Amz-Expires=600", "X-Amz-Expires=604801") }, Buffer.alloc(0), lookup, date), "IncompleteSignatureException");
});

test("presignUrl with endpoint + path + query (the CLI's form)", async () => {
  const date = new Date("2026-03-01T08:00:00Z");
  const url = await presignUrl({
    endpoint: "http://127.0.0.1:8470/",
    path: "/referencestore/1234567890/reference/1111111111",
    query: { partNumber: 2, file: "INDEX" },
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET,
    region: "us-east-1",
    signingDate: date,
  });
  const u = new URL(url);
  assert.equal(u.origin + u.pathname, "http://127.0.0.1:8470/referencestore/1234567890/reference/1111111111");
  assert.equal(u.searchParams.get("partNumber"), "2");
  assert.equal(u.searchParams.get("file"), "INDEX");
  await verifySigV4({ method: "GET", url: u.pathname + u.search, headers: { host: u.host } }, Buffer.alloc(0), lookup, date);
});

test("presigned URL with session token and ARN path; plain SignatureV4.presign() also accepted", async () => {
  const date = new Date("2026-03-01T08:00:00Z");
  const path = `/tags/${encodeURIComponent(REF_ARN)}`;
  const url = await presignUrl({ url: `http://tags-localhost:9000${path}`, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: "tok/+=", region: "us-west-2", signingDate: date });
  const u = new URL(url);
  assert.equal(u.pathname, path);
  const who = await verifySigV4({ method: "GET", url: u.pathname + u.search, headers: { host: u.host } }, Buffer.alloc(0), lookup, date);
  assert.equal(who.sessionToken, "tok/+=");
  assert.equal(who.region, "us-west-2");

  // a plain smithy presign (payload hash = hash of the empty body, not UNSIGNED-PAYLOAD)
  const signer = new SignatureV4({ service: "omics", region: "us-east-1", sha256: Sha256, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } });
  const pre = await signer.presign(
    new HttpRequest({ method: "GET", protocol: "http:", hostname: "storage-localhost", port: 9000, path: "/referencestore/1234567890/reference/1111111111", query: { partNumber: "3" }, headers: { host: "storage-localhost:9000" } }),
    { signingDate: date, expiresIn: 60 },
  );
  const wire = toWire(pre as never);
  await verifySigV4({ method: "GET", url: wire.url, headers: { host: "storage-localhost:9000" } }, Buffer.alloc(0), lookup, date);
});

// Speed is bench:list's to show (signed requests per second), not a timed test's: this one checks
// that the signer's key cache keeps every verification right over many calls, and prints the cost.
test("repeated verifications (the signing-key cache) stay right; cost printed", async () => {
  const all = await captured();
  const d = dateOf(all[0]);
  const n = 500;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const c = all[i % all.length];
    const who = await verifySigV4(c, c.body, lookup, dateOf(c));
    assert.equal(who.accountId, ACCOUNT);
  }
  const perMs = Number(process.hrtime.bigint() - t0) / 1e6 / n;
  console.log(`# sigv4 verify: ${perMs.toFixed(3)} ms per request (${all.length} captured requests, ${d.toISOString()})`);
  // the cache must not turn a wrong request right: another body under the same signature fails
  await assert.rejects(verifySigV4(all[0], Buffer.from("not the body"), lookup, dateOf(all[0])), { code: "InvalidSignatureException" });
});
