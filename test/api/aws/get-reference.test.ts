// GetReference the way AWS's Transfer Manager reads it: metadata, then parts 1..N ten at a time,
// each written at (i-1)*partSize. A small part size makes a real genome span many parts.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateReferenceStoreCommand,
  GetReferenceCommand,
  GetReferenceMetadataCommand,
  RangeNotSatisfiableException,
  ResourceNotFoundException,
  StartReferenceImportJobCommand,
  ValidationException,
  type OmicsClient,
} from "@aws-sdk/client-omics";
import { backends, startTestServer, waitForJob, type TestServer } from "../../support/refstore.js";
import { genome, manifest } from "../../support/fixtures.js";

const PART = 10_000;

for (const backend of backends()) {
  describe(`GetReference in parts [${backend}]`, () => {
    let server: TestServer;
    let omics: OmicsClient;
    let storeId: string;
    const refs: Record<string, string> = {};

    before(async () => {
      server = await startTestServer({ backend, overrides: { partSize: PART } });
      const dir = join(server.dataDir, "mount");
      mkdirSync(dir);
      for (const f of ["yeast-chrI.fa", "vcholerae-h1.fa.gz", "phix.fa"]) writeFileSync(join(dir, f), genome(f));
      await server.restart({ bucketMounts: `mnt=${dir}`, partSize: PART });
      omics = server.client();
      storeId = (await omics.send(new CreateReferenceStoreCommand({ name: "parts" }))).id!;
      const started = await omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: storeId,
          roleArn: "arn:aws:iam::111111111111:role/x",
          sources: ["yeast-chrI.fa", "vcholerae-h1.fa.gz", "phix.fa"].map((f) => ({ sourceFile: `s3://mnt/${f}`, name: f })),
        }),
      );
      const job = await waitForJob(omics, storeId, started.id!);
      assert.equal(job.status, "COMPLETED");
      for (const s of job.sources!) refs[s.name!] = s.referenceId!;
    });
    after(() => server.stop());

    async function download(id: string, file: "SOURCE" | "INDEX"): Promise<Buffer> {
      const meta = await omics.send(new GetReferenceMetadataCommand({ referenceStoreId: storeId, id }));
      const info = file === "SOURCE" ? meta.files!.source! : meta.files!.index!;
      const out = Buffer.alloc(info.contentLength!);
      const parts = Array.from({ length: info.totalParts! }, (_, i) => i + 1);
      for (let i = 0; i < parts.length; i += 10) {
        await Promise.all(
          parts.slice(i, i + 10).map(async (n) => {
            const r = await omics.send(new GetReferenceCommand({ referenceStoreId: storeId, id, partNumber: n, file }));
            const bytes = Buffer.from(await r.payload!.transformToByteArray());
            if (n < info.totalParts!) assert.equal(bytes.length, info.partSize, `part ${n} is a full part`);
            bytes.copy(out, (n - 1) * info.partSize!);
          }),
        );
      }
      return out;
    }

    test("metadata geometry: totalParts = ceil(contentLength / partSize)", async () => {
      const meta = await omics.send(new GetReferenceMetadataCommand({ referenceStoreId: storeId, id: refs["yeast-chrI.fa"] }));
      const bytes = manifest.files.find((f) => f.file === "yeast-chrI.fa")!.bytes;
      assert.deepEqual(meta.files!.source, { contentLength: bytes, partSize: PART, totalParts: Math.ceil(bytes / PART) });
      assert.ok(meta.files!.source!.totalParts! > 20);
    });

    test("a Transfer-Manager-style download reproduces SOURCE and INDEX byte for byte", async () => {
      for (const name of ["yeast-chrI.fa", "vcholerae-h1.fa.gz", "phix.fa"]) {
        assert.ok((await download(refs[name], "SOURCE")).equals(genome(name)), `${name} SOURCE`);
        assert.ok((await download(refs[name], "INDEX")).equals(genome(`${name}.fai`)), `${name} INDEX`);
      }
    });

    test("Range within a part; 416 outside it; partNumber beyond totalParts is a 400", async () => {
      const id = refs["yeast-chrI.fa"];
      const src = genome("yeast-chrI.fa");
      const get = (partNumber: number, range?: string) =>
        omics.send(new GetReferenceCommand({ referenceStoreId: storeId, id, partNumber, range }));
      const body = async (p: Promise<any>) => Buffer.from(await (await p).payload.transformToByteArray());
      assert.ok((await body(get(2, "bytes=0-9"))).equals(src.subarray(PART, PART + 10)));
      assert.ok((await body(get(3, "bytes=9990-"))).equals(src.subarray(3 * PART - 10, 3 * PART)));
      assert.ok((await body(get(1, "bytes=-5"))).equals(src.subarray(PART - 5, PART)));
      assert.ok((await body(get(1, "bytes=9995-20000"))).equals(src.subarray(9995, PART)), "end clipped to the part");
      const err = await get(1, `bytes=${PART}-${PART + 5}`).catch((e) => e);
      assert.ok(err instanceof RangeNotSatisfiableException);
      assert.equal(err.$metadata.httpStatusCode, 416);
      await assert.rejects(get(1, "bytes=5-1"), ValidationException);
      await assert.rejects(get(1, "lines=1-2"), ValidationException);
      const total = Math.ceil(src.length / PART);
      await assert.rejects(get(total + 1), (e: any) => e instanceof ValidationException && /partNumber/.test(e.message));
      await assert.rejects(get(0), ValidationException);
      await assert.rejects(get(10001), ValidationException);
      // JS v3 sends a request without the required partNumber as is
      await assert.rejects(
        omics.send(new GetReferenceCommand({ referenceStoreId: storeId, id } as any)),
        (e: any) => e instanceof ValidationException && /partNumber/.test(e.message),
      );
      await assert.rejects(
        omics.send(new GetReferenceCommand({ referenceStoreId: storeId, id, partNumber: 1, file: "BAM" as any })),
        ValidationException,
      );
      await assert.rejects(
        omics.send(new GetReferenceCommand({ referenceStoreId: storeId, id: "1000000000", partNumber: 1 })),
        ResourceNotFoundException,
      );
    });
  });
}
