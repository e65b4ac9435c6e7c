// What every service module needs: the catalog, the blob store, settings, and the caller.

import type { Catalog } from "../catalog/types.js";
import type { BlobStore } from "../blobs/types.js";
import type { Config } from "../config.js";

export interface ServiceDeps {
  catalog: Catalog;
  blobs: BlobStore;
  config: Config;
  clock: Clock;
}

/** Who is calling: the account their access key maps to. */
export interface Caller {
  accountId: string;
  region: string;
}

export type Handler = (caller: Caller, input: Record<string, any>) => Promise<Record<string, any>>;

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
