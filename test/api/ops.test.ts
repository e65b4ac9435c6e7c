// /health, /ready and /metrics as operators use them: on every role, the metrics moving as they
// should after known requests and imports, and readiness following the catalog.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateReferenceStoreCommand,
  GetReferenceStoreCommand,
  StartReferenceImportJobCommand,
} from "@aws-sdk/client-omics";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { genome, manifest } from "../support/fixtures.js";
import { send } from "../support/http.js";
import { startDedicatedPostgres } from "../support/postgres.js";
import { startTestServer, waitForJob, type TestServer } from "../support/refstore.js";
import { until } from "../support/wait.js";

const ROLE = "arn:aws:iam::111111111111:role/import";

/** Every sample of the exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const r = await send(url, "GET", "/metrics");
  assert.equal(r.status, 200);
  assert.match(String(r.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return samples(r.body.toString());
}

const delta = (a: Map<string, number>, b: Map<string, number>, key: string) => (b.get(key) ?? 0) - (a.get(key) ?? 0);

describe("operations routes on an all-in-one process", () => {
  let server: TestServer;
  const mount = mkdtempSync(join(tmpdir(), "refstore-ops-"));
  before(async () => {
    mkdirSync(join(mount, "bad"));
    writeFileSync(join(mount, "phix.fa"), genome("phix.fa"));
    writeFileSync(join(mount, "bad", "not-fasta.fa"), "this is not a FASTA file\n");
    server = await startTestServer({ env: { REFSTORE_BUCKET_MOUNTS: `genomes=${mount}` } });
  });
  after(async () => {
    await server.stop();
    rmSync(mount, { recursive: true, force: true });
  });

  test("/health and /ready answer unsigned", async () => {
    const health = await send(server.url, "GET", "/health");
    assert.equal(health.status, 200);
    assert.deepEqual(health.json(), { status: "ok" });
    const ready = await send(server.url, "GET", "/ready");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json(), { status: "ready", checks: { catalog: "ok", blobs: "ok" } });
  });

  test("request metrics count each operation and status, with latency", async () => {
    const omics = server.client();
    const before = await scrape(server.url);
    const store = await omics.send(new CreateReferenceStoreCommand({ name: "metrics" }));
    await omics.send(new GetReferenceStoreCommand({ id: store.id! }));
    await omics.send(new GetReferenceStoreCommand({ id: store.id! }));
    await assert.rejects(omics.send(new GetReferenceStoreCommand({ id: "9999999999" })));
    const afterwards = await scrape(server.url);
    const req = (op: string, status: number) => `refstore_http_requests_total{api="aws",operation="${op}",status="${status}"}`;
    assert.equal(delta(before, afterwards, req("CreateReferenceStore", 200)), 1);
    assert.equal(delta(before, afterwards, req("GetReferenceStore", 200)), 2);
    assert.equal(delta(before, afterwards, req("GetReferenceStore", 404)), 1);
    assert.equal(delta(before, afterwards, `refstore_http_request_duration_seconds_count{api="aws",operation="GetReferenceStore"}`), 3);
    assert.ok(afterwards.has("process_cpu_seconds_total"), "Node's default process metrics");
    assert.ok(afterwards.has('refstore_imports_running{worker="' + server.refstore.worker!.id + '"}'));
  });

  test("import metrics: bytes stored, sources by outcome, jobs by status", async () => {
    const omics = server.client();
    const store = await omics.send(new CreateReferenceStoreCommand({ name: "imports" }));
    const before = await scrape(server.url);
    const phix = manifest.files.find((f) => f.file === "phix.fa")!;
    const job = await omics.send(
      new StartReferenceImportJobCommand({
        referenceStoreId: store.id!,
        roleArn: ROLE,
        sources: [
          { sourceFile: "s3://genomes/phix.fa", name: "phix" },
          { sourceFile: "s3://genomes/bad/not-fasta.fa", name: "not-fasta" },
        ],
      }),
    );
    const done = await waitForJob(omics, store.id!, job.id!);
    assert.equal(done.status, "COMPLETED_WITH_FAILURES", JSON.stringify(done.sources));
    const afterwards = await scrape(server.url);
    assert.equal(delta(before, afterwards, "refstore_imported_bytes_total"), phix.bytes);
    assert.equal(delta(before, afterwards, 'refstore_import_sources_total{outcome="finished",reason=""}'), 1);
    assert.equal(delta(before, afterwards, 'refstore_import_sources_total{outcome="failed",reason="fasta"}'), 1, "a bad FASTA");
    assert.equal(delta(before, afterwards, 'refstore_import_jobs_ended_total{status="COMPLETED_WITH_FAILURES"}'), 1);
    assert.equal(delta(before, afterwards, 'refstore_import_jobs{status="COMPLETED_WITH_FAILURES"}'), 1, "from the catalog");
  });
});

test("REFSTORE_METRICS=off removes /metrics", async () => {
  const server = await startTestServer({ env: { REFSTORE_METRICS: "off" } });
  try {
    const r = await send(server.url, "GET", "/metrics");
    assert.notEqual(r.status, 200);
    assert.doesNotMatch(r.body.toString(), /refstore_/);
    assert.equal((await send(server.url, "GET", "/health")).status, 200);
  } finally {
    await server.stop();
  }
});

for (const role of ["all", "worker"] as const) {
  test(`/ready turns 503 when PostgreSQL is stopped and back when it is started again (role ${role})`, async () => {
    // a PostgreSQL of its own: really stopped (fast shutdown) and started on the same data and port
    const pg = await startDedicatedPostgres();
    let server: TestServer | undefined;
    try {
      server = await startTestServer({ env: { REFSTORE_DATABASE_URL: pg.url }, overrides: { role } });
      const url = server.url;
      assert.equal((await send(url, "GET", "/ready")).status, 200);
      const t0 = Date.now();
      await pg.stop();
      const down = await until("/ready to answer 503", async () => {
        const r = await send(url, "GET", "/ready");
        return r.status === 503 ? r : undefined;
      });
      const toDown = Date.now() - t0;
      assert.equal(down.json().status, "not ready");
      assert.notEqual(down.json().checks.catalog, "ok", JSON.stringify(down.json()));
      assert.equal(down.json().checks.blobs, "ok");
      assert.equal((await send(url, "GET", "/health")).status, 200, "the process itself is up");
      const t1 = Date.now();
      await pg.start();
      // the pool reconnects on the next query; a probe is retried by its prober, so poll
      await until("/ready to answer 200 again", async () => (await send(url, "GET", "/ready")).status === 200);
      console.log(`# role ${role}: /ready 503 ${toDown} ms after the stop began, 200 ${Date.now() - t1} ms after the start began`);
    } finally {
      await server?.stop();
      await pg.close();
    }
  });
}
