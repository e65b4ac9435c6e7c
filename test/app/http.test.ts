// The fastify root: one access-log line per request, with the AWS request id the client got.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { CreateReferenceStoreCommand, GetReferenceStoreCommand } from "@aws-sdk/client-omics";
import pino from "pino";
import { send } from "../support/http.js";
import { startTestServer, TEST_CREDENTIALS } from "../support/refstore.js";

test("access log: one info line per request with operation, status, milliseconds, account and request id", async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  const server = await startTestServer({ log: pino({ level: "info" }, sink) });
  try {
    const omics = server.client();
    const created = await omics.send(new CreateReferenceStoreCommand({ name: "logged" }));
    const requestId = created.$metadata.requestId;
    assert.ok(requestId, "the SDK saw x-amzn-RequestId");
    await assert.rejects(omics.send(new GetReferenceStoreCommand({ id: "9999999999" })), { name: "ResourceNotFoundException" });
    const unsigned = await send(server.url, "GET", "/no/such/path");
    assert.equal(unsigned.status, 403);

    const access = lines.filter((l) => l.msg === "request");
    assert.equal(access.length, 3, JSON.stringify(access));
    const [create, missing, unknown] = access;
    assert.equal(create.operation, "CreateReferenceStore");
    assert.equal(create.status, 200);
    assert.equal(create.account, TEST_CREDENTIALS[0].accountId);
    assert.equal(create.reqId, requestId, "the logged request id is the one returned to the client");
    assert.equal(create.api, "aws");
    assert.equal(typeof create.ms, "number");
    assert.equal(create.level, 30, "at info");
    assert.equal(missing.operation, "GetReferenceStore");
    assert.equal(missing.status, 404);
    assert.equal(unknown.status, 403);
    assert.equal(unknown.account, undefined, "an unsigned request has no account");
  } finally {
    await server.stop();
  }
});
