// A reference's GA4GH identifiers (refstore extension GetReferenceIdentifiers): the catalog's
// digests against the fixtures' truth (manifest.json, the seqcol vectors) and against what the
// refget, seqcol and /files routes answer at the paths it gives; 404s as GetReferenceMetadata;
// the paths gone when REFSTORE_GA4GH_ACCESS=off. The AWS operations keep their modelled members.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateReferenceStoreCommand, StartReferenceImportJobCommand, type OmicsClient } from "@aws-sdk/client-omics";
import { model } from "../../../src/api/aws/model.js";
import { GENOMES_DIR, genome, manifest } from "../../support/fixtures.js";
import { signedSend } from "../../support/http.js";
import { backends, startTestServer, TEST_CREDENTIALS, waitForJob, type TestServer } from "../../support/refstore.js";

const FIXTURES = join(GENOMES_DIR, "..");
const seqcolVectors = JSON.parse(readFileSync(join(FIXTURES, "seqcol", "test_fasta_digests.json"), "utf8")) as Record<
  string,
  { top_level_digest: string; level2: { names: string[]; lengths: number[]; sequences: string[] } }
>;
const GENOMES = ["phix.fa", "multi.fa", "phix-lambda.fa.gz", "human-mito.fa"];
const md5 = (b: Buffer | string) => createHash("md5").update(b).digest("hex");

for (const backend of backends().filter((b) => b === "sqlite+disk" || b === "postgres+s3")) {
  describe(`reference identifiers, a refstore extension [${backend}]`, () => {
    let server: TestServer;
    let omics: OmicsClient;
    let store: string;
    let storeB: string;
    const refs: Record<string, string> = {};
    let phixB: string;
    const identifiers = (s: string, id: string, cred = TEST_CREDENTIALS[0]) =>
      signedSend(server.url, "GET", `/referencestore/${s}/reference/${id}/identifiers`, cred);

    async function importAll(client: OmicsClient, s: string, files: string[]): Promise<Record<string, string>> {
      const { id } = await client.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: s,
          roleArn: "arn:aws:iam::111111111111:role/x",
          // a name of characters /files would trip on: the paths still work
          sources: files.map((f) => ({ sourceFile: `s3://mnt/${f}`, name: `${f.split("/").pop()} (test)` })),
        }),
      );
      const job = await waitForJob(client, s, id!);
      assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
      return Object.fromEntries(job.sources!.map((src, i) => [files[i], src.referenceId!]));
    }

    before(async () => {
      server = await startTestServer({ backend, overrides: { bucketMounts: `mnt=${FIXTURES}` } });
      omics = server.client();
      store = (await omics.send(new CreateReferenceStoreCommand({ name: "ids" }))).id!;
      Object.assign(refs, await importAll(omics, store, [...GENOMES.map((f) => `genomes/${f}`), "seqcol/base.fa", "seqcol/pair_swap.fa"]));
      const omicsB = server.client(TEST_CREDENTIALS[1]);
      storeB = (await omicsB.send(new CreateReferenceStoreCommand({ name: "b" }))).id!;
      phixB = (await importAll(omicsB, storeB, ["genomes/phix.fa"]))["genomes/phix.fa"];
    });
    after(() => server.stop());

    test("each sequence's name, length, MD5 and SQ. digest are the fixtures' truth", async () => {
      for (const file of GENOMES) {
        const truth = manifest.files.find((f) => f.file === file)!;
        const r = await identifiers(store, refs[`genomes/${file}`]);
        assert.equal(r.status, 200, r.body.toString());
        const body = r.json();
        assert.equal(body.id, refs[`genomes/${file}`]);
        assert.equal(body.referenceStoreId, store);
        assert.equal(body.status, "ACTIVE");
        assert.equal(body.md5, truth.md5);
        assert.equal(body.ga4ghAccess, "open");
        assert.deepEqual(
          body.sequences.map((s: any) => ({ name: s.name, length: s.length, md5: s.md5, ga4gh: s.ga4gh })),
          truth.sequences,
          file,
        );
        for (const s of body.sequences) assert.equal(s.refget, `/ga4gh/refget/v2/sequence/${s.ga4gh}`);
      }
    });

    test("the seqcol digest is the vectors' top-level digest", async () => {
      for (const file of ["base.fa", "pair_swap.fa"]) {
        const v = seqcolVectors[file];
        const body = (await identifiers(store, refs[`seqcol/${file}`])).json();
        assert.equal(body.seqcolDigest, v.top_level_digest, file);
        assert.deepEqual(body.sequences.map((s: any) => s.name), v.level2.names);
        assert.deepEqual(body.sequences.map((s: any) => s.length), v.level2.lengths);
        assert.deepEqual(body.sequences.map((s: any) => s.ga4gh), v.level2.sequences);
        assert.equal(body.paths.seqcol, `/ga4gh/seqcol/v1/collection/${v.top_level_digest}`);
      }
    });

    test("every path answers what the identifiers say: refget, seqcol, /files (SOURCE, .fai, .gzi, .dict)", async () => {
      for (const file of GENOMES) {
        const truth = manifest.files.find((f) => f.file === file)!;
        const body = (await identifiers(store, refs[`genomes/${file}`])).json();
        const get = async (path: string) => {
          const r = await fetch(server.url + path);
          assert.equal(r.status, 200, `${path}: ${r.status}`);
          return Buffer.from(await r.arrayBuffer());
        };
        for (const s of body.sequences) {
          const meta = JSON.parse((await get(`${s.refget}/metadata`)).toString()).metadata;
          assert.deepEqual([meta.md5, meta.ga4gh, meta.length], [s.md5, s.ga4gh, s.length]);
          assert.equal(md5(await get(s.refget)), s.md5, `bases of ${s.name}`);
        }
        const collection = JSON.parse((await get(`${body.paths.seqcol}?level=2`)).toString());
        assert.deepEqual(collection.names, truth.sequences.map((s) => s.name));
        assert.deepEqual(collection.lengths, truth.sequences.map((s) => s.length));
        assert.deepEqual(collection.sequences, truth.sequences.map((s) => s.ga4gh));

        const paths = body.paths;
        assert.match(paths.source, new RegExp(`^/files/${store}/${refs[`genomes/${file}`]}/[A-Za-z0-9._+-]+\\.fa${truth.compression === "bgzf" ? "\\.gz" : ""}$`));
        assert.deepEqual(await get(paths.source), genome(file));
        assert.equal(paths.index, `${paths.source}.fai`);
        assert.equal((await get(paths.index)).toString(), truth.fai);
        if (truth.compression === "bgzf") {
          assert.equal(paths.gzi, `${paths.source}.gzi`);
          assert.deepEqual(await get(paths.gzi), genome(`${file}.gzi`));
        } else assert.equal(paths.gzi, undefined);
        const dict = (await get(paths.dict)).toString();
        const url = server.url + paths.source;
        assert.equal(
          dict,
          "@HD\tVN:1.0\tSO:unsorted\n" + truth.sequences.map((s) => `@SQ\tSN:${s.name}\tLN:${s.length}\tM5:${s.md5}\tUR:${url}\n`).join(""),
          `the .dict names the SOURCE path (${paths.dict})`,
        );
      }
    });

    test("another account's reference, an unknown one or store: 404 as GetReferenceMetadata; a bad id: 400", async () => {
      for (const [s, id, cred] of [
        [storeB, phixB, TEST_CREDENTIALS[0]],
        [store, refs["genomes/phix.fa"], TEST_CREDENTIALS[1]],
        [store, "1000000000", TEST_CREDENTIALS[0]],
        ["1000000000", refs["genomes/phix.fa"], TEST_CREDENTIALS[0]],
      ] as const) {
        const r = await identifiers(s, id, cred);
        const meta = await signedSend(server.url, "GET", `/referencestore/${s}/reference/${id}/metadata`, cred);
        assert.equal(r.status, 404);
        assert.match(String(r.headers["x-amzn-errortype"]), /^ResourceNotFoundException/);
        assert.equal(r.json().message, meta.json().message, "worded as GetReferenceMetadata");
      }
      // account B sees its own
      assert.equal((await identifiers(storeB, phixB, TEST_CREDENTIALS[1])).json().sequences[0].md5, manifest.files.find((f) => f.file === "phix.fa")!.sequences[0].md5);
      const bad = await identifiers(store, "12x");
      assert.equal(bad.status, 400);
      assert.match(String(bad.headers["x-amzn-errortype"]), /^ValidationException/);
      const unsigned = await fetch(`${server.url}/referencestore/${store}/reference/${refs["genomes/phix.fa"]}/identifiers`);
      assert.equal(unsigned.status, 403);
    });

    test("the AWS answers keep only their modelled members", async () => {
      const id = refs["genomes/phix.fa"];
      for (const [op, path] of [
        ["GetReferenceMetadata", `/referencestore/${store}/reference/${id}/metadata`],
        ["ListReferences", `/referencestore/${store}/references`],
      ] as const) {
        const r = await signedSend(server.url, op === "ListReferences" ? "POST" : "GET", path, TEST_CREDENTIALS[0], op === "ListReferences" ? { body: "{}" } : {});
        assert.equal(r.status, 200);
        const shape = model.shapes[model.operations[op].output!.shape];
        const item = op === "ListReferences" ? r.json().references[0] : r.json();
        const members = op === "ListReferences" ? model.shapes[model.shapes[shape.members!.references.shape].member!.shape].members! : shape.members!;
        for (const k of Object.keys(item)) assert.ok(k in members, `${op}: ${k} is modelled`);
        assert.ok(!("sequences" in item) && !("seqcolDigest" in item));
      }
    });

    test("REFSTORE_GA4GH_ACCESS: signed keeps the paths and says so; off gives the digests and no path", async () => {
      const id = refs["genomes/phix.fa"];
      try {
        await server.restart({ ga4ghAccess: "signed" });
        const signed = (await identifiers(store, id)).json();
        assert.equal(signed.ga4ghAccess, "signed");
        assert.ok(signed.paths.source.startsWith(`/files/${store}/${id}/`));
        const r = await fetch(server.url + signed.paths.source, { headers: { authorization: `Bearer ${TEST_CREDENTIALS[0].bearerTokens[0]}` } });
        assert.equal(r.status, 200);
        await r.arrayBuffer();

        await server.restart({ ga4ghAccess: "off" });
        const off = (await identifiers(store, id)).json();
        assert.equal(off.ga4ghAccess, "off");
        assert.equal(off.paths, undefined);
        assert.deepEqual(off.sequences, manifest.files.find((f) => f.file === "phix.fa")!.sequences, "digests without refget paths");
        assert.equal(off.seqcolDigest, signed.seqcolDigest);
        // the route is gone: the path is the AWS API's, which wants a signature first
        assert.equal((await fetch(server.url + signed.paths.source)).status, 403);
      } finally {
        await server.restart({ ga4ghAccess: "open" });
      }
    });
  });
}
