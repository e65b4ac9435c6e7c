// The whole protocol layer against the real @aws-sdk/client-omics, without a server: the SDK's
// requestHandler hands the signed request to verifySigV4 → route → parseRequest → a fake service
// → serializeOutput/serializeError, and the SDK parses what comes back.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import {
  OmicsClient,
  CreateReferenceStoreCommand,
  GetReferenceStoreCommand,
  ListReferenceStoresCommand,
  GetReferenceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsForResourceCommand,
  DeleteReferenceCommand,
  ResourceNotFoundException,
  ValidationException,
} from "@aws-sdk/client-omics";
import { AwsError } from "../../../src/api/aws/errors.js";
import { parseRequest } from "../../../src/api/aws/parse.js";
import { route } from "../../../src/api/aws/router.js";
import { serializeError, serializeOutput } from "../../../src/api/aws/serialize.js";
import { verifySigV4 } from "../../../src/api/aws/sigv4.js";
import { toWire, ACCESS_KEY_ID, SECRET, ACCOUNT, STORE_ARN } from "./sdk-capture.js";

type Out = Record<string, unknown>;
const seen: { op: string; input: Record<string, unknown>; account: string }[] = [];

const service: Record<string, (input: Record<string, unknown>) => Out> = {
  CreateReferenceStore: (i) => ({ id: "1234567890", arn: STORE_ARN, name: i.name, creationTime: new Date("2024-05-01T12:34:56.789Z"), internal: 1 }),
  GetReferenceStore: (i) => {
    if (i.id === "9999999999") throw new AwsError("ResourceNotFoundException", `Reference store ${i.id} not found`);
    if (i.id === "8888888888") throw new Error("database exploded at /var/lib/secret");
    return { id: i.id, arn: STORE_ARN, creationTime: 1714566896789 };
  },
  ListReferenceStores: () => ({}),
  GetReference: () => ({ payload: Readable.from([Buffer.from("ACGT")]) }),
  TagResource: () => ({}),
  UntagResource: () => ({}),
  ListTagsForResource: () => ({ tags: { a: "b" } }),
  DeleteReference: () => ({}),
};

const client = new OmicsClient({
  region: "us-east-1",
  endpoint: "http://localhost:9000",
  credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
  maxAttempts: 1,
  requestHandler: {
    handle: async (request: never) => {
      const w = toWire(request);
      let res;
      try {
        const who = await verifySigV4(w, w.body, (k) => (k === ACCESS_KEY_ID ? { secretAccessKey: SECRET, accountId: ACCOUNT } : undefined));
        const m = route(w.method, w.url);
        const input = parseRequest(m.operation, m.labels, m.rawQuery, w.headers, w.body);
        seen.push({ op: m.operation, input, account: who.accountId });
        res = serializeOutput(m.operation, service[m.operation](input));
      } catch (e) {
        res = serializeError(e);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = v;
      const body =
        res.body === undefined ? Readable.from([]) : typeof res.body === "string" || res.body instanceof Uint8Array ? Readable.from([Buffer.from(res.body)]) : res.body;
      return { response: { statusCode: res.status, headers, body } };
    },
    destroy: () => {},
  },
});

test("SDK ↔ protocol layer loopback: success paths", async () => {
  const created = await client.send(new CreateReferenceStoreCommand({ name: "my-ref-store" }));
  assert.equal(created.id, "1234567890");
  assert.ok(created.creationTime instanceof Date);
  assert.equal(created.creationTime!.toISOString(), "2024-05-01T12:34:56.789Z");
  assert.equal((created as unknown as Record<string, unknown>).internal, undefined);
  assert.equal(created.$metadata.httpStatusCode, 200);

  const got = await client.send(new GetReferenceStoreCommand({ id: "1234567890" }));
  assert.equal(got.creationTime!.toISOString(), "2024-05-01T12:34:56.789Z");

  const list = await client.send(new ListReferenceStoresCommand({}));
  assert.deepEqual(list.referenceStores, []);

  const ref = await client.send(new GetReferenceCommand({ referenceStoreId: "1234567890", id: "1111111111", partNumber: 1 }));
  assert.equal(await ref.payload!.transformToString(), "ACGT");

  const tag = await client.send(new TagResourceCommand({ resourceArn: STORE_ARN, tags: { a: "b" } }));
  assert.equal(tag.$metadata.httpStatusCode, 204);
  const untag = await client.send(new UntagResourceCommand({ resourceArn: STORE_ARN, tagKeys: [] }));
  assert.equal(untag.$metadata.httpStatusCode, 204);
  assert.deepEqual(seen.at(-1)?.input, { resourceArn: STORE_ARN, tagKeys: [] });
  assert.deepEqual((await client.send(new ListTagsForResourceCommand({ resourceArn: STORE_ARN }))).tags, { a: "b" });
  assert.equal((await client.send(new DeleteReferenceCommand({ referenceStoreId: "1234567890", id: "1111111111" }))).$metadata.httpStatusCode, 200);
  assert.ok(seen.every((s) => s.account === ACCOUNT));
});

test("SDK ↔ protocol layer loopback: errors map to the modelled classes", async () => {
  await assert.rejects(client.send(new GetReferenceStoreCommand({ id: "9999999999" })), (e: unknown) => {
    assert.ok(e instanceof ResourceNotFoundException);
    assert.equal(e.message, "Reference store 9999999999 not found");
    assert.equal(e.$metadata.httpStatusCode, 404);
    return true;
  });
  await assert.rejects(client.send(new GetReferenceStoreCommand({ id: "12" })), (e: unknown) => {
    assert.ok(e instanceof ValidationException);
    assert.match(e.message, /Value at 'id' failed to satisfy constraint/);
    return true;
  });
  // JS v3 does not validate: a missing required partNumber reaches the "server"
  await assert.rejects(client.send(new GetReferenceCommand({ referenceStoreId: "1234567890", id: "1111111111" } as never)), (e: unknown) => {
    assert.ok(e instanceof ValidationException);
    assert.match(e.message, /'partNumber'/);
    return true;
  });
  await assert.rejects(client.send(new GetReferenceStoreCommand({ id: "8888888888" })), (e: unknown) => {
    const err = e as { name: string; message: string; $fault: string };
    assert.equal(err.name, "InternalServerException");
    assert.equal(err.$fault, "server");
    assert.ok(!err.message.includes("secret"));
    return true;
  });
});
