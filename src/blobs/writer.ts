// The state machine every BlobWriter shares: writes run one at a time and in order even when the
// caller does not await each one; commit() waits for them, then makes the object visible; a
// failure anywhere discards what was written; abort() during a commit lets the commit decide.
// Subclasses say only how bytes are appended, made visible and thrown away (disk: a temp file
// and a rename; S3: a multipart upload).

import type { BlobWriter } from "./types.js";

export type WriterState = "open" | "committing" | "committed" | "aborted" | "failed";

export abstract class SerialBlobWriter implements BlobWriter {
  protected state: WriterState = "open";
  private length = 0;
  private pending: Promise<unknown> = Promise.resolve();
  private committing: Promise<number> | undefined;

  /** Append `chunk` (called one at a time, in order, only while open). */
  protected abstract append(chunk: Buffer): Promise<void>;
  /** Make everything appended visible under the key, in one step. */
  protected abstract publish(): Promise<void>;
  /** Throw away everything appended; must not throw, may be called more than once. */
  protected abstract discard(): Promise<void>;

  write(chunk: Buffer): Promise<void> {
    if (this.state !== "open") return Promise.reject(new Error(`blob writer is ${this.state}`));
    const p = this.pending.then(async () => {
      if (this.state !== "open") throw new Error(`blob writer is ${this.state}`);
      await this.append(chunk);
      this.length += chunk.length;
    });
    this.pending = p.catch((err) => {
      if (this.state === "open") this.state = "failed";
      throw err;
    });
    this.pending.catch(() => {});
    return p;
  }

  commit(): Promise<number> {
    if (this.state !== "open") return Promise.reject(new Error(`blob writer is ${this.state}`));
    this.state = "committing";
    this.committing = (async () => {
      try {
        await this.pending;
        await this.publish();
        this.state = "committed";
        return this.length;
      } catch (err) {
        this.state = "failed";
        await this.discard();
        throw err;
      }
    })();
    return this.committing;
  }

  async abort(): Promise<void> {
    if (this.state === "committing") {
      // Too late to abort: let the commit finish (or fail and clean up after itself).
      await this.committing?.catch(() => {});
      return;
    }
    if (this.state === "committed" || this.state === "aborted") return;
    this.state = "aborted";
    await this.pending.catch(() => {});
    await this.discard();
  }
}
