// Benchmark helpers for the FASTA import engine (used by bench/import.ts).
//
//   benchEngine(file[, storeDir]) runs ingestFasta over a file stream (highWaterMark 1 MiB); with
//                                storeDir, also writes the bytes through a DiskBlobStore there
//                                (fsync on commit, as an import does), then deletes it
//   generateFasta(path, bytes)   writes a deterministic synthetic genome quickly
//
// Run directly: node dist/bench/import-engine.js [file] (without a file: generates 1 GiB in
// the temp dir, benchmarks, deletes it).

import { createReadStream, createWriteStream, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DiskBlobStore } from "../src/blobs/disk.js";
import { ingestFasta } from "../src/fasta/ingest.js";

export interface BenchResult {
  seconds: number;
  mbPerS: number;
  peakRssMb: number;
}

export async function benchEngine(file: string, storeDir?: string): Promise<BenchResult> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const t0 = process.hrtime.bigint();
  try {
    const writer = storeDir ? await new DiskBlobStore(storeDir).create("bench/source") : undefined;
    const r = await ingestFasta(createReadStream(file, { highWaterMark: 1 << 20 }), {
      signal: new AbortController().signal, // as the worker passes one
      onBytes: writer ? (chunk) => writer.write(chunk) : undefined,
    });
    await writer?.commit();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    peak = Math.max(peak, process.memoryUsage.rss());
    return { seconds, mbPerS: r.bytes / 1e6 / seconds, peakRssMb: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  }
}

export interface GenerateOptions {
  /** number of records (default 25) */
  records?: number;
  /** bases per line (default 60) */
  lineWidth?: number;
  /** PRNG seed (default 1) */
  seed?: number;
  /** fraction of 4,000-base blocks written in lower case (default 0.1) */
  lowercase?: number;
  /** fraction of 4,000-base blocks that are all N (default 0.02) */
  nRuns?: number;
  /** "\n" (default) or "\r\n" */
  eol?: "\n" | "\r\n";
}

/**
 * Writes a FASTA of about `bytes` bytes: `records` records named chr1..chrN with a short
 * description, deterministic pseudo-random ACGT with some lower-case blocks and N runs.
 * Returns the per-record base counts.
 */
export async function generateFasta(path: string, bytes = 2 ** 30, opts: GenerateOptions = {}): Promise<number[]> {
  const records = opts.records ?? 25;
  const width = opts.lineWidth ?? 60;
  const eol = Buffer.from(opts.eol ?? "\n");
  const lowerP = opts.lowercase ?? 0.1;
  const nP = opts.nRuns ?? 0.02;
  let s = (opts.seed ?? 1) >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const perRecordBytes = Math.floor(bytes / records);
  const lineBytes = width + eol.length;
  const out = createWriteStream(path, { highWaterMark: 8 << 20 });
  const BUF = 8 << 20;
  const lengths: number[] = [];
  const upper = Buffer.from("ACGT");
  const lower = Buffer.from("acgt");
  for (let rec = 0; rec < records; rec++) {
    const header = Buffer.from(`>chr${rec + 1} synthetic record ${rec + 1}${eol.toString()}`);
    const bases = Math.max(1, Math.floor(((perRecordBytes - header.length) * width) / lineBytes));
    lengths.push(bases);
    let buf = Buffer.allocUnsafe(BUF);
    let o = header.copy(buf, 0);
    let col = 0;
    let blockLeft = 0;
    let kind = 0; // 0 upper, 1 lower, 2 N
    let bits = 0;
    let nbits = 0;
    for (let i = 0; i < bases; i++) {
      if (blockLeft === 0) {
        blockLeft = 4000;
        const r = rnd() / 2 ** 32;
        kind = r < nP ? 2 : r < nP + lowerP ? 1 : 0;
      }
      blockLeft--;
      if (nbits === 0) {
        bits = rnd();
        nbits = 16;
      }
      const b = bits & 3;
      bits >>>= 2;
      nbits--;
      buf[o++] = kind === 2 ? 78 : kind === 1 ? lower[b] : upper[b];
      if (++col === width) {
        col = 0;
        for (let k = 0; k < eol.length; k++) buf[o++] = eol[k];
      }
      if (o > BUF - 16) {
        if (!out.write(buf.subarray(0, o))) await once(out, "drain");
        buf = Buffer.allocUnsafe(BUF);
        o = 0;
      }
    }
    if (col !== 0) for (let k = 0; k < eol.length; k++) buf[o++] = eol[k];
    if (!out.write(buf.subarray(0, o))) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return lengths;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  let file = process.argv[2];
  const generated = !file;
  if (!file) {
    file = join(tmpdir(), `refstore-bench-${process.pid}.fa`);
    const t = Date.now();
    await generateFasta(file);
    console.log(`generated ${file} in ${(Date.now() - t) / 1000} s`);
  }
  try {
    const r = await benchEngine(file);
    console.log(JSON.stringify(r));
  } finally {
    if (generated && !process.env.KEEP) rmSync(file, { force: true });
  }
}
