// Catalog faults every layer above may need to recognise without knowing which database runs.

/** The catalog's database cannot grow: SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100). (A bare ENOSPC is a file's, e.g. the blob store's.) */
export function isCatalogFull(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === "SQLITE_FULL" || code === "53100";
}

export const CATALOG_FULL_MESSAGE = "the catalog cannot grow: no space left on its disk; retry once space is freed";
