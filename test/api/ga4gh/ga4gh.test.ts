// The GA4GH read paths end to end on a real refstore (references imported through the AWS API):
// refget v2 with the compliance suite's sequences and its status table, seqcol with every
// vector, /files with Range, ETag, CORS and a .dict equal to `samtools dict`, samtools faidx
// over HTTP, and htslib decoding CRAMs through REF_PATH. On every backend.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateReferenceStoreCommand, DeleteReferenceCommand, StartReferenceImportJobCommand, type OmicsClient } from "@aws-sdk/client-omics";
import { backends, startTestServer, TEST_CREDENTIALS, waitForJob, type TestServer } from "../../support/refstore.js";
import { GENOMES_DIR, genome, manifest } from "../../support/fixtures.js";

const FIXTURES = join(GENOMES_DIR, "..");
const REFGET_DIR = join(FIXTURES, "refget");
const SEQCOL_DIR = join(FIXTURES, "seqcol");
const checksums = JSON.parse(readFileSync(join(REFGET_DIR, "checksums.json"), "utf8")) as Record<
  string,
  { md5: string; ga4gh: string; size: number }
>;
const seqcolVectors = JSON.parse(readFileSync(join(SEQCOL_DIR, "test_fasta_digests.json"), "utf8")) as Record<
  string,
  { top_level_digest: string; level1: Record<string, string>; level2: Record<string, unknown> }
>;
const SEQ_TYPE = "text/vnd.ga4gh.refget.v2.0.0+plain";
const JSON_TYPE = "application/vnd.ga4gh.refget.v2.0.0+json";
const hasSamtools = spawnSync("samtools", ["--version"], { stdio: "ignore" }).status === 0;

/** A tool that talks to the server in this process: spawned, never spawnSync (it would block the server). */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (c) => out.push(c));
    p.stderr.on("data", (c) => err.push(c));
    p.on("error", reject);
    p.on("close", (status) => resolve({ status, stdout: Buffer.concat(out).toString("latin1"), stderr: Buffer.concat(err).toString("latin1") }));
  });
}

/** The normalised sequence of a one-record FASTA file. */
function bases(path: string): string {
  const text = readFileSync(path, "latin1");
  return text.slice(text.indexOf("\n") + 1).replace(/[^A-Za-z]/g, "").toUpperCase();
}

const A_FILES = [
  ["refget", "I.faa"],
  ["refget", "VI.faa"],
  ["refget", "NC.faa"],
  ["genomes", "phix.fa"],
  ["genomes", "mixed-case-crlf.fa"],
  ["genomes", "human-mito.fa"],
  ["genomes", "phix-lambda.fa.gz"],
  ["genomes", "vcholerae-h1.fa.gz"],
  ...Object.keys(seqcolVectors).map((f) => ["seqcol", f]),
];

for (const backend of backends().filter((b) => b === "sqlite+disk" || b === "postgres+s3")) {
  describe(`GA4GH read paths [${backend}]`, () => {
    let server: TestServer;
    let omics: OmicsClient;
    let storeA: string;
    let storeB: string;
    const refs: Record<string, string> = {}; // file → reference id (account A)
    let phixB: string;
    const url = (p: string) => server.url + p;
    const get = (p: string, headers: Record<string, string> = {}) => fetch(url(p), { headers });

    async function importAll(client: OmicsClient, store: string, files: string[][]): Promise<Record<string, string>> {
      const started = await client.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: store,
          roleArn: "arn:aws:iam::111111111111:role/x",
          sources: files.map(([dir, f]) => ({ sourceFile: `s3://mnt/${dir}/${f}`, name: f.replace(/[^A-Za-z0-9]/g, "-") })),
        }),
      );
      const job = await waitForJob(client, store, started.id!);
      assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
      const out: Record<string, string> = {};
      job.sources!.forEach((s, i) => (out[files[i][1]] = s.referenceId!));
      return out;
    }

    before(async () => {
      server = await startTestServer({ backend, overrides: { bucketMounts: `mnt=${FIXTURES}` } });
      omics = server.client();
      storeA = (await omics.send(new CreateReferenceStoreCommand({ name: "a" }))).id!;
      Object.assign(refs, await importAll(omics, storeA, A_FILES));
      const omicsB = server.client(TEST_CREDENTIALS[1]);
      storeB = (await omicsB.send(new CreateReferenceStoreCommand({ name: "b" }))).id!;
      phixB = (await importAll(omicsB, storeB, [["genomes", "phix.fa"]]))["phix.fa"];
    });
    after(() => server.stop());

    test("refget: the compliance suite's sequences by md5, md5:, SQ. and ga4gh:SQ., with exact headers", async () => {
      for (const [name, c] of Object.entries(checksums)) {
        const want = bases(join(REFGET_DIR, `${name}.faa`));
        const sq = c.ga4gh.replace(/^ga4gh:/, "");
        for (const id of [c.md5, c.md5.toUpperCase(), `md5:${c.md5}`, sq, c.ga4gh]) {
          const r = await get(`/ga4gh/refget/v2/sequence/${id}`, { accept: SEQ_TYPE });
          assert.equal(r.status, 200, id);
          assert.equal(r.headers.get("content-type"), SEQ_TYPE);
          assert.equal(r.headers.get("content-length"), String(want.length));
          assert.ok((await r.text()) === want, `${name} by ${id}`);
        }
        const m = await get(`/ga4gh/refget/v2/sequence/${c.md5}/metadata`, { accept: JSON_TYPE });
        assert.equal(m.status, 200);
        assert.equal(m.headers.get("content-type"), JSON_TYPE);
        const meta = (await m.json()).metadata;
        assert.deepEqual([meta.md5, meta.ga4gh, meta.length], [c.md5, sq, want.length]);
        assert.ok(meta.aliases.length >= 1 && meta.aliases.every((a: { alias: string }) => typeof a.alias === "string"));
      }
    });

    test("refget: the subsequence status table (start/end, Range) as the compliance suite expects", async () => {
      const I = checksums.I;
      const seq = bases(join(REFGET_DIR, "I.faa"));
      const L = seq.length;
      const s = async (q: string, headers: Record<string, string> = {}) => {
        const r = await get(`/ga4gh/refget/v2/sequence/${I.md5}${q}`, headers);
        return { status: r.status, body: await r.text(), headers: r.headers };
      };
      const ok = await s("?start=10&end=20");
      assert.deepEqual([ok.status, ok.body, ok.headers.get("content-length")], [200, seq.slice(10, 20), "10"]);
      assert.equal((await s("?start=230208")).body, seq.slice(230208));
      assert.equal((await s("?end=5")).body, seq.slice(0, 5));
      assert.deepEqual([(await s("?start=10&end=10")).status, (await s("?start=10&end=10")).body], [200, ""]);
      for (const q of ["?start=abc", "?start=-10", "?end=1.5", "?start=", "?start=10&end=xyz"]) assert.equal((await s(q)).status, 400, q);
      assert.equal((await s(`?start=${L}`)).status, 416);
      assert.equal((await s(`?start=${L + 5}&end=${L + 10}`)).status, 416);
      assert.equal((await s(`?start=0&end=${L + 1}`)).status, 416);
      assert.equal((await s("?start=220218&end=671")).status, 501, "circular: not supported");
      assert.equal((await s("?start=10&end=20", { range: "bytes=10-19" })).status, 400);
      const r = await s("", { range: "bytes=10-19" });
      assert.deepEqual([r.status, r.body, r.headers.get("content-range"), r.headers.get("content-length")], [206, seq.slice(10, 20), `bytes 10-19/${L}`, "10"]);
      const clipped = await s("", { range: `bytes=${L - 5}-${L + 100}` });
      assert.deepEqual([clipped.status, clipped.body], [206, seq.slice(L - 5)]);
      for (const range of ["units=20-30", "bytes=ab-19", "bytes=-10-", "bytes==10-19", "bytes=10-19,30-39"])
        assert.equal((await s("", { range })).status, 400, range);
      assert.equal((await s("", { range: "bytes=19-10" })).status, 416);
      assert.equal((await s("", { range: `bytes=${L}-${L + 10}` })).status, 416);
      assert.equal((await get("/ga4gh/refget/v2/sequence/0123456789abcdef0123456789abcdef")).status, 404);
      assert.equal((await get("/ga4gh/refget/v2/sequence/SQ.not-a-digest")).status, 404);
      assert.equal((await get("/ga4gh/refget/v2/sequence/ga4gh:SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2/metadata")).status, 404);
    });

    test("refget: content negotiation and service-info", async () => {
      const id = checksums.NC.md5;
      for (const accept of [SEQ_TYPE, "text/plain", "*/*", "text/*", `application/json;q=0.5, ${SEQ_TYPE}`])
        assert.equal((await get(`/ga4gh/refget/v2/sequence/${id}?end=3`, { accept })).status, 200, accept);
      for (const accept of ["application/json", "text/html", `${SEQ_TYPE};q=0`])
        assert.equal((await get(`/ga4gh/refget/v2/sequence/${id}`, { accept })).status, 406, accept);
      assert.equal((await get(`/ga4gh/refget/v2/sequence/${id}/metadata`, { accept: SEQ_TYPE })).status, 406);
      assert.equal((await get(`/ga4gh/refget/v2/sequence/${id}/metadata`, { accept: "application/json" })).status, 200);
      const si = await get("/ga4gh/refget/v2/sequence/service-info", { accept: JSON_TYPE });
      assert.equal(si.headers.get("content-type"), JSON_TYPE);
      const info = await si.json();
      assert.deepEqual(info.type, { group: "org.ga4gh", artifact: "refget-sequence", version: "2.0.0" });
      assert.equal(info.refget.circular_supported, false);
      assert.deepEqual(info.refget.algorithms, ["md5", "ga4gh"]);
      assert.ok("subsequence_limit" in info.refget);
    });

    test("refget: one sequence in two accounts and several references; a deleted copy is not served, the last one gone is a 404", async () => {
      const phix = manifest.files.find((f) => f.file === "phix.fa")!.sequences[0];
      const want = bases(join(GENOMES_DIR, "phix.fa"));
      const meta = (await (await get(`/ga4gh/refget/v2/sequence/${phix.md5}/metadata`)).json()).metadata;
      // phix.fa (A and B), NC.faa and phix-lambda.fa.gz hold the same bases
      assert.deepEqual(meta.aliases.map((a: { alias: string }) => a.alias).sort(), ["NC_001422.1", "phix"]);
      await omics.send(new DeleteReferenceCommand({ referenceStoreId: storeA, id: refs["phix.fa"] }));
      await omics.send(new DeleteReferenceCommand({ referenceStoreId: storeA, id: refs["NC.faa"] }));
      await omics.send(new DeleteReferenceCommand({ referenceStoreId: storeA, id: refs["phix-lambda.fa.gz"] }));
      const r = await get(`/ga4gh/refget/v2/sequence/${phix.ga4gh}?start=100&end=200`);
      assert.equal(await r.text(), want.slice(100, 200), "served from B's copy");
      await server.client(TEST_CREDENTIALS[1]).send(new DeleteReferenceCommand({ referenceStoreId: storeB, id: phixB }));
      assert.equal((await get(`/ga4gh/refget/v2/sequence/${phix.ga4gh}`)).status, 404);
      assert.equal((await get(`/files/${storeA}/${refs["phix.fa"]}/phix.fa`)).status, 404);
    });

    test("refget: soft-masked, CRLF and BGZF sources are served upper-case, byte-exact", async () => {
      for (const file of ["mixed-case-crlf.fa", "human-mito.fa", "vcholerae-h1.fa.gz"]) {
        const entry = manifest.files.find((f) => f.file === file)!;
        for (const s of entry.sequences) {
          const body = Buffer.from(await (await get(`/ga4gh/refget/v2/sequence/${s.md5}`)).arrayBuffer());
          assert.equal(body.length, s.length);
          const { createHash } = await import("node:crypto");
          assert.equal(createHash("md5").update(body).digest("hex"), s.md5, `${file} ${s.name}`);
        }
      }
    });

    test("seqcol: every vector's collection at levels 1 and 2, attributes, comparisons, list", async () => {
      const base = "/ga4gh/seqcol/v1";
      for (const [file, v] of Object.entries(seqcolVectors)) {
        const l2 = await (await get(`${base}/collection/${v.top_level_digest}`)).json();
        const { sorted_name_length_pairs: _t, ...wantL2 } = v.level2 as Record<string, unknown>;
        assert.deepEqual(l2, wantL2, `${file} level 2`);
        assert.deepEqual(await (await get(`${base}/collection/${v.top_level_digest}?level=1`)).json(), v.level1, `${file} level 1`);
        for (const attr of ["names", "lengths", "sequences", "sorted_sequences", "name_length_pairs"]) {
          const r = await get(`${base}/attribute/collection/${attr}/${v.level1[attr]}`);
          assert.deepEqual(await r.json(), v.level2[attr], `${file} ${attr}`);
        }
        assert.equal((await get(`${base}/attribute/collection/sorted_name_length_pairs/${v.level1.sorted_name_length_pairs}`)).status, 404);
      }
      for (const name of readdirSync(join(SEQCOL_DIR, "comparison"))) {
        const want = JSON.parse(readFileSync(join(SEQCOL_DIR, "comparison", name), "utf8"));
        const got = await (await get(`${base}/comparison/${want.digests.a}/${want.digests.b}`)).json();
        assert.deepEqual(got, want, name);
        const [, , bFile] = /^compare_(.+\.fa)_(.+\.fa)\.json$/.exec(name)!;
        const posted = await fetch(url(`${base}/comparison/${want.digests.a}`), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(seqcolVectors[bFile].level2),
        });
        assert.deepEqual(await posted.json(), want, `${name} by POST`);
      }
      assert.equal((await get(`${base}/collection/nope`)).status, 404);
      assert.equal((await get(`${base}/collection/${seqcolVectors["base.fa"].top_level_digest}?level=3`)).status, 400);
      assert.equal((await get(`${base}/comparison/nope/${seqcolVectors["base.fa"].top_level_digest}`)).status, 404);
      const bad = await fetch(url(`${base}/comparison/${seqcolVectors["base.fa"].top_level_digest}`), { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
      assert.equal(bad.status, 400);
      // list: the lengths digest of base.fa is shared by base, different_names, pair_swap, swap_wo_coords
      const lengths = seqcolVectors["base.fa"].level1.lengths;
      const sharing = Object.values(seqcolVectors).filter((v) => v.level1.lengths === lengths).map((v) => v.top_level_digest).sort();
      const page0 = await (await get(`${base}/list/collection?lengths=${lengths}&page_size=2`)).json();
      assert.deepEqual(page0, { results: sharing.slice(0, 2), pagination: { page: 0, page_size: 2, total: sharing.length } });
      const page1 = await (await get(`${base}/list/collection?lengths=${lengths}&page_size=2&page=1`)).json();
      assert.deepEqual(page1.results, sharing.slice(2, 4));
      const both = await (await get(`${base}/list/collection?lengths=${lengths}&names=${seqcolVectors["base.fa"].level1.names}`)).json();
      const names = seqcolVectors["base.fa"].level1.names;
      const wantBoth = Object.values(seqcolVectors).filter((v) => v.level1.lengths === lengths && v.level1.names === names).map((v) => v.top_level_digest).sort();
      assert.deepEqual(both.results, wantBoth);
      assert.equal((await get(`${base}/list/collection?colour=red`)).status, 400);
      assert.equal((await get(`${base}/list/collection?page_size=0`)).status, 400);
      const all = await (await get(`${base}/list/collection?page_size=1000`)).json();
      assert.ok(all.results.includes(seqcolVectors["subset.fa"].top_level_digest));
      const si = await (await get(`${base}/service-info`)).json();
      assert.equal(si.type.artifact, "refget-seqcol");
      assert.deepEqual(si.seqcol.schema.ga4gh.inherent, ["names", "sequences"]);
    });

    test("/files: SOURCE, .fai, .gzi with whole-file Range, HEAD, ETag, CORS", async () => {
      const file = "vcholerae-h1.fa.gz";
      const p = `/files/${storeA}/${refs[file]}`;
      const src = genome(file);
      const whole = await get(`${p}/genome.fa.gz`);
      assert.equal(whole.status, 200);
      assert.equal(whole.headers.get("accept-ranges"), "bytes");
      assert.equal(whole.headers.get("access-control-allow-origin"), "*");
      assert.match(whole.headers.get("access-control-expose-headers")!, /Content-Range/);
      const etag = whole.headers.get("etag")!;
      assert.ok(Buffer.from(await whole.arrayBuffer()).equals(src));
      const part = await get(`${p}/genome.fa.gz`, { range: "bytes=1000000-1100000" });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get("content-range"), `bytes 1000000-1100000/${src.length}`);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(src.subarray(1000000, 1100001)));
      const head = await fetch(url(`${p}/genome.fa.gz`), { method: "HEAD" });
      assert.deepEqual([head.status, head.headers.get("content-length"), head.headers.get("etag")], [200, String(src.length), etag]);
      assert.equal((await get(`${p}/genome.fa.gz`, { "if-none-match": etag })).status, 304);
      const fai = await get(`${p}/genome.fa.gz.fai`);
      assert.equal(await fai.text(), genome(`${file}.fai`).toString());
      const gzi = Buffer.from(await (await get(`${p}/genome.fa.gz.gzi`)).arrayBuffer());
      assert.ok(gzi.equals(genome(`${file}.gzi`)));
      assert.equal((await get(`/files/${storeA}/${refs["human-mito.fa"]}/x.fa.gzi`)).status, 404, "no .gzi for a plain source");
      const past = await get(`${p}/genome.fa.gz`, { range: `bytes=${src.length}-` });
      assert.deepEqual([past.status, past.headers.get("content-range")], [416, `bytes */${src.length}`]);
      const pre = await fetch(url(`${p}/genome.fa.gz`), { method: "OPTIONS", headers: { origin: "http://igv.example", "access-control-request-headers": "range" } });
      assert.equal(pre.status, 204);
      assert.match(pre.headers.get("access-control-allow-headers")!, /Range/);
      assert.equal((await get(`/files/${storeA}/9999999999/genome.fa`)).status, 404);
      assert.equal((await get(`/files/${storeB}/${refs[file]}/genome.fa`)).status, 404, "a reference is found only in its store");
    });

    test("/files .dict equals samtools dict -u <SOURCE url>; samtools faidx reads remote plain and BGZF FASTA", async (t) => {
      if (!hasSamtools) return t.skip("samtools not on PATH");
      const tmp = mkdtempSync(join(tmpdir(), "refstore-faidx-"));
      try {
        for (const file of ["human-mito.fa", "vcholerae-h1.fa.gz", "mixed-case-crlf.fa"]) {
          const p = `/files/${storeA}/${refs[file]}`;
          const fa = file.endsWith(".gz") ? "genome.fa.gz" : "genome.fa";
          const dict = await (await get(`${p}/genome.dict`)).text();
          const local = join(tmp, file);
          writeFileSync(local, genome(file));
          const want = spawnSync("samtools", ["dict", "-u", url(`${p}/genome.fa`), local], { encoding: "latin1" });
          assert.equal(dict, want.stdout, `${file} .dict`);
          const entry = manifest.files.find((f) => f.file === file)!;
          const regions = entry.sequences.flatMap((s) => [`${s.name}:1-1000`, `${s.name}:${s.length - 150}-${s.length}`]);
          const remote = await run("samtools", ["faidx", url(`${p}/${fa}`), ...regions], { cwd: tmp, env: { ...process.env, HOME: tmp } });
          const localOut = spawnSync("samtools", ["faidx", local, ...regions], { encoding: "latin1" });
          assert.equal(remote.status, 0, remote.stderr);
          assert.ok(remote.stdout.length > 1000);
          assert.equal(remote.stdout, localOut.stdout, `${file} samtools faidx over HTTP`);
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });

    test("htslib decodes CRAMs through REF_PATH (plain, BGZF, CRLF, soft-masked), with and without REF_CACHE", async (t) => {
      if (!hasSamtools) return t.skip("samtools not on PATH");
      const tmp = mkdtempSync(join(tmpdir(), "refstore-cram-"));
      try {
        for (const file of ["human-mito.fa", "mixed-case-crlf.fa", "vcholerae-h1.fa.gz", "I.faa"]) {
          const local = join(tmp, file);
          writeFileSync(local, readFileSync(join(file.endsWith(".faa") ? REFGET_DIR : GENOMES_DIR, file)));
          const seqs = spawnSync("samtools", ["faidx", local], { encoding: "latin1" });
          assert.equal(seqs.status, 0, seqs.stderr);
          const fai = readFileSync(`${local}.fai`, "latin1").trim().split("\n").map((l) => l.split("\t"));
          // reads: 100 bp every 997 bases of each sequence, bases taken from the reference with a
          // mismatch every 37th read (so CRAM must store differences against the reference)
          let sam = "@HD\tVN:1.6\tSO:coordinate\n";
          const dict = spawnSync("samtools", ["dict", local], { encoding: "latin1" }).stdout;
          // no UR: htslib could open the local file through it instead of asking REF_PATH
          sam += dict.split("\n").filter((l) => l.startsWith("@SQ")).map((l) => l.replace(/\tUR:[^\t]*/, "")).join("\n") + "\n";
          let n = 0;
          for (const [name, len] of fai) {
            const seq = spawnSync("samtools", ["faidx", local, name], { encoding: "latin1", maxBuffer: 1 << 28 }).stdout.split("\n").slice(1).join("").toUpperCase();
            for (let pos = 0; pos + 100 <= Number(len); pos += 997) {
              let read = seq.slice(pos, pos + 100);
              if (n % 37 === 0) read = read.slice(0, 50) + (read[50] === "A" ? "C" : "A") + read.slice(51);
              sam += `r${n++}\t0\t${name}\t${pos + 1}\t60\t100M\t*\t0\t0\t${read}\t${"I".repeat(100)}\n`;
            }
          }
          writeFileSync(join(tmp, "reads.sam"), sam);
          const cram = join(tmp, `${file}.cram`);
          const enc = spawnSync("samtools", ["view", "-C", "-T", local, "-o", cram, join(tmp, "reads.sam")], { encoding: "latin1" });
          assert.equal(enc.status, 0, enc.stderr);
          const want = spawnSync("samtools", ["view", "-T", local, cram], { encoding: "latin1", maxBuffer: 1 << 28 }).stdout;
          assert.ok(want.split("\n").length > 10);
          // the local reference goes: only refstore can supply the bases now
          rmSync(local);
          rmSync(`${local}.fai`);
          const cache = join(tmp, `cache-${file}`);
          mkdirSync(cache);
          const env = { ...process.env, HOME: tmp, XDG_CACHE_HOME: join(tmp, "xdg"), REF_PATH: `${server.url}/ga4gh/refget/v2/sequence/%s` };
          const noCache = await run("samtools", ["view", cram], { env: { ...env, REF_CACHE: "" } });
          assert.equal(noCache.status, 0, noCache.stderr);
          assert.ok(noCache.stdout === want, `${file}: decoded records without REF_CACHE`);
          const cached = await run("samtools", ["view", cram], { env: { ...env, REF_CACHE: join(cache, "%2s/%2s/%s") } });
          assert.equal(cached.status, 0, cached.stderr);
          assert.ok(cached.stdout === want, `${file}: decoded records with REF_CACHE`);
          assert.ok(readdirSync(cache).length > 0, "htslib wrote its cache (it checks the MD5 of what it downloaded)");
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}
