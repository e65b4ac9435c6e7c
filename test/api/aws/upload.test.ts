// Local files through the upload extension (CreateReferenceUpload, UploadReferenceFile,
// GetReferenceUpload): the API process stages the streamed body in the blob store, an ordinary
// import job names it by its s3://refstore-upload/… sourceFile, and a worker imports it once it is
// complete. Real server, real SDK for the AWS operations, raw signed HTTP for the extension (and
// for a client that dies in the middle of its body).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateReferenceStoreCommand,
  DeleteReferenceCommand,
  GetReferenceCommand,
  GetReferenceImportJobCommand,
  ListReferenceImportJobsCommand,
  ListReferencesCommand,
  StartReferenceImportJobCommand,
  type OmicsClient,
} from "@aws-sdk/client-omics";
import { genome } from "../../support/fixtures.js";
import { until } from "../../support/cluster.js";
import { send, signedSend, signedStreamHeaders as signedPutHeaders, type RawResponse } from "../../support/http.js";
import { backends, startTestServer, TEST_CREDENTIALS, waitForJob, type TestServer } from "../../support/refstore.js";

const ROLE = "arn:aws:iam::111111111111:role/x";
const [A, B] = TEST_CREDENTIALS;
type Cred = (typeof TEST_CREDENTIALS)[number];
const UNSIGNED = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };


for (const backend of backends().filter((b) => b === "sqlite+disk" || b === "postgres+s3")) {
  describe(`local files through the upload extension [${backend}]`, () => {
    let server: TestServer;
    let omics: OmicsClient;
    let mount: string;
    let store: string;
    const uploadsPath = (s = store) => `/referencestore/${s}/upload`;
    const create = (body: object, cred: Cred = A, s = store) =>
      signedSend(server.url, "POST", uploadsPath(s), cred, { body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    const put = (id: string, body: Buffer, cred: Cred = A, headers: Record<string, string> = {}, s = store) =>
      signedSend(server.url, "PUT", `${uploadsPath(s)}/${id}`, cred, { body, headers: { ...UNSIGNED, ...headers } });
    const startJob = (sources: { sourceFile: string; name: string }[]) =>
      omics.send(new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: ROLE, sources }));
    const staged = (uploadId: string) => `stores/${store}/uploads/${uploadId}`;
    const errorType = (r: RawResponse) => String(r.headers["x-amzn-errortype"]).split(":")[0];

    before(async () => {
      mount = mkdtempSync(join(tmpdir(), "refstore-upload-"));
      writeFileSync(join(mount, "lambda.fa"), genome("lambda.fa"));
      server = await startTestServer({ backend, overrides: { bucketMounts: `mnt=${mount}`, uploadTimeoutSeconds: 4, maxUploadBytes: 1_000_000 } });
      omics = server.client();
      store = (await omics.send(new CreateReferenceStoreCommand({ name: "uploads" }))).id!;
    });
    after(async () => {
      await server.stop();
      rmSync(mount, { recursive: true, force: true });
    });

    test("ask, start the job (held), then stream the bytes: COMPLETED beside an s3:// source, bytes equal, one copy stored", async () => {
      const bytes = genome("phix.fa");
      const c = await create({ fileName: "phix.fa", contentLength: bytes.length });
      assert.equal(c.status, 200, c.body.toString());
      const upload = c.json();
      assert.match(upload.id, /^\d{10}$/);
      assert.equal(upload.sourceFile, `s3://refstore-upload/${upload.id}/phix.fa`);
      assert.equal(upload.status, "CREATED");
      const { id } = await startJob([
        { sourceFile: upload.sourceFile, name: "phix-local" },
        { sourceFile: "s3://mnt/lambda.fa", name: "lambda" },
      ]);
      // the worker holds the source until the bytes are in: IN_PROGRESS, not FAILED
      await until("the source held", async () => (await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: store, id: id! }))).sources![0].status === "IN_PROGRESS" || undefined);
      const held = (await signedSend(server.url, "GET", `/referencestore/${store}/importjob/${id}/progress`, A)).json();
      assert.equal(held.sources[0].uploadStatus, "CREATED");
      assert.equal(held.sources[0].bytesUploaded, 0);
      assert.equal(held.sources[0].bytesTotal, bytes.length);
      assert.equal(held.sources[1].uploadStatus, undefined, "an s3:// source has no upload");

      const p = await put(upload.id, bytes, A, { "content-md5": createHash("md5").update(bytes).digest("base64") });
      assert.equal(p.status, 200, p.body.toString());
      assert.equal(p.json().status, "COMPLETE");
      assert.equal(p.json().bytesReceived, bytes.length);
      assert.equal(p.json().md5, createHash("md5").update(bytes).digest("hex"));

      const job = await waitForJob(omics, store, id!);
      assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
      // an ordinary job: listed, and its sourceFile a valid s3:// URI that every SDK parses
      assert.equal(job.sources![0].sourceFile, upload.sourceFile);
      const listed = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: store }));
      assert.ok(listed.importJobs!.some((j) => j.id === id));
      const ref = job.sources![0].referenceId!;
      const got = await omics.send(new GetReferenceCommand({ referenceStoreId: store, id: ref, partNumber: 1 }));
      assert.deepEqual(Buffer.from(await got.payload!.transformToByteArray()), bytes);
      const done = (await signedSend(server.url, "GET", `/referencestore/${store}/importjob/${id}/progress`, A)).json();
      assert.equal(done.sources[0].bytesRead, bytes.length);

      // the staged blob is the reference's SOURCE (written once); deleting the reference deletes it
      assert.equal(await server.refstore.blobs.size(staged(upload.id)), bytes.length);
      assert.equal(await server.refstore.catalog.getUpload(upload.id), undefined, "the upload's row went with the import");
      await omics.send(new DeleteReferenceCommand({ referenceStoreId: store, id: ref }));
      assert.equal(await server.refstore.blobs.size(staged(upload.id)), undefined);
    });

    test("the bytes sent first, the job started after: COMPLETED; GetReferenceUpload shows the upload", async () => {
      const bytes = genome("multi.fa");
      const upload = (await create({ fileName: "../odd name?.fa" })).json();
      assert.equal(upload.sourceFile, `s3://refstore-upload/${upload.id}/odd_name_.fa`, "the base name, in characters any S3 key takes");
      assert.equal((await put(upload.id, bytes)).status, 200);
      const g = await signedSend(server.url, "GET", `${uploadsPath()}/${upload.id}`, A);
      assert.equal(g.json().status, "COMPLETE");
      const { id } = await startJob([{ sourceFile: upload.sourceFile, name: "multi" }]);
      const job = await waitForJob(omics, store, id!);
      assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
    });

    test("a client that dies in the middle of its body: the source FAILED with the count, nothing visible, nothing staged", async () => {
      const bytes = genome("lambda.fa");
      const upload = (await create({ fileName: "lambda.fa" })).json();
      const { id } = await startJob([{ sourceFile: upload.sourceFile, name: "interrupted" }]);
      const path = `${uploadsPath()}/${upload.id}`;
      const headers = await signedPutHeaders(server.url, path, A, bytes.length);
      const u = new URL(server.url);
      const half = 20_000;
      await new Promise<void>((resolve) => {
        const req = request({ host: u.hostname, port: u.port, method: "PUT", path, headers });
        req.on("error", () => resolve());
        req.write(bytes.subarray(0, half), () => {
          // the bytes are on their way: wait until the server has them, then cut the connection
          void until("bytes received", async () => ((await server.refstore.catalog.getUpload(upload.id))?.status === "RECEIVING" || undefined)).then(() =>
            setTimeout(() => {
              req.destroy();
              resolve();
            }, 200),
          );
        });
      });
      const job = await waitForJob(omics, store, id!);
      assert.equal(job.status, "FAILED");
      assert.match(job.sources![0].statusMessage!, new RegExp(`^upload interrupted after \\d+ of ${bytes.length} bytes$`));
      const refs = await omics.send(new ListReferencesCommand({ referenceStoreId: store, filter: { name: "interrupted" } }));
      assert.equal(refs.references!.length, 0);
      await until("the upload discarded", async () => (await server.refstore.catalog.getUpload(upload.id)) === undefined || undefined);
      assert.equal(await server.refstore.blobs.size(staged(upload.id)), undefined);
      assert.ok(!(await server.refstore.catalog.pendingBlobKeys()).includes(staged(upload.id)));
    });

    test("an upload that never comes fails its source after REFSTORE_UPLOAD_TIMEOUT_SECONDS", async () => {
      const upload = (await create({ fileName: "never.fa" })).json();
      const { id } = await startJob([{ sourceFile: upload.sourceFile, name: "never" }]);
      const job = await waitForJob(omics, store, id!);
      assert.equal(job.status, "FAILED");
      assert.match(job.sources![0].statusMessage!, /^upload timed out: nothing for \d+ s \(no bytes received\)$/);
      await until("the upload discarded", async () => (await server.refstore.catalog.getUpload(upload.id)) === undefined || undefined);
    });

    test("another account's upload: 404 to PUT and GET, refused as a source in its own store", async () => {
      const upload = (await create({ fileName: "phix.fa" })).json();
      const bStore = (await server.client(B).send(new CreateReferenceStoreCommand({ name: "b" }))).id!;
      // B names A's store: 404 as for a missing one; B's own store: the upload is not there either
      const r1 = await put(upload.id, genome("phix.fa"), B);
      assert.equal(r1.status, 404);
      const r2 = await put(upload.id, genome("phix.fa"), B, {}, bStore);
      assert.equal(r2.status, 404);
      assert.equal(errorType(r2), "ResourceNotFoundException");
      assert.equal((await signedSend(server.url, "GET", `${uploadsPath(bStore)}/${upload.id}`, B)).status, 404);
      await assert.rejects(
        server.client(B).send(new StartReferenceImportJobCommand({ referenceStoreId: bStore, roleArn: ROLE, sources: [{ sourceFile: upload.sourceFile, name: "stolen" }] })),
        (err: Error) => err.name === "ValidationException" && /sources\.1\.sourceFile/.test(err.message),
      );
      // and A's upload is still A's to send
      assert.equal((await put(upload.id, genome("phix.fa"))).status, 200);
    });

    test("bad input is a 4xx: no Content-Length, unknown upload, twice, too large, wrong MD5, a signed body hash, a taken upload", async () => {
      const bytes = genome("phix.fa");
      const upload = (await create({ fileName: "phix.fa" })).json();
      const path = `${uploadsPath()}/${upload.id}`;
      // chunked: no Content-Length
      const headers = await signedPutHeaders(server.url, path, A);
      const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(server.url);
        const req = request({ host: u.hostname, port: u.port, method: "PUT", path, headers: { ...headers, "transfer-encoding": "chunked" } }, (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        });
        req.on("error", reject);
        req.end(bytes);
      });
      assert.equal(chunked.status, 400);
      assert.match(chunked.body, /'contentLength'.*must not be null/);

      const unknown = await put("1234567890", bytes);
      assert.equal(unknown.status, 404);
      assert.equal(errorType(unknown), "ResourceNotFoundException");

      const tooBig = await create({ fileName: "big.fa", contentLength: 2_000_000 });
      assert.equal(tooBig.status, 400);
      assert.match(tooBig.json().message, /contentLength: 2000000 bytes is more than this server accepts/);
      const other = (await create({ fileName: "big.fa" })).json();
      const bigPut = await put(other.id, Buffer.alloc(1_000_001, 65));
      assert.equal(bigPut.status, 400);

      const badMd5 = await put(other.id, bytes, A, { "content-md5": createHash("md5").update("other").digest("base64") });
      assert.equal(badMd5.status, 400);
      assert.match(badMd5.json().message, /is not the Content-MD5 given/);
      assert.equal((await put(other.id, bytes)).status, 409, "a failed upload is not sent again");

      // the body's SHA-256 signed instead of UNSIGNED-PAYLOAD: refused, the body is never buffered
      const hashed = await signedSend(server.url, "PUT", path, A, { body: bytes });
      assert.equal(hashed.status, 403);
      const unsigned = await send(server.url, "PUT", path, { body: bytes });
      assert.equal(unsigned.status, 403);

      assert.equal((await put(upload.id, bytes)).status, 200);
      const twice = await put(upload.id, bytes);
      assert.equal(twice.status, 409);
      assert.equal(errorType(twice), "ConflictException");

      const { id } = await startJob([{ sourceFile: upload.sourceFile, name: "first" }]);
      await assert.rejects(startJob([{ sourceFile: upload.sourceFile, name: "second" }]), /imported by another job already/);
      await assert.rejects(startJob([{ sourceFile: "s3://refstore-upload/nope/x.fa", name: "bad" }]), /is no upload of reference store/);
      assert.equal((await waitForJob(omics, store, id!)).status, "COMPLETED");
    });

    test("a job cancelled before its upload: CANCELLED, the upload discarded", async () => {
      const upload = (await create({ fileName: "phix.fa" })).json();
      const { id } = await startJob([{ sourceFile: upload.sourceFile, name: "cancelled" }]);
      const c = await signedSend(server.url, "POST", `/referencestore/${store}/importjob/${id}/cancel`, A);
      assert.equal(c.status, 200);
      const job = await waitForJob(omics, store, id!);
      assert.equal(job.status, "CANCELLED");
      await until("the upload discarded", async () => (await server.refstore.catalog.getUpload(upload.id)) === undefined || undefined);
      const late = await put(upload.id, genome("phix.fa"));
      assert.ok(late.status === 404 || late.status === 409, `late PUT: ${late.status}`);
    });
  });
}
