// Read handles of blob files kept open between reads (DiskBlobStore.readBytes): a small refget
// request would otherwise pay an open(), an fstat() and a close() of the SOURCE each time, more
// than the read itself. An LRU of at most `max` files; a handle unused for `idleMs` is closed, and
// delete() or a commit under a key closes its handle at once. A handle in use is closed only when
// its last reader is done. References' blobs are written once under keys of their own; a handle
// whose file another process unlinked or replaced reads the old bytes until it goes idle.

import type { FileHandle } from "node:fs/promises";

export interface OpenFile {
  fh: FileHandle;
  size: number;
}

interface Entry {
  file: Promise<OpenFile>;
  users: number;
  used: number;
  dropped: boolean;
}

export class OpenFiles {
  private readonly map = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly openFile: (path: string) => Promise<OpenFile>,
    private readonly max = 64,
    private readonly idleMs = 10_000,
  ) {}

  /** Run `fn` with the open file at `path` (opening it if need be). */
  async use<T>(path: string, fn: (f: OpenFile) => Promise<T>): Promise<T> {
    let e = this.map.get(path);
    if (e) {
      this.map.delete(path); // LRU: to the back
      this.map.set(path, e);
    } else {
      const entry: Entry = { file: this.openFile(path), users: 0, used: 0, dropped: false };
      entry.file.catch(() => {
        if (this.map.get(path) === entry) this.map.delete(path);
      });
      this.map.set(path, entry);
      e = entry;
      while (this.map.size > this.max) this.drop(this.map.keys().next().value as string);
      this.arm();
    }
    e.users++;
    e.used = Date.now();
    try {
      return await fn(await e.file);
    } finally {
      e.users--;
      if (e.dropped && e.users === 0) closeEntry(e);
    }
  }

  /** Forget `path`: its handle is closed once no read uses it. */
  drop(path: string): void {
    const e = this.map.get(path);
    if (!e) return;
    this.map.delete(path);
    e.dropped = true;
    if (e.users === 0) closeEntry(e);
  }

  closeAll(): void {
    for (const path of [...this.map.keys()]) this.drop(path);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const [path, e] of this.map) if (e.users === 0 && now - e.used >= this.idleMs) this.drop(path);
      if (this.map.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, this.idleMs);
    this.timer.unref();
  }
}

function closeEntry(e: Entry): void {
  e.file.then(
    (f) => f.fh.close().catch(() => {}),
    () => {},
  );
}
