// The two MD5s of an import — the whole file's and each normalised sequence's — computed
// together: the md5x2 WebAssembly kernel (md5x2-wat.ts) hashes a block of each stream per loop
// step, so the two chains fill the core that one chain leaves mostly idle.
//
// The streams advance at different rates (the file runs ahead of the sequences by its line
// breaks and headers, and the gap grows), and arrive as segments of a shared memory. PairMd5
// hashes both streams over the blocks both have, carries the partial blocks of segment ends in
// a small buffer, finalises a sequence's MD5 where it ends, and lets one stream run alone once
// more than LEAD bytes of it wait (or at the end), so that buffering stays about one segment.
//
// Which engine is used is decided once, when this module loads: the kernel, or node:crypto when
// WebAssembly (or its shared memory) is missing or the kernel fails its self-check. `md5Engine`
// says which and why; the engine does not log (its caller does).

import { createHash, type Hash } from "node:crypto";
import { readFileSync } from "node:fs";

export interface Md5Engine {
  kind: "md5x2-wasm" | "node:crypto";
  /** why node:crypto was chosen (undefined for the kernel) */
  reason?: string;
}

/** A run of bytes in the shared memory; `ends` (normalised stream only): where sequences end. */
export interface Segment {
  id: number;
  off: number;
  len: number;
  ends?: readonly number[];
}

/**
 * Bytes of one stream that may wait unhashed before it is hashed alone: above the jitter of
 * arrivals (file slots of 4 MiB, normalisation areas of 4-5 MiB), so that only the drift between
 * the streams goes through the single-stream path (with 4 MiB, a quarter of the file did).
 */
export const LEAD = 8 << 20;

/** Bytes a PairMd5 uses at the start of its memory (x2 keeps its two states at 0 and 16). */
export const SCRATCH_BYTES = 512;

/**
 * Blocks per kernel call at most. V8 runs a wasm function's first call in its baseline compiler
 * (about 5× slower here) and switches to the optimised code for the following calls only: 1 MiB
 * calls keep that first call short; the call itself costs nothing at that size.
 */
const CALL_BLOCKS = 16384;

const INIT = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

export interface Kernel {
  /** scanner.ts fastRun's lines (md5x2-wat.ts) */
  lines(q: number, o: number, lb: number, lw: number, max: number, crlf: number): number;
  /** stream A's state at 0, B's at 16 */
  x2(pa: number, pb: number, n: number): void;
  x1(sa: number, pa: number, n: number): void;
}

function loadModule(): { module?: WebAssembly.Module; reason?: string } {
  try {
    if (typeof WebAssembly !== "object") return { reason: "WebAssembly is not available in this runtime" };
    const module = new WebAssembly.Module(readFileSync(new URL("./md5x2.wasm", import.meta.url)));
    // self-check on a shared memory, against node:crypto, across the 55/56/64-byte padding edges
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const bytes = new Uint8Array(memory.buffer);
    for (let i = 0; i < 4096; i++) bytes[1024 + i] = (i * 131 + 7) & 255;
    const p = new PairMd5(new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernel, memory);
    for (const n of [0, 55, 56, 64, 1000]) {
      p.file({ id: 0, off: 1024, len: n });
      p.norm({ id: 1, off: 2048, len: n + 1, ends: [n + 1] });
      p.finish();
      const want = (o: number, l: number) => createHash("md5").update(bytes.subarray(o, o + l)).digest("hex");
      if (p.fileMd5 !== want(1024, n) || p.md5s.pop() !== want(2048, n + 1)) return { reason: "the md5x2 kernel failed its self-check" };
      p.reset();
    }
    return { module };
  } catch (e) {
    return { reason: `WebAssembly md5x2 kernel unavailable: ${e instanceof Error ? e.message : String(e)}` };
  }
}

let loaded: { module?: WebAssembly.Module; reason?: string } | undefined;
function load() {
  return (loaded ??= loadModule());
}

/** The engine chosen at start (the first call decides; later calls return the same). */
export function md5Engine(): Md5Engine {
  const l = load();
  return l.module ? { kind: "md5x2-wasm" } : { kind: "node:crypto", reason: l.reason };
}

/** The compiled kernel (undefined when node:crypto is the engine). */
export function md5x2Module(): WebAssembly.Module | undefined {
  return load().module;
}

/** The kernel over `memory` (which must be a shared WebAssembly.Memory). */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernel {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernel;
}

class Stream {
  segs: Segment[] = [];
  pos = 0; // bytes of segs[0] consumed
  endIdx = 0; // next entry of segs[0].ends
  carry = 0; // bytes in the carry buffer
  length = 0; // bytes of the current message
  queued = 0; // bytes queued, not yet consumed
  constructor(
    readonly state: number,
    readonly carryOff: number,
  ) {}
}

/** The two MD5 streams of an import, hashed by the md5x2 kernel over a shared memory. */
export class PairMd5 {
  /** digests of the sequences completed so far (take them with splice) */
  md5s: string[] = [];
  fileMd5: string | undefined;
  /** ids of segments fully consumed since the last call (their memory may be reused) */
  released: number[] = [];
  private readonly f: Stream;
  private readonly s: Stream;
  private readonly u8: Uint8Array;
  private readonly dv: DataView;

  constructor(
    private readonly k: Kernel,
    memory: WebAssembly.Memory,
  ) {
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
    // [file state 16 | seq state 16 | 32 | file carry 128 | seq carry 128]
    this.f = new Stream(0, 64);
    this.s = new Stream(16, 192);
    this.reset();
  }

  reset(): void {
    for (const st of [this.f, this.s]) {
      st.segs = [];
      st.pos = st.endIdx = st.carry = st.length = st.queued = 0;
      this.init(st);
    }
    this.md5s = [];
    this.released = [];
    this.fileMd5 = undefined;
  }

  /** Bytes of each stream queued and not yet hashed. */
  backlog(): { file: number; norm: number } {
    return { file: this.f.queued, norm: this.s.queued };
  }

  file(seg: Segment): void {
    this.f.segs.push(seg);
    this.f.queued += seg.len;
  }

  norm(seg: Segment): void {
    this.s.segs.push(seg);
    this.s.queued += seg.len;
  }

  /** Hash what can be hashed now (both streams together; one alone past LEAD). */
  run(): void {
    this.pump(false);
  }

  /** Both streams are complete: hash everything, finalise the file's MD5. */
  finish(): void {
    this.pump(true);
    this.fileMd5 = this.final(this.f);
  }

  private pump(all: boolean): void {
    const { f, s, k } = this;
    for (;;) {
      const nf = this.prep(f);
      const ns = this.prep(s);
      if (nf > 0 && ns > 0) {
        const n = Math.min(nf, ns, CALL_BLOCKS);
        k.x2(f.segs[0].off + f.pos, s.segs[0].off + s.pos, n);
        this.advance(f, n * 64);
        this.advance(s, n * 64);
        continue;
      }
      const st = nf > 0 ? f : ns > 0 ? s : undefined;
      if (!st || (!all && st.queued <= LEAD)) return;
      const n = Math.min(nf + ns, CALL_BLOCKS, all ? Infinity : Math.ceil((st.queued - LEAD) / 64));
      k.x1(st.state, st.segs[0].off + st.pos, n);
      this.advance(st, n * 64);
    }
  }

  private advance(st: Stream, bytes: number): void {
    st.pos += bytes;
    st.length += bytes;
    st.queued -= bytes;
  }

  /**
   * Settles the head of a stream — completes the carry, moves a tail shorter than a block into
   * it, finalises a sequence at its end, releases consumed segments — and returns the number of
   * whole blocks then readable in place at the head (0: none until more arrives).
   */
  private prep(st: Stream): number {
    const u8 = this.u8;
    for (;;) {
      const h = st.segs[0];
      if (!h) return 0;
      const atEnd = h.ends !== undefined && st.endIdx < h.ends.length;
      const limit = atEnd ? h.ends![st.endIdx] : h.len;
      const avail = limit - st.pos;
      if (st.carry === 0 && avail >= 64) return avail >>> 6;
      if (avail > 0) {
        const take = Math.min(64 - st.carry, avail);
        const from = h.off + st.pos;
        u8.copyWithin(st.carryOff + st.carry, from, from + take);
        st.carry += take;
        this.advance(st, take);
        if (st.carry === 64) {
          this.k.x1(st.state, st.carryOff, 1);
          st.carry = 0;
        }
        continue;
      }
      // avail === 0: at a sequence end or at the segment's end
      if (atEnd) {
        this.md5s.push(this.final(st));
        st.endIdx++;
        continue;
      }
      st.segs.shift();
      st.pos = 0;
      st.endIdx = 0;
      this.released.push(h.id);
    }
  }

  /** Pads the carried tail, returns the digest and starts the next message. */
  private final(st: Stream): string {
    const { u8, dv } = this;
    const c = st.carryOff;
    const r = st.carry;
    const blocks = r < 56 ? 1 : 2;
    u8[c + r] = 0x80;
    u8.fill(0, c + r + 1, c + blocks * 64 - 8);
    const bits = st.length * 8;
    dv.setUint32(c + blocks * 64 - 8, bits >>> 0, true);
    dv.setUint32(c + blocks * 64 - 4, Math.floor(bits / 2 ** 32), true);
    this.k.x1(st.state, c, blocks);
    let hex = "";
    for (let i = 0; i < 16; i++) hex += (u8[st.state + i] + 0x100).toString(16).slice(1);
    st.carry = 0;
    st.length = 0;
    this.init(st);
    return hex;
  }

  private init(st: Stream): void {
    for (let i = 0; i < 4; i++) this.dv.setUint32(st.state + 4 * i, INIT[i], true);
  }
}

/** The same contract on node:crypto (no WebAssembly): each segment hashed as it arrives. */
export class NodePairMd5 {
  md5s: string[] = [];
  fileMd5: string | undefined;
  released: number[] = [];
  private fh: Hash = createHash("md5");
  private sh: Hash = createHash("md5");
  constructor(private readonly u8: Uint8Array) {}
  file(seg: Segment): void {
    this.fh.update(this.u8.subarray(seg.off, seg.off + seg.len));
    this.released.push(seg.id);
  }
  norm(seg: Segment): void {
    let s = 0;
    for (const e of seg.ends ?? []) {
      if (e > s) this.sh.update(this.u8.subarray(seg.off + s, seg.off + e));
      this.md5s.push(this.sh.digest("hex"));
      this.sh = createHash("md5");
      s = e;
    }
    if (seg.len > s) this.sh.update(this.u8.subarray(seg.off + s, seg.off + seg.len));
    this.released.push(seg.id);
  }
  run(): void {}
  finish(): void {
    this.fileMd5 = this.fh.digest("hex");
  }
}

export type Md5Pair = PairMd5 | NodePairMd5;
