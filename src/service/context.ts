// What every service module needs: the catalog, the blob store, settings, and the caller.

import type { BlobStore } from "../blobs/types.js";
import type { Catalog } from "../catalog/types.js";

export interface ServiceSettings {
  /** REFSTORE_MAX_STORES_PER_ACCOUNT (undefined: no limit) */
  maxStoresPerAccount?: number;
  /** size of the parts references are read in (100 MiB, as AWS) */
  partSize: number;
  /** key of the HMAC that signs nextToken */
  tokenSecret: string;
  /** REFSTORE_MAX_UPLOAD_BYTES (default 64 GiB) */
  maxUploadBytes?: number;
}

export interface ServiceDeps {
  catalog: Catalog;
  blobs: BlobStore;
  settings: ServiceSettings;
  clock: Clock;
}

/** Who is calling: the account their credentials map to. Every call is scoped to it. */
export interface Caller {
  accountId: string;
}

/** One page of a list, and the token of the next one (undefined on the last page). */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** How much of a list to return: at most maxResults (default 100), after nextToken. */
export interface PageRequest {
  maxResults?: number;
  nextToken?: string;
}

/**
 * Milliseconds since the epoch, strictly increasing within this process, so that creation order
 * is the (creationTime, id) order that every list uses.
 */
export class Clock {
  private last = 0;
  now(): number {
    const t = Date.now();
    this.last = t > this.last ? t : this.last + 1;
    return this.last;
  }
}
