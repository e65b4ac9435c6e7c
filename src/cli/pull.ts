// `refstore pull`: a reference's SOURCE and INDEX fetched part by part, several parts at once, as
// the Omics Transfer Manager does (part i written at (i-1) x partSize), into NAME.fa(.gz) and its
// .fai. The whole-file MD5 is computed while the download goes on, over the prefix of the file
// that is complete, and checked against the reference's md5 before the file gets its name.

import { createHash } from "node:crypto";
import { open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { GetReferenceCommand, GetReferenceMetadataCommand, type GetReferenceMetadataCommandOutput } from "@aws-sdk/client-omics";
import type { Connection } from "./client.js";
import { CliError } from "./output.js";
import type { Progress, ProgressItem } from "./progress.js";

export interface PullOptions {
  outDir: string;
  threads: number;
  index: boolean;
  force: boolean;
  progress: Progress;
}

export interface PulledFile {
  file: "SOURCE" | "INDEX";
  path: string;
  bytes: number;
  md5?: string;
}

const ATTEMPTS = 5; // per part, as the Transfer Manager
const READ_CHUNK = 4 * 1024 * 1024;

interface Download {
  file: "SOURCE" | "INDEX";
  partSize: number;
  totalParts: number;
  contentLength: number;
  tmp: string;
  fh?: FileHandle;
  done: number;
  partsDone: Set<number>;
  hashedParts: number;
  hashing: Promise<void>;
  md5?: ReturnType<typeof createHash>;
  item: ProgressItem;
}

/** A file name from the reference's name: letters, digits, `._-` kept, the rest `_`. */
export function safeName(name: string | undefined, fallback: string): string {
  const n = (name ?? "").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  return n || fallback;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export async function pull(conn: Connection, storeId: string, refId: string, opts: PullOptions): Promise<PulledFile[]> {
  const meta: GetReferenceMetadataCommandOutput = await conn.client.send(
    new GetReferenceMetadataCommand({ referenceStoreId: storeId, id: refId }),
  );
  const base = safeName(meta.name, refId);
  const wanted: ("SOURCE" | "INDEX")[] = opts.index ? ["SOURCE", "INDEX"] : ["SOURCE"];
  const downloads: Download[] = wanted.map((file) => {
    const info = file === "SOURCE" ? meta.files?.source : meta.files?.index;
    if (!info?.partSize || !info.totalParts || info.contentLength === undefined)
      throw new CliError(`GetReferenceMetadata gave no part geometry for ${file} of reference ${refId}`);
    return {
      file,
      partSize: info.partSize,
      totalParts: info.totalParts,
      contentLength: info.contentLength,
      tmp: join(opts.outDir, `.${base}.${refId}.${file.toLowerCase()}.download`),
      done: 0,
      partsDone: new Set(),
      hashedParts: 0,
      hashing: Promise.resolve(),
      md5: file === "SOURCE" ? createHash("md5") : undefined,
      item: opts.progress.item(`${base} ${file === "SOURCE" ? "source" : "index "}`, info.contentLength),
    };
  });

  const tasks: { d: Download; part: number }[] = [];
  for (const d of downloads) for (let part = 1; part <= d.totalParts; part++) tasks.push({ d, part });
  const abort = new AbortController();
  try {
    for (const d of downloads) {
      d.fh = await open(d.tmp, "w+");
      if (d.contentLength > 0) await d.fh.truncate(d.contentLength);
    }
    let next = 0;
    const worker = async () => {
      while (next < tasks.length && !abort.signal.aborted) {
        const { d, part } = tasks[next++];
        await fetchPart(conn, storeId, refId, d, part, abort.signal);
        d.partsDone.add(part);
        hashReady(d);
      }
    };
    const workers = Array.from({ length: Math.max(1, Math.min(opts.threads, tasks.length)) }, () =>
      worker().catch((err) => {
        abort.abort();
        throw err;
      }),
    );
    await Promise.all(workers);
    for (const d of downloads) await d.hashing;

    // Names: NAME.fa, or NAME.fa.gz when the stored bytes are gzip/BGZF; the index beside it.
    const source = downloads[0];
    const head = Buffer.alloc(2);
    await source.fh!.read(head, 0, 2, 0);
    const sourceName = `${base}.fa${head[0] === 0x1f && head[1] === 0x8b ? ".gz" : ""}`;
    const md5 = source.md5!.digest("hex");
    if (meta.md5 && md5 !== meta.md5.toLowerCase()) {
      source.item.end("FAILED", `MD5 ${md5} differs from the reference's ${meta.md5}`);
      throw new CliError(`MD5 mismatch for ${sourceName}: got ${md5}, the reference says ${meta.md5} (nothing written)`);
    }
    const out: PulledFile[] = [];
    for (const d of downloads) {
      await d.fh!.close();
      d.fh = undefined;
      const path = join(opts.outDir, d.file === "SOURCE" ? sourceName : `${sourceName}.fai`);
      if (!opts.force && (await exists(path))) throw new CliError(`${path} exists: remove it or pass --force`);
      out.push({ file: d.file, path, bytes: d.contentLength, md5: d.file === "SOURCE" ? md5 : undefined });
    }
    for (const [i, d] of downloads.entries()) {
      await rename(d.tmp, out[i].path);
      d.item.end("ok", d.file === "SOURCE" ? (meta.md5 ? "md5 ok" : "(no md5 to check)") : "");
    }
    return out;
  } finally {
    abort.abort();
    for (const d of downloads) await d.hashing.catch(() => {});
    for (const d of downloads) {
      await d.fh?.close().catch(() => {});
      await rm(d.tmp, { force: true });
    }
  }
}

/** Hash, in order, the parts that are complete from where the hash stands. */
function hashReady(d: Download): void {
  if (!d.md5) return;
  d.hashing = d.hashing.then(async () => {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    while (d.partsDone.has(d.hashedParts + 1)) {
      const part = d.hashedParts + 1;
      const start = (part - 1) * d.partSize;
      const end = Math.min(start + d.partSize, d.contentLength);
      for (let pos = start; pos < end; ) {
        const { bytesRead } = await d.fh!.read(buf, 0, Math.min(READ_CHUNK, end - pos), pos);
        if (bytesRead === 0) throw new Error(`short read of the downloaded ${d.file} at ${pos}`);
        d.md5!.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      d.hashedParts = part;
    }
  });
}

const retryable = (err: any) =>
  !(err?.$fault === "client") && err?.name !== "AbortError" && !(err instanceof CliError);

async function fetchPart(conn: Connection, storeId: string, refId: string, d: Download, part: number, signal: AbortSignal): Promise<void> {
  const start = (part - 1) * d.partSize;
  const length = Math.min(d.partSize, d.contentLength - start);
  for (let attempt = 1; ; attempt++) {
    let written = 0;
    try {
      const res = await conn.client.send(
        new GetReferenceCommand({ referenceStoreId: storeId, id: refId, partNumber: part, file: d.file }),
        { abortSignal: signal },
      );
      for await (const chunk of res.payload as unknown as AsyncIterable<Uint8Array>) {
        if (written + chunk.length > length) throw new CliError(`part ${part} of ${d.file} is longer than ${length} bytes`);
        await d.fh!.write(chunk, 0, chunk.length, start + written);
        written += chunk.length;
        d.done += chunk.length;
        d.item.update(d.done);
      }
      if (written !== length) throw new Error(`part ${part} of ${d.file}: ${written} of ${length} bytes arrived`);
      return;
    } catch (err) {
      d.done -= written;
      if (attempt >= ATTEMPTS || !retryable(err) || signal.aborted) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
