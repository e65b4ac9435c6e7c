// Engine behaviour beyond the rules: the worker-thread path on inputs larger than one digest
// block, pass-through and backpressure, errors from the sink or the source, abort, and no
// worker thread left behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { ingestFasta } from "../../src/fasta/ingest.js";
import { liveDigestWorkers } from "../../src/fasta/digests.js";
import { FastaError } from "../../src/fasta/types.js";
import { chunked, hasSamtools, refget } from "./helpers.js";

/** A deterministic ~12 MB genome: 3 records, mixed case, N runs, different widths, CRLF in one. */
function genome(): { data: Buffer; seqs: [string, string][]; fai: string } {
  let s = 7;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0);
  const parts: string[] = [];
  const seqs: [string, string][] = [];
  const fai: string[] = [];
  let off = 0;
  const recs: [string, number, number, string][] = [
    ["chr1", 5_000_003, 60, "\n"],
    ["chr2", 4_500_000, 80, "\r\n"],
    ["chrM", 16_571, 70, "\n"],
  ];
  for (const [name, len, w, eol] of recs) {
    const header = `>${name} test record${eol}`;
    const b = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) {
      const r = rnd();
      const block = (i >> 12) % 7;
      b[i] = block === 3 ? 0x4e : (block === 5 ? "acgt" : "ACGT").charCodeAt(r >>> 30);
    }
    const seq = b.toString("latin1");
    let text = header;
    for (let i = 0; i < len; i += w) text += seq.slice(i, i + w) + eol;
    fai.push(`${name}\t${len}\t${off + header.length}\t${w}\t${w + eol.length}\n`);
    off += text.length;
    parts.push(text);
    seqs.push([name, seq]);
  }
  return { data: Buffer.from(parts.join(""), "latin1"), seqs, fai: fai.join("") };
}

const G = genome();

test("a multi-megabyte genome through the worker threads, odd chunk sizes", async (t) => {
  const want = G.seqs.map(([name, s]) => ({ name, length: s.length, ...refget(s) }));
  const md5 = createHash("md5").update(G.data).digest("hex");
  for (const size of [1 << 20, 65537, 1_000_003]) {
    const seen = createHash("md5");
    let n = 0;
    const r = await ingestFasta(chunked(G.data, size), {
      onBytes: async (c) => {
        seen.update(c);
        n += c.length;
        await tick();
      },
    });
    assert.equal(n, G.data.length);
    assert.equal(seen.digest("hex"), md5, "onBytes saw the source bytes");
    assert.equal(r.md5, md5);
    assert.equal(r.fai.toString(), G.fai);
    assert.deepEqual(r.sequences, want);
  }
  await tick();
  assert.equal(liveDigestWorkers(), 0, "no digest worker left running");
  if (!hasSamtools()) return t.skip("samtools not on PATH");
  const dir = mkdtempSync(join(tmpdir(), "refstore-engine-"));
  try {
    writeFileSync(join(dir, "g.fa"), G.data);
    assert.equal(spawnSync("samtools", ["faidx", join(dir, "g.fa")]).status, 0);
    assert.equal(readFileSync(join(dir, "g.fa.fai"), "latin1"), G.fai);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("refget test vector (ACGT)", async () => {
  const r = await ingestFasta(chunked(Buffer.from(">x\nAC\ngt\n"), 3));
  assert.deepEqual(r.sequences, [
    { name: "x", length: 4, md5: "f1f8f4bf413b16ad135722aa4591043e", ga4gh: "SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2" },
  ]);
});

test("an error from onBytes propagates unchanged, and the workers stop", async () => {
  const boom = new Error("disk full");
  let calls = 0;
  await assert.rejects(
    ingestFasta(chunked(G.data, 1 << 20), {
      onBytes: () => {
        if (++calls === 8) return Promise.reject(boom);
      },
    }),
    (e) => e === boom,
  );
  await tick();
  assert.equal(liveDigestWorkers(), 0);
});

test("an error from the source propagates unchanged", async () => {
  const boom = new Error("connection reset");
  async function* src() {
    yield G.data.subarray(0, 9 << 20);
    throw boom;
  }
  await assert.rejects(ingestFasta(src()), (e) => e === boom);
  await tick();
  assert.equal(liveDigestWorkers(), 0);
});

test("a FASTA error deep in a large input stops the workers", async () => {
  const bad = Buffer.concat([G.data, Buffer.from(">chr1\nACGT\n")]);
  await assert.rejects(ingestFasta(chunked(bad, 1 << 20)), (e: unknown) => {
    assert.ok(e instanceof FastaError);
    assert.match(e.message, /^line \d+: duplicate sequence name "chr1" \(first used at line 1\)$/);
    return true;
  });
  await tick();
  assert.equal(liveDigestWorkers(), 0);
});

test("abort rejects promptly with the signal's reason, even while the source is stalled", async () => {
  const ac = new AbortController();
  let returned = false;
  const src: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        next: async () => {
          if (i < 10) return { done: false, value: G.data.subarray(i++ << 20, i << 20) };
          return new Promise<IteratorResult<Buffer>>(() => {}); // never resolves
        },
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  const reason = new Error("cancelled by user");
  setTimeout(() => ac.abort(reason), 200);
  const t0 = Date.now();
  await assert.rejects(ingestFasta(src, { signal: ac.signal }), (e) => e === reason);
  assert.ok(Date.now() - t0 < 2000);
  await tick();
  assert.ok(returned, "the source iterator was closed");
  assert.equal(liveDigestWorkers(), 0);
});

test("an already aborted signal rejects at once", async () => {
  const ac = new AbortController();
  ac.abort(new Error("stop"));
  await assert.rejects(ingestFasta(chunked(G.data, 1 << 20), { signal: ac.signal }), /stop/);
});

test("source chunks are left unmodified", async () => {
  const data = Buffer.from(G.data.subarray(0, 3 << 20)); // ends mid-line: valid, no final newline
  const before = createHash("md5").update(data).digest("hex");
  const r = await ingestFasta(chunked(data, 100_000));
  assert.equal(r.md5, before);
  assert.equal(createHash("md5").update(data).digest("hex"), before);
  const body = data.toString("latin1").slice(data.indexOf(10) + 1);
  assert.deepEqual(r.sequences, [{ name: "chr1", length: body.replace(/\n/g, "").length, ...refget(body) }]);
});

test("memory stays bounded over 256 MiB when a signal is passed (chunks are not retained)", async () => {
  // One record of 60-column lines, handed out as fresh 1 MiB buffers: if the engine kept any
  // reference to chunks it has finished with, external memory would grow with the input.
  const line = Buffer.from("ACGTACGTAC".repeat(6) + "\n");
  const block = Buffer.alloc(line.length * 17476); // just under 1 MiB of whole lines
  for (let o = 0; o < block.length; o += line.length) line.copy(block, o);
  const blocks = 256;
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  async function* source(): AsyncGenerator<Buffer> {
    yield Buffer.from(">big\n");
    for (let i = 0; i < blocks; i++) {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      yield Buffer.from(block);
    }
  }
  const ac = new AbortController();
  const r = await ingestFasta(source(), { signal: ac.signal });
  assert.equal(r.sequences[0].length, 60 * 17476 * blocks);
  // retained chunks would add the whole 256 MiB; the engine's own buffers and GC slack stay far below
  assert.ok(peak < 128 * 2 ** 20, `external memory grew by ${(peak / 2 ** 20).toFixed(0)} MiB`);
});
