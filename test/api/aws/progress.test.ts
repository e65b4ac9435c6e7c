// Live import progress (refstore extension GetReferenceImportJobProgress): the worker records each
// source's bytes read in the catalog while it reads; the API answers from there. A named pipe in
// a mounted bucket is a source the test feeds at its own pace.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants as fsc, mkdtempSync, openSync, rmSync, writeSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateReferenceStoreCommand, StartReferenceImportJobCommand, type OmicsClient } from "@aws-sdk/client-omics";
import { genome } from "../../support/fixtures.js";
import { signedSend } from "../../support/http.js";
import { backends, startTestServer, TEST_CREDENTIALS, waitForJob, type TestServer } from "../../support/refstore.js";
import { until } from "../../support/wait.js";

const ROLE = "arn:aws:iam::111111111111:role/x";


for (const backend of backends().filter((b) => b === "sqlite+disk" || b === "postgres+s3")) {
  describe(`import progress, a refstore extension [${backend}]`, () => {
    let server: TestServer;
    let omics: OmicsClient;
    let mount: string;
    let store: string;
    const progress = (id: string, cred = TEST_CREDENTIALS[0]) =>
      signedSend(server.url, "GET", `/referencestore/${store}/importjob/${id}/progress`, cred);

    before(async () => {
      mount = mkdtempSync(join(tmpdir(), "refstore-progress-"));
      server = await startTestServer({ backend, overrides: { bucketMounts: `mnt=${mount}` } });
      omics = server.client();
      store = (await omics.send(new CreateReferenceStoreCommand({ name: "progress" }))).id!;
      writeFileSync(join(mount, "phix.fa"), genome("phix.fa"));
    });
    after(async () => {
      await server.stop();
      rmSync(mount, { recursive: true, force: true });
    });

    test("bytes read while a source is read; its size once known; finished sources keep their count", async () => {
      const fifo = join(mount, "pipe.fa");
      execFileSync("mkfifo", [fifo]);
      const { id } = await omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: store,
          roleArn: ROLE,
          sources: [
            { sourceFile: "s3://mnt/pipe.fa", name: "piped" },
            { sourceFile: "s3://mnt/phix.fa", name: "phix" },
          ],
        }),
      );
      const before = await progress(id!);
      assert.equal(before.status, 200, before.body.toString());
      assert.equal(before.json().id, id);
      // read-write: this process never blocks on the pipe, whoever reads it
      const fd = openSync(fifo, fsc.O_RDWR | fsc.O_NONBLOCK);
      const line = Buffer.from("ACGT".repeat(15) + "\n");
      let written = 0;
      try {
        written += writeSync(fd, ">chr1\n");
        for (let i = 0; i < 500; i++) written += writeSync(fd, line);
        const seen = await until("the bytes written, as progress", async () => {
          const p = (await progress(id!)).json();
          return p.sources[0].bytesRead === written && p;
        });
        assert.equal(seen.status, "IN_PROGRESS");
        assert.deepEqual(
          { ...seen.sources[0], updateTime: typeof seen.sources[0].updateTime },
          { sourceFile: "s3://mnt/pipe.fa", name: "piped", status: "IN_PROGRESS", bytesRead: written, updateTime: "string" },
          "a pipe has no size: no bytesTotal",
        );
        assert.deepEqual(seen.sources[1], { sourceFile: "s3://mnt/phix.fa", name: "phix", status: "NOT_STARTED", bytesRead: 0 });
        // more bytes: the count follows
        for (let i = 0; i < 100; i++) written += writeSync(fd, line);
        await until("more bytes", async () => (await progress(id!)).json().sources[0].bytesRead === written);
      } finally {
        closeSync(fd);
      }
      const job = await waitForJob(omics, store, id!);
      assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
      const done = (await progress(id!)).json();
      assert.equal(done.status, "COMPLETED");
      assert.equal(done.sources[0].bytesRead, written);
      assert.equal(done.sources[1].bytesRead, genome("phix.fa").length);
      assert.equal(done.sources[1].bytesTotal, genome("phix.fa").length);
      assert.equal(done.sources[1].status, "FINISHED");
    });

    test("unknown jobs and other accounts' jobs answer 404 like GetReferenceImportJob", async () => {
      const missing = await progress("1000000000");
      assert.equal(missing.status, 404);
      assert.match(String(missing.headers["x-amzn-errortype"]), /^ResourceNotFoundException/);
      const { id } = await omics.send(
        new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources: [{ sourceFile: "s3://mnt/phix.fa", name: "phix" }] }),
      );
      assert.equal((await progress(id!, TEST_CREDENTIALS[1])).status, 404);
    });
  });
}
