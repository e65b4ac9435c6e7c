// Identifiers of catalog rows (stores, import jobs, references), in the form AWS uses.

import { randomInt } from "node:crypto";

/** A 10-digit numeric id ("1234567890"); never starts with 0. */
export function newId(): string {
  return String(randomInt(1_000_000_000, 10_000_000_000));
}
