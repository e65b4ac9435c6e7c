// Slow (REFSTORE_SLOW_TESTS=1): a generated ~300 MB genome through the engine, checked against
// samtools faidx (when installed), md5sum (or node:crypto), an independent naive digest pass,
// and a bound on peak RSS.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { generateFasta } from "../../bench/import-engine.js";
import { ingestFasta } from "../../src/fasta/ingest.js";
import { liveDigestWorkers } from "../../src/fasta/digests.js";

const BYTES = 300_000_000;

function has(cmd: string, arg: string): boolean {
  return spawnSync(cmd, [arg], { stdio: "ignore" }).status === 0;
}

/** Independent, deliberately naive per-sequence digests: one line at a time. */
async function naiveDigests(file: string) {
  const out: { name: string; length: number; md5: string; ga4gh: string }[] = [];
  let name = "";
  let len = 0;
  let md5 = createHash("md5");
  let sha = createHash("sha512");
  const done = () => {
    if (name)
      out.push({ name, length: len, md5: md5.digest("hex"), ga4gh: "SQ." + sha.digest().subarray(0, 24).toString("base64url") });
  };
  for await (const line of createInterface({ input: createReadStream(file, { encoding: "latin1" }), crlfDelay: Infinity })) {
    if (line.startsWith(">")) {
      done();
      name = line.slice(1).split(/\s/)[0];
      len = 0;
      md5 = createHash("md5");
      sha = createHash("sha512");
    } else {
      const s = line.toUpperCase();
      len += s.length;
      md5.update(s, "latin1");
      sha.update(s, "latin1");
    }
  }
  done();
  return out;
}

test("a 300 MB genome: .fai = samtools, md5 = md5sum, digests = naive pass, bounded RSS", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "refstore-slow-"));
  try {
    const file = join(dir, "big.fa");
    const lengths = await generateFasta(file, BYTES, { records: 7, lineWidth: 60, seed: 42, lowercase: 0.2, nRuns: 0.05 });

    let peak = process.memoryUsage.rss();
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    const t0 = Date.now();
    let passed = 0;
    const r = await ingestFasta(createReadStream(file, { highWaterMark: 1 << 20 }), {
      onBytes: (c) => {
        passed += c.length;
      },
    });
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage.rss());
    t.diagnostic(`engine: ${((Date.now() - t0) / 1000).toFixed(2)} s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(peak < 256 * 2 ** 20, `peak RSS ${peak} below 256 MiB`);
    assert.equal(liveDigestWorkers(), 0);

    assert.equal(passed, r.bytes);
    assert.deepEqual(r.sequences.map((s) => s.length), lengths);

    if (has("md5sum", "--version")) {
      const m = spawnSync("md5sum", [file], { encoding: "latin1" });
      assert.equal(r.md5, m.stdout.slice(0, 32));
    } else {
      const h = createHash("md5");
      for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
      assert.equal(r.md5, h.digest("hex"));
    }

    assert.deepEqual(r.sequences, await naiveDigests(file));

    if (!has("samtools", "--version")) {
      t.skip("samtools not on PATH: .fai not compared");
      return;
    }
    assert.equal(spawnSync("samtools", ["faidx", file]).status, 0);
    assert.ok(r.fai.equals(readFileSync(file + ".fai")), ".fai equals samtools faidx");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
