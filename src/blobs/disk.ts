// DiskBlobStore: blobs as plain files under a root directory (the embedded default, under
// REFSTORE_DATA_DIR/blobs).
//
// Layout:
//   <root>/<key>                   committed objects (keys are relative paths, '/'-separated)
//   <root>/.incomplete/<tag>-<time>-<random>   bytes of writers that have not committed yet
//                                  (<tag> is a digest of the key)
//
// A writer appends to its own file in .incomplete; commit() fsyncs it, creates the key's parent
// directories and renames it into place (atomic on one filesystem), then fsyncs the parent
// directory. A reader therefore sees either nothing or the whole object. abort() unlinks the
// temporary file. After a crash, delete(key) also removes the key's unfinished temporary file
// (the worker that takes a job over deletes the keys the dead attempt registered as pending), and
// sweepIncomplete() at start-up removes temporary files whose key the catalog does not hold as
// pending once it has seen them for an hour (sweep.ts; never by mtime).

import { createHash, randomBytes } from "node:crypto";
import { constants as fsc } from "node:fs";
import { access, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile, type FileHandle } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { BlobNotFound, type BlobStore, type BlobWriter, type SweepContext } from "./types.js";
import { parseSightings, sweepLeftovers } from "./sweep.js";
import { DirectFile, directWritesWork, O_DIRECT } from "./direct-file.js";
import { SerialBlobWriter } from "./writer.js";
import { OpenFiles } from "./open-files.js";

/** Name of the directory (directly under the root) that holds uncommitted writes. */
const INCOMPLETE_DIR = ".incomplete";

/** In .incomplete: when the start-up sweep first saw each unexplained temporary file (sweep.ts). */
const SIGHTINGS_FILE = ".sweep-sightings.json";

const READ_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Throw unless `key` is a safe relative object key: non-empty '/'-separated segments, none of
 * them "", "." or "..", no leading '/', no backslash or NUL, at most 1024 bytes, and not inside
 * the reserved `.incomplete` directory. Used by both blob stores so that keys behave the same.
 */
export function checkBlobKey(key: string): void {
  const bad = (why: string): never => {
    throw new TypeError(`invalid blob key ${JSON.stringify(key.length > 200 ? key.slice(0, 200) + "…" : key)}: ${why}`);
  };
  if (typeof key !== "string" || key.length === 0) bad("empty");
  if (Buffer.byteLength(key) > 1024) bad("longer than 1024 bytes");
  if (key.includes("\0")) bad("contains NUL");
  if (key.includes("\\")) bad("contains a backslash");
  if (key.startsWith("/")) bad("absolute path");
  for (const seg of key.split("/")) {
    if (seg === "") bad("empty path segment");
    if (seg === "." || seg === "..") bad(`contains a '${seg}' segment`);
  }
  if (key === INCOMPLETE_DIR || key.startsWith(INCOMPLETE_DIR + "/")) bad("reserved prefix");
}

function isErrno(err: unknown, ...codes: string[]): boolean {
  return typeof err === "object" && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? "");
}

async function fsyncDir(dir: string): Promise<void> {
  let h: FileHandle | undefined;
  try {
    h = await open(dir, fsc.O_RDONLY);
    await h.sync();
  } catch {
    // Directory fsync is best effort (not supported on every filesystem).
  } finally {
    await h?.close().catch(() => {});
  }
}

export interface DiskBlobStoreOptions {
  /** fsync file and directory on commit/put (default true). Tests may switch it off for speed. */
  fsync?: boolean;
  /**
   * sweepIncomplete() removes a temporary file no pending key explains only once it has seen it
   * for this long, by refstore's clock (default 1 h; 0 = at once).
   */
  sweepMinAgeMs?: number;
  /**
   * Write blob files with O_DIRECT where the filesystem supports it (default true): the page
   * cache costs some machines as much CPU as hashing the bytes (see direct-file.ts).
   */
  directIo?: boolean;
}

/** Temporary files of a key start with this tag, so delete(key) can find an unfinished write. */
function keyTag(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 24);
}

export class DiskBlobStore implements BlobStore {
  readonly root: string;
  private readonly incompleteDir: string;
  private readonly fsync: boolean;
  private readonly sweepMinAgeMs: number;
  private readonly directIo: boolean;
  /** Whether this directory's filesystem takes direct writes (found out by the first create). */
  private directWorks: boolean | undefined;
  /** read handles kept for readBytes() */
  private readonly files = new OpenFiles(async (path) => {
    const fh = await open(path, fsc.O_RDONLY);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw Object.assign(new Error(`${path} is not a file`), { code: "EISDIR" });
      return { fh, size: st.size };
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  });

  constructor(rootDir: string, opts: DiskBlobStoreOptions = {}) {
    this.root = resolve(rootDir);
    this.incompleteDir = join(this.root, INCOMPLETE_DIR);
    this.fsync = opts.fsync ?? true;
    this.sweepMinAgeMs = opts.sweepMinAgeMs ?? 60 * 60 * 1000;
    this.directIo = (opts.directIo ?? true) && O_DIRECT !== undefined;
  }

  /** Absolute file path of a (validated) key. */
  get location(): string {
    return this.root;
  }

  pathOf(key: string): string {
    checkBlobKey(key);
    const p = join(this.root, ...key.split("/"));
    // Defence in depth: checkBlobKey already rules out escaping the root.
    if (!p.startsWith(this.root + sep)) throw new TypeError(`invalid blob key ${JSON.stringify(key)}: outside the store`);
    return p;
  }

  async create(key: string): Promise<BlobWriter> {
    const finalPath = this.pathOf(key);
    await mkdir(this.incompleteDir, { recursive: true });
    const tmpPath = join(this.incompleteDir, `${keyTag(key)}-${Date.now().toString(36)}-${randomBytes(8).toString("hex")}`);
    const flags = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL;
    if (this.directIo && this.directWorks !== false) {
      let direct: FileHandle | undefined;
      try {
        direct = await open(tmpPath, flags | O_DIRECT!, 0o644);
      } catch (err) {
        if (!isErrno(err, "EINVAL")) throw err;
        this.directWorks = false; // the filesystem refuses O_DIRECT (tmpfs)
      }
      if (direct) {
        this.directWorks ??= await directWritesWork(direct);
        if (this.directWorks) return new DiskBlobWriter(this, direct, tmpPath, finalPath, new DirectFile(direct));
        await direct.close();
        await unlink(tmpPath);
      }
    }
    const handle = await open(tmpPath, flags, 0o644);
    return new DiskBlobWriter(this, handle, tmpPath, finalPath);
  }

  /** @internal Whether files are written with O_DIRECT here (undefined until the first create). */
  get _directWrites(): boolean | undefined {
    return this.directIo ? this.directWorks : false;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const w = await this.create(key);
    try {
      await w.write(data);
      await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  async read(key: string, start: number, endInclusive: number): Promise<Readable> {
    checkRange(start, endInclusive);
    const path = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, fsc.O_RDONLY);
    } catch (err) {
      if (isErrno(err, "ENOENT", "ENOTDIR", "EISDIR")) throw new BlobNotFound(key);
      throw err;
    }
    let size: number;
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new BlobNotFound(key);
      size = st.size;
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
    const end = Math.min(endInclusive, size - 1);
    if (start > end) {
      await handle.close();
      return Readable.from([]);
    }
    // The open handle keeps the bytes readable even if the object is deleted meanwhile.
    return handle.createReadStream({ start, end, highWaterMark: READ_HIGH_WATER_MARK, autoClose: true });
  }

  async readBytes(key: string, start: number, endInclusive: number): Promise<Buffer> {
    checkRange(start, endInclusive);
    const path = this.pathOf(key);
    try {
      return await this.files.use(path, async ({ fh, size }) => {
        const end = Math.min(endInclusive, size - 1);
        if (start > end) return Buffer.alloc(0);
        const buf = Buffer.allocUnsafe(end - start + 1);
        for (let off = 0; off < buf.length; ) {
          const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
          if (bytesRead === 0) throw new Error(`blob ${key} ended at byte ${start + off} of ${size}`);
          off += bytesRead;
        }
        return buf;
      });
    } catch (err) {
      if (isErrno(err, "ENOENT", "ENOTDIR", "EISDIR")) throw new BlobNotFound(key);
      throw err;
    }
  }

  async size(key: string): Promise<number | undefined> {
    const path = this.pathOf(key);
    try {
      const st = await stat(path);
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if (isErrno(err, "ENOENT", "ENOTDIR")) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    this.files.drop(path);
    // An unfinished write of the key (a writer that died) goes too.
    const tag = keyTag(key) + "-";
    for (const name of await this.incompleteNames())
      if (name.startsWith(tag)) await rm(join(this.incompleteDir, name), { force: true });
    try {
      await unlink(path);
    } catch (err) {
      if (isErrno(err, "ENOENT", "ENOTDIR")) return;
      throw err;
    }
    await this.pruneEmptyParents(path);
  }

  async checkReady(): Promise<void> {
    // the directory writers create their files in: there and writable means imports can proceed
    await mkdir(this.incompleteDir, { recursive: true });
    await access(this.incompleteDir, fsc.W_OK | fsc.R_OK);
  }

  async sweepIncomplete(ctx?: SweepContext): Promise<void> {
    const names = (await this.incompleteNames()).filter((n) => !n.startsWith("."));
    const tags = new Set<string>();
    for (const k of (await ctx?.pendingKeys()) ?? []) tags.add(keyTag(k));
    const seenFile = join(this.incompleteDir, SIGHTINGS_FILE);
    await sweepLeftovers({
      leftovers: names,
      id: (n) => n,
      explained: (n) => tags.has(n.split("-")[0]),
      graceMs: this.sweepMinAgeMs,
      now: ctx?.now?.() ?? Date.now(),
      load: async () => parseSightings(await readFile(seenFile, "utf8")),
      save: async (seen) => {
        await mkdir(this.incompleteDir, { recursive: true });
        await writeFile(seenFile + ".tmp", JSON.stringify(seen));
        await rename(seenFile + ".tmp", seenFile);
      },
      remove: (n) => rm(join(this.incompleteDir, n), { recursive: true, force: true }),
    });
  }

  private async incompleteNames(): Promise<string[]> {
    try {
      return await readdir(this.incompleteDir);
    } catch (err) {
      if (isErrno(err, "ENOENT")) return [];
      throw err;
    }
  }

  async close(): Promise<void> {
    this.files.closeAll();
  }

  /** Remove now-empty directories between a deleted file and the root (best effort). */
  private async pruneEmptyParents(filePath: string): Promise<void> {
    let dir = dirname(filePath);
    while (dir.startsWith(this.root + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or gone): stop
      }
      dir = dirname(dir);
    }
  }

  /** @internal Move a finished temporary file to its final path. */
  async _install(tmpPath: string, finalPath: string): Promise<void> {
    // A concurrent delete() may prune the parent directory between mkdir and rename: retry.
    for (let attempt = 0; ; attempt++) {
      await mkdir(dirname(finalPath), { recursive: true });
      try {
        await rename(tmpPath, finalPath);
        this.files.drop(finalPath); // put() may replace an object: a kept handle would read the old one
        break;
      } catch (err) {
        if (attempt < 5 && isErrno(err, "ENOENT") && (await exists(tmpPath))) continue;
        throw err;
      }
    }
    if (this.fsync) await fsyncDir(dirname(finalPath));
  }

  /** @internal */
  get _fsync(): boolean {
    return this.fsync;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Validate a read range: integers, start >= 0, endInclusive >= start - 1 (empty range allowed). */
export function checkRange(start: number, endInclusive: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) || start < 0 || endInclusive < start - 1) {
    throw new RangeError(`invalid byte range ${start}-${endInclusive}`);
  }
}

/** Bytes written between background flushes of a blob being written. */
const SYNC_EVERY = 64 * 1024 * 1024;

/** A temp file in .incomplete, renamed into place by commit. */
class DiskBlobWriter extends SerialBlobWriter {
  private handleClosed = false;
  private unsynced = 0;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly store: DiskBlobStore,
    private readonly handle: FileHandle,
    private readonly tmpPath: string,
    private readonly finalPath: string,
    /** set when the file was opened with O_DIRECT */
    private readonly direct?: DirectFile,
  ) {
    super();
  }

  protected async append(chunk: Buffer): Promise<void> {
    if (this.direct) return this.direct.write(chunk);
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
    this.unsynced += chunk.length;
    // Flush to disk as we go, in the background, so that commit's fsync finds little left to do
    // (one fsync of a whole genome at the end would stall the import for a second or more).
    if (this.store._fsync && this.unsynced >= SYNC_EVERY && !this.syncing) {
      this.unsynced = 0;
      this.syncing = this.handle.datasync().finally(() => (this.syncing = undefined));
      this.syncing.catch(() => {});
    }
  }

  protected async publish(): Promise<void> {
    await this.direct?.finish();
    await this.syncing;
    if (this.store._fsync) await this.handle.sync();
    await this.closeHandle();
    await this.store._install(this.tmpPath, this.finalPath);
  }

  private async closeHandle(): Promise<void> {
    if (this.handleClosed) return;
    this.handleClosed = true;
    await this.handle.close();
  }

  protected async discard(): Promise<void> {
    await this.direct?.discard();
    await this.syncing?.catch(() => {});
    await this.closeHandle().catch(() => {});
    await unlink(this.tmpPath).catch(() => {});
  }
}
