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

/** Every blob the server's store holds (disk files or S3 keys), sorted. */
async function storedBlobs(server: TestServer): Promise<string[]> {
  const loc = server.config.blobs;
  if (loc.kind === "disk") {
    const { readdirSync } = await import("node:fs");
    const files = readdirSync(loc.dir, { recursive: true, withFileTypes: true });
    return files.filter((f) => f.isFile() && !f.name.startsWith(".")).map((f) => join(f.parentPath, f.name)).sort();
  }
  const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const out = await server.s3.client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: loc.prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).filter((k) => !k.includes("/.refstore-")).sort();
}

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
      assert.equal(job.sources![2].statusMessage, "no such object");
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
      assert.equal(msgs[2], "no such object");
      assert.equal(msgs[3], "no such bucket");
      for (const s of job.sources!) {
        assert.equal(s.status, "FAILED");
        assert.equal(s.referenceId, undefined);
        assert.ok(s.statusMessage!.length <= 127);
      }
      const afterList = await omics.send(new ListReferencesCommand({ referenceStoreId: storeId }));
      assert.equal(afterList.references!.length, before.references!.length);
    });

    test("the input rules through a real import: protein letters, gaps, '> name', non-ASCII names fail their source in words; nothing stored", async () => {
      const line = "ACGT".repeat(15);
      const cases: [string, Buffer, string][] = [
        ["protein.fa", Buffer.from(">sp|P69905|HBA_HUMAN Hemoglobin alpha\nMVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF\n"), 'line 2, column 3: "L" in sequence sp|P69905|HBA_HUMAN is not an IUPAC nucleotide code (protein FASTA?)'],
        // the bad letter deep in a record: through the predicted-lines path first
        ["x-late.fa", Buffer.from(`>chr1\n${`${line}\n`.repeat(500)}${line.slice(0, 41)}x${line.slice(42)}\nACGT\n`), 'line 502, column 42: "x" in sequence chr1 is not an IUPAC nucleotide code (protein FASTA?)'],
        ["gap.fa", Buffer.from(">aln\nACGT-ACGT\n"), 'line 2, column 5: invalid character "-" in sequence aln (only IUPAC nucleotide codes allowed)'],
        ["stop.fa", Buffer.from(">a\nACGT\n>b\nAC*\n"), 'line 4, column 3: invalid character "*" in sequence b (only IUPAC nucleotide codes allowed)'],
        ["dot.fa", Buffer.from(">a\nAC.GT\n"), 'line 2, column 3: invalid character "." in sequence a (only IUPAC nucleotide codes allowed)'],
        ["space-name.fa", Buffer.from(">chr1\nACGT\n> chr2 second\nACGT\n"), 'line 3: whitespace between ">" and the name (write ">name"): tools disagree on what the name is'],
        ["utf8-name.fa", Buffer.from(">phiX_à_ü\nACGT\n", "utf8"), 'line 1: sequence name "phiX_à_ü" is not ASCII (SAM names are printable ASCII)'],
        ["latin1-name.fa", Buffer.from(">phiX_\xe0\nACGT\n", "latin1"), 'line 1: sequence name "phiX_\\xE0" is not ASCII (SAM names are printable ASCII)'],
      ];
      for (const [key, body] of cases) await server.s3.putObject(bucket, `rules/${key}`, body);
      const before = await omics.send(new ListReferencesCommand({ referenceStoreId: storeId }));
      const blobsBefore = await storedBlobs(server);
      const started = await omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: storeId,
          roleArn: ROLE,
          sources: cases.map(([key]) => ({ sourceFile: `s3://${bucket}/rules/${key}`, name: key.replace(/\W/g, "-") })),
        }),
      );
      const job = await waitForJob(omics, storeId, started.id!);
      assert.equal(job.status, "FAILED");
      for (const [i, [key, , message]] of cases.entries()) {
        assert.equal(job.sources![i].status, "FAILED", key);
        assert.equal(job.sources![i].statusMessage, message, key);
        assert.equal(job.sources![i].referenceId, undefined, key);
      }
      const afterList = await omics.send(new ListReferencesCommand({ referenceStoreId: storeId }));
      assert.equal(afterList.references!.length, before.references!.length);
      assert.deepEqual(await storedBlobs(server), blobsBefore, "no blob left behind");
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
