// The GA4GH index (ga4gh-rows.ts) on PostgreSQL: writing a reference's rows, the migration that
// creates and backfills the tables, and the lookups.

import type pg from "pg";
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

type Queryable = Pick<pg.PoolClient, "query">;
const ph = (i: number) => `$${i}`;

export const POSTGRES_GA4GH_SCHEMA = `
  CREATE TABLE ref_sequences (
    ref_id text COLLATE "C" NOT NULL REFERENCES refs (id) ON DELETE CASCADE,
    ord    integer NOT NULL,
    name   text NOT NULL,
    length bigint NOT NULL,
    md5    text COLLATE "C" NOT NULL,
    ga4gh  text COLLATE "C" NOT NULL,
    PRIMARY KEY (ref_id, ord)
  );

  CREATE TABLE ref_collections (
    ref_id text COLLATE "C" PRIMARY KEY REFERENCES refs (id) ON DELETE CASCADE,
    digest text COLLATE "C" NOT NULL,
    lengths_digest text COLLATE "C" NOT NULL,
    names_digest text COLLATE "C" NOT NULL,
    sequences_digest text COLLATE "C" NOT NULL,
    sorted_sequences_digest text COLLATE "C" NOT NULL,
    name_length_pairs_digest text COLLATE "C" NOT NULL,
    sorted_name_length_pairs_digest text COLLATE "C" NOT NULL
  );
${GA4GH_INDEXES}`;

/** Index one reference (inside the caller's transaction): two statements whatever its size. */
export async function insertGa4ghRows(c: Queryable, refId: string, sequences: SequenceInfo[]): Promise<void> {
  await c.query(
    `INSERT INTO ref_sequences (ref_id, ord, name, length, md5, ga4gh)
     SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[], $5::text[], $6::text[])
     ON CONFLICT (ref_id, ord) DO NOTHING`,
    sequenceColumns(refId, sequences),
  );
  const values = collectionValues(refId, sequences);
  await c.query(
    `INSERT INTO ref_collections (${COLLECTION_COLUMNS.join(", ")}) VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")})
     ON CONFLICT (ref_id) DO NOTHING`,
    values,
  );
}

/** Migration 4's data step: index every reference imported before it. */
export async function backfillGa4gh(c: Queryable): Promise<void> {
  const { rows } = await c.query("SELECT id, sequences FROM refs ORDER BY id");
  for (const r of rows as Row[]) await insertGa4ghRows(c, r.id, typeof r.sequences === "string" ? JSON.parse(r.sequences) : r.sequences);
}

export async function findSequences(c: Queryable, by: "md5" | "ga4gh", digest: string, scope: AccountScope, limit: number): Promise<SequenceCopy[]> {
  const q = findSequencesQuery(by, digest, scope, limit, ph);
  const { rows } = await c.query(q.text, q.params);
  return rows.map(sequenceCopyFromRow);
}

export async function collectionByAttribute(
  c: Queryable,
  attribute: SeqcolAttribute | "digest",
  digest: string,
  scope: AccountScope,
): Promise<CollectionRecord | undefined> {
  const q = collectionQuery(attribute === "digest" ? "digest" : attributeColumn(attribute), digest, scope, ph);
  const { rows } = await c.query(q.text, q.params);
  return rows[0] && collectionFromRow(rows[0]);
}

export async function listCollections(
  c: Queryable,
  filter: Partial<Record<SeqcolAttribute, string>>,
  scope: AccountScope,
  offset: number,
  limit: number,
): Promise<{ digests: string[]; total: number }> {
  const q = listCollectionsQueries(filter, scope, offset, limit, ph);
  const [page, count] = await Promise.all([c.query(q.page.text, q.page.params), c.query(q.count.text, q.count.params)]);
  return { digests: page.rows.map((r: Row) => r.digest as string), total: Number(count.rows[0].n) };
}
