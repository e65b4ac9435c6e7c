// Import jobs end to end: the real SDK client, the real server and worker, sources in s3rver
// (through the S3 API) and in a bucket mounted from a local directory, real genomes.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateReferenceStoreCommand,
  DeleteReferenceCommand,
  DeleteReferenceStoreCommand,
  ConflictException,
  GetReferenceCommand,
  GetReferenceImportJobCommand,
  GetReferenceMetadataCommand,
  ListReferencesCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  StartReferenceImportJobCommand,
  ValidationException,
  waitUntilReferenceImportJobCompleted,
  type OmicsClient,
} from "@aws-sdk/client-omics";
import { backends, startTestServer, waitForJob, type TestServer } from "../../support/refstore.js";
import { genome, manifest } from "../../support/fixtures.js";

const ROLE = "arn:aws:iam::111111111111:role/refstore-import";

async function readAll(payload: any): Promise<Buffer> {
  return Buffer.from(await payload.transformToByteArray());
}

for (const backend of backends()) {
  describe(`import jobs [${backend}]`, () => {
    let server: TestServer;
    let omics: OmicsClient;
    let storeId: string;
    const bucket = `genomes-${backend.replace(/\W/g, "")}-${process.pid}`;
    let mountDir: string;

    before(async () => {
      server = await startTestServer({ backend });
      mountDir = join(server.dataDir, "mounted");
      mkdirSync(mountDir, { recursive: true });
      await server.restart({ bucketMounts: `local-bucket=${mountDir}` });
      omics = server.client();
      await server.s3.createBucket(bucket);
      for (const f of manifest.files) await server.s3.putObject(bucket, `fixtures/${f.file}`, genome(f.file));
      storeId = (await omics.send(new CreateReferenceStoreCommand({ name: "imports" }))).id!;
    });
    after(() => server.stop());

    test("every shared fixture imports from S3: SOURCE, INDEX, md5 and metadata match samtools/md5sum", async () => {
      const started = await omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: storeId,
          roleArn: ROLE,
          sources: manifest.files.map((f) => ({
            sourceFile: `s3://${bucket}/fixtures/${f.file}`,
            name: f.file.replace(/\..*$/, ""),
            description: `fixture ${f.file}`,
            tags: { fixture: f.file },
          })),
        }),
      );
      assert.equal(started.status, "SUBMITTED");
      assert.equal(started.roleArn, ROLE);
      assert.match(started.id!, /^[0-9]{10}$/);

      // the stock waiter, shortened
      await waitUntilReferenceImportJobCompleted(
        { client: omics, minDelay: 1, maxDelay: 1, maxWaitTime: 120 },
        { referenceStoreId: storeId, id: started.id },
      );
      const job = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: storeId, id: started.id }));
      assert.equal(job.status, "COMPLETED");
      assert.ok(job.completionTime! >= job.creationTime!);
      assert.equal(job.sources!.length, manifest.files.length);

      for (const [i, f] of manifest.files.entries()) {
        const src = job.sources![i];
        assert.equal(src.status, "FINISHED", `${f.file}: ${src.statusMessage}`);
        assert.equal(src.sourceFile, `s3://${bucket}/fixtures/${f.file}`);
        const meta = await omics.send(new GetReferenceMetadataCommand({ referenceStoreId: storeId, id: src.referenceId }));
        assert.equal(meta.md5, f.md5, `${f.file} md5`);
        assert.equal(meta.status, "ACTIVE");
        assert.equal(meta.creationType, "IMPORT");
        assert.equal(meta.creationJobId, started.id);
        assert.equal(meta.description, `fixture ${f.file}`);
        assert.deepEqual(Object.keys(meta.files!).sort(), ["index", "source"]);
        assert.deepEqual(meta.files!.source, { contentLength: f.bytes, partSize: 104857600, totalParts: 1 });
        assert.equal(meta.files!.index!.contentLength, Buffer.byteLength(f.fai));

        const source = await omics.send(new GetReferenceCommand({ referenceStoreId: storeId, id: src.referenceId, partNumber: 1 }));
        assert.ok((await readAll(source.payload)).equals(genome(f.file)), `${f.file}: SOURCE byte for byte`);
        const index = await omics.send(
          new GetReferenceCommand({ referenceStoreId: storeId, id: src.referenceId, partNumber: 1, file: "INDEX" }),
        );
        assert.equal((await readAll(index.payload)).toString(), genome(`${f.file}.fai`).toString(), `${f.file}: .fai`);

        const tags = await omics.send(new ListTagsForResourceCommand({ resourceArn: meta.arn }));
        assert.deepEqual(tags.tags, { fixture: f.file });
      }
    });

    test("a bucket mounted from a local directory; keys cannot escape it", async () => {
      writeFileSync(join(mountDir, "phix.fa"), genome("phix.fa"));
      const started = await omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: storeId,
          roleArn: ROLE,
          sources: [
            { sourceFile: "s3://local-bucket/phix.fa", name: "phix-mounted" },
            { sourceFile: "s3://local-bucket/../../etc/passwd", name: "escape" },
            { sourceFile: "s3://local-bucket/missing.fa", name: "missing" },
          ],
        }),
      );
      const job = await waitForJob(omics, storeId, started.id!);
      assert.equal(job.status, "COMPLETED_WITH_FAILURES");
      assert.equal(job.sources![0].status, "FINISHED");
      assert.equal(job.sources![1].status, "FAILED");
      assert.match(job.sources![1].statusMessage!, /outside the bucket mount/);
      assert.equal(job.sources![2].status, "FAILED");
      assert.equal(job.sources![2].statusMessage, "s3://local-bucket/missing.fa: no such object");
      const meta = await omics.send(
        new GetReferenceMetadataCommand({ referenceStoreId: storeId, id: job.sources![0].referenceId }),
      );
      assert.equal(meta.md5, manifest.files.find((f) => f.file === "phix.fa")!.md5);
    });

    test("bad FASTA and missing objects fail their source with a specific message; no reference appears", async () => {
      const bad = ">chr1\nACGT\nACGTA\nAC\n";
      await server.s3.putObject(bucket, "bad/long-line.fa", Buffer.from(bad));
      await server.s3.putObject(bucket, "bad/gzip.fa.gz", (await import("node:zlib")).gzipSync(Buffer.from(">a\nACGT\n")));
      const before = await omics.send(new ListReferencesCommand({ referenceStoreId: storeId }));
      const started = await omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: storeId,
          roleArn: ROLE,
          sources: [
            { sourceFile: `s3://${bucket}/bad/long-line.fa`, name: "long-line" },
            { sourceFile: `s3://${bucket}/bad/gzip.fa.gz`, name: "gzipped" },
            { sourceFile: `s3://${bucket}/no/such/key.fa`, name: "nokey" },
            { sourceFile: `s3://no-such-bucket-${process.pid}/key.fa`, name: "nobucket" },
          ],
        }),
      );
      const job = await waitForJob(omics, storeId, started.id!);
      assert.equal(job.status, "FAILED");
      assert.equal(job.statusMessage, "all 4 sources failed");
      const msgs = job.sources!.map((s) => s.statusMessage!);
      assert.match(msgs[0], /line 3/);
      assert.match(msgs[1], /compressed with gzip: recompress with bgzip/);
      assert.equal(msgs[2], `s3://${bucket}/no/such/key.fa: no such object`);
      assert.equal(msgs[3], `s3://no-such-bucket-${process.pid}/key.fa: no such bucket`);
      for (const s of job.sources!) {
        assert.equal(s.status, "FAILED");
        assert.equal(s.referenceId, undefined);
        assert.ok(s.statusMessage!.length <= 127);
      }
      const afterList = await omics.send(new ListReferencesCommand({ referenceStoreId: storeId }));
      assert.equal(afterList.references!.length, before.references!.length);
    });

    test("validation of StartReferenceImportJob, unknown store, clientToken idempotency", async () => {
      const base = { referenceStoreId: storeId, roleArn: ROLE, sources: [{ sourceFile: `s3://${bucket}/fixtures/phix.fa`, name: "phix" }] };
      await assert.rejects(omics.send(new StartReferenceImportJobCommand({ ...base, sources: [] })), ValidationException);
      await assert.rejects(
        omics.send(new StartReferenceImportJobCommand({ ...base, sources: [{ sourceFile: "http://x/y", name: "abc" }] })),
        (e: any) => e instanceof ValidationException && /sourceFile/.test(e.message),
      );
      await assert.rejects(
        omics.send(new StartReferenceImportJobCommand({ ...base, sources: [{ sourceFile: `s3://${bucket}/k`, name: "ab" }] })),
        (e: any) => e instanceof ValidationException && /name/.test(e.message),
      );
      await assert.rejects(omics.send(new StartReferenceImportJobCommand({ ...base, roleArn: "short" })), ValidationException);
      const tooMany = Array.from({ length: 101 }, (_, i) => ({ sourceFile: `s3://${bucket}/k${i}`, name: `ref${i}` }));
      await assert.rejects(omics.send(new StartReferenceImportJobCommand({ ...base, sources: tooMany })), ValidationException);
      await assert.rejects(
        omics.send(new StartReferenceImportJobCommand({ ...base, referenceStoreId: "1000000000" })),
        ResourceNotFoundException,
      );

      const a = await omics.send(new StartReferenceImportJobCommand({ ...base, clientToken: "job-tok" }));
      const b = await omics.send(new StartReferenceImportJobCommand({ ...base, clientToken: "job-tok" }));
      assert.equal(b.id, a.id);
      await assert.rejects(
        omics.send(new StartReferenceImportJobCommand({ ...base, roleArn: ROLE + "2", clientToken: "job-tok" })),
        ConflictException,
      );
      await waitForJob(omics, storeId, a.id!);
    });

    test("references: list with filters, delete removes files, store delete conflicts while not empty", async () => {
      const store = (await omics.send(new CreateReferenceStoreCommand({ name: "deletions" }))).id!;
      const started = await omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: store,
          roleArn: ROLE,
          sources: [
            { sourceFile: `s3://${bucket}/fixtures/phix.fa`, name: "phix" },
            { sourceFile: `s3://${bucket}/fixtures/lambda.fa`, name: "lambda" },
          ],
        }),
      );
      const job = await waitForJob(omics, store, started.id!);
      assert.equal(job.status, "COMPLETED");
      const all = await omics.send(new ListReferencesCommand({ referenceStoreId: store }));
      assert.deepEqual(all.references!.map((r) => r.name), ["phix", "lambda"]);
      const phixMd5 = manifest.files.find((f) => f.file === "phix.fa")!.md5;
      const byMd5 = await omics.send(new ListReferencesCommand({ referenceStoreId: store, filter: { md5: phixMd5.toUpperCase() } }));
      assert.deepEqual(byMd5.references!.map((r) => r.name), ["phix"]);
      const byName = await omics.send(new ListReferencesCommand({ referenceStoreId: store, filter: { name: "lambda" } }));
      assert.deepEqual(byName.references!.map((r) => r.name), ["lambda"]);
      const paged = await omics.send(new ListReferencesCommand({ referenceStoreId: store, maxResults: 1 }));
      assert.equal(paged.references!.length, 1);
      assert.ok(paged.nextToken);
      const rest = await omics.send(new ListReferencesCommand({ referenceStoreId: store, maxResults: 1, nextToken: paged.nextToken }));
      assert.deepEqual(rest.references!.map((r) => r.name), ["lambda"]);
      assert.equal(rest.nextToken, undefined);

      await assert.rejects(omics.send(new DeleteReferenceStoreCommand({ id: store })), ConflictException);
      const phix = all.references![0];
      const source = server.refstore.catalog.getReference(store, phix.id!);
      const keys = await source.then((r) => [r!.source.key, r!.index.key]);
      await omics.send(new DeleteReferenceCommand({ referenceStoreId: store, id: phix.id }));
      for (const key of keys) assert.equal(await server.refstore.blobs.size(key), undefined, `${key} deleted`);
      await assert.rejects(omics.send(new GetReferenceMetadataCommand({ referenceStoreId: store, id: phix.id })), ResourceNotFoundException);
      await assert.rejects(omics.send(new DeleteReferenceCommand({ referenceStoreId: store, id: phix.id })), ResourceNotFoundException);
      await omics.send(new DeleteReferenceCommand({ referenceStoreId: store, id: all.references![1].id }));
      await omics.send(new DeleteReferenceStoreCommand({ id: store }));
    });

    test("the job's whole-file md5 equals md5sum of what GetReference serves", async () => {
      const refs = await omics.send(new ListReferencesCommand({ referenceStoreId: storeId, filter: { name: "yeast-chrI" } }));
      const ref = refs.references![0];
      const body = await readAll((await omics.send(new GetReferenceCommand({ referenceStoreId: storeId, id: ref.id, partNumber: 1 }))).payload);
      assert.equal(createHash("md5").update(body).digest("hex"), ref.md5);
    });
  });
}
