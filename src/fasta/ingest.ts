// ingestFasta: one streaming pass over a FASTA source (plain or BGZF) that passes every byte
// through to a sink, and produces the whole-file MD5, the .fai (and .gzi), and per-sequence
// refget digests. Bounded memory: one shared memory of about 42 MiB per import (digests.ts).

import type { SequenceInfo } from "./types.js";
import { BgzfDecoder, detectCompression } from "./bgzf.js";
import { ImportDigests, WORK_OFF } from "./digests.js";
import { err } from "./rules.js";
import { FastaScanner, FLUSH_AT, WORK_CAP } from "./scanner.js";
import { FastaError, type IngestOptions, type IngestResult } from "./types.js";

export { FastaError };
export { md5Engine, type Md5Engine } from "./md5x2.js";

export async function ingestFasta(source: AsyncIterable<Buffer>, opts: IngestOptions = {}): Promise<IngestResult> {
  const { signal, onBytes } = opts;
  const limit = opts.maxUncompressedBytes ?? Number.MAX_SAFE_INTEGER;
  signal?.throwIfAborted();

  // Each wait races the abort signal with its own listener, removed as soon as the wait settles.
  // (Promise.race against one long-lived "aborted" promise would keep every settled race, and
  // with it every chunk read, reachable until the import ends.)
  const race = <T>(p: Promise<T>): Promise<T> => {
    if (!signal) return p;
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        p.catch(() => {});
        reject(signal.reason);
        return;
      }
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  };

  const digests = new ImportDigests();
  const kernel = digests.kernel;
  const scanner = new FastaScanner(digests.buf, WORK_OFF, kernel ? (q, o, lb, lw, max, crlf) => kernel.lines(q, o, lb, lw, max, crlf) : undefined);
  scanner.setNorm(digests.normOff);
  let bytes = 0;
  let mode: "detect" | "none" | "bgzf" = "detect";
  let head: Buffer | undefined;
  let decoder: BgzfDecoder | undefined;
  const it = source[Symbol.asyncIterator]();
  let itDone = false;

  // the normalisation area is handed over between pieces once it holds FLUSH_AT bytes
  const flushIfFull = async () => {
    if (scanner.normBytes >= FLUSH_AT) scanner.setNorm(await race(digests.flushNorm(scanner.normBytes, scanner.ends)));
  };
  // text pieces (decompressed, or the first bytes): scanned from the work area
  const pending: Buffer[] = [];
  const queueText = (t: Buffer) => {
    pending.push(t);
  };
  const drain = async () => {
    for (let i = 0; i < pending.length; i++) {
      const t = pending[i];
      for (let p = 0; p < t.length; p += WORK_CAP) {
        await flushIfFull();
        const piece = t.subarray(p, Math.min(p + WORK_CAP, t.length));
        if (mode === "none" && scanner.total + piece.length > limit) throw err.tooBig(limit);
        scanner.scan(piece);
      }
    }
    pending.length = 0;
  };
  // Source bytes go into the file ring (the file MD5 reads them there); plain text is scanned
  // where it landed.
  const take = async (chunk: Buffer, scanHere: boolean) => {
    for (let p = 0; p < chunk.length; ) {
      const space = await race(digests.fileSpace());
      const n = Math.min(space.len, chunk.length - p, WORK_CAP);
      digests.buf.set(n === chunk.length ? chunk : chunk.subarray(p, p + n), space.off);
      if (scanHere) {
        await flushIfFull();
        if (scanner.total + n > limit) throw err.tooBig(limit);
        scanner.scanAt(space.off, n);
      }
      digests.fileWritten(n);
      p += n;
    }
  };
  const feed = (chunk: Buffer) => {
    if (mode === "bgzf") decoder!.push(chunk, queueText);
    else queueText(chunk);
  };

  try {
    for (;;) {
      const r = await race(it.next());
      if (r.done) {
        itDone = true;
        break;
      }
      const chunk: Buffer = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
      if (chunk.length === 0) continue;
      signal?.throwIfAborted();
      bytes += chunk.length;
      const sink = onBytes ? onBytes(chunk) : undefined;
      // the sink's write (I/O) overlaps the scan (CPU) of the same chunk
      let sinkP: Promise<void> | undefined;
      if (sink && typeof (sink as Promise<void>).then === "function") {
        sinkP = Promise.resolve(sink);
        sinkP.catch(() => {});
      }
      try {
        if (mode === "none") {
          await take(chunk, true);
          continue;
        }
        await take(chunk, false);
        if (mode === "detect") {
          head = head ? Buffer.concat([head, chunk]) : chunk;
          const d = detectCompression(head, false);
          if (d !== "need-more") {
            mode = d;
            if (d === "bgzf") decoder = new BgzfDecoder(limit);
            const h = head;
            head = undefined;
            feed(h);
          }
        } else {
          feed(chunk);
        }
        await drain();
      } finally {
        if (sinkP) await race(sinkP);
      }
    }
    if (mode === "detect") {
      if (!head || head.length === 0) throw err.empty();
      mode = detectCompression(head, true) as "none" | "bgzf";
      if (mode === "bgzf") decoder = new BgzfDecoder(limit);
      feed(head);
      await drain();
    }
    if (bytes === 0) throw err.empty();
    let gzi: Buffer | undefined;
    if (decoder) {
      gzi = decoder.finish();
      if (scanner.total === 0) throw err.bgzfEmpty();
    }
    const fai = scanner.finish();
    const d = await race(digests.finish(scanner.normBytes, scanner.ends));
    const sequences: SequenceInfo[] = scanner.names.map((name, i) => ({
      name,
      length: scanner.lengths[i],
      md5: d.md5s[i],
      ga4gh: d.shas[i],
    }));
    return {
      md5: d.md5,
      bytes,
      compression: mode === "bgzf" ? "bgzf" : "none",
      uncompressedBytes: scanner.total,
      fai,
      ...(gzi ? { gzi } : {}),
      sequences,
    };
  } catch (e) {
    if (!itDone && typeof it.return === "function") {
      Promise.resolve()
        .then(() => it.return!())
        .catch(() => {});
    }
    throw e;
  } finally {
    await digests.close();
  }
}
