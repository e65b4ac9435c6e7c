// Reference stores and tags through the real AWS SDK client against the real server.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ConflictException,
  CreateReferenceStoreCommand,
  DeleteReferenceStoreCommand,
  GetReferenceStoreCommand,
  ListReferenceStoresCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  TagResourceCommand,
  UntagResourceCommand,
  ValidationException,
  paginateListReferenceStores,
  type OmicsClient,
} from "@aws-sdk/client-omics";
import { backends, startTestServer, TEST_CREDENTIALS, type TestServer } from "../../support/refstore.js";

for (const backend of backends()) {
  describe(`reference stores [${backend}]`, () => {
    let server: TestServer;
    let omics: OmicsClient;
    let other: OmicsClient;
    before(async () => {
      server = await startTestServer({ backend });
      omics = server.client();
      other = server.client(TEST_CREDENTIALS[1]);
    });
    after(() => server.stop());

    test("create, get, delete a store; ARN, 10-digit id and ISO creationTime", async () => {
      const created = await omics.send(
        new CreateReferenceStoreCommand({ name: "my-ref-store", description: "genomes", sseConfig: { type: "KMS" } }),
      );
      assert.match(created.id!, /^[0-9]{10}$/);
      assert.equal(created.arn, `arn:aws:omics:us-east-1:111111111111:referenceStore/${created.id}`);
      assert.equal(created.name, "my-ref-store");
      assert.ok(created.creationTime instanceof Date);
      assert.ok(Math.abs(created.creationTime!.getTime() - Date.now()) < 60_000);
      assert.deepEqual(created.sseConfig, { type: "KMS" });

      const got = await omics.send(new GetReferenceStoreCommand({ id: created.id }));
      assert.equal(got.arn, created.arn);
      assert.equal(got.description, "genomes");
      assert.equal(got.creationTime!.getTime(), created.creationTime!.getTime());

      await omics.send(new DeleteReferenceStoreCommand({ id: created.id }));
      await assert.rejects(omics.send(new GetReferenceStoreCommand({ id: created.id })), ResourceNotFoundException);
      await assert.rejects(omics.send(new DeleteReferenceStoreCommand({ id: created.id })), ResourceNotFoundException);
    });

    test("validation: name too long, malformed id, bad sseConfig type", async () => {
      await assert.rejects(
        omics.send(new CreateReferenceStoreCommand({ name: "x".repeat(128) })),
        (e: any) => e instanceof ValidationException && /name/.test(e.message),
      );
      await assert.rejects(
        omics.send(new GetReferenceStoreCommand({ id: "12ab" })),
        (e: any) => e instanceof ValidationException && /id/.test(e.message),
      );
      await assert.rejects(
        omics.send(new CreateReferenceStoreCommand({ name: "n", sseConfig: { type: "AES" as any } })),
        (e: any) => e instanceof ValidationException && /type/.test(e.message),
      );
    });

    test("another account's store answers 404 exactly like a missing one", async () => {
      const mine = await omics.send(new CreateReferenceStoreCommand({ name: "private" }));
      const theirs = await other.send(new GetReferenceStoreCommand({ id: mine.id })).catch((e) => e);
      const missing = await other.send(new GetReferenceStoreCommand({ id: "1000000000" })).catch((e) => e);
      assert.ok(theirs instanceof ResourceNotFoundException);
      assert.ok(missing instanceof ResourceNotFoundException);
      assert.equal(theirs.$metadata.httpStatusCode, 404);
      assert.equal(theirs.message, `Reference store ${mine.id} not found`);
      const listed = await other.send(new ListReferenceStoresCommand({}));
      assert.ok(!listed.referenceStores!.some((s) => s.id === mine.id));
      await assert.rejects(other.send(new DeleteReferenceStoreCommand({ id: mine.id })), ResourceNotFoundException);
      await assert.rejects(
        other.send(new ListTagsForResourceCommand({ resourceArn: mine.arn })),
        ResourceNotFoundException,
      );
    });

    test("clientToken: same request returns the same store, a different one conflicts", async () => {
      const a = await omics.send(new CreateReferenceStoreCommand({ name: "idem", clientToken: "tok-1" }));
      const b = await omics.send(new CreateReferenceStoreCommand({ name: "idem", clientToken: "tok-1" }));
      assert.equal(b.id, a.id);
      await assert.rejects(
        omics.send(new CreateReferenceStoreCommand({ name: "other-name", clientToken: "tok-1" })),
        ConflictException,
      );
      // tokens are per account
      const c = await other.send(new CreateReferenceStoreCommand({ name: "idem", clientToken: "tok-1" }));
      assert.notEqual(c.id, a.id);
    });

    test("list: filter by name and creation time (inclusive), paging with the SDK paginator", async () => {
      const names = Array.from({ length: 7 }, (_, i) => `page-store-${i}`);
      const made = [];
      for (const name of names) made.push(await omics.send(new CreateReferenceStoreCommand({ name })));
      const seen: string[] = [];
      for await (const page of paginateListReferenceStores({ client: omics, pageSize: 3 }, {})) {
        assert.ok(page.referenceStores!.length <= 3);
        for (const s of page.referenceStores!) seen.push(s.id!);
      }
      assert.equal(new Set(seen).size, seen.length, "no duplicates");
      for (const m of made) assert.ok(seen.includes(m.id!));
      // oldest first
      const idx = made.map((m) => seen.indexOf(m.id!));
      assert.deepEqual([...idx].sort((x, y) => x - y), idx);

      const byName = await omics.send(new ListReferenceStoresCommand({ filter: { name: "page-store-3" } }));
      assert.deepEqual(byName.referenceStores!.map((s) => s.id), [made[3].id]);

      const from = made[2].creationTime!, to = made[4].creationTime!;
      const ranged = await omics.send(
        new ListReferenceStoresCommand({ filter: { createdAfter: from, createdBefore: to } }),
      );
      assert.deepEqual(ranged.referenceStores!.map((s) => s.id), [made[2].id, made[3].id, made[4].id]);
    });

    test("tags: on create, tag, untag (repeated keys, encoded ARN), list", async () => {
      const s = await omics.send(new CreateReferenceStoreCommand({ name: "tagged", tags: { team: "genomics" } }));
      assert.deepEqual((await omics.send(new ListTagsForResourceCommand({ resourceArn: s.arn }))).tags, { team: "genomics" });
      const tagged = await omics.send(new TagResourceCommand({ resourceArn: s.arn, tags: { "a b": "1", c: "2/3", d: "" } }));
      assert.equal(tagged.$metadata.httpStatusCode, 204);
      assert.deepEqual((await omics.send(new ListTagsForResourceCommand({ resourceArn: s.arn }))).tags, {
        team: "genomics",
        "a b": "1",
        c: "2/3",
        d: "",
      });
      const untagged = await omics.send(new UntagResourceCommand({ resourceArn: s.arn, tagKeys: ["a b", "team"] }));
      assert.equal(untagged.$metadata.httpStatusCode, 204);
      assert.deepEqual((await omics.send(new ListTagsForResourceCommand({ resourceArn: s.arn }))).tags, { c: "2/3", d: "" });
      // empty tagKeys is sent as no parameter at all: a no-op
      await omics.send(new UntagResourceCommand({ resourceArn: s.arn, tagKeys: [] }));
      await assert.rejects(
        omics.send(new TagResourceCommand({ resourceArn: s.arn!.replace(/\d+$/, "1000000001"), tags: { a: "b" } })),
        ResourceNotFoundException,
      );
      const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]));
      await assert.rejects(omics.send(new TagResourceCommand({ resourceArn: s.arn, tags: many })), ValidationException);
      await omics.send(new DeleteReferenceStoreCommand({ id: s.id }));
      await assert.rejects(omics.send(new ListTagsForResourceCommand({ resourceArn: s.arn })), ResourceNotFoundException);
    });
  });
}

describe("store quota", () => {
  test("REFSTORE_MAX_STORES_PER_ACCOUNT answers ServiceQuotaExceededException (402)", async () => {
    const server = await startTestServer({ env: { REFSTORE_MAX_STORES_PER_ACCOUNT: "2" } });
    try {
      const omics = server.client();
      await omics.send(new CreateReferenceStoreCommand({ name: "one" }));
      await omics.send(new CreateReferenceStoreCommand({ name: "two" }));
      const err = await omics.send(new CreateReferenceStoreCommand({ name: "three" })).catch((e) => e);
      assert.ok(err instanceof ServiceQuotaExceededException);
      assert.equal(err.$metadata.httpStatusCode, 402);
      // the other account has its own quota
      await server.client(TEST_CREDENTIALS[1]).send(new CreateReferenceStoreCommand({ name: "one" }));
    } finally {
      await server.stop();
    }
  });
});
