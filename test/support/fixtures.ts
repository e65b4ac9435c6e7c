// The real genomes of test/fixtures/genomes (copied from shared/fixtures) and their truth values
// (computed with samtools and md5sum, in manifest.json).

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// compiled to dist/test/support: the fixtures stay in the source tree
export const GENOMES_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/genomes");

export interface ManifestEntry {
  file: string;
  bytes: number;
  md5: string;
  compression: "none" | "bgzf";
  fai: string;
  index: string[];
  sequences: { name: string; length: number; md5: string; ga4gh: string }[];
}

export const manifest: { files: ManifestEntry[] } = JSON.parse(readFileSync(join(GENOMES_DIR, "manifest.json"), "utf8"));

export const genome = (file: string): Buffer => readFileSync(join(GENOMES_DIR, file));
