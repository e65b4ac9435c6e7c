// What reaches the server that no SDK would send, and what the server says on the wire:
// error headers and bodies, status codes, SigV4 failures, presigned URLs, host prefixes.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateReferenceStoreCommand,
  ListReferenceStoresCommand,
  OmicsClient,
  TagResourceCommand,
} from "@aws-sdk/client-omics";
import { presignUrl } from "../../../src/api/aws/sigv4.js";
import { send, signedSend } from "../../support/http.js";
import { startTestServer, TEST_CREDENTIALS, type TestServer } from "../../support/refstore.js";

const A = TEST_CREDENTIALS[0];

describe("the wire", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  function assertError(r: Awaited<ReturnType<typeof send>>, status: number, type: string, message?: RegExp) {
    assert.equal(r.status, status, r.body.toString());
    assert.equal(r.headers["x-amzn-errortype"], type);
    assert.match(String(r.headers["content-type"]), /application\/json/);
    assert.match(String(r.headers["x-amzn-requestid"]), /^[0-9a-f-]{36}$/);
    const body = r.json();
    assert.deepEqual(Object.keys(body), ["message"]);
    if (message) assert.match(body.message, message);
  }

  test("success responses carry a request id and a Date; only modelled keys; 204 with no body", async () => {
    const r = await signedSend(server.url, "POST", "/referencestore", A, {
      body: JSON.stringify({ name: "wire", unknownKey: 1 }),
      headers: { "content-type": "application/json" },
    });
    assert.equal(r.status, 200);
    assert.match(String(r.headers["x-amzn-requestid"]), /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(String(r.headers.date))));
    const store = r.json();
    assert.deepEqual(Object.keys(store).sort(), ["arn", "creationTime", "id", "name"]);
    assert.match(store.creationTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const arn = encodeURIComponent(store.arn);
    const t = await signedSend(server.url, "POST", `/tags/${arn}`, A, {
      body: JSON.stringify({ tags: { a: "b" } }),
      headers: { "content-type": "application/json" },
    });
    assert.equal(t.status, 204);
    assert.equal(t.body.length, 0);
    const u = await signedSend(server.url, "DELETE", `/tags/${arn}?tagKeys=a&tagKeys=b%20c`, A);
    assert.equal(u.status, 204);
    const l = await signedSend(server.url, "GET", `/tags/${arn}`, A);
    assert.deepEqual(l.json(), { tags: {} });
    const empty = await signedSend(server.url, "POST", "/referencestores", A);
    assert.equal(empty.status, 200, "an empty body is {}");
    assert.ok(Array.isArray(empty.json().referenceStores));
  });

  test("malformed JSON, non-object JSON, wrong types: 400 ValidationException", async () => {
    const post = (body: string) =>
      signedSend(server.url, "POST", "/referencestore", A, { body, headers: { "content-type": "application/json" } });
    assertError(await post("{not json"), 400, "ValidationException");
    assertError(await post("[1,2]"), 400, "ValidationException");
    assertError(await post(JSON.stringify({ name: 12 })), 400, "ValidationException", /name/);
    assertError(await post(JSON.stringify({})), 400, "ValidationException", /name/);
    assertError(await post(JSON.stringify({ name: "bad\u0001name" })), 400, "ValidationException", /name/);
    const q = await signedSend(server.url, "POST", "/referencestores?maxResults=abc", A, { body: "{}", headers: { "content-type": "application/json" } });
    assertError(q, 400, "ValidationException", /maxResults/);
    const ts = await signedSend(server.url, "POST", "/referencestores", A, {
      body: JSON.stringify({ filter: { createdAfter: "yesterday" } }),
      headers: { "content-type": "application/json" },
    });
    assertError(ts, 400, "ValidationException", /createdAfter/);
  });

  test("bodies over 1 MiB are refused with a 4xx, and the server stays up", async () => {
    const big = JSON.stringify({ name: "x", description: "y".repeat(1024 * 1024 + 10) });
    const r = await signedSend(server.url, "POST", "/referencestore", A, { body: big, headers: { "content-type": "application/json" } });
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    assert.ok(r.headers["x-amzn-errortype"]);
    const ok = await signedSend(server.url, "POST", "/referencestores", A, { body: "{}", headers: { "content-type": "application/json" } });
    assert.equal(ok.status, 200);
  });

  test("unknown routes and methods: 404 with a JSON error", async () => {
    for (const [m, p] of [["GET", "/nothing/here"], ["PUT", "/referencestore"], ["GET", "/referencestores"], ["GET", "/"]] as const) {
      const r = await signedSend(server.url, m, p, A);
      assert.equal(r.status, 404, `${m} ${p}`);
      assert.ok(r.json().message);
      assert.ok(r.headers["x-amzn-errortype"]);
    }
  });

  test("SigV4: missing, unknown key, bad signature, skewed clock → 403 with the AWS error types", async () => {
    assertError(await send(server.url, "POST", "/referencestores", { body: "{}" }), 403, "MissingAuthenticationTokenException");
    assertError(
      await signedSend(server.url, "POST", "/referencestores", { accessKeyId: "AKIDUNKNOWN", secretAccessKey: "x" }, { body: "{}" }),
      403,
      "UnrecognizedClientException",
    );
    assertError(
      await signedSend(server.url, "POST", "/referencestores", { accessKeyId: A.accessKeyId, secretAccessKey: "wrong" }, { body: "{}" }),
      403,
      "InvalidSignatureException",
    );
    const old = new Date(Date.now() - 16 * 60 * 1000);
    assertError(await signedSend(server.url, "POST", "/referencestores", A, { body: "{}", date: old }), 403, "InvalidSignatureException", /expired|skew/i);
    const soon = new Date(Date.now() + 14 * 60 * 1000);
    assert.equal((await signedSend(server.url, "POST", "/referencestores", A, { body: "{}", date: soon })).status, 200);
    // a body changed after signing (JS v3 signs its hash)
    const signedBodyClient = new OmicsClient({
      region: "us-east-1",
      endpoint: server.url,
      disableHostPrefix: true,
      credentials: A,
      maxAttempts: 1,
    });
    signedBodyClient.middlewareStack.add(
      (next) => async (args: any) => {
        args.request.body = JSON.stringify({ name: "hacked" }); // same length as the signed body
        return next(args);
      },
      { step: "finalizeRequest", priority: "low" },
    );
    await assert.rejects(signedBodyClient.send(new CreateReferenceStoreCommand({ name: "honest" })), (e: any) => e.name === "InvalidSignatureException");
    signedBodyClient.destroy();
  });

  test("host prefixes: requests signed for control-storage-/tags- hosts are accepted", async () => {
    const store = await server.client().send(new CreateReferenceStoreCommand({ name: "prefixed" }));
    const port = new URL(server.url).port;
    for (const prefix of ["control-storage-", "tags-", "storage-"]) {
      const r = await signedSend(server.url, "POST", "/referencestores", A, {
        body: "{}",
        headers: { "content-type": "application/json", host: `${prefix}localhost:${port}` },
      });
      assert.equal(r.status, 200, prefix);
    }
    // the JS SDK with its host prefix on, resolved to the server by a custom hostname
    const c = new OmicsClient({ region: "us-east-1", endpoint: `http://localhost:${port}`, credentials: A, maxAttempts: 1 });
    c.middlewareStack.add(
      (next) => async (args: any) => {
        // the prefixed name does not resolve on this machine; connect to 127.0.0.1 but keep the signed Host
        args.request.headers.host = args.request.hostname + ":" + port;
        args.request.hostname = "127.0.0.1";
        return next(args);
      },
      { step: "finalizeRequest", priority: "low", name: "resolveToLoopback" },
    );
    // host header is signed before our middleware changes hostname: the signature covers the prefixed host
    const tagged = await c.send(new TagResourceCommand({ resourceArn: store.arn, tags: { p: "q" } })).catch((e) => e);
    assert.equal(tagged.$metadata?.httpStatusCode, 204, String(tagged));
    const listed = await c.send(new ListReferenceStoresCommand({}));
    assert.ok(listed.referenceStores!.length > 0);
    c.destroy();
  });

  test("presigned GetReference URLs: a part can be fetched with a plain GET; expired ones are refused", async () => {
    const url = await presignUrl({
      endpoint: server.url,
      path: "/referencestore/1000000000/reference/1000000001",
      query: { partNumber: "1", file: "INDEX" },
      accessKeyId: A.accessKeyId,
      secretAccessKey: A.secretAccessKey,
      region: "us-east-1",
      expiresIn: 60,
    });
    const u = new URL(url);
    const r = await send(server.url, "GET", u.pathname + u.search);
    // authenticated (not 403): the store does not exist
    assert.equal(r.status, 404, r.body.toString());
    const bad = await send(server.url, "GET", u.pathname + u.search.replace(/X-Amz-Signature=[0-9a-f]{4}/, "X-Amz-Signature=0000"));
    assert.equal(bad.status, 403);
  });
});
