// PostgresCatalog: what only PostgreSQL has to get right — several processes sharing one
// database (concurrent migrations, job claiming, lease takeover, cancel racing claims),
// LISTEN/NOTIFY wake-ups, and keyset pages that stay index range scans at depth.
// The behaviour both catalogs share is in contract.test.ts.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PostgresCatalog } from "../../src/catalog/postgres.js";
import { POSTGRES_MIGRATIONS } from "../../src/catalog/postgres-migrations.js";
import type { JobRecord, JobStatus, JobSummary, ReferenceRecord } from "../../src/catalog/types.js";
import { claimedJob, NOTHING_TO_CLAIM } from "../support/claims.js";
import { getTestDatabaseUrl, type TestDatabase } from "../support/postgres.js";

const ACCOUNT = "123456789012";
const STORE = "5000000001";

function job(id: string, creationTime: number, status: JobStatus = "SUBMITTED", storeId = STORE): JobRecord {
  return {
    id,
    storeId,
    roleArn: "arn:aws:iam::123456789012:role/import",
    status,
    creationTime,
    completionTime: status === "COMPLETED" || status === "FAILED" ? creationTime + 5 : undefined,
    sources: [
      { index: 0, sourceFile: "s3://b/a.fa", name: "a", status: "NOT_STARTED" },
      { index: 1, sourceFile: "s3://b/b.fa", name: "b", tags: { z: "1", a: "2" }, status: "NOT_STARTED" },
    ],
  };
}

function reference(id: string, jobId: string): ReferenceRecord {
  return {
    id,
    storeId: STORE,
    name: `ref-${id}`,
    md5: "0123456789abcdef0123456789abcdef",
    status: "ACTIVE",
    creationTime: 1,
    updateTime: 1,
    creationJobId: jobId,
    source: { key: `k/${id}/source`, contentLength: 10 },
    index: { key: `k/${id}/index`, contentLength: 2 },
    extraKeys: [],
    sequences: [{ name: "chr1", length: 10, md5: "00", ga4gh: "SQ.x" }],
    compression: "none",
  };
}

/** A fresh migrated database and `n` catalogs on it; closed and dropped by `cleanup`. */
async function setup(n: number): Promise<{ db: TestDatabase; catalogs: PostgresCatalog[]; cleanup: () => Promise<void> }> {
  const db = await getTestDatabaseUrl();
  const catalogs: PostgresCatalog[] = [];
  const cleanup = async () => {
    await Promise.all(catalogs.map((c) => c.close()));
    await db.stop();
  };
  try {
    for (let i = 0; i < n; i++) catalogs.push(await PostgresCatalog.open(db.url));
    await catalogs[0].migrate();
    await catalogs[0].insertStore({ account: ACCOUNT, id: STORE, name: "store", creationTime: 0 });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { db, catalogs, cleanup };
}

describe("migrate", () => {
  let db: TestDatabase;
  const catalogs: PostgresCatalog[] = [];
  before(async () => {
    db = await getTestDatabaseUrl();
    for (let i = 0; i < 3; i++) catalogs.push(await PostgresCatalog.open(db.url));
  });
  after(async () => {
    await Promise.all(catalogs.map((c) => c.close()));
    await db?.stop();
  });

  test("three catalogs migrating one fresh database at once all succeed, each migration applied once", async () => {
    const results = await Promise.allSettled(catalogs.map((c) => c.migrate()));
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "fulfilled", "fulfilled"],
      JSON.stringify(results.filter((r) => r.status === "rejected")),
    );
    const { rows } = await catalogs[0].pool.query("SELECT version, name FROM schema_migrations ORDER BY version");
    assert.deepEqual(
      rows,
      POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    const tables = await catalogs[1].pool.query(
      "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
    );
    assert.deepEqual(
      tables.rows.map((r) => r.tablename),
      ["job_counts", "jobs", "pending_blobs", "ref_collections", "ref_sequences", "refs", "schema_migrations", "source_progress", "stores", "tags", "uploads"],
    );
    // Idempotent afterwards, and the schema works.
    await catalogs[2].migrate();
    assert.equal((await catalogs[2].pool.query("SELECT count(*)::int AS n FROM schema_migrations")).rows[0].n, POSTGRES_MIGRATIONS.length);
    await catalogs[2].insertStore({ account: ACCOUNT, id: STORE, name: "s", creationTime: 7 });
    assert.equal((await catalogs[0].getStore(ACCOUNT, STORE))?.creationTime, 7);
    // The advisory lock was released by every session.
    const locks = await catalogs[0].pool.query(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
        WHERE l.locktype = 'advisory' AND d.datname = current_database()`,
    );
    assert.equal(locks.rows[0].n, 0);
  });
});

describe("claiming across catalogs", () => {
  let env: Awaited<ReturnType<typeof setup>>;
  before(async () => {
    env = await setup(3);
  });
  after(async () => {
    await env?.cleanup();
  });

  test("two catalogs claiming 20 jobs concurrently get each job exactly once", async () => {
    const [a, b] = env.catalogs;
    const ids = Array.from({ length: 20 }, (_, i) => String(1_000_000_000 + i));
    await a.insertJobs(ids.map((id, i) => job(id, 1000 + (i % 7)))); // ties on creationTime too
    const claimed = new Map<string, string[]>();
    const claimer = async (c: PostgresCatalog, worker: string) => {
      for (;;) {
        const claim = await c.claimJob(worker, 60_000, 5000);
        if (claim.kind === "none") return;
        const j = claimedJob(claim);
        assert.equal(j.status, "IN_PROGRESS");
        assert.deepEqual(j.sources.map((s) => s.index), [0, 1]);
        claimed.set(j.id, [...(claimed.get(j.id) ?? []), worker]);
      }
    };
    // Three concurrent loops per catalog (each catalog has a pool of connections).
    await Promise.all([
      ...[1, 2, 3].map((k) => claimer(a, `a${k}`)),
      ...[1, 2, 3].map((k) => claimer(b, `b${k}`)),
    ]);
    assert.deepEqual([...claimed.keys()].sort(), ids);
    for (const [id, workers] of claimed) assert.equal(workers.length, 1, `${id} claimed by ${workers.join(", ")}`);
    const owners = new Set([...claimed.values()].map((w) => w[0][0]));
    assert.ok(owners.has("a") && owners.has("b"), `both catalogs got jobs: ${[...owners]}`);
    // The database agrees on who owns what.
    const { rows } = await env.catalogs[2].pool.query("SELECT id, owner, status, lease_expires FROM jobs ORDER BY id");
    assert.equal(rows.length, 20);
    for (const r of rows) {
      assert.equal(r.status, "IN_PROGRESS");
      assert.equal(r.owner, claimed.get(r.id)![0]);
      assert.equal(r.lease_expires, 65_000);
    }
    assert.deepEqual(await a.claimJob("late", 60_000, 5000), NOTHING_TO_CLAIM);
  });

  test("cancelling while claiming: every job ends either claimed and CANCELLING, or unclaimed and CANCELLED", async (t) => {
    const [a, b, c] = env.catalogs;
    await c.pool.query("DELETE FROM jobs");
    const ids = Array.from({ length: 40 }, (_, i) => String(2_000_000_000 + i));
    await a.insertJobs(ids.map((id, i) => job(id, 10 + i)));
    const claimed = new Set<string>();
    const cancelResult = new Map<string, JobStatus | undefined>();
    const claimer = async (cat: PostgresCatalog, worker: string) => {
      for (let c = await cat.claimJob(worker, 60_000, 100); c.kind !== "none"; c = await cat.claimJob(worker, 60_000, 100)) {
        claimed.add(claimedJob(c).id);
      }
    };
    // The newest is surely cancelled before anyone claims it; then the race: the canceller goes
    // newest first while the claimers take the oldest first, so the two fronts meet somewhere.
    const newest = ids[ids.length - 1];
    cancelResult.set(newest, await c.requestCancel(STORE, newest, 777));
    await Promise.all([
      claimer(a, "w1"),
      claimer(b, "w2"),
      (async () => {
        for (const id of ids.slice(0, -1).reverse()) cancelResult.set(id, await c.requestCancel(STORE, id, 777));
      })(),
    ]);
    t.diagnostic(`${claimed.size} claimed before their cancel, ${ids.length - claimed.size} cancelled first`);
    assert.ok(claimed.size > 0 && claimed.size < ids.length, "both outcomes occurred");
    for (const id of ids) {
      const j = (await c.getJob(STORE, id))!;
      assert.equal(cancelResult.get(id), j.status, id);
      if (claimed.has(id)) {
        assert.equal(j.status, "CANCELLING", `${id} was claimed`);
        assert.deepEqual(j.sources.map((s) => s.status), ["NOT_STARTED", "NOT_STARTED"]);
      } else {
        assert.equal(j.status, "CANCELLED", `${id} was not claimed`);
        assert.equal(j.completionTime, 777);
        assert.equal(j.statusMessage, "cancelled on request");
        assert.deepEqual(j.sources.map((s) => [s.status, s.statusMessage]), [
          ["FAILED", "cancelled before this source was imported"],
          ["FAILED", "cancelled before this source was imported"],
        ]);
      }
    }
  });
});

describe("leases", () => {
  let env: Awaited<ReturnType<typeof setup>>;
  before(async () => {
    env = await setup(2);
  });
  after(async () => {
    await env?.cleanup();
  });

  test("an expired lease is taken over by another worker; the old owner's writes are refused", async () => {
    const [a, b] = env.catalogs;
    await a.insertJob(job("3000000001", 1));
    const first = claimedJob(await a.claimJob("old", 1000, 10_000));
    assert.equal(first?.id, "3000000001");
    assert.equal(await a.updateSource("3000000001", "old", 0, { status: "IN_PROGRESS", statusMessage: "reading" }), true);
    assert.deepEqual(await b.claimJob("new", 1000, 10_999), NOTHING_TO_CLAIM, "lease still valid");
    const second = claimedJob(await b.claimJob("new", 1000, 11_001));
    assert.equal(second?.id, "3000000001");
    assert.equal(second?.status, "IN_PROGRESS");
    assert.deepEqual(second?.sources[0], {
      index: 0,
      sourceFile: "s3://b/a.fa",
      name: "a",
      status: "IN_PROGRESS",
      statusMessage: "reading",
    });

    // The old owner has lost the job: nothing it does lands.
    assert.equal(await a.renewLease("3000000001", "old", 1000, 11_002), false);
    assert.equal(await a.updateSource("3000000001", "old", 0, { status: "FAILED", statusMessage: "x" }), false);
    assert.equal(await a.finishSource("3000000001", "old", 1, reference("3100000001", "3000000001")), false);
    assert.equal(await a.getReference(STORE, "3100000001"), undefined, "no reference inserted");
    assert.equal(await a.finishJob("3000000001", "old", "FAILED", "old worker", 11_003), false);
    let now = (await b.getJob(STORE, "3000000001"))!;
    assert.equal(now.status, "IN_PROGRESS");
    assert.equal(now.sources[0].status, "IN_PROGRESS");
    assert.equal(now.sources[1].status, "NOT_STARTED");

    // The new owner's do.
    assert.equal(await b.renewLease("3000000001", "new", 1000, 11_500), true);
    assert.equal(await b.updateSource("3000000001", "new", 0, { status: "FAILED", statusMessage: null }), true);
    assert.equal(await b.finishSource("3000000001", "new", 1, reference("3100000002", "3000000001")), true);
    assert.equal((await a.getReference(STORE, "3100000002"))?.creationJobId, "3000000001");
    now = (await a.getJob(STORE, "3000000001"))!;
    assert.deepEqual(
      now.sources.map((s) => [s.status, s.statusMessage, s.referenceId]),
      [
        ["FAILED", undefined, undefined],
        ["FINISHED", undefined, "3100000002"],
      ],
    );
    assert.deepEqual(now.sources[1].tags, { z: "1", a: "2" });
    assert.deepEqual(Object.keys(now.sources[1].tags!), ["z", "a"], "tag order kept");
    assert.equal(await b.finishJob("3000000001", "new", "COMPLETED_WITH_FAILURES", undefined, 12_000), true);
    assert.equal(await b.renewLease("3000000001", "new", 1000, 12_001), false, "terminal: no lease");
    assert.deepEqual(await a.claimJob("third", 1000, 99_999), NOTHING_TO_CLAIM, "finished jobs are never claimed");
    const done = (await a.getJob(STORE, "3000000001"))!;
    assert.equal(done.status, "COMPLETED_WITH_FAILURES");
    assert.equal(done.completionTime, 12_000);
    assert.equal(done.statusMessage, undefined);
  });

  test("a lease given up with renewLease(id, me, -leaseMs, 0) is claimable at once; CANCELLING stays CANCELLING", async () => {
    const [a, b] = env.catalogs;
    await a.insertJob(job("3000000002", 2));
    assert.equal(claimedJob(await a.claimJob("w1", 30_000, 50_000)).id, "3000000002");
    assert.equal(await a.requestCancel(STORE, "3000000002", 50_001), "CANCELLING");
    assert.deepEqual(await b.claimJob("w2", 30_000, 50_002), NOTHING_TO_CLAIM, "w1 still holds it");
    assert.equal(await a.renewLease("3000000002", "w1", -30_000, 0), true);
    const { rows } = await a.pool.query("SELECT lease_expires FROM jobs WHERE id = '3000000002'");
    assert.equal(rows[0].lease_expires, -30_000);
    const taken = claimedJob(await b.claimJob("w2", 30_000, 50_003));
    assert.equal(taken?.id, "3000000002");
    assert.equal(taken?.status, "CANCELLING");
    assert.equal(await b.getJobStatus("3000000002"), "CANCELLING");
    assert.equal(await a.finishJob("3000000002", "w1", "CANCELLED", undefined, 50_004), false);
    assert.equal(await b.finishJob("3000000002", "w2", "CANCELLED", "cancelled on request", 50_004), true);
    assert.equal(await a.getJobStatus("3000000002"), "CANCELLED");
  });
});

describe("LISTEN/NOTIFY", () => {
  let env: Awaited<ReturnType<typeof setup>>;
  before(async () => {
    env = await setup(2);
  });
  after(async () => {
    await env?.cleanup();
  });

  test("a listener on catalog A fires after catalog B's notifyJobAvailable()", async () => {
    const [a, b] = env.catalogs;
    let calls = 0;
    let wake: (() => void) | undefined;
    const next = (n: number, what: string) =>
      new Promise<void>((resolve, reject) => {
        if (calls >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`no wake-up: ${what}`)), 5000);
        wake = () => {
          if (calls >= n) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
    const unsubscribe = a.onJobAvailable(() => {
      calls++;
      wake?.();
    });
    // A's own notification reaches A's listener too (and shows its LISTEN is in place).
    await a.notifyJobAvailable();
    await next(1, "own notification");
    assert.equal(calls, 1);

    await b.notifyJobAvailable();
    await next(2, "B's notification");
    assert.equal(calls, 2);

    unsubscribe();
    await b.notifyJobAvailable();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(calls, 2, "no calls after unsubscribe");
  });
});

describe("keyset lists at 100,000 jobs", () => {
  let env: Awaited<ReturnType<typeof setup>>;
  const N = 100_000;
  const STATUSES: JobStatus[] = ["COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "SUBMITTED", "CANCELLED"];
  let all: JobRecord[];
  let insertMs = 0;

  before(async () => {
    env = await setup(1);
    const [c] = env.catalogs;
    // Ids not in creation order, and three jobs per millisecond, so the id tie-break matters.
    all = Array.from({ length: N }, (_, i) => {
      const id = String(4_000_000_000 + ((i * 7919) % N));
      return job(id, 1_000_000 + Math.floor(i / 3), STATUSES[(i * 13) % STATUSES.length]);
    });
    const other = Array.from({ length: 2000 }, (_, i) => job(String(6_000_000_000 + i), 1_000_000 + i, "COMPLETED", "5000000002"));
    const t = Date.now();
    await c.insertJobs([...all, ...other]);
    insertMs = Date.now() - t;
    assert.ok(insertMs < 60_000, `insertJobs of ${N} took ${insertMs} ms`);
  });
  after(async () => {
    await env?.cleanup();
  });

  const order = (x: { creationTime: number; id: string }, y: { creationTime: number; id: string }) =>
    x.creationTime - y.creationTime || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  const summary = (j: JobRecord): JobSummary => ({
    id: j.id,
    storeId: j.storeId,
    roleArn: j.roleArn,
    status: j.status,
    creationTime: j.creationTime,
    completionTime: j.completionTime,
  });

  test("pages with a status filter match the computed order, at the start and deep in", async (t) => {
    t.diagnostic(`insertJobs: ${all.length + 2000} jobs in ${insertMs} ms`);
    const [c] = env.catalogs;
    const completed = all.filter((j) => j.status === "COMPLETED").sort(order).map(summary);
    assert.ok(completed.length > 40_000);
    assert.deepEqual(await c.listJobs(STORE, { status: "COMPLETED" }, undefined, 100), completed.slice(0, 100));
    for (const k of [1, 12_345, 40_000, completed.length - 50]) {
      const after = completed[k - 1];
      const page = await c.listJobs(STORE, { status: "COMPLETED" }, { creationTime: after.creationTime, id: after.id }, 100);
      assert.deepEqual(page, completed.slice(k, k + 100), `page after item ${k}`);
    }
    // Past the end.
    const last = completed[completed.length - 1];
    assert.deepEqual(await c.listJobs(STORE, { status: "COMPLETED" }, last, 100), []);

    // A whole walk of one status with a date range, 1,000 at a time.
    const from = 1_005_000;
    const to = 1_020_000;
    const failed = all
      .filter((j) => j.status === "FAILED" && j.creationTime >= from && j.creationTime <= to)
      .sort(order)
      .map(summary);
    const walked: JobSummary[] = [];
    for (let cursor: JobSummary | undefined; ; ) {
      const page = await c.listJobs(STORE, { status: "FAILED", createdAfter: from, createdBefore: to }, cursor, 1000);
      walked.push(...page);
      if (page.length < 1000) break;
      cursor = page[page.length - 1];
    }
    assert.deepEqual(walked, failed);

    // Without a filter, the other store's jobs stay out.
    const everything = all.slice().sort(order).map(summary);
    const mid = everything[77_776];
    assert.deepEqual(await c.listJobs(STORE, {}, mid, 50), everything.slice(77_777, 77_827));
  });

  test("a deep filtered page is an index range scan of one page (no Seq Scan on jobs)", async () => {
    const [c] = env.catalogs;
    await c.pool.query("ANALYZE jobs");
    const completed = all.filter((j) => j.status === "COMPLETED").sort(order);
    const cursor = completed[45_000];
    const q = PostgresCatalog.listJobsQuery(STORE, { status: "COMPLETED" }, cursor, 101);
    const { rows } = await c.pool.query({ text: `EXPLAIN (ANALYZE, FORMAT JSON) ${q.text}`, values: q.values });
    const plan = rows[0]["QUERY PLAN"][0].Plan;
    const text = JSON.stringify(plan);
    assert.doesNotMatch(text, /Seq Scan/, text);
    assert.equal(plan["Node Type"], "Limit", text);
    const scan = plan.Plans[0];
    assert.match(scan["Node Type"], /^Index (Only )?Scan$/, text);
    assert.equal(scan["Index Name"], "jobs_by_status", text);
    assert.match(scan["Index Cond"], /creation_time.*id.*>/, text);
    assert.equal(scan.Filter, undefined, `every condition is an index bound: ${text}`);
    assert.equal(scan["Actual Rows"], 101, `reads one page, not the ${completed.length} before it: ${text}`);

    // Claiming uses the partial index of jobs needing work, however many jobs are finished.
    const claim = await c.pool.query(
      `EXPLAIN (FORMAT JSON) SELECT id FROM jobs
        WHERE status IN ('SUBMITTED', 'IN_PROGRESS', 'CANCELLING')
          AND (status = 'SUBMITTED' OR lease_expires IS NULL OR lease_expires < 5)
        ORDER BY creation_time, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    );
    const claimText = JSON.stringify(claim.rows[0]["QUERY PLAN"]);
    assert.match(claimText, /"Index Name":"jobs_work"/, claimText);
    assert.doesNotMatch(claimText, /Seq Scan/, claimText);
  });
});
