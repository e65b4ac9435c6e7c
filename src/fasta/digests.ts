// Per-sequence refget digests (md5 and ga4gh sha512t24u) of the normalised sequences.
//
// The scanner fills a normalisation area; each full area is copied into one of a few
// SharedArrayBuffer slots and handed to two worker threads (one per algorithm), so that the
// two digests run on the other core while the main thread reads, scans and computes the
// whole-file MD5. A slot is reused when both workers have answered: the slot count bounds
// memory and gives backpressure. Inputs whose sequences fit in one area never start a worker:
// they are hashed on the main thread when the input ends.

import { createHash, type Hash } from "node:crypto";
import { Worker } from "node:worker_threads";

export type Algo = "md5" | "sha512";

export interface BlockMessage {
  slot: number;
  sab: SharedArrayBuffer;
  len: number;
  ends: number[];
}

export function finishDigest(algo: Algo, h: Hash): string {
  return algo === "md5" ? h.digest("hex") : "SQ." + h.digest().subarray(0, 24).toString("base64url");
}

/** One running digest over a stream of blocks; `ends` are offsets where a sequence ends. */
export class DigestRunner {
  private h: Hash;
  constructor(private readonly algo: Algo) {
    this.h = createHash(algo);
  }
  block(view: Uint8Array, ends: readonly number[]): string[] {
    const out: string[] = [];
    let s = 0;
    for (const e of ends) {
      if (e > s) this.h.update(view.subarray(s, e));
      out.push(finishDigest(this.algo, this.h));
      this.h = createHash(this.algo);
      s = e;
    }
    if (view.length > s) this.h.update(view.subarray(s));
    return out;
  }
}

const SLOTS = 4;

let live = 0;
/** Number of digest worker threads currently running (for tests). */
export function liveDigestWorkers(): number {
  return live;
}

export class DigestPool {
  md5s: string[] = [];
  shas: string[] = [];
  private workers: Worker[] = [];
  private slots: SharedArrayBuffer[] = [];
  private refs: number[] = [];
  private free: number[] = [];
  private waiters: Array<() => void> = [];
  private failure: Error | undefined;
  private inflight = 0;
  private closed = false;

  readonly digests: string[][];
  constructor(
    private readonly slotSize: number,
    private readonly algos: readonly Algo[] = ["md5", "sha512"],
  ) {
    this.digests = algos.map(() => []);
    if (algos.length === 2) {
      this.md5s = this.digests[0];
      this.shas = this.digests[1];
    }
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private start(): void {
    const url = new URL("./digest-worker.js", import.meta.url);
    this.algos.forEach((algo, ai) => {
      const w = new Worker(url, { workerData: { algo } });
      w.on("message", (m: { slot: number; done: string[] }) => {
        this.digests[ai].push(...m.done);
        if (--this.refs[m.slot] === 0) {
          this.free.push(m.slot);
          this.inflight--;
          const f = this.waiters.shift();
          if (f) f();
        }
      });
      w.on("error", (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      live++;
      w.on("exit", (code) => {
        live--;
        if (!this.closed) this.fail(new Error(`digest worker exited with code ${code}`));
      });
      this.workers.push(w);
    });
    for (let i = 0; i < SLOTS; i++) {
      this.slots.push(new SharedArrayBuffer(this.slotSize));
      this.refs.push(0);
      this.free.push(i);
    }
  }

  private async acquire(): Promise<number> {
    for (;;) {
      if (this.failure) throw this.failure;
      const s = this.free.pop();
      if (s !== undefined) return s;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Hand over norm[0, len) with the sequence ends it contains (not retained after return). */
  async dispatch(norm: Uint8Array, len: number, ends: number[]): Promise<void> {
    if (this.workers.length === 0) this.start();
    const slot = await this.acquire();
    const sab = this.slots[slot];
    new Uint8Array(sab, 0, len).set(norm.subarray(0, len));
    this.refs[slot] = this.workers.length;
    this.inflight++;
    const msg: BlockMessage = { slot, sab, len, ends };
    for (const w of this.workers) w.postMessage(msg);
  }

  /** Last block: hashed inline when no worker was ever needed. Resolves when all digests are in. */
  async finish(norm: Uint8Array, len: number, ends: number[]): Promise<void> {
    if (this.workers.length === 0) {
      const view = norm.subarray(0, len);
      this.algos.forEach((algo, ai) => this.digests[ai].push(...new DigestRunner(algo).block(view, ends)));
      return;
    }
    await this.dispatch(norm, len, ends);
    while (this.inflight > 0) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    if (this.failure) throw this.failure;
  }

  /** Stop the workers (always called, success or not); resolves once they have exited. */
  async close(): Promise<void> {
    this.closed = true;
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/**
 * Whole-file MD5 in a worker thread: source bytes are copied into slots of `slotSize` bytes.
 * Small inputs (one slot) are hashed on the calling thread.
 */
export class FileMd5 {
  private readonly pool: DigestPool;
  private readonly stage: Buffer;
  private len = 0;
  constructor(private readonly slotSize = 4 << 20) {
    this.pool = new DigestPool(slotSize, ["md5"]);
    this.stage = Buffer.allocUnsafe(slotSize);
  }
  /** Copies the bytes (the caller may reuse `chunk` afterwards). */
  async update(chunk: Uint8Array): Promise<void> {
    let p = 0;
    while (p < chunk.length) {
      if (this.len === this.slotSize) {
        await this.pool.dispatch(this.stage, this.len, []);
        this.len = 0;
      }
      const take = Math.min(this.slotSize - this.len, chunk.length - p);
      this.stage.set(chunk.subarray(p, p + take), this.len);
      this.len += take;
      p += take;
    }
  }
  async digest(): Promise<string> {
    await this.pool.finish(this.stage, this.len, [this.len]);
    return this.pool.digests[0][0];
  }
  close(): Promise<void> {
    return this.pool.close();
  }
}
