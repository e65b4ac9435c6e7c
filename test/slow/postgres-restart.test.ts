// PostgreSQL going away mid-import (issue 13, point 7), as a restart looks to refstore: a
// cut-able TCP proxy in front of the shared embedded PostgreSQL resets every connection and
// refuses new ones, then comes back on the same port (the other tests sharing that server go on
// undisturbed). The source is held by a fault proxy in front of S3 so that the cut falls
// mid-import, and released while the catalog is still away: the import's end (finishSource)
// may fail then, and the job is taken up again after its lease; either way it completes, the
// bytes exact, nothing left behind.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateReferenceStoreCommand,
  GetReferenceCommand,
  StartReferenceImportJobCommand,
  GetReferenceImportJobCommand,
  OmicsClient,
} from "@aws-sdk/client-omics";
import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import pino from "pino";
import { loadConfig } from "../../src/config.js";
import { startRefstore } from "../../src/app/start.js";
import { startS3 } from "../support/s3.js";
import { startFaultProxy } from "../support/fault-proxy.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { getTestDatabaseUrl } from "../support/postgres.js";
import { TEST_CREDENTIALS } from "../support/refstore.js";
import { fastaOf } from "../support/fasta-gen.js";

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

test("PostgreSQL away mid-import and back: the import completes (or is taken up again), bytes exact", async () => {
  const db = await getTestDatabaseUrl();
  const target = new URL(db.url);
  const pg = await startTcpProxy(target.hostname, Number(target.port));
  const proxied = new URL(db.url);
  proxied.port = String(pg.port);
  const s3 = await startS3({ buckets: ["blobs", "src"] });
  const s3proxy = await startFaultProxy("127.0.0.1", s3.port);
  const dir = mkdtempSync(join(tmpdir(), "refstore-pgcut-"));
  const data = fastaOf(12 * MiB);
  await s3.putObject("src", "g.fa", data);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let gets = 0;
  s3proxy.setPlan((r) =>
    r.method === "GET" && r.url.startsWith("/src/g.fa") && ++gets === 1 ? { kind: "hold", afterBytes: 6 * MiB, until: held } : undefined,
  );
  const creds = join(dir, "credentials.json");
  writeFileSync(creds, JSON.stringify(TEST_CREDENTIALS));
  const refstore = await startRefstore(
    loadConfig({
      ...s3.env,
      REFSTORE_S3_ENDPOINT: s3proxy.endpoint,
      REFSTORE_DATABASE_URL: proxied.toString(),
      REFSTORE_BLOB_URL: "s3://blobs/refstore",
      REFSTORE_DATA_DIR: dir,
      REFSTORE_CREDENTIALS_FILE: creds,
      REFSTORE_PORT: "0",
      REFSTORE_POLL_MS: "100",
      REFSTORE_LEASE_SECONDS: "3",
    }),
    pino({ level: "silent" }),
  );
  const omics = new OmicsClient({ region: "us-east-1", endpoint: refstore.url, disableHostPrefix: true, credentials: TEST_CREDENTIALS[0], maxAttempts: 1 });
  try {
    const storeId = (await omics.send(new CreateReferenceStoreCommand({ name: "pg" }))).id!;
    const job = await omics.send(
      new StartReferenceImportJobCommand({
        referenceStoreId: storeId,
        roleArn: "arn:aws:iam::111111111111:role/import",
        sources: [{ sourceFile: "s3://src/g.fa", name: "genome-g" }],
      }),
    );
    // the import is mid-source (held after 6 MiB); now PostgreSQL goes away
    const deadline = Date.now() + 60_000;
    while (!s3proxy.log.some((l) => l.fault === "hold")) {
      assert.ok(Date.now() < deadline, "the import never started reading");
      await new Promise((r) => setTimeout(r, 50));
    }
    await pg.cut();
    release(); // the import reads on and ends while the catalog is away
    await new Promise((r) => setTimeout(r, 2000));
    await pg.restore();

    const end = Date.now() + 120_000;
    let status: string | undefined;
    let got;
    for (;;) {
      try {
        got = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: storeId, id: job.id! }));
        status = got.status;
        if (["COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"].includes(status!)) break;
      } catch {
        // the API's own pool reconnecting
      }
      assert.ok(Date.now() < end, `job still ${status} after 120 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, "COMPLETED", JSON.stringify(got?.sources));
    const ref = await omics.send(new GetReferenceCommand({ referenceStoreId: storeId, id: got!.sources![0].referenceId!, partNumber: 1 }));
    assert.equal(md5(Buffer.from(await ref.payload!.transformToByteArray())), md5(data));
    const left = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: "blobs", Prefix: "refstore/" }));
    assert.equal((left.Uploads ?? []).length, 0, "no upload left behind");
    console.log(`# source read ${gets} time(s) (2 = taken up again after the cut)`);
  } finally {
    omics.destroy();
    await refstore.close().catch(() => {});
    await s3proxy.close();
    await pg.close();
    await s3.stop();
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
