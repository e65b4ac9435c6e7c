// Schema of the PostgreSQL catalog, as ordered migrations (a TS array, so that nothing has to be
// found next to dist/ at runtime). A migration is never edited once it has shipped: add a new
// one. PostgresCatalog.migrate() applies them under an advisory lock and records each applied
// version in schema_migrations.
//
// Types
// - ids, store ids, tag keys, blob keys: text COLLATE "C" — byte order, the same as SQLite's
//   BINARY, independent of the database's locale, and cheap to compare.
// - timestamps and byte lengths: bigint milliseconds / bytes (read back as JS numbers).
// - job sources, reference extra keys and sequences: json (not jsonb), so that they round-trip
//   exactly, key order included (tags of a source come back in the order they were given).
//
// Index design (as in the SQLite schema):
// - Every list is a keyset walk on (creation_time, id) inside one parent (account or store), so
//   each list has an index that starts with the parent, then any equality filter, then
//   (creation_time, id). A page is one index range scan of `limit` entries at any depth; the
//   queries use the row comparison (creation_time, id) > ($t, $id), which PostgreSQL turns into
//   an index bound.
// - jobs_work is a partial index over the few jobs that need a worker, so claiming stays cheap
//   with millions of finished jobs.

import type pg from "pg";
import { backfillGa4gh, POSTGRES_GA4GH_SCHEMA } from "./ga4gh-postgres.js";

export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
  /** a data step run after `sql`, in the same transaction */
  apply?: (c: pg.PoolClient) => Promise<void>;
}

export const POSTGRES_MIGRATIONS: PostgresMigration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE stores (
        id             text COLLATE "C" PRIMARY KEY,
        account        text COLLATE "C" NOT NULL,
        name           text NOT NULL,
        description    text,
        sse_type       text,
        sse_key_arn    text,
        creation_time  bigint NOT NULL,
        client_token   text,
        request_digest text
      );
      CREATE INDEX stores_by_time ON stores (account, creation_time, id);
      CREATE INDEX stores_by_name ON stores (account, name, creation_time, id);
      CREATE UNIQUE INDEX stores_client_token ON stores (account, client_token) WHERE client_token IS NOT NULL;

      CREATE TABLE jobs (
        id              text COLLATE "C" PRIMARY KEY,
        store_id        text COLLATE "C" NOT NULL,
        role_arn        text NOT NULL,
        status          text NOT NULL,
        status_message  text,
        creation_time   bigint NOT NULL,
        completion_time bigint,
        client_token    text,
        request_digest  text,
        owner           text,
        lease_expires   bigint,
        sources         json NOT NULL
      );
      CREATE INDEX jobs_by_time ON jobs (store_id, creation_time, id);
      CREATE INDEX jobs_by_status ON jobs (store_id, status, creation_time, id);
      CREATE UNIQUE INDEX jobs_client_token ON jobs (store_id, client_token) WHERE client_token IS NOT NULL;
      CREATE INDEX jobs_work ON jobs (creation_time, id) WHERE status IN ('SUBMITTED', 'IN_PROGRESS', 'CANCELLING');

      CREATE TABLE refs (
        id              text COLLATE "C" PRIMARY KEY,
        store_id        text COLLATE "C" NOT NULL,
        name            text NOT NULL,
        description     text,
        md5             text NOT NULL,
        status          text NOT NULL,
        creation_time   bigint NOT NULL,
        update_time     bigint NOT NULL,
        creation_job_id text NOT NULL,
        source_key      text NOT NULL,
        source_length   bigint NOT NULL,
        index_key       text NOT NULL,
        index_length    bigint NOT NULL,
        extra_keys      json NOT NULL,
        sequences       json NOT NULL,
        compression     text NOT NULL
      );
      CREATE INDEX refs_by_time ON refs (store_id, creation_time, id);
      CREATE INDEX refs_by_name ON refs (store_id, name, creation_time, id);
      CREATE INDEX refs_by_md5 ON refs (store_id, md5, creation_time, id);

      CREATE TABLE tags (
        arn   text COLLATE "C" NOT NULL,
        key   text COLLATE "C" NOT NULL,
        value text NOT NULL,
        PRIMARY KEY (arn, key)
      );

      CREATE TABLE pending_blobs (
        key     text COLLATE "C" PRIMARY KEY,
        job_id  text COLLATE "C" NOT NULL,
        created bigint NOT NULL
      );
      CREATE INDEX pending_blobs_by_job ON pending_blobs (job_id);
    `,
  },
  {
    // claimJob counts claims and gives up on a job after REFSTORE_MAX_ATTEMPTS (a poison source
    // that kills every worker taking it up). A constant default: no table rewrite.
    version: 2,
    name: "job attempts",
    sql: `ALTER TABLE jobs ADD COLUMN attempts integer NOT NULL DEFAULT 0;`,
  },
  {
    // Tags are filed under the resource (catalog/ids.ts tagKey) instead of its ARN: ARNs are the
    // AWS API's to spell, and workers tagging a new reference should not need the account and
    // region. The key is the ARN's tail after "referenceStore/" (an ARN of the same resource in
    // another region, should one exist, loses to the first).
    version: 3,
    name: "tags by resource",
    sql: `
      ALTER TABLE tags RENAME COLUMN arn TO resource;
      INSERT INTO tags (resource, key, value)
        SELECT substring(resource from position(':referenceStore/' in resource) + 16), key, value
          FROM tags WHERE resource LIKE 'arn:%:referenceStore/%'
        ON CONFLICT (resource, key) DO NOTHING;
      DELETE FROM tags WHERE resource LIKE 'arn:%';
    `,
  },
  {
    // Import jobs by status, kept by triggers, so /metrics reads a handful of rows instead of
    // counting a million jobs at every scrape. Statement-level triggers over transition tables:
    // one row-level upsert per job made a 100,000-job bulk insert take 200 s instead of 3 s
    // (every update of the same counts row in one transaction leaves a new row version that the
    // next update walks). A statement that changes jobs of one status still holds that status's
    // counts row until it commits, so concurrent job inserts queue there for their (short)
    // transaction. Transition tables exclude column lists, so every UPDATE of jobs runs the delta
    // query; the heartbeats' lease updates net zero and write nothing.
    version: 4,
    name: "job counts",
    sql: `
      CREATE TABLE job_counts (status text COLLATE "C" PRIMARY KEY, n bigint NOT NULL);
      INSERT INTO job_counts (status, n) SELECT status, count(*) FROM jobs GROUP BY status;
      CREATE FUNCTION job_counts_added() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO job_counts (status, n) SELECT status, count(*) FROM new_rows GROUP BY status
          ON CONFLICT (status) DO UPDATE SET n = job_counts.n + EXCLUDED.n;
        RETURN NULL;
      END $$;
      CREATE FUNCTION job_counts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE job_counts c SET n = c.n - d.k FROM (SELECT status, count(*) AS k FROM old_rows GROUP BY status) d
          WHERE c.status = d.status;
        RETURN NULL;
      END $$;
      CREATE FUNCTION job_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO job_counts (status, n)
          SELECT status, sum(d) FROM (
            SELECT status, 1 AS d FROM new_rows UNION ALL SELECT status, -1 FROM old_rows
          ) x GROUP BY status HAVING sum(d) <> 0
          ON CONFLICT (status) DO UPDATE SET n = job_counts.n + EXCLUDED.n;
        RETURN NULL;
      END $$;
      CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_counts_added();
      CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION job_counts_removed();
      CREATE TRIGGER job_counts_update AFTER UPDATE ON jobs
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_counts_changed();
    `,
  },
  {
    // GA4GH refget/seqcol lookups: each sequence by md5 and ga4gh id, each reference's seqcol
    // digests; references imported before are indexed from their stored sequence facts.
    version: 5,
    name: "ga4gh index",
    sql: POSTGRES_GA4GH_SCHEMA,
    apply: backfillGa4gh,
  },
  {
    // Live progress of the source being imported (see the SQLite migration of the same name).
    version: 6,
    name: "source progress",
    sql: `
      CREATE TABLE source_progress (
        job_id       text COLLATE "C" NOT NULL,
        source_index integer NOT NULL,
        bytes_read   bigint NOT NULL,
        bytes_total  bigint,
        update_time  bigint NOT NULL,
        PRIMARY KEY (job_id, source_index)
      );
    `,
  },
  {
    // Local files streamed through the upload extension (see the SQLite migration of the same name).
    version: 7,
    name: "uploads",
    sql: `
      CREATE TABLE uploads (
        id             text COLLATE "C" PRIMARY KEY,
        account        text NOT NULL,
        store_id       text COLLATE "C" NOT NULL,
        file_name      text NOT NULL,
        blob_key       text COLLATE "C" NOT NULL UNIQUE,
        status         text NOT NULL,
        content_length bigint,
        bytes_received bigint NOT NULL,
        md5            text,
        status_message text,
        job_id         text COLLATE "C",
        creation_time  bigint NOT NULL,
        update_time    bigint NOT NULL
      );
      CREATE INDEX uploads_by_job ON uploads (job_id);
    `,
  },
];
