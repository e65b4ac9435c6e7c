// Identifiers of catalog rows (stores, import jobs, references), in the form AWS uses.

import { randomInt } from "node:crypto";

/** A 10-digit numeric id ("1234567890"); never starts with 0. */
export function newId(): string {
  return String(randomInt(1_000_000_000, 10_000_000_000));
}

/** What a tag belongs to: a store, or a reference in it. */
export interface TagTarget {
  storeId: string;
  referenceId?: string;
}

/**
 * The key the catalog files a resource's tags under: `<storeId>` or
 * `<storeId>/reference/<referenceId>` (the tail of the resource's ARN, which is the API's to
 * spell; store ids are unique across accounts).
 */
export function tagKey(target: TagTarget): string {
  return target.referenceId === undefined ? target.storeId : `${target.storeId}/reference/${target.referenceId}`;
}
