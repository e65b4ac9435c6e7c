// Generated FASTA for fault tests (sizes that need several S3 parts; random, so no two parts match),
// and BGZF made the way bgzip makes it.

import { randomBytes } from "node:crypto";
import { crc32, deflateRawSync } from "node:zlib";

/** A valid FASTA of about `bytes` bytes (one sequence, 60-column lines). */
export function fastaOf(bytes: number, name = "chr1"): Buffer {
  const line = Buffer.alloc(61);
  const parts: Buffer[] = [Buffer.from(`>${name}\n`)];
  const rnd = randomBytes(Math.ceil(bytes / 61) * 60);
  let total = parts[0].length;
  for (let i = 0; total < bytes; i++) {
    for (let j = 0; j < 60; j++) line[j] = "ACGT".charCodeAt(rnd[i * 60 + j] & 3);
    line[60] = 10;
    parts.push(Buffer.from(line));
    total += 61;
  }
  return Buffer.concat(parts);
}


export const BGZF_EOF = Buffer.from("1f8b08040000000000ff0600424302001b0003000000000000000000", "hex");

/** One BGZF block holding `text` (as bgzip writes it). */
export function bgzfBlock(text: Buffer): Buffer {
  const cdata = deflateRawSync(text);
  const h = Buffer.from("1f8b08040000000000ff060042430200", "hex");
  const b = Buffer.concat([h, Buffer.alloc(2), cdata, Buffer.alloc(8)]);
  b.writeUInt16LE(b.length - 1, 16);
  b.writeUInt32LE(crc32(text), b.length - 8);
  b.writeUInt32LE(text.length, b.length - 4);
  return b;
}

/** `text` as bgzip compresses it: blocks of 65,280 bytes, then the EOF block. */
export function bgzfOf(text: Buffer): Buffer {
  const blocks: Buffer[] = [];
  for (let at = 0; at < text.length; at += 65280) blocks.push(bgzfBlock(text.subarray(at, at + 65280)));
  return Buffer.concat([...blocks, BGZF_EOF]);
}
