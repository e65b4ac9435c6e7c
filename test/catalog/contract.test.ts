// The Catalog contract: the same tests against every implementation (SQLite file, PostgreSQL).
// What only PostgreSQL must get right (several processes, LISTEN/NOTIFY) is in postgres.test.ts.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { tagKey } from "../../src/catalog/ids.js";
import { openCatalog } from "../../src/catalog/index.js";
import { gaveUpMessage } from "../../src/catalog/outcome.js";
import { POSTGRES_MIGRATIONS } from "../../src/catalog/postgres-migrations.js";
import { SQLITE_MIGRATIONS } from "../../src/catalog/sqlite-migrations.js";
import type { Catalog, JobRecord, JobStatus, ReferenceRecord, UploadRecord } from "../../src/catalog/types.js";
import type { DatabaseLocation } from "../../src/config.js";
import { claimedJob, givenUpJob, NOTHING_TO_CLAIM } from "../support/claims.js";
import { backends } from "../support/refstore.js";

const A = "111111111111";
const B = "222222222222";
const ROLE = "arn:aws:iam::111111111111:role/import";

function job(id: string, storeId: string, creationTime: number, status: JobStatus = "SUBMITTED", extra: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    storeId,
    roleArn: ROLE,
    status,
    creationTime,
    sources: [
      { index: 0, sourceFile: "s3://bucket/a.fa", name: "a", status: "NOT_STARTED" },
      { index: 1, sourceFile: "s3://bucket/b.fa", name: "b", description: "second", tags: { k: "v" }, status: "NOT_STARTED" },
    ],
    ...extra,
  };
}

function reference(id: string, storeId: string, jobId: string, creationTime: number, md5: string, name = `ref-${id}`): ReferenceRecord {
  return {
    id,
    storeId,
    name,
    md5,
    status: "ACTIVE",
    creationTime,
    updateTime: creationTime,
    creationJobId: jobId,
    source: { key: `refs/${id}/source.fa`, contentLength: 5386 },
    index: { key: `refs/${id}/source.fa.fai`, contentLength: 26 },
    extraKeys: [],
    sequences: [{ name: "phiX", length: 5386, md5: "3332ed720ac7eaa9b3655c06f6b9e196", ga4gh: "SQ.abc" }],
    compression: "none",
  };
}

/** The PostgreSQL database of a test, or else the SQLite file. */
function location(databaseUrl: string | undefined, sqlitePath: string): DatabaseLocation {
  return databaseUrl ? { kind: "postgres", url: databaseUrl } : { kind: "sqlite", path: sqlitePath };
}

const kinds = [...new Set(backends().map((b) => b.split("+")[0]))];
for (const kind of kinds) {
  describe(`catalog contract [${kind}]`, () => {
    let catalog: Catalog;
    let dir: string;
    let stopDb: (() => Promise<void>) | undefined;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "refstore-catalog-"));
      let databaseUrl: string | undefined;
      if (kind === "postgres") {
        const { getTestDatabaseUrl } = await import("../support/postgres.js");
        const db = await getTestDatabaseUrl();
        databaseUrl = db.url;
        stopDb = () => db.stop();
      }
      catalog = await openCatalog({ database: location(databaseUrl, join(dir, "catalog.sqlite")) });
      await catalog.migrate(); // a second migrate changes nothing
    });
    after(async () => {
      await catalog.close();
      await stopDb?.();
      rmSync(dir, { recursive: true, force: true });
    });

    test("stores: round trip keeps absent fields absent; accounts are separate", async () => {
      await catalog.insertStore({ account: A, id: "1000000001", name: "s1", creationTime: 1000 });
      await catalog.insertStore({
        account: A,
        id: "1000000002",
        name: "s2",
        description: "with everything",
        sseConfig: { type: "KMS", keyArn: "arn:aws:kms:us-east-1:111111111111:key/x" },
        creationTime: 2000,
        clientToken: "tok",
        requestDigest: "d1",
      });
      const s1 = await catalog.getStore(A, "1000000001");
      assert.deepEqual(s1, { account: A, id: "1000000001", name: "s1", description: undefined, sseConfig: undefined, creationTime: 1000, clientToken: undefined, requestDigest: undefined });
      assert.equal((await catalog.getStore(A, "1000000002"))?.sseConfig?.keyArn, "arn:aws:kms:us-east-1:111111111111:key/x");
      assert.equal(await catalog.getStore(B, "1000000001"), undefined, "another account does not see the store");
      assert.equal((await catalog.findStoreByClientToken(A, "tok"))?.id, "1000000002");
      assert.equal(await catalog.findStoreByClientToken(B, "tok"), undefined);
      assert.equal(await catalog.countStores(A), 2);
      assert.equal(await catalog.countStores(B), 0);
      assert.equal(await catalog.accountOfStore("1000000002"), A);
      assert.equal(await catalog.accountOfStore("9999999999"), undefined);
    });

    test("stores: keyset pages in creation order; name and inclusive time filters", async () => {
      // Same creation time for two stores: the id breaks the tie.
      await catalog.insertStore({ account: A, id: "1000000004", name: "s3", creationTime: 3000 });
      await catalog.insertStore({ account: A, id: "1000000003", name: "s2", creationTime: 3000 });
      const all = await catalog.listStores(A, {}, undefined, 10);
      assert.deepEqual(all.map((s) => s.id), ["1000000001", "1000000002", "1000000003", "1000000004"]);
      const page2 = await catalog.listStores(A, {}, { creationTime: 3000, id: "1000000003" }, 10);
      assert.deepEqual(page2.map((s) => s.id), ["1000000004"]);
      assert.deepEqual((await catalog.listStores(A, { name: "s2" }, undefined, 10)).map((s) => s.id), ["1000000002", "1000000003"]);
      assert.deepEqual(
        (await catalog.listStores(A, { createdAfter: 2000, createdBefore: 3000 }, undefined, 2)).map((s) => s.id),
        ["1000000002", "1000000003"],
      );
      assert.deepEqual(await catalog.listStores(B, {}, undefined, 10), []);
    });

    test("jobs: get, client token, list with status filter and keyset", async () => {
      const store = "1000000001";
      const jobs = [
        job("2000000001", store, 100, "COMPLETED", { completionTime: 150 }),
        job("2000000002", store, 200, "FAILED", { statusMessage: "all 2 sources failed", completionTime: 250 }),
        job("2000000003", store, 300, "COMPLETED", { completionTime: 350, clientToken: "jt", requestDigest: "dd" }),
        job("2000000004", "1000000002", 300, "COMPLETED"),
      ];
      await catalog.insertJobs(jobs.slice(0, 2));
      await catalog.insertJob(jobs[2]);
      await catalog.insertJob(jobs[3]);
      const got = await catalog.getJob(store, "2000000002");
      assert.equal(got?.statusMessage, "all 2 sources failed");
      assert.deepEqual(got?.sources, jobs[1].sources);
      assert.equal(await catalog.getJob("1000000002", "2000000002"), undefined, "a job is found only in its store");
      assert.equal((await catalog.findJobByClientToken(store, "jt"))?.id, "2000000003");
      assert.equal(await catalog.findJobByClientToken("1000000002", "jt"), undefined);

      const completed = await catalog.listJobs(store, { status: "COMPLETED" }, undefined, 10);
      assert.deepEqual(completed, [
        { id: "2000000001", storeId: store, roleArn: ROLE, status: "COMPLETED", creationTime: 100, completionTime: 150 },
        { id: "2000000003", storeId: store, roleArn: ROLE, status: "COMPLETED", creationTime: 300, completionTime: 350 },
      ]);
      assert.deepEqual((await catalog.listJobs(store, {}, { creationTime: 100, id: "2000000001" }, 1)).map((j) => j.id), ["2000000002"]);
      assert.deepEqual((await catalog.listJobs(store, { createdAfter: 200, createdBefore: 300 }, undefined, 10)).map((j) => j.id), ["2000000002", "2000000003"]);
      assert.deepEqual(await catalog.listJobs(store, { status: "CANCELLED" }, undefined, 10), []);
    });

    test("claim, lease, progress, finish: only the owner may write", async () => {
      const store = "1000000002";
      await catalog.insertJob(job("3000000001", store, 1_000));
      const claimed = claimedJob(await catalog.claimJob("w1", 30_000, 10_000));
      assert.equal(claimed?.id, "3000000001");
      assert.equal(claimed?.status, "IN_PROGRESS");
      assert.equal(await catalog.getJobStatus("3000000001"), "IN_PROGRESS");
      assert.deepEqual(await catalog.claimJob("w2", 30_000, 10_001), NOTHING_TO_CLAIM, "a leased job is not handed out twice");

      assert.equal(await catalog.renewLease("3000000001", "w2", 30_000, 10_002), false);
      assert.equal(await catalog.renewLease("3000000001", "w1", 30_000, 10_002), true);
      assert.equal(await catalog.updateSource("3000000001", "w1", 0, { status: "IN_PROGRESS" }), true);
      assert.equal(await catalog.updateSource("3000000001", "w2", 0, { status: "FAILED", statusMessage: "x" }), false);

      // live byte counts: written by the owner only, overwritten in place, total optional
      assert.deepEqual(await catalog.getProgress("3000000001"), []);
      assert.equal(await catalog.recordProgress("3000000001", "w1", 0, 0, 6_000_000_000, 10_003), true);
      assert.equal(await catalog.recordProgress("3000000001", "w1", 0, 5_000_000_000, 6_000_000_000, 10_004), true);
      assert.equal(await catalog.recordProgress("3000000001", "w1", 1, 7, undefined, 10_005), true);
      assert.equal(await catalog.recordProgress("3000000001", "w2", 0, 1, 2, 10_006), false);
      assert.deepEqual(await catalog.getProgress("3000000001"), [
        { index: 0, bytesRead: 5_000_000_000, bytesTotal: 6_000_000_000, updateTime: 10_004 },
        { index: 1, bytesRead: 7, updateTime: 10_005 },
      ]);

      // The lease runs out: another worker takes the job over, the first can no longer write.
      const taken = claimedJob(await catalog.claimJob("w2", 30_000, 50_000));
      assert.equal(taken?.id, "3000000001");
      assert.equal(taken?.sources[0].status, "IN_PROGRESS", "progress survives the takeover");
      const ref = reference("4000000001", store, "3000000001", 50_001, "3332ED720AC7EAA9B3655C06F6B9E196");
      await catalog.addPendingBlob(ref.source.key, "3000000001", 50_000);
      await catalog.addPendingBlob(ref.index.key, "3000000001", 50_000);
      await catalog.addPendingBlob("refs/other/source.fa", "3000000001", 50_000);
      assert.equal(await catalog.finishSource("3000000001", "w1", 0, ref), false);
      assert.equal(await catalog.getReference(store, "4000000001"), undefined, "a lost lease commits nothing");
      assert.equal((await catalog.pendingBlobsOfJob("3000000001")).length, 3, "nor forgets its blobs as pending");

      assert.equal(await catalog.finishSource("3000000001", "w2", 0, ref), true);
      // in the same step, the reference's blobs stop being leftovers that a later claim would delete
      assert.deepEqual(await catalog.pendingBlobsOfJob("3000000001"), ["refs/other/source.fa"]);
      await catalog.removePendingBlobs(["refs/other/source.fa"]);
      assert.equal(await catalog.updateSource("3000000001", "w2", 1, { status: "FAILED", statusMessage: "no such object" }), true);
      assert.equal(await catalog.finishJob("3000000001", "w2", "COMPLETED_WITH_FAILURES", "1 of 2 sources failed", 60_000), true);
      assert.equal(await catalog.finishJob("3000000001", "w2", "COMPLETED", undefined, 60_001), false, "a finished job stays finished");

      const done = await catalog.getJob(store, "3000000001");
      assert.equal(done?.status, "COMPLETED_WITH_FAILURES");
      assert.equal(done?.completionTime, 60_000);
      assert.deepEqual(
        done?.sources.map((s) => [s.status, s.referenceId, s.statusMessage]),
        [["FINISHED", "4000000001", undefined], ["FAILED", undefined, "no such object"]],
      );
      const stored = await catalog.getReference(store, "4000000001");
      assert.equal(stored?.md5, "3332ed720ac7eaa9b3655c06f6b9e196", "md5 is stored in lower case");
      assert.deepEqual(stored?.sequences, ref.sequences);
      assert.equal(stored?.description, undefined);

      // A released lease (negative) makes a job claimable at once.
      await catalog.insertJob(job("3000000002", store, 2_000));
      assert.equal(claimedJob(await catalog.claimJob("w3", 30_000, 70_000)).id, "3000000002");
      assert.equal(await catalog.renewLease("3000000002", "w3", -30_000, 0), true);
      assert.equal(claimedJob(await catalog.claimJob("w4", 30_000, 70_001)).id, "3000000002");
      assert.equal(await catalog.finishJob("3000000002", "w4", "FAILED", "all 2 sources failed", 70_002), true);
    });

    test("cancel: SUBMITTED ends at once, IN_PROGRESS becomes CANCELLING and stays claimed as such", async () => {
      const store = "1000000003";
      await catalog.insertJob(job("5000000001", store, 1));
      assert.equal(await catalog.requestCancel(store, "5000000001", 99), "CANCELLED");
      const cancelled = await catalog.getJob(store, "5000000001");
      assert.equal(cancelled?.completionTime, 99);
      assert.ok(cancelled?.sources.every((s) => s.status === "FAILED" && /cancelled/.test(s.statusMessage ?? "")));
      assert.deepEqual(await catalog.claimJob("w", 1000, 100), NOTHING_TO_CLAIM, "a cancelled job is never claimed");

      await catalog.insertJob(job("5000000002", store, 2));
      claimedJob(await catalog.claimJob("w", 1000, 100));
      assert.equal(await catalog.requestCancel(store, "5000000002", 101), "CANCELLING");
      assert.equal(await catalog.requestCancel(store, "5000000002", 102), "CANCELLING");
      assert.equal(await catalog.getJobStatus("5000000002"), "CANCELLING");
      // Its worker died: the next worker gets it, still CANCELLING, to wind it up.
      const again = claimedJob(await catalog.claimJob("w2", 1000, 5000));
      assert.equal(again?.status, "CANCELLING");
      assert.equal(await catalog.finishJob("5000000002", "w2", "CANCELLED", "cancelled on request", 5001), true);
      assert.equal(await catalog.requestCancel(store, "5000000002", 6000), "CANCELLED", "terminal jobs are unchanged");
      assert.equal(await catalog.requestCancel(store, "5999999999", 6000), undefined);
      assert.equal(await catalog.requestCancel("1000000001", "5000000002", 6000), undefined, "only in its own store");
    });

    test("finishCancelled: the owner winds a cancelled job up; finished sources keep their reference", async () => {
      const store = "1000000004";
      const id = "5100000001";
      await catalog.insertJob(job(id, store, 3));
      assert.equal(claimedJob(await catalog.claimJob("w1", 60_000, 200)).id, id);
      assert.equal(await catalog.finishSource(id, "w1", 0, reference("5200000001", store, id, 201, "ab".repeat(16))), true);
      assert.equal(await catalog.updateSource(id, "w1", 1, { status: "IN_PROGRESS" }), true);
      assert.equal(await catalog.requestCancel(store, id, 202), "CANCELLING");
      assert.equal(await catalog.finishCancelled(id, "w2", 203), false, "only the owner");
      assert.equal(await catalog.getJobStatus(id), "CANCELLING");
      assert.equal(await catalog.finishCancelled(id, "w1", 204), true);
      const ended = await catalog.getJob(store, id);
      assert.equal(ended?.status, "CANCELLED");
      assert.equal(ended?.statusMessage, "cancelled on request");
      assert.equal(ended?.completionTime, 204);
      assert.deepEqual(
        ended?.sources.map((s) => [s.status, s.statusMessage, s.referenceId]),
        [["FINISHED", undefined, "5200000001"], ["FAILED", "cancelled before this source was imported", undefined]],
      );
      assert.deepEqual(ended?.sources[1].tags, { k: "v" }, "the rest of the source is kept");
      assert.equal(await catalog.renewLease(id, "w1", 60_000, 205), false, "the lease is released");
      assert.equal(await catalog.finishCancelled(id, "w1", 206), false, "an ended job stays ended");
      assert.equal((await catalog.getJob(store, id))?.completionTime, 204);
    });

    test("references: md5 filter ignores case, keyset, delete returns the record", async () => {
      const store = "1000000009";
      await catalog.insertJob(job("6000000001", store, 1));
      const claimed = claimedJob(await catalog.claimJob("w", 60_000, 10));
      assert.equal(claimed?.id, "6000000001");
      await catalog.finishSource("6000000001", "w", 0, reference("7000000001", store, "6000000001", 20, "aa".repeat(16), "chrM"));
      await catalog.finishSource("6000000001", "w", 1, reference("7000000002", store, "6000000001", 20, "bb".repeat(16), "chrM"));
      const all = await catalog.listReferences(store, {}, undefined, 10);
      assert.deepEqual(all.map((r) => r.id), ["7000000001", "7000000002"]);
      assert.deepEqual((await catalog.listReferences(store, { md5: "BB".repeat(16) }, undefined, 10)).map((r) => r.id), ["7000000002"]);
      assert.deepEqual((await catalog.listReferences(store, { name: "chrM" }, { creationTime: 20, id: "7000000001" }, 10)).map((r) => r.id), ["7000000002"]);
      assert.deepEqual(await catalog.listReferences(store, { createdAfter: 21 }, undefined, 10), []);

      assert.equal(await catalog.deleteStore(A, store), "not-found", "the store row was never created for account A");
      await catalog.insertStore({ account: A, id: store, name: "refs", creationTime: 5 });
      assert.equal(await catalog.deleteStore(A, store), "not-empty");
      const deleted = await catalog.deleteReference(store, "7000000001");
      assert.equal(deleted?.source.key, "refs/7000000001/source.fa");
      assert.equal(await catalog.deleteReference(store, "7000000001"), undefined);
      await catalog.deleteReference(store, "7000000002");
      assert.equal(await catalog.deleteStore(B, store), "not-found", "another account cannot delete it");
      assert.equal(await catalog.deleteStore(A, store), "deleted");
      assert.equal(await catalog.getJob(store, "6000000001"), undefined, "its jobs went with it");
    });

    test("tags and pending blobs", async () => {
      const arn = tagKey({ storeId: "1000000001" });
      assert.deepEqual(await catalog.getTags(arn), {});
      await catalog.putTags(arn, { a: "1", b: "2" });
      await catalog.putTags(arn, { b: "3" });
      assert.deepEqual(await catalog.getTags(arn), { a: "1", b: "3" });
      await catalog.removeTags(arn, ["a", "missing"]);
      assert.deepEqual(await catalog.getTags(arn), { b: "3" });
      await catalog.deleteAllTags(arn);
      assert.deepEqual(await catalog.getTags(arn), {});

      await catalog.addPendingBlob("refs/x/source.fa", "8000000001", 1);
      await catalog.addPendingBlob("refs/x/source.fa.fai", "8000000001", 1);
      await catalog.addPendingBlob("refs/y/source.fa", "8000000002", 1);
      assert.deepEqual(await catalog.pendingBlobsOfJob("8000000001"), ["refs/x/source.fa", "refs/x/source.fa.fai"]);
      await catalog.removePendingBlobs(["refs/x/source.fa"]);
      assert.deepEqual(await catalog.pendingBlobsOfJob("8000000001"), ["refs/x/source.fa.fai"]);
      assert.deepEqual(await catalog.pendingBlobsOfJob("8000000003"), []);
    });

    test("orphaned pending blobs: those of ended or vanished jobs, never those of a running job", async () => {
      const store = "1000000006";
      const id = "9100000001";
      await catalog.insertJob(job(id, store, 5));
      assert.equal(claimedJob(await catalog.claimJob("w1", 30_000, 1_000, 3)).id, id);
      await catalog.addPendingBlob("orphans/running/source", id, 1_000);
      await catalog.addPendingBlob("orphans/vanished/source", "9100000999", 1_000);
      const ours = async () => (await catalog.orphanedPendingBlobs(1000)).filter((k) => k.startsWith("orphans/"));
      assert.deepEqual(await ours(), ["orphans/vanished/source"], "a running job keeps its pending blobs");
      assert.equal(await catalog.finishJob(id, "w1", "FAILED", "x", 2_000), true);
      assert.deepEqual(await ours(), ["orphans/running/source", "orphans/vanished/source"], "once it ended, they are orphans");
      assert.equal((await catalog.orphanedPendingBlobs(1)).length, 1, "at most `limit`");
      const all = (await catalog.pendingBlobKeys()).filter((k) => k.startsWith("orphans/"));
      assert.deepEqual(all, ["orphans/running/source", "orphans/vanished/source"], "pendingBlobKeys: every pending key");
      await catalog.removePendingBlobs(["orphans/running/source", "orphans/vanished/source"]);
      assert.deepEqual(await ours(), []);
    });

    test("uploads: staging keys held back from sweeps, sent once, taken by one job, stale once nobody will import them", async () => {
      const upload = (id: string, creationTime: number): UploadRecord => ({
        id,
        account: A,
        storeId: "1000000007",
        fileName: "x.fa",
        blobKey: `stores/1000000007/uploads/${id}`,
        status: "CREATED",
        bytesReceived: 0,
        creationTime,
        updateTime: creationTime,
      });
      await catalog.insertUpload(upload("7100000001", 1_000));
      await catalog.insertUpload({ ...upload("7100000002", 1_000), contentLength: 5 });
      await catalog.insertUpload(upload("7100000003", 1_000));
      assert.deepEqual(await catalog.getUpload("7100000001"), upload("7100000001", 1_000), "absent fields stay absent");
      assert.equal(await catalog.getUpload("7100000999"), undefined);
      const keys = (await catalog.pendingBlobKeys()).filter((k) => k.startsWith("stores/1000000007/"));
      assert.deepEqual(keys, ["stores/1000000007/uploads/7100000001", "stores/1000000007/uploads/7100000002", "stores/1000000007/uploads/7100000003"]);

      assert.equal(await catalog.beginUpload("7100000001", 10, 2_000), true);
      assert.equal(await catalog.beginUpload("7100000001", 10, 2_000), false, "sent once");
      assert.equal(await catalog.recordUploadProgress("7100000001", 4, 2_500), true);
      assert.equal(await catalog.endUpload("7100000001", { status: "COMPLETE", bytesReceived: 10, md5: "ab" }, 3_000), true);
      assert.equal(await catalog.endUpload("7100000001", { status: "FAILED", bytesReceived: 10 }, 3_000), false, "ended once");
      const done = (await catalog.getUpload("7100000001"))!;
      assert.deepEqual([done.status, done.contentLength, done.bytesReceived, done.md5, done.updateTime], ["COMPLETE", 10, 10, "ab", 3_000]);

      // 01 → a job that ended, 02 → a job that does not exist, 03 → no job, idle since 1 000
      await catalog.insertJob(job("7200000001", "1000000007", 1_000, "COMPLETED"));
      assert.equal(await catalog.attachUpload("7100000001", "7200000001"), true);
      assert.equal(await catalog.attachUpload("7100000001", "7200000009"), false, "taken by one job");
      assert.equal(await catalog.attachUpload("7100000002", "7200000002"), true);
      assert.deepEqual((await catalog.uploadsOfJob("7200000001")).map((u) => u.id), ["7100000001"]);
      const stale = async (idleBefore: number) =>
        (await catalog.staleUploads(idleBefore, 100)).map((u) => u.id).filter((id) => id.startsWith("71"));
      assert.deepEqual(await stale(500), ["7100000001", "7100000002"], "a young upload no job took yet is kept");
      assert.deepEqual(await stale(1_001), ["7100000001", "7100000002", "7100000003"]);
      for (const id of ["7100000001", "7100000002", "7100000003"]) await catalog.deleteUpload(id);
      assert.deepEqual(await stale(10_000), []);
      assert.deepEqual((await catalog.pendingBlobKeys()).filter((k) => k.startsWith("stores/1000000007/")), []);
    });

    // Attempt limits. Every job here ends terminal before the next is inserted, since claimJob
    // hands out the oldest claimable job of the whole catalog.
    test("attempts: each claim counts one; a job given back (graceful stop) uses none", async () => {
      const store = "1000000005";
      const id = "9000000001";
      await catalog.insertJob(job(id, store, 10));
      assert.equal((await catalog.getJob(store, id))?.attempts, 0);
      const first = claimedJob(await catalog.claimJob("w1", 1000, 100_000, 3));
      assert.equal(first?.attempts, 1, "the first claim of a SUBMITTED job makes it 1");
      assert.equal((await catalog.getJob(store, id))?.attempts, 1);

      assert.equal(await catalog.releaseJob(id, "w2"), false, "only the owner gives a job back");
      assert.equal(await catalog.releaseJob(id, "w1"), true);
      assert.equal((await catalog.getJob(store, id))?.attempts, 0, "a job given back does not use up an attempt");
      assert.equal(await catalog.updateSource(id, "w1", 0, { status: "IN_PROGRESS" }), false, "nor is it still w1's");
      assert.equal(claimedJob(await catalog.claimJob("w2", 1000, 100_001, 3)).attempts, 1, "claimable at once");

      // Its workers die: each lease expiry and takeover counts.
      assert.deepEqual(await catalog.claimJob("w3", 1000, 100_500, 3), NOTHING_TO_CLAIM, "w2's lease still runs");
      assert.equal(claimedJob(await catalog.claimJob("w3", 1000, 102_000, 3)).attempts, 2);
      const third = claimedJob(await catalog.claimJob("w4", 1000, 104_000, 3));
      assert.equal(third?.attempts, 3);
      assert.equal(third?.status, "IN_PROGRESS");
      assert.equal(await catalog.finishJob(id, "w4", "COMPLETED", undefined, 104_100), true);
      assert.equal((await catalog.getJob(store, id))?.attempts, 3, "the count stays with the finished job");
    });

    test("attempts: after the limit an expired lease ends the job (COMPLETED_WITH_FAILURES / FAILED), never claimed again", async () => {
      const store = "1000000005";
      const id = "9000000002";
      await catalog.insertJob(job(id, store, 20));
      claimedJob(await catalog.claimJob("w1", 1000, 200_000, 2));
      const ref = reference("9100000001", store, id, 200_100, "cc".repeat(16));
      assert.equal(await catalog.finishSource(id, "w1", 0, ref), true);
      assert.equal(await catalog.updateSource(id, "w1", 1, { status: "IN_PROGRESS" }), true);
      await catalog.addPendingBlob("stores/1000000005/references/9100000002/source", id, 200_200);
      // w1 dies; w2 takes over (attempt 2 of 2) and dies too.
      assert.equal(claimedJob(await catalog.claimJob("w2", 1000, 202_000, 2)).attempts, 2);
      assert.deepEqual(await catalog.claimJob("w3", 1000, 202_500, 2), NOTHING_TO_CLAIM, "w2's lease still runs");

      const ended = givenUpJob(await catalog.claimJob("w3", 1000, 204_000, 2));
      assert.equal(ended?.id, id);
      assert.equal(ended?.status, "COMPLETED_WITH_FAILURES", "the finished source keeps its reference");
      assert.equal(ended?.completionTime, 204_000);
      assert.equal(ended?.attempts, 2, "giving up is no attempt");
      const reason = gaveUpMessage(2);
      assert.equal(reason, "import stopped 2 times without finishing (worker crashed or lost its lease); not retried");
      assert.equal(ended?.statusMessage, `1 of 2 sources failed; ${reason}`);
      assert.ok(ended!.statusMessage!.length <= 127);
      assert.deepEqual(
        ended?.sources.map((s) => [s.status, s.statusMessage, s.referenceId]),
        [["FINISHED", undefined, "9100000001"], ["FAILED", reason, undefined]],
      );
      assert.deepEqual(ended?.sources[1].tags, { k: "v" }, "the rest of the source is kept");
      assert.deepEqual(await catalog.getJob(store, id), ended, "what the claim returned is what is stored");
      assert.equal((await catalog.getReference(store, "9100000001"))?.creationJobId, id);
      assert.deepEqual(
        await catalog.pendingBlobsOfJob(id),
        ["stores/1000000005/references/9100000002/source"],
        "its pending blobs are left for the caller (the worker) to delete",
      );
      await catalog.removePendingBlobs(["stores/1000000005/references/9100000002/source"]);

      assert.deepEqual(await catalog.claimJob("w4", 1000, 999_000, 2), NOTHING_TO_CLAIM, "never claimed again");
      assert.deepEqual(await catalog.claimJob("w4", 1000, 999_000, 100), NOTHING_TO_CLAIM, "not even with a higher limit");
      assert.equal(await catalog.renewLease(id, "w2", 1000, 204_001), false, "the dead worker's lease is gone");
      assert.equal(await catalog.finishJob(id, "w2", "COMPLETED", undefined, 204_002), false);
      assert.equal(await catalog.requestCancel(store, id, 204_003), "COMPLETED_WITH_FAILURES", "terminal jobs are unchanged");

      // No source finished: FAILED, saying why. Limit 1: the first expiry ends it.
      await catalog.insertJob(job("9000000003", store, 30, "SUBMITTED", { sources: [job("", "", 0).sources[1]] }));
      assert.equal(claimedJob(await catalog.claimJob("w1", 1000, 300_000, 1)).attempts, 1, "a SUBMITTED job always runs");
      const failed = givenUpJob(await catalog.claimJob("w2", 1000, 302_000, 1));
      assert.equal(failed?.status, "FAILED");
      assert.equal(failed?.statusMessage, "import stopped once without finishing (worker crashed or lost its lease); not retried");
      assert.deepEqual(failed?.sources.map((s) => [s.status, s.statusMessage]), [["FAILED", failed?.statusMessage]]);
      assert.equal(failed?.completionTime, 302_000);
      assert.deepEqual(await catalog.claimJob("w3", 1000, 999_000, 1), NOTHING_TO_CLAIM);

      // Two sources, none finished: as the worker says it ("all 2 sources failed"), and why.
      await catalog.insertJob(job("9000000004", store, 40));
      claimedJob(await catalog.claimJob("w1", 1000, 400_000, 1));
      const both = givenUpJob(await catalog.claimJob("w2", 1000, 402_000, 1));
      assert.equal(both?.status, "FAILED");
      assert.equal(both?.statusMessage, `all 2 sources failed; ${gaveUpMessage(1)}`);

      // Every source done, only finishJob missing when the worker died: ended as it would have.
      await catalog.insertJob(job("9000000005", store, 50));
      claimedJob(await catalog.claimJob("w1", 1000, 500_000, 1));
      await catalog.finishSource("9000000005", "w1", 0, reference("9100000005", store, "9000000005", 500_001, "dd".repeat(16)));
      await catalog.updateSource("9000000005", "w1", 1, { status: "FAILED", statusMessage: "no such object" });
      const done = givenUpJob(await catalog.claimJob("w2", 1000, 502_000, 1));
      assert.equal(done?.status, "COMPLETED_WITH_FAILURES");
      assert.equal(done?.statusMessage, "1 of 2 sources failed");
      assert.equal(done?.sources[1].statusMessage, "no such object");
    });

    test("attempts: a CANCELLING job whose workers die still ends CANCELLED", async () => {
      const store = "1000000005";
      const id = "9000000006";
      await catalog.insertJob(job(id, store, 60));
      claimedJob(await catalog.claimJob("w1", 1000, 600_000, 2));
      assert.equal(await catalog.finishSource(id, "w1", 0, reference("9100000006", store, id, 600_001, "ee".repeat(16))), true);
      assert.equal(await catalog.updateSource(id, "w1", 1, { status: "IN_PROGRESS" }), true);
      assert.equal(await catalog.requestCancel(store, id, 600_002), "CANCELLING");
      // An attempt left: the next worker gets it, still CANCELLING, to wind it up; it dies too.
      const again = claimedJob(await catalog.claimJob("w2", 1000, 602_000, 2));
      assert.equal(again?.status, "CANCELLING");
      assert.equal(again?.attempts, 2);
      const ended = givenUpJob(await catalog.claimJob("w3", 1000, 604_000, 2));
      assert.equal(ended?.status, "CANCELLED");
      assert.equal(ended?.statusMessage, "cancelled on request");
      assert.equal(ended?.completionTime, 604_000);
      assert.deepEqual(
        ended?.sources.map((s) => [s.status, s.statusMessage, s.referenceId]),
        [["FINISHED", undefined, "9100000006"], ["FAILED", "cancelled before this source was imported", undefined]],
      );
      assert.deepEqual(await catalog.getJob(store, id), ended);
      assert.deepEqual(await catalog.claimJob("w4", 1000, 999_000, 2), NOTHING_TO_CLAIM, "never claimed again");
    });

    /**
     * A catalog as an earlier release left it: the first `version` migrations applied, then
     * `statements` (that release's rows) run; opening it applies the newer migrations.
     */
    async function olderCatalog(version: number, statements: string[], file: string) {
      let databaseUrl: string | undefined;
      let stop: (() => Promise<void>) | undefined;
      const sqlitePath = join(dir, file);
      if (kind === "postgres") {
        const { getTestDatabaseUrl } = await import("../support/postgres.js");
        const db = await getTestDatabaseUrl();
        databaseUrl = db.url;
        stop = () => db.stop();
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        await c.query("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied bigint NOT NULL)");
        for (const m of POSTGRES_MIGRATIONS.slice(0, version)) {
          await c.query(m.sql);
          await c.query("INSERT INTO schema_migrations VALUES ($1, $2, 0)", [m.version, m.name]);
        }
        for (const sql of statements) await c.query(sql);
        await c.end();
      } else {
        const db = new Database(sqlitePath);
        db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied INTEGER)");
        for (const m of SQLITE_MIGRATIONS.slice(0, version)) {
          db.exec(m.sql);
          db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
        }
        for (const sql of statements) db.exec(sql);
        db.close();
      }
      const upgraded = await openCatalog({ database: location(databaseUrl, sqlitePath) });
      return {
        catalog: upgraded,
        async close() {
          await upgraded.close();
          await stop?.();
        },
      };
    }

    test("migration 2 upgrades a catalog whose jobs are in flight: attempts start at 0", async () => {
      // A catalog at schema version 1 holding a job whose worker died, as the previous release left it.
      const insert = `INSERT INTO jobs (id, store_id, role_arn, status, creation_time, owner, lease_expires, sources)
        VALUES ('9000000007', '1000000006', '${ROLE}', 'IN_PROGRESS', 70, 'dead', 5, '${JSON.stringify(job("", "", 0).sources)}')`;
      const { catalog: upgraded, close } = await olderCatalog(1, [insert], "v1.sqlite");
      try {
        assert.equal((await upgraded.getJob("1000000006", "9000000007"))?.attempts, 0);
        const taken = claimedJob(await upgraded.claimJob("w1", 1000, 1000, 1));
        assert.equal(taken.status, "IN_PROGRESS", "a job in flight gets its full attempts after the upgrade");
        assert.equal(taken.attempts, 1);
      } finally {
        await close();
      }
    });

    test("migration 3 files the tags a previous release keyed by ARN under their resource", async () => {
      const arn = "arn:aws:omics:us-east-1:111111111111:referenceStore/1000000008";
      const { catalog: upgraded, close } = await olderCatalog(
        2,
        [
          `INSERT INTO tags (arn, key, value) VALUES ('${arn}', 'team', 'genomics')`,
          `INSERT INTO tags (arn, key, value) VALUES ('${arn}/reference/9100000009', 'build', 'GRCh38')`,
        ],
        "v2-tags.sqlite",
      );
      try {
        assert.deepEqual(await upgraded.getTags(tagKey({ storeId: "1000000008" })), { team: "genomics" });
        assert.deepEqual(await upgraded.getTags(tagKey({ storeId: "1000000008", referenceId: "9100000009" })), { build: "GRCh38" });
        assert.deepEqual(await upgraded.getTags(arn), {}, "nothing is left under the ARN");
      } finally {
        await close();
      }
    });

    test("job counts by status follow inserts, status changes and a store's deletion", async () => {
      const store = "1000000019";
      await catalog.insertStore({ account: A, id: store, name: "counted", creationTime: 9_000 });
      const start = await catalog.jobCounts();
      const delta = async () => {
        const now = await catalog.jobCounts();
        const out: Record<string, number> = {};
        for (const k of new Set([...Object.keys(start), ...Object.keys(now)])) {
          const d = ((now as Record<string, number>)[k] ?? 0) - ((start as Record<string, number>)[k] ?? 0);
          if (d !== 0) out[k] = d;
        }
        return out;
      };
      await catalog.insertJobs([job("3000000191", store, 9_001), job("3000000192", store, 9_002), job("3000000193", store, 9_003, "COMPLETED")]);
      await catalog.insertJob(job("3000000194", store, 9_004));
      assert.deepEqual(await delta(), { SUBMITTED: 3, COMPLETED: 1 });
      assert.equal(await catalog.requestCancel(store, "3000000191", 9_100), "CANCELLED");
      assert.deepEqual(await delta(), { SUBMITTED: 2, COMPLETED: 1, CANCELLED: 1 });
      assert.equal(await catalog.deleteStore(A, store), "deleted");
      assert.deepEqual(await delta(), {}, "the store's jobs went with it");
    });

    test("wake-ups reach listeners until they unsubscribe", async () => {
      let calls = 0;
      const off = catalog.onJobAvailable(() => calls++);
      await catalog.notifyJobAvailable();
      const deadline = Date.now() + 5000;
      while (calls === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(calls >= 1, "the listener was called");
      off();
      const before = calls;
      await catalog.notifyJobAvailable();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(calls, before, "no calls after unsubscribe");
    });
  });
}
