// Who may read the GA4GH routes: REFSTORE_GA4GH_ACCESS=signed wants a bearer token or a SigV4
// signature (header or presigned URL, made here by @smithy/signature-v4, the JS SDK's signer) and
// shows each account only its own references (another account's digest answers as an unknown
// one), htslib sending the token through HTS_AUTH_LOCATION; `off` leaves the routes unknown paths.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignatureV4 } from "@smithy/signature-v4";
import { HttpRequest } from "@smithy/protocol-http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { CreateReferenceStoreCommand, StartReferenceImportJobCommand, type OmicsClient } from "@aws-sdk/client-omics";
import { loadConfig } from "../../../src/config.js";
import { backends, startTestServer, TEST_CREDENTIALS, waitForJob, type TestServer } from "../../support/refstore.js";
import { GENOMES_DIR, manifest } from "../../support/fixtures.js";

const [A, B] = TEST_CREDENTIALS;
const seqOf = (file: string) => manifest.files.find((f) => f.file === file)!.sequences[0];

type Cred = { accessKeyId: string; secretAccessKey: string };
const signerFor = (c: Cred) => new SignatureV4({ service: "omics", region: "us-east-1", sha256: Sha256, credentials: c });
const rfc3986 = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (ch) => "%" + ch.charCodeAt(0).toString(16).toUpperCase());

function requestOf(url: string, method: string, headers: Record<string, string> = {}, body?: string): HttpRequest {
  const u = new URL(url);
  return new HttpRequest({
    method,
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: u.pathname,
    query: Object.fromEntries(u.searchParams),
    headers: { host: u.host, ...headers },
    body,
  });
}

/** fetch with an Authorization: AWS4-HMAC-SHA256 header. */
async function sigv4Fetch(url: string, c: Cred, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const method = init.method ?? "GET";
  const signed = await signerFor(c).sign(requestOf(url, method, init.headers, init.body));
  const { host: _host, ...headers } = signed.headers; // fetch sends the same host itself
  return fetch(url, { method, headers, body: init.body });
}

/** A presigned URL (X-Amz-Algorithm=…&X-Amz-Signature=… in the query). */
async function presign(url: string, c: Cred, opts: { method?: string; expiresIn?: number; signingDate?: Date } = {}) {
  const out = await signerFor(c).presign(requestOf(url, opts.method ?? "GET"), { expiresIn: opts.expiresIn ?? 600, signingDate: opts.signingDate });
  const q = Object.entries(out.query ?? {}).map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v))}`);
  return `${url.split("?")[0]}?${q.join("&")}`;
}

/** `samtools faidx <url> phix:1-60`; undefined when samtools is not on PATH. */
function faidx(url: string, env: NodeJS.ProcessEnv, cwd: string) {
  return new Promise<{ status: number | null; out: string; err: string }>((resolve, reject) => {
    const p = spawn("samtools", ["faidx", url, "phix:1-60"], { env, cwd });
    let out = "";
    let err = "";
    p.stdout.on("data", (c) => (out += c));
    p.stderr.on("data", (c) => (err += c));
    p.on("error", reject);
    p.on("close", (status) => resolve({ status, out, err }));
  }).catch((e) => (e.code === "ENOENT" ? undefined : Promise.reject(e)));
}

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

    test("SigV4 in the Authorization header: refget, seqcol (GET and POST comparison) and /files, each account its own", async () => {
      const phix = seqOf("phix.fa");
      const mito = seqOf("human-mito.fa");
      const seq = `${server.url}/ga4gh/refget/v2/sequence/${phix.md5}?start=0&end=10`;
      const r = await sigv4Fetch(seq, A);
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "GAGTTTTATC");
      assert.equal((await sigv4Fetch(`${server.url}/ga4gh/refget/v2/sequence/ga4gh:${phix.ga4gh}/metadata`, A)).status, 200);
      assert.equal((await sigv4Fetch(`${server.url}/ga4gh/refget/v2/sequence/${mito.md5}`, A)).status, 404, "B's sequence is unknown to A");
      assert.equal((await sigv4Fetch(`${server.url}/ga4gh/refget/v2/sequence/${mito.md5}?end=5`, B)).status, 200);
      const ranged = await sigv4Fetch(`${server.url}/files/${a.store}/${a.ref}/genome.fa`, A, { headers: { range: "bytes=0-5" } });
      assert.equal(ranged.status, 206);
      assert.equal(await ranged.text(), ">phix\n");
      assert.equal((await sigv4Fetch(`${server.url}/files/${b.store}/${b.ref}/genome.fa.fai`, A)).status, 404);
      assert.equal((await sigv4Fetch(`${server.url}/files/${a.store}/${a.ref}/genome.fa`, A, { method: "HEAD" })).status, 200);
      const list = await (await sigv4Fetch(`${server.url}/ga4gh/seqcol/v1/list/collection`, A)).json();
      assert.equal(list.pagination.total, 1);
      const digest = list.results[0];
      const level2 = await (await sigv4Fetch(`${server.url}/ga4gh/seqcol/v1/collection/${digest}`, A)).json();
      const body = JSON.stringify(level2);
      const cmp = await sigv4Fetch(`${server.url}/ga4gh/seqcol/v1/comparison/${digest}`, A, { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(cmp.status, 200);
      assert.deepEqual((await cmp.json()).digests, { a: digest, b: digest });
      // the body is signed: other bytes under the same signature are refused
      const signed = await signerFor(A).sign(requestOf(`${server.url}/ga4gh/seqcol/v1/comparison/${digest}`, "POST", { "content-type": "application/json" }, body));
      const { host: _h, ...headers } = signed.headers;
      const tampered = await fetch(`${server.url}/ga4gh/seqcol/v1/comparison/${digest}`, { method: "POST", headers, body: body.replace(/"names"/, '"names" ') });
      assert.equal(tampered.status, 403);
      assert.equal((await sigv4Fetch(`${server.url}/ga4gh/seqcol/v1/collection/${digest}`, B)).status, 404, "A's collection is unknown to B");
    });

    test("presigned URLs: refget and /files (GET, HEAD), each account its own", async () => {
      const phix = seqOf("phix.fa");
      const mito = seqOf("human-mito.fa");
      const r = await fetch(await presign(`${server.url}/ga4gh/refget/v2/sequence/${phix.md5}?start=4&end=10`, A));
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "TTTATC");
      assert.equal((await fetch(await presign(`${server.url}/ga4gh/refget/v2/sequence/${mito.md5}?end=3`, A))).status, 404);
      assert.equal((await fetch(await presign(`${server.url}/ga4gh/refget/v2/sequence/${mito.md5}?end=3`, B))).status, 200);
      const fai = await fetch(await presign(`${server.url}/files/${a.store}/${a.ref}/genome.fa.fai`, A));
      assert.equal(fai.status, 200);
      assert.match(await fai.text(), /^phix\t5386\t/);
      const head = await fetch(await presign(`${server.url}/files/${a.store}/${a.ref}/genome.fa`, A, { method: "HEAD" }), { method: "HEAD" });
      assert.equal(head.status, 200);
      const list = await (await fetch(await presign(`${server.url}/ga4gh/seqcol/v1/list/collection?page_size=10`, B))).json();
      assert.equal(list.pagination.total, 1);
      // a URL presigned for GET does not do for HEAD
      assert.equal((await fetch(await presign(`${server.url}/files/${a.store}/${a.ref}/genome.fa`, A), { method: "HEAD" })).status, 403);
    });

    test("refused signatures: bad signature or expired presign 403, unknown key 401, no SigV4 at all 400", async () => {
      const url = `${server.url}/ga4gh/refget/v2/sequence/${seqOf("phix.fa").md5}?end=10`;
      const good = await presign(url, A);
      const bad = good.replace(/(X-Amz-Signature=[0-9a-f]{63})([0-9a-f])/, (_m, p, c) => p + (c === "0" ? "1" : "0"));
      const answers: [string, Response][] = [
        ["bad signature", await fetch(bad)],
        ["expired", await fetch(await presign(url, A, { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) }))],
        ["wrong secret", await sigv4Fetch(url, { accessKeyId: A.accessKeyId, secretAccessKey: "not-the-secret" })],
        ["unknown key", await sigv4Fetch(url, { accessKeyId: "AKIDNOSUCHKEY", secretAccessKey: "x" })],
        ["unknown key, presigned", await fetch(await presign(url, { accessKeyId: "AKIDNOSUCHKEY", secretAccessKey: "x" }))],
        ["not SigV4", await fetch(url, { headers: { authorization: "AWS4-HMAC-SHA256 nonsense" } })],
      ];
      const status = Object.fromEntries(answers.map(([k, r]) => [k, r.status]));
      assert.deepEqual(status, { "bad signature": 403, expired: 403, "wrong secret": 403, "unknown key": 401, "unknown key, presigned": 401, "not SigV4": 400 });
      for (const [k, r] of answers) {
        const body = await r.json();
        assert.equal(body.status_code, r.status, k);
        assert.ok(body.message.length > 5, k);
      }
      assert.match((await (await fetch(bad)).json()).message, /signature we calculated does not match/);
      assert.match((await (await fetch(await presign(url, A, { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) }))).json()).message, /expired/);
    });

    test("samtools faidx over a presigned /files URL", async (t) => {
      const tmp = mkdtempSync(join(tmpdir(), "refstore-presign-"));
      try {
        const base = `${server.url}/files/${a.store}/${a.ref}/genome.fa`;
        // htslib appends .fai to the whole URL, so to the signature: the server serves the index
        // of the file the signature names
        const r = await faidx(await presign(base, A), { ...process.env, HOME: tmp }, tmp);
        if (!r) return t.skip("samtools not on PATH");
        assert.equal(r.status, 0, r.err);
        assert.equal(r.out, ">phix:1-60\nGAGTTTTATCGCTTCCATGACGCAGAAGTTAACACTTTCGGATATTTCTGATGAGTCGAA\n");
        const fai = await fetch((await presign(base, A)) + ".fai");
        assert.equal(fai.status, 200);
        assert.match(await fai.text(), /^phix\t5386\t/);
        // ... and only of that file: the signature of A's FASTA does not open B's
        const other = (await presign(base, A)).replace(`/files/${a.store}/${a.ref}/`, `/files/${b.store}/${b.ref}/`);
        assert.equal((await fetch(other + ".fai")).status, 403);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });

    test("htslib sends the token from HTS_AUTH_LOCATION: samtools faidx over HTTP", async (t) => {
      const tmp = mkdtempSync(join(tmpdir(), "refstore-auth-"));
      try {
        const auth = join(tmp, "token");
        writeFileSync(auth, A.bearerTokens[0]);
        const env = { ...process.env, HOME: tmp, HTS_AUTH_LOCATION: auth, HTS_ALLOW_UNENCRYPTED_AUTHORIZATION_HEADER: "I understand the risks" };
        const r = await faidx(`${server.url}/files/${a.store}/${a.ref}/genome.fa`, env, tmp);
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
