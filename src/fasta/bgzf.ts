// BGZF (SAM spec §4.1): detection, block-by-block inflation with CRC32/ISIZE checks, and the
// .gzi index exactly as bgzip/samtools write it: little-endian u64 count, then one
// (compressed offset, uncompressed offset) pair per non-empty block except the first
// non-empty block (empty blocks, such as the end-of-file marker, get no entry).

import * as zlib from "node:zlib";
import { err } from "./rules.js";

export type Detected = "bgzf" | "none" | "need-more";

/** Looks at the first bytes of the source. Throws FastaError for unsupported compressions. */
export function detectCompression(head: Uint8Array, atEnd: boolean): Detected {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    if (head.length < 12 && !atEnd) return "need-more";
    if (head.length < 12 || head[2] !== 8 || (head[3] & 4) === 0) {
      if (head.length >= 4 && head[2] === 8 && (head[3] & 4) === 0) throw err.gzip();
      if (head.length < 12) throw err.bgzfTruncated(0);
      throw err.gzip();
    }
    const xlen = head[10] | (head[11] << 8);
    if (head.length < 12 + xlen) {
      if (!atEnd) return "need-more";
      throw err.bgzfTruncated(0);
    }
    if (findBC(head, 0, xlen) < 0) throw err.gzip();
    return "bgzf";
  }
  const magic = (bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (head.length < 6 && !atEnd) return "need-more";
  if (magic([0x28, 0xb5, 0x2f, 0xfd])) throw err.otherCompression("zstd");
  if (magic([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) throw err.otherCompression("xz");
  if (magic([0x42, 0x5a, 0x68])) throw err.otherCompression("bzip2");
  return "none";
}

/** BSIZE-1 from the BC subfield of the header at `off`, or -1. */
function findBC(b: Uint8Array, off: number, xlen: number): number {
  let p = off + 12;
  const end = p + xlen;
  while (p + 4 <= end) {
    const slen = b[p + 2] | (b[p + 3] << 8);
    if (b[p] === 66 && b[p + 1] === 67 && slen === 2 && p + 6 <= end) return b[p + 4] | (b[p + 5] << 8);
    p += 4 + slen;
  }
  return -1;
}

const crc32: (data: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === "function"
    ? (d) => (zlib as unknown as { crc32: (d: Uint8Array) => number }).crc32(d)
    : (() => {
        const t = new Int32Array(256);
        for (let n = 0; n < 256; n++) {
          let c = n;
          for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
          t[n] = c;
        }
        return (d: Uint8Array) => {
          let c = -1;
          for (let i = 0; i < d.length; i++) c = t[(c ^ d[i]) & 0xff] ^ (c >>> 8);
          return (c ^ -1) >>> 0;
        };
      })();

export class BgzfDecoder {
  private stage = Buffer.allocUnsafe(65536);
  private stageLen = 0;
  /** compressed offset of the next block */
  private caddr = 0;
  /** uncompressed offset of the next block */
  uaddr = 0;
  private sawData = false;
  private lastEmpty = false;
  private gzi: Buffer = Buffer.alloc(8 + 16 * 64);
  private entries = 0;

  constructor(private readonly maxUncompressed: number) {}

  /** Feeds compressed bytes; calls `out` with each block's text. */
  push(chunk: Uint8Array, out: (text: Buffer) => void): void {
    let p = 0;
    const n = chunk.length;
    while (p < n) {
      if (this.stageLen === 0) {
        const need = this.need(chunk, p, n - p);
        if (need <= n - p) {
          this.block(chunk, p, need, out);
          p += need;
          continue;
        }
      }
      // accumulate in the stage until a whole block is there
      let need = this.need(this.stage, 0, this.stageLen);
      while (need > this.stageLen && p < n) {
        const take = Math.min(need - this.stageLen, n - p);
        this.stage.set(chunk.subarray(p, p + take), this.stageLen);
        this.stageLen += take;
        p += take;
        need = this.need(this.stage, 0, this.stageLen);
      }
      if (need <= this.stageLen) {
        this.block(this.stage, 0, need, out);
        this.stageLen = 0;
      }
    }
  }

  /** Bytes needed to complete the block starting at `off` (given `avail` bytes); validates the header. */
  private need(b: Uint8Array, off: number, avail: number): number {
    const at = this.caddr;
    const upto = Math.min(avail, 4);
    const magic = [0x1f, 0x8b, 0x08, 0x04];
    for (let i = 0; i < upto; i++) {
      if (b[off + i] !== magic[i]) throw err.bgzfCorrupt(at, "not a BGZF block header");
    }
    if (avail < 12) return 12;
    const xlen = b[off + 10] | (b[off + 11] << 8);
    if (avail < 12 + xlen) return 12 + xlen;
    const bc = findBC(b, off, xlen);
    if (bc < 0) throw err.bgzfCorrupt(at, "no BC subfield");
    const bsize = bc + 1;
    if (bsize < 12 + xlen + 8 + 2) throw err.bgzfCorrupt(at, "bad block size");
    return bsize;
  }

  private block(b: Uint8Array, off: number, bsize: number, out: (text: Buffer) => void): void {
    const at = this.caddr;
    const xlen = b[off + 10] | (b[off + 11] << 8);
    const tail = off + bsize - 8;
    const crc = (b[tail] | (b[tail + 1] << 8) | (b[tail + 2] << 16) | (b[tail + 3] << 24)) >>> 0;
    const isize = (b[tail + 4] | (b[tail + 5] << 8) | (b[tail + 6] << 16) | (b[tail + 7] << 24)) >>> 0;
    if (isize > 65536) throw err.bgzfCorrupt(at, "bad uncompressed size");
    if (this.uaddr + isize > this.maxUncompressed) throw err.tooBig(this.maxUncompressed);
    let text: Buffer;
    try {
      text = zlib.inflateRawSync(b.subarray(off + 12 + xlen, tail));
    } catch {
      throw err.bgzfCorrupt(at, "bad deflate data");
    }
    if (text.length !== isize) throw err.bgzfCorrupt(at, "size mismatch");
    if (crc32(text) !== crc) throw err.bgzfCorrupt(at, "CRC mismatch");
    if (isize > 0) {
      if (this.sawData) this.addEntry(this.caddr, this.uaddr);
      this.sawData = true;
      this.lastEmpty = false;
    } else {
      this.lastEmpty = true;
    }
    this.caddr += bsize;
    this.uaddr += isize;
    if (isize > 0) out(text);
  }

  private addEntry(c: number, u: number): void {
    const pos = 8 + 16 * this.entries;
    if (pos + 16 > this.gzi.length) {
      const g = Buffer.alloc(this.gzi.length * 2);
      this.gzi.copy(g);
      this.gzi = g;
    }
    this.gzi.writeBigUInt64LE(BigInt(c), pos);
    this.gzi.writeBigUInt64LE(BigInt(u), pos + 8);
    this.entries++;
  }

  /** End of input: checks the file is complete, returns the .gzi. */
  finish(): Buffer {
    if (this.stageLen > 0) throw err.bgzfTruncated(this.caddr);
    if (!this.lastEmpty) throw err.bgzfNoEof();
    const g = this.gzi.subarray(0, 8 + 16 * this.entries);
    g.writeBigUInt64LE(BigInt(this.entries), 0);
    return Buffer.from(g);
  }
}
