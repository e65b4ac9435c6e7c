// The three digests of an import: the whole-file MD5, and the refget MD5 and SHA-512 (sha512t24u)
// of every normalised sequence.
//
// Everything lives in one shared memory per import (a shared WebAssembly.Memory; a plain
// SharedArrayBuffer when node:crypto is the engine):
//
//   [ scratch | file ring: FILE_SLOTS x FILE_SLOT | NORM_SLOTS normalisation areas | work area ]
//
// The source bytes are copied once, into the file ring, where the scanner reads them (plain
// FASTA is scanned in place) and the file MD5 hashes them; the scanner writes the normalised
// sequences straight into a normalisation area. Full slots and areas are handed, as offsets,
// to two worker threads: one runs both MD5s together (md5x2.ts: the md5x2 kernel, or
// node:crypto), the other the SHA-512 (node:crypto), so the hashing runs on the other core
// while the main thread reads and scans. A slot is reused when its threads have released it:
// the slot counts bound memory and give backpressure. Inputs that fit in one slot and one area
// never start a thread: they are hashed on the main thread when the input ends.

import { createHash, type Hash } from "node:crypto";
import { Worker } from "node:worker_threads";
import {
  instantiate,
  md5Engine,
  md5x2Module,
  NodePairMd5,
  PairMd5,
  SCRATCH_BYTES,
  type Kernel,
  type Md5Pair,
  type Segment,
} from "./md5x2.js";
import { NORM_CAP, WORK_CAP } from "./scanner.js";

export const FILE_SLOT = 4 << 20;
const FILE_SLOTS = 5;
const NORM_SLOTS = 4;
const PAGE = 65536;
const up = (n: number) => Math.ceil(n / PAGE) * PAGE;
const FILE_OFF = up(SCRATCH_BYTES);
const NORM_OFF = FILE_OFF + FILE_SLOTS * FILE_SLOT;
const NORM_STRIDE = up(NORM_CAP);
export const WORK_OFF = NORM_OFF + NORM_SLOTS * NORM_STRIDE;
const MEMORY_BYTES = up(WORK_OFF + WORK_CAP + 64);
/** segment ids: file slot i is i, normalisation area j is NORM_ID + j */
const NORM_ID = 100;

interface Arena {
  memory: WebAssembly.Memory | SharedArrayBuffer;
  buf: Buffer;
  kernel: Kernel | undefined;
}

// Memories of finished imports, reused: a shared memory cannot be freed, only collected, and
// the collector does not count it as memory, so 200 small imports in a row kept 700 MB
// resident (their touched pages) until a full collection. Reuse keeps one per concurrent
// import; a spare keeps what its last import touched (at most MEMORY_BYTES).
const spare: Arena[] = [];
const SPARE_MAX = 2;

function newArena(module: WebAssembly.Module | undefined): Arena {
  const memory = module
    ? new WebAssembly.Memory({ initial: MEMORY_BYTES / PAGE, maximum: MEMORY_BYTES / PAGE, shared: true })
    : new SharedArrayBuffer(MEMORY_BYTES);
  return {
    memory,
    buf: Buffer.from(isWasmMemory(memory) ? memory.buffer : memory),
    kernel: module && isWasmMemory(memory) ? instantiate(module, memory) : undefined,
  };
}

export function finishSha(h: Hash): string {
  return "SQ." + h.digest().subarray(0, 24).toString("base64url");
}

/** SHA-512 (sha512t24u) over a stream of segments; `ends` are where sequences end. */
export class ShaRunner {
  private h: Hash = createHash("sha512");
  constructor(private readonly u8: Uint8Array) {}
  segment(seg: Segment): string[] {
    const out: string[] = [];
    let s = 0;
    for (const e of seg.ends ?? []) {
      if (e > s) this.h.update(this.u8.subarray(seg.off + s, seg.off + e));
      out.push(finishSha(this.h));
      this.h = createHash("sha512");
      s = e;
    }
    if (seg.len > s) this.h.update(this.u8.subarray(seg.off + s, seg.off + seg.len));
    return out;
  }
}

export interface WorkerData {
  role: "md5" | "sha512";
  /** the shared memory: a WebAssembly.Memory for the kernel, else its SharedArrayBuffer */
  memory: WebAssembly.Memory | SharedArrayBuffer;
  module?: WebAssembly.Module;
}

/** To a worker: segments to hash (`end`: the md5 worker finishes the file MD5 after them). */
export interface ToWorker {
  file?: Segment;
  norm?: Segment;
  end?: boolean;
}

export interface FromWorker {
  released: number[];
  /** digests of the sequences completed */
  done: string[];
  fileMd5?: string;
}

/** (WebAssembly may not exist at all: --jitless) */
function isWasmMemory(m: WebAssembly.Memory | SharedArrayBuffer): m is WebAssembly.Memory {
  return !(m instanceof SharedArrayBuffer);
}

/** The two MD5s over `memory` with the chosen engine. */
export function md5Pair(memory: WebAssembly.Memory | SharedArrayBuffer, module: WebAssembly.Module | undefined): Md5Pair {
  if (module && isWasmMemory(memory)) return new PairMd5(instantiate(module, memory), memory);
  return new NodePairMd5(new Uint8Array(isWasmMemory(memory) ? memory.buffer : memory));
}

let live = 0;
/** Number of digest worker threads currently running (for tests). */
export function liveDigestWorkers(): number {
  return live;
}

export interface Digests {
  md5: string;
  md5s: string[];
  shas: string[];
}

export class ImportDigests {
  /** the whole shared memory: the scanner's buffer */
  readonly buf: Buffer;
  private readonly arena: Arena;
  private readonly memory: WebAssembly.Memory | SharedArrayBuffer;
  private readonly module: WebAssembly.Module | undefined;
  /** the kernel on this thread, over this import's memory (undefined: node:crypto) */
  readonly kernel: Kernel | undefined;
  private workers: Worker[] = [];
  private md5s: string[] = [];
  private shas: string[] = [];
  private fileMd5: string | undefined;
  /** threads still holding each segment id */
  private refs = new Map<number, number>();
  private freeFile: number[] = [];
  private freeNorm: number[] = [];
  private waiters: Array<() => void> = [];
  private failure: Error | undefined;
  private closed = false;
  private posted = false;
  // the file slot being filled
  private fileSlot: number;
  private fileFill = 0;
  private normSlot: number;

  constructor() {
    this.module = md5x2Module();
    this.arena = spare.pop() ?? newArena(this.module);
    this.memory = this.arena.memory;
    this.buf = this.arena.buf;
    this.kernel = this.arena.kernel;
    for (let i = FILE_SLOTS - 1; i >= 0; i--) this.freeFile.push(i);
    for (let j = NORM_SLOTS - 1; j >= 0; j--) this.freeNorm.push(j);
    this.fileSlot = this.freeFile.pop()!;
    this.normSlot = this.freeNorm.pop()!;
  }

  /** Offset of the normalisation area the scanner writes to now. */
  get normOff(): number {
    return NORM_OFF + this.normSlot * NORM_STRIDE;
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async wait(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
  }

  private start(): void {
    const url = new URL("./digest-worker.js", import.meta.url);
    for (const role of ["md5", "sha512"] as const) {
      const workerData: WorkerData = {
        role,
        memory: role === "md5" && this.module ? this.memory : this.memoryBuffer(),
        module: role === "md5" ? this.module : undefined,
      };
      const w = new Worker(url, { workerData });
      w.on("message", (m: FromWorker) => {
        if (role === "md5") {
          this.md5s.push(...m.done);
          if (m.fileMd5 !== undefined) this.fileMd5 = m.fileMd5;
        } else this.shas.push(...m.done);
        for (const id of m.released) this.release(id);
        this.wake();
      });
      w.on("error", (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      live++;
      w.on("exit", (code) => {
        live--;
        if (!this.closed) this.fail(new Error(`digest worker exited with code ${code}`));
      });
      this.workers.push(w);
    }
  }

  private memoryBuffer(): SharedArrayBuffer {
    return isWasmMemory(this.memory) ? (this.memory.buffer as unknown as SharedArrayBuffer) : this.memory;
  }

  private release(id: number): void {
    const n = this.refs.get(id)! - 1;
    if (n > 0) {
      this.refs.set(id, n);
      return;
    }
    this.refs.delete(id);
    if (id >= NORM_ID) this.freeNorm.push(id - NORM_ID);
    else this.freeFile.push(id);
  }

  private post(md5: ToWorker, sha?: ToWorker): void {
    if (!this.posted) {
      this.posted = true;
      this.start();
    }
    this.workers[0].postMessage(md5);
    if (sha) this.workers[1].postMessage(sha);
  }

  /** Where the next file bytes go: buf[off, off + len), len >= 1 (waits for a free slot). */
  async fileSpace(): Promise<{ off: number; len: number }> {
    if (this.fileFill === FILE_SLOT) {
      this.post({ file: { id: this.fileSlot, off: FILE_OFF + this.fileSlot * FILE_SLOT, len: FILE_SLOT } });
      this.refs.set(this.fileSlot, 1);
      let s: number | undefined;
      while ((s = this.freeFile.pop()) === undefined) await this.wait();
      this.fileSlot = s;
      this.fileFill = 0;
    }
    return { off: FILE_OFF + this.fileSlot * FILE_SLOT + this.fileFill, len: FILE_SLOT - this.fileFill };
  }

  /** `n` bytes were written at the offset fileSpace() gave. */
  fileWritten(n: number): void {
    this.fileFill += n;
  }

  /** Hand over the normalisation area's `len` bytes and sequence `ends`; returns the next area's offset. */
  async flushNorm(len: number, ends: number[]): Promise<number> {
    const seg: Segment = { id: NORM_ID + this.normSlot, off: this.normOff, len, ends };
    this.refs.set(seg.id, 2);
    this.post({ norm: seg }, { norm: seg });
    let s: number | undefined;
    while ((s = this.freeNorm.pop()) === undefined) await this.wait();
    this.normSlot = s;
    return this.normOff;
  }

  /** The input ended: the last normalisation area's bytes and ends. Resolves with every digest. */
  async finish(len: number, ends: number[]): Promise<Digests> {
    const file: Segment = { id: this.fileSlot, off: FILE_OFF + this.fileSlot * FILE_SLOT, len: this.fileFill };
    const norm: Segment = { id: NORM_ID + this.normSlot, off: this.normOff, len, ends };
    if (!this.posted) {
      // small input: hashed here, no thread started
      const p = this.kernel ? new PairMd5(this.kernel, this.memory as WebAssembly.Memory) : new NodePairMd5(this.buf);
      p.file(file);
      p.norm(norm);
      p.finish();
      return { md5: p.fileMd5!, md5s: p.md5s, shas: new ShaRunner(this.buf).segment(norm) };
    }
    this.refs.set(file.id, 1);
    this.refs.set(norm.id, 2);
    this.post({ file, norm, end: true }, { norm });
    while (this.fileMd5 === undefined || this.refs.size > 0) await this.wait();
    return { md5: this.fileMd5, md5s: this.md5s, shas: this.shas };
  }

  /** Stop the workers (always called, success or not); resolves once they have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
    // no thread uses the memory any more
    if (spare.length < SPARE_MAX) spare.push(this.arena);
  }
}

export { md5Engine };
