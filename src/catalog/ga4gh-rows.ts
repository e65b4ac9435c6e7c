// The GA4GH index both catalogs keep beside `refs` (migration 4): one ref_sequences row per
// sequence of a reference (md5 and ga4gh lookups for refget) and one ref_collections row per
// reference (its seqcol digests, level 0 and 1). Rows are written in finishSource's transaction
// and go with the refs row (a trigger on SQLite, ON DELETE CASCADE on PostgreSQL).
// The SQL here is written once for both dialects: `ph(i)` is the i-th (1-based) placeholder.

import { SEQCOL_ATTRIBUTES, seqcolDigests, type SeqcolAttribute } from "../fasta/seqcol.js";
import type { Row } from "./rows.js";
import type { AccountScope, CollectionRecord, SequenceCopy, SequenceInfo } from "./types.js";

export type Placeholder = (i: number) => string;

/** ref_collections column of an attribute's level-1 digest (attributes are a fixed list: no injection). */
export function attributeColumn(attribute: SeqcolAttribute): string {
  if (!SEQCOL_ATTRIBUTES.includes(attribute)) throw new TypeError(`unknown seqcol attribute ${attribute}`);
  return `${attribute}_digest`;
}

/** The lookups' indexes, the same on both backends (after both tables; names as migration 4 made them). */
export const GA4GH_INDEXES = `
  CREATE INDEX ref_sequences_by_md5 ON ref_sequences (md5);
  CREATE INDEX ref_sequences_by_ga4gh ON ref_sequences (ga4gh);
  CREATE INDEX ref_collections_by_digest ON ref_collections (digest);
  CREATE INDEX ref_collections_by_lengths ON ref_collections (lengths_digest, digest);
  CREATE INDEX ref_collections_by_names ON ref_collections (names_digest, digest);
  CREATE INDEX ref_collections_by_sequences ON ref_collections (sequences_digest, digest);
  CREATE INDEX ref_collections_by_sorted_sequences ON ref_collections (sorted_sequences_digest, digest);
  CREATE INDEX ref_collections_by_nlp ON ref_collections (name_length_pairs_digest, digest);
  CREATE INDEX ref_collections_by_snlp ON ref_collections (sorted_name_length_pairs_digest, digest);
`;

export const COLLECTION_COLUMNS = ["ref_id", "digest", ...SEQCOL_ATTRIBUTES.map(attributeColumn)];

/** The ref_collections values of a reference. */
export function collectionValues(refId: string, sequences: SequenceInfo[]): unknown[] {
  const d = seqcolDigests(sequences);
  return [refId, d.digest, ...SEQCOL_ATTRIBUTES.map((a) => d.level1[a])];
}

/** ref_sequences values of a reference, one array per column (ref_id, ord, name, length, md5, ga4gh). */
export function sequenceColumns(refId: string, sequences: SequenceInfo[]): [string[], number[], string[], number[], string[], string[]] {
  return [
    sequences.map(() => refId),
    sequences.map((_, i) => i),
    sequences.map((s) => s.name),
    sequences.map((s) => s.length),
    sequences.map((s) => s.md5.toLowerCase()),
    sequences.map((s) => s.ga4gh),
  ];
}

const LIVE = "r.status = 'ACTIVE'";

function scoped(clauses: string[], params: unknown[], scope: AccountScope, ph: Placeholder): void {
  if (scope.account === undefined) return;
  params.push(scope.account);
  clauses.push(`st.account = ${ph(params.length)}`);
}

export function findSequencesQuery(by: "md5" | "ga4gh", digest: string, scope: AccountScope, limit: number, ph: Placeholder) {
  const params: unknown[] = [by === "md5" ? digest.toLowerCase() : digest];
  const clauses = [`s.${by} = ${ph(1)}`, LIVE];
  scoped(clauses, params, scope, ph);
  params.push(limit);
  return {
    text: `SELECT st.account, r.store_id, r.id AS ref_id, r.name AS ref_name, s.ord, s.name, s.length, s.md5, s.ga4gh,
                  r.source_key, r.source_length, r.index_key, r.index_length, r.extra_keys, r.compression, r.creation_time
             FROM ref_sequences s JOIN refs r ON r.id = s.ref_id JOIN stores st ON st.id = r.store_id
            WHERE ${clauses.join(" AND ")}
            ORDER BY r.creation_time, r.id, s.ord LIMIT ${ph(params.length)}`,
    params,
  };
}

export function sequenceCopyFromRow(r: Row): SequenceCopy {
  return {
    account: r.account,
    storeId: r.store_id,
    referenceId: r.ref_id,
    referenceName: r.ref_name,
    ordinal: r.ord,
    name: r.name,
    length: r.length,
    md5: r.md5,
    ga4gh: r.ga4gh,
    source: { key: r.source_key, contentLength: r.source_length },
    index: { key: r.index_key, contentLength: r.index_length },
    extraKeys: typeof r.extra_keys === "string" ? JSON.parse(r.extra_keys) : r.extra_keys,
    compression: r.compression,
    creationTime: r.creation_time,
  };
}

/** The oldest live collection where `column` = `digest`. */
export function collectionQuery(column: string, digest: string, scope: AccountScope, ph: Placeholder) {
  const params: unknown[] = [digest];
  const clauses = [`c.${column} = ${ph(1)}`, LIVE];
  scoped(clauses, params, scope, ph);
  return {
    text: `SELECT c.*, r.sequences, r.store_id, st.account
             FROM ref_collections c JOIN refs r ON r.id = c.ref_id JOIN stores st ON st.id = r.store_id
            WHERE ${clauses.join(" AND ")}
            ORDER BY r.creation_time, r.id LIMIT 1`,
    params,
  };
}

export function collectionFromRow(r: Row): CollectionRecord {
  const level1 = {} as Record<SeqcolAttribute, string>;
  for (const a of SEQCOL_ATTRIBUTES) level1[a] = r[attributeColumn(a)];
  return {
    digest: r.digest,
    level1,
    sequences: typeof r.sequences === "string" ? JSON.parse(r.sequences) : r.sequences,
    account: r.account,
    storeId: r.store_id,
    referenceId: r.ref_id,
  };
}

export function listCollectionsQueries(
  filter: Partial<Record<SeqcolAttribute, string>>,
  scope: AccountScope,
  offset: number,
  limit: number,
  ph: Placeholder,
) {
  const params: unknown[] = [];
  const clauses = [LIVE];
  for (const a of SEQCOL_ATTRIBUTES) {
    const v = filter[a];
    if (v === undefined) continue;
    params.push(v);
    clauses.push(`c.${attributeColumn(a)} = ${ph(params.length)}`);
  }
  scoped(clauses, params, scope, ph);
  const from = `FROM ref_collections c JOIN refs r ON r.id = c.ref_id JOIN stores st ON st.id = r.store_id
               WHERE ${clauses.join(" AND ")}`;
  const n = params.length;
  return {
    page: {
      text: `SELECT DISTINCT c.digest ${from} ORDER BY c.digest LIMIT ${ph(n + 1)} OFFSET ${ph(n + 2)}`,
      params: [...params, limit, offset],
    },
    count: { text: `SELECT count(DISTINCT c.digest) AS n ${from}`, params },
  };
}
