// The refget read path: bases [start, end) of one stored sequence, streamed from the reference's
// SOURCE blob through its .fai geometry (and, for BGZF sources, its .gzi), upper-cased with line
// breaks dropped. Bytes come in windows of a few MiB, each one ranged read of the blob store
// (disk: positional reads of the file; S3: one ranged GET), the next window's read opened while
// the current one streams; the generator behind the stream pulls only as fast as the consumer
// reads (backpressure), so memory stays at about two windows whatever the sequence's size.

import { Readable } from "node:stream";
import type { BlobStore } from "../blobs/types.js";
import type { FileInfo } from "../catalog/types.js";
import { BgzfDecoder } from "../fasta/bgzf.js";
import { compactBases, gziBlock, parseFai, parseGzi, textRange, type FaiEntry, type Gzi } from "../fasta/faidx.js";

/** What the reader needs to know of a stored sequence (a catalog SequenceCopy fits). */
export interface StoredSequence {
  /** position in the reference, = its .fai line */
  ordinal: number;
  name: string;
  length: number;
  source: FileInfo;
  index: FileInfo;
  extraKeys: string[];
  compression: "none" | "bgzf";
}

export interface SequenceReaderOptions {
  /** bytes of SOURCE per ranged read (default 4 MiB) */
  windowBytes?: number;
  /** parsed .fai / .gzi files kept (default 256 each; blobs never change under a key) */
  cacheEntries?: number;
}

/** The stored bytes do not match their index (never expected: a fault of the storage). */
export class StoredSequenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoredSequenceError";
  }
}

/** A small LRU of promises (a failed load is forgotten). */
class Lru<T> {
  private readonly map = new Map<string, Promise<T>>();
  constructor(private readonly max: number) {}
  get(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.map.get(key);
    if (p) {
      this.map.delete(key);
      this.map.set(key, p);
      return p;
    }
    p = load();
    p.catch(() => this.map.delete(key));
    this.map.set(key, p);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
    return p;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export class SequenceReader {
  private readonly window: number;
  private readonly fais: Lru<FaiEntry[]>;
  private readonly gzis: Lru<Gzi>;

  constructor(
    private readonly blobs: BlobStore,
    opts: SequenceReaderOptions = {},
  ) {
    this.window = opts.windowBytes ?? 4 * 1024 * 1024;
    this.fais = new Lru(opts.cacheEntries ?? 256);
    this.gzis = new Lru(opts.cacheEntries ?? 256);
  }

  private async blob(f: FileInfo): Promise<Buffer> {
    return readAll(await this.blobs.read(f.key, 0, Math.max(0, f.contentLength - 1)));
  }

  /** The .fai line of the sequence. */
  async geometry(seq: StoredSequence): Promise<FaiEntry> {
    const fai = await this.fais.get(seq.index.key, async () => parseFai((await this.blob(seq.index)).toString("latin1")));
    const e = fai[seq.ordinal];
    if (!e || e.name !== seq.name || e.length !== seq.length)
      throw new StoredSequenceError(`index ${seq.index.key} has no line ${seq.ordinal} for ${seq.name}`);
    return e;
  }

  private gzi(seq: StoredSequence): Promise<Gzi> {
    const key = seq.extraKeys.find((k) => k.endsWith(".gzi"));
    if (!key) return Promise.reject(new StoredSequenceError(`BGZF source ${seq.source.key} has no .gzi`));
    return this.gzis.get(key, async () => parseGzi(await readAll(await this.blobs.read(key, 0, Number.MAX_SAFE_INTEGER - 1))));
  }

  /**
   * Bases [start, end) of the sequence (0 <= start <= end <= length, checked by the caller's
   * protocol; a RangeError here otherwise). The stream yields exactly end - start bytes or
   * fails: never other bytes than the stored ones.
   */
  async stream(seq: StoredSequence, start: number, end: number): Promise<Readable> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > seq.length)
      throw new RangeError(`bases ${start}-${end} are outside ${seq.name} (${seq.length} bases)`);
    if (start === end) return Readable.from([]);
    const e = await this.geometry(seq);
    const { first, last } = textRange(e, start, end);
    const gzi = seq.compression === "bgzf" ? await this.gzi(seq) : undefined;
    const body = gzi ? this.bgzfBases(seq, e, gzi, first, last) : this.plainBases(seq, e, first, last);
    return Readable.from(exactly(body, end - start, seq), { objectMode: false, highWaterMark: 0 });
  }

  /** Ranged reads of [first, last] of a blob, window by window, one window read ahead. */
  private async *windows(key: string, first: number, last: number): AsyncGenerator<Buffer> {
    const open = (a: number) => this.blobs.read(key, a, Math.min(last, a + this.window - 1));
    let pos = first;
    let current: Promise<Readable> | undefined = open(pos);
    try {
      while (current) {
        const stream = await current;
        const next = pos + this.window;
        current = next <= last ? open(next) : undefined;
        // a read opened ahead and then abandoned must not fail the process unhandled
        current?.catch(() => {});
        try {
          for await (const chunk of stream) yield chunk as Buffer;
        } finally {
          stream.destroy();
        }
        pos = next;
      }
    } finally {
      if (current) current.then((s) => s.destroy(), () => {});
    }
  }

  private async *plainBases(seq: StoredSequence, e: FaiEntry, first: number, last: number): AsyncGenerator<Buffer> {
    let pos = first; // text offset of the chunk's first byte
    for await (const chunk of this.windows(seq.source.key, first, last)) {
      const n = compact(e, chunk, pos, 0, chunk.length, seq);
      pos += chunk.length;
      if (n > 0) yield chunk.subarray(0, n);
    }
  }

  private async *bgzfBases(seq: StoredSequence, e: FaiEntry, gzi: Gzi, first: number, last: number): AsyncGenerator<Buffer> {
    const k0 = gziBlock(gzi, first);
    const k1 = gziBlock(gzi, last);
    const cFirst = gzi.c[k0];
    const cLast = k1 + 1 < gzi.c.length ? gzi.c[k1 + 1] - 1 : seq.source.contentLength - 1;
    const decoder = new BgzfDecoder(Number.MAX_SAFE_INTEGER);
    let u = gzi.u[k0]; // text offset of the next inflated byte
    const out: Buffer[] = [];
    const take = (text: Buffer) => {
      const from = Math.max(first - u, 0);
      const to = Math.min(last + 1 - u, text.length);
      const at = u;
      u += text.length;
      if (to <= from) return;
      const n = compact(e, text, at, from, to, seq);
      if (n > 0) out.push(text.subarray(0, n));
    };
    for await (const chunk of this.windows(seq.source.key, cFirst, cLast)) {
      decoder.push(chunk, take);
      if (out.length) yield* out.splice(0);
      if (u > last) return;
    }
  }
}

function compact(e: FaiEntry, src: Buffer, pos: number, from: number, to: number, seq: StoredSequence): number {
  try {
    return compactBases(e, src, pos, from, to);
  } catch (err) {
    throw new StoredSequenceError(`${seq.source.key}: ${(err as Error).message} (${seq.name})`);
  }
}

/** Pass `body` through, failing unless it holds exactly `expected` bytes. */
async function* exactly(body: AsyncGenerator<Buffer>, expected: number, seq: StoredSequence): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > expected) throw new StoredSequenceError(`${seq.source.key}: more bases than its index says for ${seq.name}`);
    yield chunk;
  }
  if (n !== expected) throw new StoredSequenceError(`${seq.source.key}: ${n} bases read for ${seq.name}, ${expected} expected`);
}
