// openCatalog: the embedded SQLite catalog, or PostgreSQL, as config.ts read REFSTORE_DATABASE_URL.

import type { DatabaseLocation } from "../config.js";
import type { Catalog } from "./types.js";
import { SqliteCatalog } from "./sqlite.js";

export type { Catalog } from "./types.js";

export interface CatalogOptions {
  database: DatabaseLocation;
  /** PostgreSQL connections per process (plus one for LISTEN); default 10 */
  poolSize?: number;
}

/** Opens the catalog and applies pending migrations. */
export async function openCatalog(opts: CatalogOptions): Promise<Catalog> {
  let catalog: Catalog;
  if (opts.database.kind === "postgres") {
    const { PostgresCatalog } = await import("./postgres.js");
    catalog = await PostgresCatalog.open(opts.database.url, { maxConnections: opts.poolSize });
  } else {
    catalog = SqliteCatalog.open(opts.database.path);
  }
  try {
    await catalog.migrate();
  } catch (err) {
    await catalog.close();
    throw err;
  }
  return catalog;
}
