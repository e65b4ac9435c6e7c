// Who may read the GA4GH routes: REFSTORE_GA4GH_ACCESS=signed wants a bearer token and shows each
// account only its own references (another account's digest answers as an unknown one), htslib
// sending the token through HTS_AUTH_LOCATION; `off` leaves the routes unknown paths.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateReferenceStoreCommand, StartReferenceImportJobCommand, type OmicsClient } from "@aws-sdk/client-omics";
import { loadConfig } from "../../../src/config.js";
import { backends, startTestServer, TEST_CREDENTIALS, waitForJob, type TestServer } from "../../support/refstore.js";
import { GENOMES_DIR, manifest } from "../../support/fixtures.js";

const [A, B] = TEST_CREDENTIALS;
const seqOf = (file: string) => manifest.files.find((f) => f.file === file)!.sequences[0];

async function importOne(client: OmicsClient, file: string): Promise<{ store: string; ref: string }> {
  const store = (await client.send(new CreateReferenceStoreCommand({ name: file.replace(/\W/g, "-") }))).id!;
  const started = await client.send(
    new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn: "arn:aws:iam::111111111111:role/x", sources: [{ sourceFile: `s3://mnt/${file}`, name: "ref" }] }),
  );
  const job = await waitForJob(client, store, started.id!);
  assert.equal(job.status, "COMPLETED");
  return { store, ref: job.sources![0].referenceId! };
}

for (const backend of backends().filter((b) => b === "sqlite+disk" || b === "postgres+s3")) {
  describe(`REFSTORE_GA4GH_ACCESS=signed [${backend}]`, () => {
    let server: TestServer;
    let a: { store: string; ref: string };
    let b: { store: string; ref: string };
    const get = (p: string, token?: string) => fetch(server.url + p, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    before(async () => {
      server = await startTestServer({ backend, env: { REFSTORE_GA4GH_ACCESS: "signed" }, overrides: { bucketMounts: `mnt=${GENOMES_DIR}` } });
      a = await importOne(server.client(A), "phix.fa");
      b = await importOne(server.client(B), "human-mito.fa");
    });
    after(() => server.stop());

    test("no token or an unknown one: 401 asking for a bearer token", async () => {
      for (const token of [undefined, "token-c-0123456789abcdef"]) {
        const r = await get(`/ga4gh/refget/v2/sequence/${seqOf("phix.fa").md5}`, token);
        assert.equal(r.status, 401);
        assert.match(r.headers.get("www-authenticate")!, /^Bearer/);
      }
      assert.equal((await get(`/files/${a.store}/${a.ref}/genome.fa`)).status, 401);
    });

    test("each account sees only its own sequences, collections and files", async () => {
      const phix = seqOf("phix.fa");
      const mito = seqOf("human-mito.fa");
      assert.equal((await get(`/ga4gh/refget/v2/sequence/${phix.md5}?end=10`, A.bearerTokens[0])).status, 200);
      assert.equal((await get(`/ga4gh/refget/v2/sequence/${mito.md5}`, A.bearerTokens[0])).status, 404, "B's sequence is unknown to A");
      assert.equal((await get(`/ga4gh/refget/v2/sequence/${mito.ga4gh}/metadata`, B.bearerTokens[0])).status, 200);
      assert.equal((await get(`/files/${b.store}/${b.ref}/genome.fa.fai`, A.bearerTokens[0])).status, 404);
      assert.equal((await get(`/files/${b.store}/${b.ref}/genome.fa.fai`, B.bearerTokens[0])).status, 200);
      const listA = await (await get("/ga4gh/seqcol/v1/list/collection", A.bearerTokens[0])).json();
      const listB = await (await get("/ga4gh/seqcol/v1/list/collection", B.bearerTokens[0])).json();
      assert.equal(listA.pagination.total, 1);
      assert.equal(listB.pagination.total, 1);
      assert.notEqual(listA.results[0], listB.results[0]);
      assert.equal((await get(`/ga4gh/seqcol/v1/collection/${listB.results[0]}`, A.bearerTokens[0])).status, 404);
    });

    test("htslib sends the token from HTS_AUTH_LOCATION: samtools faidx over HTTP", async (t) => {
      const tmp = mkdtempSync(join(tmpdir(), "refstore-auth-"));
      try {
        const auth = join(tmp, "token");
        writeFileSync(auth, A.bearerTokens[0]);
        const env = { ...process.env, HOME: tmp, HTS_AUTH_LOCATION: auth, HTS_ALLOW_UNENCRYPTED_AUTHORIZATION_HEADER: "I understand the risks" };
        const r = await new Promise<{ status: number | null; out: string; err: string }>((resolve, reject) => {
          const p = spawn("samtools", ["faidx", `${server.url}/files/${a.store}/${a.ref}/genome.fa`, "phix:1-60"], { env, cwd: tmp });
          let out = "";
          let err = "";
          p.stdout.on("data", (c) => (out += c));
          p.stderr.on("data", (c) => (err += c));
          p.on("error", reject);
          p.on("close", (status) => resolve({ status, out, err }));
        }).catch((e) => (e.code === "ENOENT" ? undefined : Promise.reject(e)));
        if (!r) return t.skip("samtools not on PATH");
        assert.equal(r.status, 0, r.err);
        assert.equal(r.out, ">phix:1-60\nGAGTTTTATCGCTTCCATGACGCAGAAGTTAACACTTTCGGATATTTCTGATGAGTCGAA\n");
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}

describe("REFSTORE_GA4GH_ACCESS=off", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { REFSTORE_GA4GH_ACCESS: "off" } });
  });
  after(() => server.stop());

  test("the routes answer as any unknown path does", async () => {
    const unknown = await fetch(`${server.url}/no/such/path`);
    const body = await unknown.text();
    for (const p of ["/ga4gh/refget/v2/sequence/service-info", "/ga4gh/seqcol/v1/service-info", "/files/1/2/x.fa"]) {
      const r = await fetch(server.url + p);
      assert.equal(r.status, unknown.status, p);
      assert.equal(r.headers.get("content-type"), unknown.headers.get("content-type"));
      assert.equal((await r.text()).replace(/[0-9a-f-]{36}/g, ""), body.replace(/[0-9a-f-]{36}/g, ""));
    }
  });
});

test("settings: REFSTORE_GA4GH_ACCESS and bearerTokens are checked", () => {
  assert.equal(loadConfig({}).ga4ghAccess, "open");
  assert.equal(loadConfig({ REFSTORE_GA4GH_ACCESS: "signed" }).ga4ghAccess, "signed");
  assert.throws(() => loadConfig({ REFSTORE_GA4GH_ACCESS: "public" }), /REFSTORE_GA4GH_ACCESS must be open, signed or off/);
  const dir = mkdtempSync(join(tmpdir(), "refstore-creds-"));
  try {
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify([{ accessKeyId: "AK", secretAccessKey: "s", accountId: "111111111111", bearerTokens: ["short"] }]));
    assert.throws(() => loadConfig({ REFSTORE_CREDENTIALS_FILE: file }), /bearerTokens of AK must be a list of strings of 16 or more/);
    writeFileSync(file, JSON.stringify([{ accessKeyId: "AK", secretAccessKey: "s", accountId: "111111111111", bearerTokens: ["0123456789abcdefXYZ"] }]));
    assert.deepEqual(loadConfig({ REFSTORE_CREDENTIALS_FILE: file }).credentials[0].bearerTokens, ["0123456789abcdefXYZ"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
