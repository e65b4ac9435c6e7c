// PostgreSQL really restarted mid-import: a PostgreSQL of its own (test/support/postgres.ts
// startDedicatedPostgres: own data directory and port) is stopped with a fast shutdown, which
// terminates every connection as an operator's restart does, while the import is held mid-source
// by a fault proxy in front of S3; the source is released while the catalog is down, so the
// import's end (finishSource) meets no catalog; then PostgreSQL is started again on the same data
// directory and port. The job completes, taken up again after its lease if its end was lost,
// the bytes exact; the reference imported before the restart is still there; no upload, pending
// key or second reference is left behind.
//
// (A TCP proxy cut stood in for this before. It is gone: a cut resets connections and refuses new
// ones, which a real stop does as well, and the real stop adds what a proxy cannot: PostgreSQL's
// own "terminating connection due to administrator command" and a server that comes back from
// its data directory, with the catalog as it was committed.)

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ListReferencesCommand } from "@aws-sdk/client-omics";
import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import pg from "pg";
import { startS3 } from "../support/s3.js";
import { startFaultProxy } from "../support/fault-proxy.js";
import { startDedicatedPostgres } from "../support/postgres.js";
import { startRig, type Rig } from "../support/rig.js";
import { until, waitForJob } from "../support/wait.js";
import { fastaOf } from "../support/fasta-gen.js";

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

// endsWhileDown: the source is released while PostgreSQL is down (the import's end meets no
// catalog); otherwise PostgreSQL is back before the import goes on (it should complete in place)
for (const endsWhileDown of [true, false]) {
  test(`PostgreSQL stopped mid-import and started again (${endsWhileDown ? "the import ends while it is down" : "back before the import goes on"}): the import completes or is taken up again, nothing lost`, { timeout: 240_000 }, async () => {
    const db = await startDedicatedPostgres();
    const s3 = await startS3({ buckets: ["blobs", "src"] });
    const s3proxy = await startFaultProxy("127.0.0.1", s3.port);
    let rig: Rig | undefined;
    let release = () => {};
    try {
      const data = fastaOf(12 * MiB);
      await s3.putObject("src", "g.fa", data);
      await s3.putObject("src", "before.fa", ">before\nACGTACGTAC\nACGT\n");
      const held = new Promise<void>((r) => (release = r));
      let gets = 0;
      s3proxy.setPlan((r) =>
        r.method === "GET" && r.url.startsWith("/src/g.fa") && ++gets === 1 ? { kind: "hold", afterBytes: 6 * MiB, until: held } : undefined,
      );
      rig = await startRig({
        s3,
        s3Endpoint: s3proxy.endpoint,
        databaseUrl: db.url,
        env: { REFSTORE_POLL_MS: "100", REFSTORE_LEASE_SECONDS: "3" },
      });
      const r = rig;
      // a reference committed before the restart must survive it
      const before = await r.importOne("before.fa", 60_000);
      assert.equal(before.status, "COMPLETED");

      const jobId = await r.startImport("g.fa");
      // the import is mid-source (held after 6 MiB); now PostgreSQL goes away for real
      await until("the import reading its source", async () => s3proxy.log.some((l) => l.fault === "hold"), 60_000);
      const t0 = Date.now();
      await db.stop();
      const stopMs = Date.now() - t0;
      if (endsWhileDown) release(); // the import reads on and ends while the catalog is down
      await new Promise((res) => setTimeout(res, 2000));
      const t1 = Date.now();
      await db.start();
      const startMs = Date.now() - t1;
      release();

      // errors count as "not yet": the API's own pool reconnecting
      const job = await waitForJob(r.omics, r.storeId, jobId, 120_000);
      const completeMs = Date.now() - t1;
      assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
      assert.equal(md5(await r.getSource(job.sources![0].referenceId!)), md5(data));
      assert.equal((await r.getSource(before.sources![0].referenceId!)).toString(), ">before\nACGTACGTAC\nACGT\n", "the earlier reference");
      const refs = (await r.omics.send(new ListReferencesCommand({ referenceStoreId: r.storeId }))).references!;
      assert.deepEqual(refs.map((x) => x.name).sort(), ["before_fa", "g_fa"], "one reference per source, none twice");
      const left = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: "blobs", Prefix: "refstore/" }));
      assert.equal((left.Uploads ?? []).length, 0, "no upload left behind");
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await until("no pending blob keys", async () => (await c.query("SELECT count(*)::int AS n FROM pending_blobs")).rows[0].n === 0, 30_000);
      } finally {
        await c.end();
      }
      console.log(
        `# ${endsWhileDown ? "ends while down" : "back first"}: PostgreSQL stop ${stopMs} ms, down ~${2000 + startMs} ms, start ${startMs} ms; job COMPLETED ${completeMs} ms after the start began; ` +
          `source read ${gets} time(s) (2 = taken up again after its lease)`,
      );
    } finally {
      release();
      await rig?.close().catch(() => {});
      await s3proxy.close();
      await s3.stop();
      await db.close();
    }
  });
}
