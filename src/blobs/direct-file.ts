// Writing a blob file with O_DIRECT: the bytes go from our buffer to the device without passing
// through the page cache. On virtual machines, filling the page cache with a new file can cost
// the kernel 2 CPU-seconds per GiB (as much as hashing it), while a direct write costs almost
// nothing: a GiB stored is CPU the digests keep.
//
// O_DIRECT wants the memory, the file offset and the length aligned to the device's block size.
// Node cannot align a Buffer, but a WebAssembly.Memory is page-aligned, so the write buffers are
// carved from those (a pool: they are reused, never freed). Every write but the last is a whole
// buffer; the last is padded with zeros to a whole block and the file then truncated to its
// length. Filesystems without O_DIRECT (tmpfs, some network filesystems) are detected once per
// directory, and their files are written the ordinary way.

import { constants as fsc } from "node:fs";
import type { FileHandle } from "node:fs/promises";

/** Alignment of offsets and lengths: covers devices with 512-byte and 4 KiB blocks. */
const BLOCK = 4096;
/** One write buffer. Two per file: one is filled while the other is being written. */
const BUFFER_SIZE = 4 * 1024 * 1024;

export const O_DIRECT: number | undefined = (fsc as Record<string, number>).O_DIRECT;

const spare: Buffer[] = [];

/** A page-aligned buffer of BUFFER_SIZE bytes from the pool. */
function takeBuffer(): Buffer {
  const b = spare.pop();
  if (b) return b;
  const memory = new WebAssembly.Memory({ initial: (2 * BUFFER_SIZE) / 65536, maximum: (2 * BUFFER_SIZE) / 65536 });
  const whole = Buffer.from(memory.buffer);
  spare.push(whole.subarray(BUFFER_SIZE));
  return whole.subarray(0, BUFFER_SIZE);
}

/** Does `handle` (opened with O_DIRECT) accept an aligned direct write? It is left empty. */
export async function directWritesWork(handle: FileHandle): Promise<boolean> {
  let b: Buffer;
  try {
    b = takeBuffer();
  } catch {
    return false; // no WebAssembly memory here (e.g. --jitless): no aligned buffers
  }
  try {
    b.fill(0, 0, BLOCK);
    await handle.write(b, 0, BLOCK, 0);
    await handle.truncate(0);
    return true;
  } catch {
    return false;
  } finally {
    spare.push(b);
  }
}

export class DirectFile {
  private readonly bufs: [Buffer, Buffer];
  private cur = 0;
  private len = 0;
  private position = 0;
  private total = 0;
  private readonly inflight: [Promise<void> | undefined, Promise<void> | undefined] = [undefined, undefined];
  private released = false;

  constructor(private readonly handle: FileHandle) {
    this.bufs = [takeBuffer(), takeBuffer()];
  }

  async write(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, BUFFER_SIZE - this.len);
      chunk.copy(this.bufs[this.cur], this.len, off, off + n);
      this.len += n;
      off += n;
      this.total += n;
      if (this.len === BUFFER_SIZE) await this.flush(BUFFER_SIZE);
    }
  }

  /** Write what is left (padded to a block), wait for every write, cut the padding off. */
  async finish(): Promise<void> {
    const padded = Math.ceil(this.len / BLOCK) * BLOCK;
    if (padded > 0) {
      this.bufs[this.cur].fill(0, this.len, padded);
      await this.flush(padded);
    }
    await Promise.all(this.inflight);
    await this.handle.truncate(this.total);
    this.release();
  }

  /** Wait for writes in flight (their errors are the caller's no longer), give the buffers back. */
  async discard(): Promise<void> {
    await Promise.allSettled(this.inflight.filter((p) => p !== undefined));
    this.release();
  }

  /** Start writing the current buffer; then wait until the other one is free to be filled. */
  private async flush(bytes: number): Promise<void> {
    const i = this.cur;
    const p = writeAll(this.handle, this.bufs[i], bytes, this.position);
    p.catch(() => {}); // observed below or in finish()
    this.inflight[i] = p;
    this.position += bytes;
    this.cur = 1 - i;
    this.len = 0;
    await this.inflight[this.cur];
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    spare.push(...this.bufs);
  }
}

async function writeAll(handle: FileHandle, buf: Buffer, length: number, position: number): Promise<void> {
  let off = 0;
  while (off < length) {
    const { bytesWritten } = await handle.write(buf, off, length - off, position + off);
    if (bytesWritten <= 0) throw new Error("direct write made no progress");
    off += bytesWritten;
  }
}
