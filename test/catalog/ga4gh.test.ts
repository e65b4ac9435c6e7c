// The catalog's GA4GH index, the same tests on SQLite and PostgreSQL: sequences by md5 / ga4gh
// id across live references (every account, or one), collections by level-0 digest and by
// attribute digest, listing with filters and pages, deletion, and migration 4's backfill.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { openCatalog } from "../../src/catalog/index.js";
import { POSTGRES_MIGRATIONS } from "../../src/catalog/postgres-migrations.js";
import { SQLITE_MIGRATIONS } from "../../src/catalog/sqlite-migrations.js";
import { REFERENCE_COLUMNS, referenceValues } from "../../src/catalog/rows.js";
import type { Catalog, ReferenceRecord, SequenceInfo } from "../../src/catalog/types.js";
import { backends } from "../support/refstore.js";

const A = "111111111111";
const B = "222222222222";
const VECTORS = join(dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/seqcol/test_fasta_digests.json");
const vectors = JSON.parse(readFileSync(VECTORS, "utf8")) as Record<
  string,
  { top_level_digest: string; level1: Record<string, string>; level2: { names: string[]; lengths: number[]; sequences: string[] } }
>;

/** The vector's sequences as the engine would report them (md5s made up: not part of seqcol). */
function facts(file: string): SequenceInfo[] {
  const l2 = vectors[file].level2;
  return l2.names.map((name, i) => ({
    name,
    length: l2.lengths[i],
    ga4gh: l2.sequences[i],
    md5: (l2.sequences[i].charCodeAt(3).toString(16) + "0".repeat(32)).slice(0, 32),
  }));
}

function reference(id: string, storeId: string, creationTime: number, sequences: SequenceInfo[]): ReferenceRecord {
  return {
    id,
    storeId,
    name: `ref-${id}`,
    md5: "ab".repeat(16),
    status: "ACTIVE",
    creationTime,
    updateTime: creationTime,
    creationJobId: "9000000000",
    source: { key: `k/${id}/source`, contentLength: 40 },
    index: { key: `k/${id}/index`, contentLength: 30 },
    extraKeys: id.endsWith("3") ? [`k/${id}/source.gzi`] : [],
    sequences,
    compression: id.endsWith("3") ? "bgzf" : "none",
  };
}

const kinds = [...new Set(backends().map((b) => b.split("+")[0]))];
for (const kind of kinds) {
  describe(`catalog GA4GH index [${kind}]`, () => {
    let catalog: Catalog;
    let dir: string;
    let databaseUrl: string | undefined;
    let stopDb: (() => Promise<void>) | undefined;
    const SA = "1000000001"; // account A's store
    const SB = "1000000002"; // account B's store

    /** finishSource is the only way references enter a catalog: claim a job and finish it. */
    async function importRef(ref: ReferenceRecord): Promise<void> {
      const jobId = "5" + ref.id.slice(1);
      await catalog.insertJob({
        id: jobId,
        storeId: ref.storeId,
        roleArn: "arn:aws:iam::111111111111:role/r",
        status: "SUBMITTED",
        creationTime: ref.creationTime,
        sources: [{ index: 0, sourceFile: "s3://b/x.fa", name: ref.name, status: "NOT_STARTED" }],
      });
      const claimed = await catalog.claimJob("w", 60_000, ref.creationTime);
      assert.equal(claimed.kind === "claimed" && claimed.job.id, jobId);
      assert.equal(await catalog.finishSource(jobId, "w", 0, { ...ref, creationJobId: jobId }), true);
      assert.equal(await catalog.finishJob(jobId, "w", "COMPLETED", undefined, ref.creationTime), true);
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "refstore-ga4gh-catalog-"));
      if (kind === "postgres") {
        const { getTestDatabaseUrl } = await import("../support/postgres.js");
        const db = await getTestDatabaseUrl();
        databaseUrl = db.url;
        stopDb = () => db.stop();
      }
      catalog = await openCatalog({
        database: databaseUrl ? { kind: "postgres", url: databaseUrl } : { kind: "sqlite", path: join(dir, "catalog.sqlite") },
      });
      await catalog.insertStore({ account: A, id: SA, name: "a", creationTime: 1 });
      await catalog.insertStore({ account: B, id: SB, name: "b", creationTime: 2 });
      await importRef(reference("7000000001", SA, 100, facts("base.fa")));
      await importRef(reference("7000000002", SB, 200, facts("base.fa"))); // the same genome in B
      await importRef(reference("7000000003", SA, 300, facts("different_names.fa")));
      await importRef(reference("7000000004", SA, 400, facts("subset.fa")));
    });
    after(async () => {
      await catalog.close();
      await stopDb?.();
      rmSync(dir, { recursive: true, force: true });
    });

    test("a sequence by md5 (either case) or ga4gh id: every live copy, oldest first; one account's in scope", async () => {
      const chrX = facts("base.fa")[0];
      const all = await catalog.findSequences("ga4gh", chrX.ga4gh, {}, 100);
      assert.deepEqual(
        all.map((c) => [c.account, c.referenceId, c.ordinal, c.name]),
        [
          [A, "7000000001", 0, "chrX"],
          [B, "7000000002", 0, "chrX"],
          [A, "7000000003", 0, "X"],
          [A, "7000000004", 0, "chrX"],
        ],
      );
      const first = all[0];
      assert.deepEqual(first, {
        account: A,
        storeId: SA,
        referenceId: "7000000001",
        referenceName: "ref-7000000001",
        ordinal: 0,
        name: "chrX",
        length: 8,
        md5: chrX.md5,
        ga4gh: chrX.ga4gh,
        source: { key: "k/7000000001/source", contentLength: 40 },
        index: { key: "k/7000000001/index", contentLength: 30 },
        extraKeys: [],
        compression: "none",
        creationTime: 100,
      });
      assert.deepEqual(all[2].extraKeys, ["k/7000000003/source.gzi"]);
      assert.equal(all[2].compression, "bgzf");
      const byMd5 = await catalog.findSequences("md5", chrX.md5.toUpperCase(), {}, 2);
      assert.deepEqual(byMd5.map((c) => c.referenceId), ["7000000001", "7000000002"], "limit applies");
      assert.deepEqual((await catalog.findSequences("md5", chrX.md5, { account: B }, 10)).map((c) => c.referenceId), ["7000000002"]);
      assert.deepEqual(await catalog.findSequences("md5", chrX.md5, { account: "333333333333" }, 10), []);
      assert.deepEqual(await catalog.findSequences("ga4gh", "SQ.unknown", {}, 10), []);
      const chr2 = facts("base.fa")[2];
      assert.deepEqual(
        (await catalog.findSequences("ga4gh", chr2.ga4gh, { account: A }, 10)).map((c) => [c.referenceId, c.ordinal]),
        [["7000000001", 2], ["7000000003", 2]],
        "subset.fa has no chr2",
      );
    });

    test("a collection by level-0 digest and by attribute digest, within scope", async () => {
      const v = vectors["base.fa"];
      const c = await catalog.getCollection(v.top_level_digest, {});
      assert.equal(c?.digest, v.top_level_digest);
      assert.deepEqual(c?.level1, v.level1);
      assert.deepEqual(c?.sequences, facts("base.fa"));
      assert.deepEqual([c?.account, c?.referenceId], [A, "7000000001"]);
      assert.equal((await catalog.getCollection(v.top_level_digest, { account: B }))?.referenceId, "7000000002");
      assert.equal(await catalog.getCollection(v.top_level_digest, { account: "333333333333" }), undefined);
      assert.equal(await catalog.getCollection("nope", {}), undefined);

      const names = vectors["different_names.fa"].level1.names;
      assert.equal((await catalog.findCollectionByAttribute("names", names, {}))?.referenceId, "7000000003");
      assert.equal(await catalog.findCollectionByAttribute("names", names, { account: B }), undefined);
      // lengths are shared by base.fa and different_names.fa: the oldest holder answers
      assert.equal((await catalog.findCollectionByAttribute("lengths", v.level1.lengths, {}))?.referenceId, "7000000001");
      assert.equal(
        (await catalog.findCollectionByAttribute("sorted_name_length_pairs", v.level1.sorted_name_length_pairs, {}))?.digest,
        v.top_level_digest,
      );
    });

    test("list collections: distinct digests in digest order, ANDed attribute filters, pages, totals", async () => {
      const d = (f: string) => vectors[f].top_level_digest;
      const everything = [d("base.fa"), d("different_names.fa"), d("subset.fa")].sort();
      assert.deepEqual(await catalog.listCollections({}, {}, 0, 10), { digests: everything, total: 3 });
      assert.deepEqual(await catalog.listCollections({}, {}, 1, 1), { digests: [everything[1]], total: 3 });
      assert.deepEqual(await catalog.listCollections({}, {}, 3, 10), { digests: [], total: 3 });
      assert.deepEqual(await catalog.listCollections({}, { account: B }, 0, 10), { digests: [d("base.fa")], total: 1 });
      const lengths = vectors["base.fa"].level1.lengths;
      assert.deepEqual(await catalog.listCollections({ lengths }, {}, 0, 10), {
        digests: [d("base.fa"), d("different_names.fa")].sort(),
        total: 2,
      });
      assert.deepEqual(
        await catalog.listCollections({ lengths, names: vectors["different_names.fa"].level1.names }, {}, 0, 10),
        { digests: [d("different_names.fa")], total: 1 },
      );
      assert.deepEqual(await catalog.listCollections({ sequences: "none" }, {}, 0, 10), { digests: [], total: 0 });
    });

    test("a deleted reference is no longer found", async () => {
      await importRef(reference("7000000005", SB, 500, facts("pair_swap.fa")));
      const d = vectors["pair_swap.fa"].top_level_digest;
      const seq = facts("pair_swap.fa")[2]; // GCGC named chrX here
      assert.equal((await catalog.getCollection(d, {}))?.referenceId, "7000000005");
      assert.ok((await catalog.findSequences("ga4gh", seq.ga4gh, {}, 10)).some((c) => c.referenceId === "7000000005"));
      assert.ok(await catalog.deleteReference(SB, "7000000005"));
      assert.equal(await catalog.getCollection(d, {}), undefined);
      assert.ok(!(await catalog.findSequences("ga4gh", seq.ga4gh, {}, 10)).some((c) => c.referenceId === "7000000005"));
      assert.equal((await catalog.listCollections({}, {}, 0, 10)).total, 3);
      // and the same digest imported again is found again
      await importRef(reference("7000000006", SB, 600, facts("pair_swap.fa")));
      assert.equal((await catalog.getCollection(d, { account: B }))?.referenceId, "7000000006");
      assert.ok(await catalog.deleteReference(SB, "7000000006"));
    });

    test("migration 5 indexes references imported before it", async () => {
      const ref = reference("7100000001", "1000000009", 10, facts("different_order.fa"));
      const values = referenceValues(ref);
      let url: string | undefined;
      let stopV2: (() => Promise<void>) | undefined;
      const sqlitePath = join(dir, "v3.sqlite");
      if (kind === "postgres") {
        const { getTestDatabaseUrl } = await import("../support/postgres.js");
        const db = await getTestDatabaseUrl();
        url = db.url;
        stopV2 = () => db.stop();
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        await c.query("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied bigint NOT NULL)");
        for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version <= 4)) {
          await c.query(m.sql);
          await c.query("INSERT INTO schema_migrations VALUES ($1, $2, 0)", [m.version, m.name]);
        }
        await c.query("INSERT INTO stores (id, account, name, creation_time) VALUES ('1000000009', $1, 's', 0)", [A]);
        await c.query(`INSERT INTO refs (${REFERENCE_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")})`, values);
        await c.end();
      } else {
        const db = new Database(sqlitePath);
        db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied INTEGER)");
        for (const m of SQLITE_MIGRATIONS.filter((m) => m.version <= 4)) {
          db.exec(m.sql);
          db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
        }
        db.prepare("INSERT INTO stores (id, account, name, creation_time) VALUES ('1000000009', ?, 's', 0)").run(A);
        db.prepare(`INSERT INTO refs (${REFERENCE_COLUMNS}) VALUES (${values.map(() => "?").join(", ")})`).run(...values);
        db.close();
      }
      const upgraded = await openCatalog({ database: url ? { kind: "postgres", url } : { kind: "sqlite", path: sqlitePath } });
      try {
        const v = vectors["different_order.fa"];
        const c = await upgraded.getCollection(v.top_level_digest, { account: A });
        assert.deepEqual(c?.level1, v.level1);
        assert.equal(c?.referenceId, "7100000001");
        const copies = await upgraded.findSequences("ga4gh", ref.sequences[2].ga4gh, {}, 10);
        assert.deepEqual(copies.map((x) => [x.referenceId, x.ordinal, x.name, x.length]), [["7100000001", 2, "chrX", 8]]);
      } finally {
        await upgraded.close();
        await stopV2?.();
      }
    });
  });
}
