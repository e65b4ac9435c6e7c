// BGZF input: detection, .gzi semantics, and every way a compressed source can be broken.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ingestFasta } from "../../src/fasta/ingest.js";
import { FastaError } from "../../src/fasta/types.js";
import { GENOMES, chunked } from "./helpers.js";
import { BGZF_EOF as EOF_BLOCK, bgzfBlock as block } from "../support/fasta-gen.js";

function gziOf(pairs: [number, number][]): Buffer {
  const g = Buffer.alloc(8 + 16 * pairs.length);
  g.writeBigUInt64LE(BigInt(pairs.length), 0);
  pairs.forEach(([c, u], i) => {
    g.writeBigUInt64LE(BigInt(c), 8 + 16 * i);
    g.writeBigUInt64LE(BigInt(u), 16 + 16 * i);
  });
  return g;
}

async function rejectsWith(data: Buffer, message: string | RegExp, opts = {}): Promise<void> {
  for (const size of [1 << 20, 1000, 7]) {
    await assert.rejects(ingestFasta(chunked(data, size), opts), (e: unknown) => {
      assert.ok(e instanceof FastaError, String(e));
      if (typeof message === "string") assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    });
  }
}

const vch = readFileSync(join(GENOMES, "vcholerae-h1.fa.gz"));

test("blocks split at arbitrary text positions; empty blocks mid-file get no .gzi entry", async () => {
  const text = Buffer.from(">a desc\nACGTACGT\nACGTACGT\nACG\n>b\nAAAA\nCC\n");
  const b1 = block(text.subarray(0, 10));
  const b2 = block(text.subarray(10, 30));
  const b3 = block(text.subarray(30));
  const data = Buffer.concat([b1, b2, EOF_BLOCK, b3, EOF_BLOCK]);
  for (const size of [1 << 20, 1, 5]) {
    const r = await ingestFasta(chunked(data, size));
    assert.equal(r.compression, "bgzf");
    assert.equal(r.uncompressedBytes, text.length);
    assert.equal(r.bytes, data.length);
    assert.equal(r.fai.toString(), "a\t19\t8\t8\t9\nb\t6\t33\t4\t5\n");
    assert.ok(r.gzi!.equals(gziOf([[b1.length, 10], [b1.length + b2.length + 28, 30]])));
  }
});

test("a file starting with an empty block: the first data block still has no entry", async () => {
  const text = Buffer.from(">a\nACGT\n");
  const r = await ingestFasta(chunked(Buffer.concat([EOF_BLOCK, block(text), EOF_BLOCK]), 3));
  assert.ok(r.gzi!.equals(gziOf([])));
  assert.equal(r.fai.toString(), "a\t4\t3\t4\t5\n");
});

test("plain gzip is refused", async () => {
  await rejectsWith(gzipSync(Buffer.from(">a\nACGT\n")), "compressed with gzip: recompress with bgzip");
});

test("a gzip member with FEXTRA but no BC subfield is plain gzip", async () => {
  const b = block(Buffer.from(">a\nACGT\n"));
  b[12] = 0x58; // "XC" instead of "BC"
  await rejectsWith(b, "compressed with gzip: recompress with bgzip");
});

test("missing end-of-file block", async () => {
  await rejectsWith(vch.subarray(0, vch.length - 28), "BGZF: missing end-of-file marker block: the file is truncated");
});

test("truncated block", async () => {
  await rejectsWith(vch.subarray(0, 100_000), /^BGZF: truncated block at byte \d+: the file is incomplete$/);
});

test("bad CRC", async () => {
  const b = Buffer.from(vch);
  const firstSize = b.readUInt16LE(16) + 1;
  b[firstSize - 8] ^= 0xff;
  await rejectsWith(b, "BGZF: corrupt block at byte 0 (CRC mismatch)");
});

test("corrupt deflate data", async () => {
  const b = Buffer.from(vch);
  const firstSize = b.readUInt16LE(16) + 1;
  const second = firstSize;
  b.fill(0xff, second + 18, second + 40);
  await rejectsWith(b, `BGZF: corrupt block at byte ${second} (bad deflate data)`);
});

test("garbage after a block", async () => {
  const b = Buffer.concat([block(Buffer.from(">a\nACGT\n")), Buffer.from("hello world"), EOF_BLOCK]);
  const first = b.length - 28 - 11;
  await rejectsWith(b, `BGZF: corrupt block at byte ${first} (not a BGZF block header)`);
});

test("uncompressed size limit (decompression bomb guard), BGZF and plain", async () => {
  await rejectsWith(vch, "uncompressed size exceeds the limit of 1000000 bytes", { maxUncompressedBytes: 1_000_000 });
  const plain = readFileSync(join(GENOMES, "lambda.fa"));
  await rejectsWith(plain, "uncompressed size exceeds the limit of 40000 bytes", { maxUncompressedBytes: 40_000 });
  const r = await ingestFasta(chunked(plain, 4096), { maxUncompressedBytes: plain.length });
  assert.equal(r.bytes, plain.length);
});

test("BGZF holding no text", async () => {
  await rejectsWith(EOF_BLOCK, "empty file (the BGZF data holds no text)");
});

test("FASTA errors inside BGZF report uncompressed line numbers", async () => {
  const data = Buffer.concat([block(Buffer.from(">a\nACGT\n")), block(Buffer.from("AC*T\n")), EOF_BLOCK]);
  await rejectsWith(data, 'line 3: invalid character "*" in sequence a (only letters A-Z, a-z allowed)');
});
