// Shared helpers for the FASTA engine tests.
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

/** test/fixtures/genomes in the source tree (tests run from dist/test/fasta). */
export const GENOMES = join(dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/genomes");

/** Yields `data` in pieces of `size` bytes (copies, so the engine cannot rely on shared memory). */
export async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield Buffer.from(data.subarray(i, i + size));
}

export function refget(seq: string): { md5: string; ga4gh: string } {
  const norm = seq.replace(/[^A-Za-z]/g, "").toUpperCase();
  return {
    md5: createHash("md5").update(norm, "latin1").digest("hex"),
    ga4gh: "SQ." + createHash("sha512").update(norm, "latin1").digest().subarray(0, 24).toString("base64url"),
  };
}

export function hasSamtools(): boolean {
  return spawnSync("samtools", ["--version"], { stdio: "ignore" }).status === 0;
}
