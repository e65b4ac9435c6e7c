// Generated FASTA for fault tests (sizes that need several S3 parts; random, so no two parts match).

import { randomBytes } from "node:crypto";

/** A valid FASTA of about `bytes` bytes (one sequence, 60-column lines). */
export function fastaOf(bytes: number, name = "chr1"): Buffer {
  const line = Buffer.alloc(61);
  const parts: Buffer[] = [Buffer.from(`>${name}\n`)];
  const rnd = randomBytes(Math.ceil(bytes / 61) * 60);
  let total = parts[0].length;
  for (let i = 0; total < bytes; i++) {
    for (let j = 0; j < 60; j++) line[j] = "ACGT".charCodeAt(rnd[i * 60 + j] & 3);
    line[60] = 10;
    parts.push(Buffer.from(line));
    total += 61;
  }
  return Buffer.concat(parts);
}

