// ListReferenceImportJobs, the headline operation: filters applied before paging, keyset tokens
// that are tamper-proof and bound to their filter, stable walks while other clients insert.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateReferenceStoreCommand,
  ListReferenceImportJobsCommand,
  ResourceNotFoundException,
  ValidationException,
  paginateListReferenceImportJobs,
  type OmicsClient,
} from "@aws-sdk/client-omics";
import type { JobRecord, JobStatus } from "../../../src/catalog/types.js";
import { newId } from "../../../src/catalog/ids.js";
import { backends, startTestServer, TEST_CREDENTIALS, type TestServer } from "../../support/refstore.js";

const ROLE = "arn:aws:iam::111111111111:role/x";
const STATUSES: JobStatus[] = ["COMPLETED", "FAILED", "IN_PROGRESS", "COMPLETED_WITH_FAILURES", "CANCELLED"];

/** Jobs written straight into the catalog (no worker runs them: the store is not scanned). */
function job(storeId: string, creationTime: number, status: JobStatus): JobRecord {
  return {
    id: newId(),
    storeId,
    roleArn: ROLE,
    status,
    creationTime,
    completionTime: status === "IN_PROGRESS" ? undefined : creationTime + 1000,
    sources: [{ index: 0, sourceFile: "s3://b/k.fa", name: "ref", status: "FINISHED" }],
  };
}

for (const backend of backends()) {
  describe(`ListReferenceImportJobs [${backend}]`, () => {
    let server: TestServer;
    let omics: OmicsClient;
    let storeId: string;
    const jobs: JobRecord[] = [];
    const T0 = Date.parse("2025-01-01T00:00:00.000Z");

    before(async () => {
      // no worker: these jobs are history, not work
      server = await startTestServer({ backend, env: { REFSTORE_ROLE: "api" } });
      omics = server.client();
      storeId = (await omics.send(new CreateReferenceStoreCommand({ name: "jobs" }))).id!;
      // 250 jobs; every 10 share one creation time (ties broken by id)
      for (let i = 0; i < 250; i++) {
        const j = job(storeId, T0 + Math.floor(i / 10) * 1000, STATUSES[i % STATUSES.length]);
        jobs.push(j);
        await server.refstore.catalog.insertJob(j);
      }
      jobs.sort((a, b) => a.creationTime - b.creationTime || (a.id < b.id ? -1 : 1));
    });
    after(() => server.stop());

    async function walk(filter: any, pageSize: number) {
      const ids: string[] = [];
      let pages = 0;
      for await (const page of paginateListReferenceImportJobs({ client: omics, pageSize }, { referenceStoreId: storeId, filter })) {
        pages++;
        assert.ok(page.importJobs!.length <= pageSize);
        for (const j of page.importJobs!) ids.push(j.id!);
      }
      return { ids, pages };
    }

    test("default page of 100, oldest first, nextToken only while more exist", async () => {
      const p1 = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId }));
      assert.equal(p1.importJobs!.length, 100);
      assert.deepEqual(p1.importJobs!.map((j) => j.id), jobs.slice(0, 100).map((j) => j.id));
      const item = p1.importJobs![0];
      const done = p1.importJobs!.find((j) => j.status === "COMPLETED")!;
      assert.deepEqual(Object.keys(done).sort(), ["completionTime", "creationTime", "id", "referenceStoreId", "roleArn", "status"]);
      const running = p1.importJobs!.find((j) => j.status === "IN_PROGRESS")!;
      assert.deepEqual(Object.keys(running).sort(), ["creationTime", "id", "referenceStoreId", "roleArn", "status"], "no completionTime while running");
      assert.equal(item.creationTime!.toISOString(), new Date(jobs[0].creationTime).toISOString());
      const p2 = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, nextToken: p1.nextToken }));
      const p3 = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, nextToken: p2.nextToken }));
      assert.equal(p3.importJobs!.length, 50);
      assert.equal(p3.nextToken, undefined);
      // exactly full last page: no token
      const exact = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, maxResults: 50, nextToken: p2.nextToken }));
      assert.equal(exact.importJobs!.length, 50);
      assert.equal(exact.nextToken, undefined);
    });

    test("every status filter with every page size walks exactly the matching jobs, in order", async () => {
      for (const status of STATUSES) {
        const expected = jobs.filter((j) => j.status === status).map((j) => j.id);
        for (const size of [1, 7, 50, 100]) {
          const { ids, pages } = await walk({ status }, size);
          assert.deepEqual(ids, expected, `${status} / ${size}`);
          assert.equal(pages, Math.max(1, Math.ceil(expected.length / size)));
        }
      }
    });

    test("createdAfter/createdBefore are inclusive and combine with status", async () => {
      const after = new Date(T0 + 3000), before = new Date(T0 + 7000);
      const expected = jobs.filter((j) => j.creationTime >= after.getTime() && j.creationTime <= before.getTime());
      assert.equal(expected.length, 50);
      assert.deepEqual((await walk({ createdAfter: after, createdBefore: before }, 9)).ids, expected.map((j) => j.id));
      const failed = expected.filter((j) => j.status === "FAILED").map((j) => j.id);
      assert.deepEqual((await walk({ createdAfter: after, createdBefore: before, status: "FAILED" }, 3)).ids, failed);
      const none = await omics.send(
        new ListReferenceImportJobsCommand({ referenceStoreId: storeId, filter: { createdAfter: new Date(T0 + 10_000_000) } }),
      );
      assert.deepEqual(none.importJobs, []);
      assert.equal(none.nextToken, undefined);
    });

    test("a token is bound to its store and filter, and cannot be forged", async () => {
      const p1 = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, maxResults: 5, filter: { status: "FAILED" } }));
      assert.ok(p1.nextToken);
      await assert.rejects(
        omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, nextToken: p1.nextToken, filter: { status: "COMPLETED" } })),
        (e: any) => e instanceof ValidationException && /another store or another filter/.test(e.message),
      );
      const other = (await omics.send(new CreateReferenceStoreCommand({ name: "other" }))).id!;
      await assert.rejects(
        omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: other, nextToken: p1.nextToken, filter: { status: "FAILED" } })),
        ValidationException,
      );
      const [body, mac] = p1.nextToken!.split(".");
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, "base64url").toString()), i: "0" })).toString("base64url");
      await assert.rejects(
        omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, nextToken: `${forged}.${mac}`, filter: { status: "FAILED" } })),
        ValidationException,
      );
      await assert.rejects(
        omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, nextToken: "garbage" })),
        ValidationException,
      );
    });

    test("maxResults outside 1..100, unknown store, another account's store", async () => {
      await assert.rejects(
        omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, maxResults: 101 })),
        (e: any) => e instanceof ValidationException && /maxResults/.test(e.message),
      );
      await assert.rejects(omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, maxResults: 0 })), ValidationException);
      await assert.rejects(
        omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId, filter: { status: "DONE" as any } })),
        ValidationException,
      );
      await assert.rejects(omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: "1000000000" })), ResourceNotFoundException);
      await assert.rejects(
        server.client(TEST_CREDENTIALS[1]).send(new ListReferenceImportJobsCommand({ referenceStoreId: storeId })),
        ResourceNotFoundException,
      );
    });

    test("a walk while other clients insert jobs: no duplicates, no gaps", async () => {
      const before = (await walk({}, 100)).ids;
      const seen: string[] = [];
      let token: string | undefined;
      let inserted = 0;
      do {
        const page = await omics.send(
          new ListReferenceImportJobsCommand({ referenceStoreId: storeId, maxResults: 13, nextToken: token }),
        );
        for (const j of page.importJobs!) seen.push(j.id!);
        token = page.nextToken;
        // another client inserts jobs between pages: some now, some dated inside the walked range
        for (let k = 0; k < 3; k++) {
          const j = job(storeId, Date.now(), "SUBMITTED");
          j.status = "COMPLETED";
          await server.refstore.catalog.insertJob(j);
          inserted++;
        }
      } while (token);
      assert.equal(new Set(seen).size, seen.length, "no duplicates");
      for (const id of before) assert.ok(seen.includes(id), `job ${id} that existed before the walk was seen`);
      assert.ok(inserted > 0);
    });
  });
}
