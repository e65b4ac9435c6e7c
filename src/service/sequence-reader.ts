// The refget read path: bases [start, end) of one stored sequence, from the reference's SOURCE
// blob through its .fai geometry (and, for BGZF sources, its .gzi), upper-cased with line breaks
// dropped. A small request (up to 64 KiB of SOURCE text, or of BGZF blocks) is one readBytes()
// of the blob store (disk: a positional read of a file kept open) answered as one Buffer. A
// larger one streams in windows of a few MiB, each one ranged read (disk: positional reads of the
// file; S3: one ranged GET), the next window's read opened while the current one streams; BGZF
// windows are whole runs of blocks inflated by zlib on the thread pool (the next run inflating
// while the current one is sent: both cores). The generator behind the stream pulls only as fast
// as the consumer reads (backpressure), so memory stays at about two windows whatever the size.

import { Readable } from "node:stream";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { BlobStore } from "../blobs/types.js";
import type { FileInfo } from "../catalog/types.js";
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
  /** bytes of SOURCE per ranged read (default 4 MiB; BGZF: of compressed blocks, 1 MiB) */
  windowBytes?: number;
  /** up to this many bytes of SOURCE (plain text or BGZF blocks) a request is one read and one Buffer (default 64 KiB) */
  smallBytes?: number;
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

/** BGZF blocks (concatenated gzip members) → their text, on the thread pool. */
const inflate = promisify(gunzip);

export class SequenceReader {
  private readonly window: number;
  private readonly bgzfWindow: number;
  private readonly small: number;
  private readonly fais: Lru<FaiEntry[]>;
  private readonly gzis: Lru<Gzi>;

  constructor(
    private readonly blobs: BlobStore,
    opts: SequenceReaderOptions = {},
  ) {
    this.window = opts.windowBytes ?? 4 * 1024 * 1024;
    this.bgzfWindow = opts.windowBytes ?? 1024 * 1024;
    this.small = opts.smallBytes ?? 64 * 1024;
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
    checkBases(seq, start, end);
    if (start === end) return Readable.from([]);
    const e = await this.geometry(seq);
    const { first, last } = textRange(e, start, end);
    const gzi = seq.compression === "bgzf" ? await this.gzi(seq) : undefined;
    const body = gzi ? this.bgzfBases(seq, e, gzi, first, last) : this.plainBases(seq, e, first, last);
    return Readable.from(exactly(body, end - start, seq), { objectMode: false, highWaterMark: 0 });
  }

  /**
   * The same bases as stream(), as one Buffer when the request is small (one read of the blob
   * store, no stream), else as stream() does.
   */
  async bases(seq: StoredSequence, start: number, end: number): Promise<Buffer | Readable> {
    checkBases(seq, start, end);
    if (start === end) return Buffer.alloc(0);
    const e = await this.geometry(seq);
    const { first, last } = textRange(e, start, end);
    let text: Buffer;
    let at: number; // text offset of text[0]
    if (seq.compression === "bgzf") {
      const gzi = await this.gzi(seq);
      const k0 = gziBlock(gzi, first);
      const k1 = gziBlock(gzi, last);
      if (blockEnd(gzi, k1, seq) - gzi.c[k0] + 1 > this.small) return this.stream(seq, start, end);
      text = await this.inflateBlocks(seq, gzi, k0, k1);
      at = gzi.u[k0];
    } else {
      if (last - first + 1 > this.small) return this.stream(seq, start, end);
      text = await this.blobs.readBytes(seq.source.key, first, last);
      at = first;
    }
    if (at + text.length <= last) throw new StoredSequenceError(`${seq.source.key}: ended before text offset ${last} (${seq.name})`);
    const n = compact(e, text, at, first - at, last + 1 - at, seq);
    if (n !== end - start) throw new StoredSequenceError(`${seq.source.key}: ${n} bases read for ${seq.name}, ${end - start} expected`);
    return text.subarray(0, n);
  }

  /** The text of BGZF blocks k0..k1 (one read, inflated on the thread pool). */
  private async inflateBlocks(seq: StoredSequence, gzi: Gzi, k0: number, k1: number): Promise<Buffer> {
    const raw = await this.blobs.readBytes(seq.source.key, gzi.c[k0], blockEnd(gzi, k1, seq));
    let text: Buffer;
    try {
      // one output buffer of the whole text: zlib's default 16 KiB chunks would cost a trip
      // through the thread pool each
      const expected = k1 + 1 < gzi.u.length ? gzi.u[k1 + 1] - gzi.u[k0] : raw.length * 8;
      text = await inflate(raw, { chunkSize: Math.max(64 * 1024, expected) });
    } catch (err) {
      throw new StoredSequenceError(`${seq.source.key}: BGZF blocks from offset ${gzi.c[k0]}: ${(err as Error).message}`);
    }
    if (k1 + 1 < gzi.u.length && text.length !== gzi.u[k1 + 1] - gzi.u[k0])
      throw new StoredSequenceError(`${seq.source.key}: BGZF blocks from offset ${gzi.c[k0]} hold ${text.length} bytes, its .gzi says ${gzi.u[k1 + 1] - gzi.u[k0]}`);
    return text;
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

  /**
   * Runs of whole BGZF blocks of about a window each, read in one call and inflated on the thread
   * pool, the next run on its way while the current one is compacted and sent.
   */
  private async *bgzfBases(seq: StoredSequence, e: FaiEntry, gzi: Gzi, first: number, last: number): AsyncGenerator<Buffer> {
    let k = gziBlock(gzi, first);
    const k1 = gziBlock(gzi, last);
    const next = (): { at: number; text: Promise<Buffer> } | undefined => {
      if (k > k1) return undefined;
      const ka = k;
      let kb = k;
      while (kb < k1 && blockEnd(gzi, kb + 1, seq) - gzi.c[ka] < this.bgzfWindow) kb++;
      k = kb + 1;
      const text = this.inflateBlocks(seq, gzi, ka, kb);
      text.catch(() => {}); // a run inflated ahead and then abandoned must not fail the process unhandled
      return { at: gzi.u[ka], text };
    };
    let run = next();
    while (run) {
      const text = await run.text;
      const at = run.at;
      run = next();
      const from = Math.max(first - at, 0);
      const to = Math.min(last + 1 - at, text.length);
      if (to <= from) continue;
      const n = compact(e, text, at, from, to, seq);
      if (n > 0) yield text.subarray(0, n);
    }
  }
}

/** The last byte of BGZF block k in the SOURCE. */
function blockEnd(gzi: Gzi, k: number, seq: StoredSequence): number {
  return k + 1 < gzi.c.length ? gzi.c[k + 1] - 1 : seq.source.contentLength - 1;
}

function checkBases(seq: StoredSequence, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > seq.length)
    throw new RangeError(`bases ${start}-${end} are outside ${seq.name} (${seq.length} bases)`);
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
