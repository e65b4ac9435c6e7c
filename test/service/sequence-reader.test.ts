// The refget read path against samtools faidx (the oracle) on the real fixtures: plain, CRLF,
// soft-masked, several records, BGZF with one block and with many; whole sequences, windows
// across line and block boundaries, tiny windows (many ranged reads), on disk and S3 blobs.
// Both ways in: stream(), and bases() (one Buffer for a small request). Also: backpressure (a
// slow reader holds about two windows), and a store whose bytes do not match their index fails
// instead of serving other bases.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { DiskBlobStore } from "../../src/blobs/disk.js";
import { S3BlobStore } from "../../src/blobs/s3.js";
import type { BlobStore } from "../../src/blobs/types.js";
import { parseFai } from "../../src/fasta/faidx.js";
import { SequenceReader, type StoredSequence } from "../../src/service/sequence-reader.js";
import { GENOMES, hasSamtools } from "../fasta/helpers.js";
import { startS3, type TestS3 } from "../support/s3.js";

const FILES = ["phix.fa", "multi.fa", "mixed-case-crlf.fa", "human-mito.fa", "yeast-chrI.fa", "phix-lambda.fa.gz", "vcholerae-h1.fa.gz"];
const samtools = hasSamtools();

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** samtools faidx's answer for each 0-based half-open [start, end) region, upper-cased, one string per region. */
function oracle(file: string, regions: [string, number, number][]): string[] {
  const args = ["faidx", join(GENOMES, file), ...regions.map(([n, s, e]) => `${n}:${s + 1}-${e}`)];
  const r = spawnSync("samtools", args, { maxBuffer: 1 << 30, encoding: "latin1" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split(">")
    .slice(1)
    .map((rec) => rec.slice(rec.indexOf("\n") + 1).replace(/\s/g, "").toUpperCase());
}

/** Put a fixture's SOURCE, .fai and .gzi in the store as an import would. */
async function store(blobs: BlobStore, file: string): Promise<StoredSequence[]> {
  const base = `stores/1/references/${file}`;
  const source = readFileSync(join(GENOMES, file));
  const fai = readFileSync(join(GENOMES, file + ".fai"));
  await blobs.put(`${base}/source`, source);
  await blobs.put(`${base}/index.fai`, fai);
  const bgzf = file.endsWith(".gz");
  if (bgzf) await blobs.put(`${base}/source.gzi`, readFileSync(join(GENOMES, file + ".gzi")));
  return parseFai(fai.toString("latin1")).map((e, ordinal) => ({
    ordinal,
    name: e.name,
    length: e.length,
    source: { key: `${base}/source`, contentLength: source.length },
    index: { key: `${base}/index.fai`, contentLength: fai.length },
    extraKeys: bgzf ? [`${base}/source.gzi`] : [],
    compression: bgzf ? "bgzf" : "none",
  }));
}

/** Regions worth checking: whole, first/last base, across line ends, around 64 KiB BGZF blocks, random. */
function regions(seq: StoredSequence): [number, number][] {
  const L = seq.length;
  let x = seq.length;
  const rnd = (n: number) => (x = (x * 1103515245 + 12345) % 2147483648) % n;
  const out: [number, number][] = [[0, L], [0, 1], [L - 1, L], [59, 61], [69, 71], [79, 81], [0, 1000]];
  for (let b = 65536; b < L * 1.02; b += 65536 * 7) out.push([Math.max(0, b - 1500), Math.min(L, b + 1500)]);
  for (let i = 0; i < 12; i++) {
    const s = rnd(L);
    out.push([s, Math.min(L, s + 1 + rnd(20_000))]);
  }
  return out.filter(([s, e]) => e > s && e <= L);
}

function suite(name: string, make: () => Promise<{ blobs: BlobStore; cleanup(): Promise<void> }>) {
  describe(`sequence reader [${name}]`, () => {
    let blobs: BlobStore;
    let cleanup: () => Promise<void>;
    const stored = new Map<string, StoredSequence[]>();
    before(async () => {
      ({ blobs, cleanup } = await make());
      for (const f of FILES) stored.set(f, await store(blobs, f));
    });
    after(async () => cleanup());

    for (const file of FILES) {
      test(`${file}: what samtools faidx returns, upper-cased, for whole sequences and windows`, async (t) => {
        if (!samtools) return t.skip("samtools not on PATH: nothing to compare with");
        for (const windowBytes of [4 * 1024 * 1024, 1000]) {
          const reader = new SequenceReader(blobs, { windowBytes });
          for (const seq of stored.get(file)!) {
            const rs = regions(seq);
            const want = oracle(file, rs.map(([s, e]) => [seq.name, s, e]));
            for (let i = 0; i < rs.length; i++) {
              const [s, e] = rs[i];
              const got = (await readAll(await reader.stream(seq, s, e))).toString("latin1");
              assert.equal(got.length, e - s, `${seq.name}:${s}-${e} length (window ${windowBytes})`);
              assert.ok(got === want[i], `${seq.name}:${s}-${e} differs from samtools (window ${windowBytes})`);
              const b = await reader.bases(seq, s, e);
              if (e - s <= 1000) assert.ok(Buffer.isBuffer(b), `${seq.name}:${s}-${e}: a small request is one Buffer`);
              const got2 = (Buffer.isBuffer(b) ? b : await readAll(b)).toString("latin1");
              assert.ok(got2 === want[i], `${seq.name}:${s}-${e} by bases() differs from samtools (window ${windowBytes})`);
            }
          }
        }
      });
    }

    test("empty and out-of-range requests", async () => {
      const reader = new SequenceReader(blobs);
      const [phix] = stored.get("phix.fa")!;
      assert.equal((await readAll(await reader.stream(phix, 7, 7))).length, 0);
      await assert.rejects(reader.stream(phix, 0, phix.length + 1), RangeError);
      await assert.rejects(reader.stream(phix, 5, 4), RangeError);
    });

    test("backpressure: a reader that does not read holds about two windows, not the sequence", async () => {
      const reader = new SequenceReader(blobs, { windowBytes: 16 * 1024 });
      const [chr1] = stored.get("vcholerae-h1.fa.gz")!;
      const s = await reader.stream(chr1, 0, chr1.length);
      let got = 0;
      s.once("data", (c: Buffer) => {
        got += c.length;
        s.pause();
      });
      await new Promise((r) => setTimeout(r, 300));
      // one inflated BGZF block (64 KiB of text) at most beyond what was pulled
      assert.ok(got > 0 && got + s.readableLength < 256 * 1024, `buffered ${got + s.readableLength} bytes`);
      s.destroy();
    });

    test("bytes that disagree with the index fail the stream instead of serving other bases", async () => {
      const [phix] = stored.get("phix.fa")!;
      // an index claiming longer lines than the file has: the range runs past the text
      await blobs.put("stores/1/references/bad/source", Buffer.from(">phix\nACGTACGT\nAC\n"));
      await blobs.put("stores/1/references/bad/index.fai", Buffer.from("phix\t20\t6\t8\t9\n"));
      const bad: StoredSequence = {
        ...phix,
        length: 20,
        source: { key: "stores/1/references/bad/source", contentLength: 18 },
        index: { key: "stores/1/references/bad/index.fai", contentLength: 16 },
      };
      const reader = new SequenceReader(blobs);
      await assert.rejects(readAll(await reader.stream(bad, 0, 20)), /bases read for phix, 20 expected/);
      await assert.rejects(reader.bases(bad, 0, 20), /ended before text offset|bases read for phix, 20 expected/);
      assert.equal((await reader.bases(bad, 0, 10)).toString(), "ACGTACGTAC");
      assert.equal((await readAll(await reader.stream(bad, 0, 10))).toString(), "ACGTACGTAC");
    });
  });
}

suite("disk", async () => {
  const dir = mkdtempSync(join(tmpdir(), "refstore-reader-"));
  return { blobs: new DiskBlobStore(dir, { fsync: false }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

suite("s3", async () => {
  const s3: TestS3 = await startS3({ buckets: ["blobs"] });
  const blobs = new S3BlobStore({ bucket: "blobs", prefix: "reader", client: s3.client });
  return { blobs, cleanup: () => s3.stop() };
});
