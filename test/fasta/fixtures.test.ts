// The engine over the real genomes of test/fixtures/genomes: every output equals the
// manifest's truth (computed with samtools/md5sum/openssl, not with this code).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ingestFasta } from "../../src/fasta/ingest.js";
import { GENOMES, chunked } from "./helpers.js";

interface Entry {
  file: string;
  bytes: number;
  md5: string;
  compression: "none" | "bgzf";
  uncompressed_bytes?: number;
  index: string[];
  fai: string;
  sequences: { name: string; length: number; md5: string; ga4gh: string }[];
}
const manifest = JSON.parse(readFileSync(join(GENOMES, "manifest.json"), "utf8")) as { files: Entry[] };

test("the manifest lists the nine fixtures", () => {
  assert.equal(manifest.files.length, 9);
});

for (const f of manifest.files) {
  const data = readFileSync(join(GENOMES, f.file));
  const sizes = [1 << 20, 65536, 4099, 7, ...(data.length < 300_000 ? [1] : [])];
  for (const size of sizes) {
    test(`${f.file} in ${size}-byte chunks`, async () => {
      const seen: Buffer[] = [];
      const r = await ingestFasta(chunked(data, size), {
        onBytes: async (c) => {
          seen.push(Buffer.from(c));
        },
      });
      assert.ok(Buffer.concat(seen).equals(data), "onBytes received the source bytes unchanged");
      assert.equal(r.md5, f.md5);
      assert.equal(r.bytes, f.bytes);
      assert.equal(r.compression, f.compression);
      assert.equal(r.uncompressedBytes, f.uncompressed_bytes ?? f.bytes);
      assert.equal(r.fai.toString("latin1"), f.fai);
      assert.ok(r.fai.equals(readFileSync(join(GENOMES, f.file + ".fai"))), ".fai equals samtools' file");
      if (f.compression === "bgzf") {
        assert.ok(r.gzi, "a .gzi is produced");
        assert.ok(r.gzi.equals(readFileSync(join(GENOMES, f.file + ".gzi"))), ".gzi equals samtools' file");
      } else {
        assert.equal(r.gzi, undefined);
      }
      assert.deepEqual(r.sequences, f.sequences);
    });
  }
}
