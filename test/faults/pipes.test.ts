// Bucket mounts (issue 13, point 4): named pipes are read through the event loop, not libuv's
// thread pool, so writer-less pipes block nothing (five of them at once: stored references are
// still served and regular files still imported), a pipe that stays silent fails after the idle
// timeout, and a cancel ends a pipe read at once. And `s3://bucket/x/` is not `s3://bucket/x`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateReferenceStoreCommand,
  GetReferenceCommand,
  GetReferenceImportJobCommand,
  StartReferenceImportJobCommand,
} from "@aws-sdk/client-omics";
import { S3SourceReader } from "../../src/blobs/sources.js";
import { SourceError } from "../../src/blobs/types.js";
import { startTestServer, waitForJob, TEST_CREDENTIALS } from "../support/refstore.js";
import { signedSend } from "../support/http.js";
import { waitForSourceInProgress } from "../support/wait.js";

const ROLE = "arn:aws:iam::111111111111:role/import";

test("a writer-less pipe fails after the idle timeout; a cancel ends its read at once; x/ is not x", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "refstore-pipes-"));
  try {
    execFileSync("mkfifo", [join(dir, "silent.fa")]);
    writeFileSync(join(dir, "x"), ">x\nACGT\n");
    const reader = new S3SourceReader({ mounts: new Map([["mnt", dir]]), idleTimeoutMs: 300 });
    const t0 = Date.now();
    const { stream } = await reader.open("s3://mnt/silent.fa"); // opening does not wait for a writer
    assert.ok(Date.now() - t0 < 5000);
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      (e: Error) => e instanceof SourceError && e.message === "read failed (ETIMEDOUT)",
    );

    const controller = new AbortController();
    const open = await reader.open("s3://mnt/silent.fa", { signal: controller.signal });
    const reading = (async () => {
      for await (const _ of open.stream);
    })();
    setImmediate(() => controller.abort(new Error("cancelled")));
    await assert.rejects(reading, (e: Error) => e.name === "AbortError");

    for (const uri of ["s3://mnt/x/", "s3://mnt/./x", "s3://mnt/a//x"])
      await assert.rejects(reader.open(uri), (e: Error) => e instanceof SourceError && e.message === "no such object", uri);
    const ok = await reader.open("s3://mnt/x");
    const chunks: Buffer[] = [];
    for await (const c of ok.stream) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), ">x\nACGT\n");
    await reader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("five writer-less pipes importing at once: GetReference and a regular file's import go on; cancel ends them", { timeout: 180_000 }, async () => {
  const server = await startTestServer({ overrides: { importConcurrency: 6 } });
  const mount = join(server.dataDir, "mnt");
  mkdirSync(mount);
  try {
    await server.restart({ bucketMounts: `mnt=${mount}`, importConcurrency: 6 });
    const omics = server.client();
    const store = (await omics.send(new CreateReferenceStoreCommand({ name: "pipes" }))).id!;
    writeFileSync(join(mount, "a.fa"), ">a\nACGTACGT\n");
    const first = await omics.send(
      new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources: [{ sourceFile: "s3://mnt/a.fa", name: "ref-a" }] }),
    );
    const stored = await waitForJob(omics, store, first.id!);
    assert.equal(stored.status, "COMPLETED");

    const pipeJobs: string[] = [];
    for (let i = 0; i < 5; i++) {
      execFileSync("mkfifo", [join(mount, `p${i}.fa`)]);
      const j = await omics.send(
        new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources: [{ sourceFile: `s3://mnt/p${i}.fa`, name: `pipe-${i}` }] }),
      );
      pipeJobs.push(j.id!);
    }
    // every pipe job is reading (IN_PROGRESS)
    for (const id of pipeJobs) await waitForSourceInProgress(omics, store, id);
    // meanwhile: a stored reference is served, and a regular file is imported (file reads need the pool)
    const got = await omics.send(new GetReferenceCommand({ referenceStoreId: store, id: stored.sources![0].referenceId!, partNumber: 1 }));
    assert.equal(Buffer.from(await got.payload!.transformToByteArray()).toString(), ">a\nACGTACGT\n");
    writeFileSync(join(mount, "b.fa"), ">b\nGGCC\n");
    const second = await omics.send(
      new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources: [{ sourceFile: "s3://mnt/b.fa", name: "ref-b" }] }),
    );
    assert.equal((await waitForJob(omics, store, second.id!, 30_000)).status, "COMPLETED");

    // cancel ends every pipe read at once
    const t0 = Date.now();
    for (const id of pipeJobs) {
      const r = await signedSend(server.url, "POST", `/referencestore/${store}/importjob/${id}/cancel`, TEST_CREDENTIALS[0]);
      assert.equal(r.status, 200, r.body.toString());
    }
    for (const id of pipeJobs) assert.equal((await waitForJob(omics, store, id, 30_000)).status, "CANCELLED");
    console.log(`# five pipe imports cancelled in ${Date.now() - t0} ms`);
  } finally {
    await server.stop();
  }
});
