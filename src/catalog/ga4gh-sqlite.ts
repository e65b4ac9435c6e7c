// The GA4GH index (ga4gh-rows.ts) on SQLite: writing a reference's rows, the migration that
// creates and backfills the tables, and the lookups.

import type Database from "better-sqlite3";
import type { SeqcolAttribute } from "../fasta/seqcol.js";
import {
  attributeColumn,
  COLLECTION_COLUMNS,
  GA4GH_INDEXES,
  collectionFromRow,
  collectionQuery,
  collectionValues,
  findSequencesQuery,
  listCollectionsQueries,
  sequenceCopyFromRow,
  sequenceColumns,
} from "./ga4gh-rows.js";
import type { Row } from "./rows.js";
import type { AccountScope, CollectionRecord, SequenceCopy, SequenceInfo } from "./types.js";

type Prepare = (text: string) => Database.Statement;
const ph = () => "?";

export const SQLITE_GA4GH_SCHEMA = `
  CREATE TABLE ref_sequences (
    ref_id TEXT NOT NULL,
    ord    INTEGER NOT NULL,
    name   TEXT NOT NULL,
    length INTEGER NOT NULL,
    md5    TEXT NOT NULL,
    ga4gh  TEXT NOT NULL,
    PRIMARY KEY (ref_id, ord)
  ) WITHOUT ROWID;

  CREATE TABLE ref_collections (
    ref_id TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    lengths_digest TEXT NOT NULL,
    names_digest TEXT NOT NULL,
    sequences_digest TEXT NOT NULL,
    sorted_sequences_digest TEXT NOT NULL,
    name_length_pairs_digest TEXT NOT NULL,
    sorted_name_length_pairs_digest TEXT NOT NULL
  );
${GA4GH_INDEXES}
  -- foreign keys are off in this catalog: the index goes with its reference by trigger
  CREATE TRIGGER refs_ga4gh_delete AFTER DELETE ON refs BEGIN
    DELETE FROM ref_sequences WHERE ref_id = OLD.id;
    DELETE FROM ref_collections WHERE ref_id = OLD.id;
  END;
`;

/** Index one reference (inside the caller's transaction). */
export function insertGa4ghRows(prepare: Prepare, refId: string, sequences: SequenceInfo[]): void {
  const cols = sequenceColumns(refId, sequences);
  const seq = prepare("INSERT OR REPLACE INTO ref_sequences (ref_id, ord, name, length, md5, ga4gh) VALUES (?, ?, ?, ?, ?, ?)");
  for (let i = 0; i < sequences.length; i++) seq.run(cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i], cols[5][i]);
  const values = collectionValues(refId, sequences);
  prepare(`INSERT OR REPLACE INTO ref_collections (${COLLECTION_COLUMNS.join(", ")}) VALUES (${values.map(() => "?").join(", ")})`).run(
    ...values,
  );
}

/** Migration 4's data step: index every reference imported before it. */
export function backfillGa4gh(db: Database.Database): void {
  const prepare = (t: string) => db.prepare(t);
  // pages of rows: a statement being iterated would keep the connection busy for the inserts
  let after = "";
  for (;;) {
    const rows = db.prepare("SELECT id, sequences FROM refs WHERE id > ? ORDER BY id LIMIT 1000").all(after) as Row[];
    if (rows.length === 0) return;
    for (const r of rows) insertGa4ghRows(prepare, r.id, JSON.parse(r.sequences));
    after = rows[rows.length - 1].id;
  }
}

export function findSequences(prepare: Prepare, by: "md5" | "ga4gh", digest: string, scope: AccountScope, limit: number): SequenceCopy[] {
  const q = findSequencesQuery(by, digest, scope, limit, ph);
  return (prepare(q.text).all(...q.params) as Row[]).map(sequenceCopyFromRow);
}

export function getCollection(prepare: Prepare, column: string, digest: string, scope: AccountScope): CollectionRecord | undefined {
  const q = collectionQuery(column, digest, scope, ph);
  const r = prepare(q.text).get(...q.params) as Row | undefined;
  return r && collectionFromRow(r);
}

export function collectionByAttribute(prepare: Prepare, attribute: SeqcolAttribute, digest: string, scope: AccountScope) {
  return getCollection(prepare, attributeColumn(attribute), digest, scope);
}

export function listCollections(
  prepare: Prepare,
  filter: Partial<Record<SeqcolAttribute, string>>,
  scope: AccountScope,
  offset: number,
  limit: number,
): { digests: string[]; total: number } {
  const q = listCollectionsQueries(filter, scope, offset, limit, ph);
  const digests = (prepare(q.page.text).all(...q.page.params) as Row[]).map((r) => r.digest as string);
  const total = (prepare(q.count.text).get(...q.count.params) as Row).n as number;
  return { digests, total };
}
