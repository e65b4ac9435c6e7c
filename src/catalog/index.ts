// openCatalog: the embedded SQLite catalog by default, PostgreSQL when a database URL is given.

import type { Catalog } from "./types.js";
import { SqliteCatalog } from "./sqlite.js";

export type { Catalog } from "./types.js";

export interface CatalogOptions {
  /** postgres://… or postgresql://… for PostgreSQL; sqlite:<path> for a SQLite file elsewhere */
  databaseUrl?: string;
  /** the SQLite file used when no databaseUrl is given */
  sqlitePath: string;
  /** PostgreSQL connections per process (plus one for LISTEN); default 10 */
  poolSize?: number;
}

/** Opens the catalog and applies pending migrations. */
export async function openCatalog(opts: CatalogOptions): Promise<Catalog> {
  const url = opts.databaseUrl;
  let catalog: Catalog;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const { PostgresCatalog } = await import("./postgres.js");
    catalog = await PostgresCatalog.open(url, { maxConnections: opts.poolSize });
  } else if (url && url.startsWith("sqlite:")) {
    catalog = SqliteCatalog.open(url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, ""));
  } else if (url) {
    throw new Error(`REFSTORE_DATABASE_URL must start with postgres://, postgresql:// or sqlite: (got ${url.split(":")[0]}:…)`);
  } else {
    catalog = SqliteCatalog.open(opts.sqlitePath);
  }
  try {
    await catalog.migrate();
  } catch (err) {
    await catalog.close();
    throw err;
  }
  return catalog;
}
