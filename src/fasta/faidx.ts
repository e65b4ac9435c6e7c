// Reading a stored FASTA back through its index: the .fai geometry (where base i of a sequence
// lies in the text), the .gzi (which BGZF block holds a text offset), and the normalisation
// refget serves (line breaks dropped, upper case). Pure: the caller brings the bytes.

/** One .fai line (samtools faidx): offsets are in the uncompressed text. */
export interface FaiEntry {
  name: string;
  length: number;
  /** text offset of the sequence's first base */
  offset: number;
  /** bases per full line */
  lineBases: number;
  /** bytes per full line, line break included (lineBases + 1, or + 2 for CRLF) */
  lineWidth: number;
}

/** Parse a .fai (as the engine or samtools wrote it). Throws on a malformed line. */
export function parseFai(text: string): FaiEntry[] {
  const out: FaiEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const f = line.split("\t");
    const n = f.slice(1, 5).map(Number);
    if (f.length < 5 || n.some((x) => !Number.isSafeInteger(x) || x < 0) || (n[0] > 0 && (n[2] < 1 || n[3] <= n[2])))
      throw new Error(`.fai line ${i + 1} is malformed`);
    out.push({ name: f[0], length: n[0], offset: n[1], lineBases: n[2], lineWidth: n[3] });
  }
  return out;
}

/** Text offset of base `i` (0-based) of the sequence. */
export function baseOffset(e: FaiEntry, i: number): number {
  return e.offset + Math.floor(i / e.lineBases) * e.lineWidth + (i % e.lineBases);
}

/**
 * The text bytes holding bases [start, end) (end > start): first and last offset, inclusive.
 * Everything between them is bases and line breaks.
 */
export function textRange(e: FaiEntry, start: number, end: number): { first: number; last: number } {
  return { first: baseOffset(e, start), last: baseOffset(e, end - 1) };
}

/** A .gzi with the implicit first block (0, 0) put in front: block k starts at c[k] / u[k]. */
export interface Gzi {
  c: number[];
  u: number[];
}

export function parseGzi(buf: Uint8Array): Gzi {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8) throw new Error(".gzi is truncated");
  const n = Number(b.readBigUInt64LE(0));
  if (b.length !== 8 + 16 * n) throw new Error(`.gzi holds ${b.length} bytes for ${n} entries`);
  const c = [0];
  const u = [0];
  for (let k = 0; k < n; k++) {
    c.push(Number(b.readBigUInt64LE(8 + 16 * k)));
    u.push(Number(b.readBigUInt64LE(16 + 16 * k)));
  }
  return { c, u };
}

/** Index of the block holding text offset `off` (the last block starting at or before it). */
export function gziBlock(g: Gzi, off: number): number {
  let lo = 0;
  let hi = g.u.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (g.u[mid] <= off) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Bases among `src[from, to)` moved to the front of `src`, upper-cased; returns how many.
 * `srcPos` is the text offset of `src[0]`, and `[from, to)` must lie within the sequence's
 * text (bases and line breaks only). The line breaks are found by the geometry, not by
 * looking at every byte: whole line pieces move with one native copy each, and upper-casing
 * clears bit 0x20 four bytes at a time (a stored sequence holds only letters, the engine's
 * rule). Every line-break byte skipped is checked to be CR or LF: bytes that disagree with the
 * index throw rather than come out as bases.
 */
export function compactBases(e: FaiEntry, src: Uint8Array, srcPos: number, from: number, to: number): number {
  let o = 0;
  let i = from;
  while (i < to) {
    const r = (srcPos + i - e.offset) % e.lineWidth;
    if (r < e.lineBases) {
      const end = Math.min(to, i + (e.lineBases - r));
      if (o !== i) src.copyWithin(o, i, end);
      o += end - i;
      i = end;
    } else {
      const end = Math.min(to, i + (e.lineWidth - r));
      for (; i < end; i++) {
        const b = src[i];
        if (b !== 0x0a && b !== 0x0d) throw new Error(`byte ${srcPos + i} of the text is not a line break where the index puts one`);
      }
    }
  }
  upperInPlace(src, o);
  return o;
}

/** Clear bit 0x20 of `b[0, n)` (letters to upper case), a 32-bit word at a time where aligned. */
export function upperInPlace(b: Uint8Array, n: number): void {
  let i = 0;
  const head = Math.min(n, (4 - (b.byteOffset & 3)) & 3);
  for (; i < head; i++) b[i] &= 0xdf;
  const words = (n - i) >> 2;
  if (words > 0) {
    const w = new Int32Array(b.buffer, b.byteOffset + i, words);
    for (let k = 0; k < words; k++) w[k] &= 0xdfdfdfdf;
    i += words * 4;
  }
  for (; i < n; i++) b[i] &= 0xdf;
}
