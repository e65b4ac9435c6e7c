// Schema of the embedded catalog, as ordered migrations. A migration is never edited once it has
// shipped: add a new one. Applied versions are recorded in schema_migrations.
//
// Index design (why each index exists):
// - Every list is a keyset walk on (creation_time, id) inside one parent (account or store), so
//   each list has an index that starts with the parent, then any equality filter, then
//   (creation_time, id). A page is then one index range scan of `limit` entries at any depth.
// - jobs_work is a partial index over the few jobs that need a worker, so claiming stays cheap
//   with millions of finished jobs.

import type Database from "better-sqlite3";
import { backfillGa4gh, SQLITE_GA4GH_SCHEMA } from "./ga4gh-sqlite.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** a data step run after `sql`, in the same transaction */
  apply?: (db: Database.Database) => void;
}

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE stores (
        id             TEXT PRIMARY KEY,
        account        TEXT NOT NULL,
        name           TEXT NOT NULL,
        description    TEXT,
        sse_type       TEXT,
        sse_key_arn    TEXT,
        creation_time  INTEGER NOT NULL,
        client_token   TEXT,
        request_digest TEXT
      );
      CREATE INDEX stores_by_time ON stores (account, creation_time, id);
      CREATE INDEX stores_by_name ON stores (account, name, creation_time, id);
      CREATE UNIQUE INDEX stores_client_token ON stores (account, client_token) WHERE client_token IS NOT NULL;

      CREATE TABLE jobs (
        id              TEXT PRIMARY KEY,
        store_id        TEXT NOT NULL,
        role_arn        TEXT NOT NULL,
        status          TEXT NOT NULL,
        status_message  TEXT,
        creation_time   INTEGER NOT NULL,
        completion_time INTEGER,
        client_token    TEXT,
        request_digest  TEXT,
        owner           TEXT,
        lease_expires   INTEGER,
        sources         TEXT NOT NULL
      );
      CREATE INDEX jobs_by_time ON jobs (store_id, creation_time, id);
      CREATE INDEX jobs_by_status ON jobs (store_id, status, creation_time, id);
      CREATE UNIQUE INDEX jobs_client_token ON jobs (store_id, client_token) WHERE client_token IS NOT NULL;
      CREATE INDEX jobs_work ON jobs (creation_time) WHERE status IN ('SUBMITTED', 'IN_PROGRESS', 'CANCELLING');

      CREATE TABLE refs (
        id              TEXT PRIMARY KEY,
        store_id        TEXT NOT NULL,
        name            TEXT NOT NULL,
        description     TEXT,
        md5             TEXT NOT NULL,
        status          TEXT NOT NULL,
        creation_time   INTEGER NOT NULL,
        update_time     INTEGER NOT NULL,
        creation_job_id TEXT NOT NULL,
        source_key      TEXT NOT NULL,
        source_length   INTEGER NOT NULL,
        index_key       TEXT NOT NULL,
        index_length    INTEGER NOT NULL,
        extra_keys      TEXT NOT NULL,
        sequences       TEXT NOT NULL,
        compression     TEXT NOT NULL
      );
      CREATE INDEX refs_by_time ON refs (store_id, creation_time, id);
      CREATE INDEX refs_by_name ON refs (store_id, name, creation_time, id);
      CREATE INDEX refs_by_md5 ON refs (store_id, md5, creation_time, id);

      CREATE TABLE tags (
        arn   TEXT NOT NULL,
        key   TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (arn, key)
      ) WITHOUT ROWID;

      CREATE TABLE pending_blobs (
        key     TEXT PRIMARY KEY,
        job_id  TEXT NOT NULL,
        created INTEGER NOT NULL
      );
      CREATE INDEX pending_blobs_by_job ON pending_blobs (job_id);
    `,
  },
  {
    // claimJob counts claims and gives up on a job after REFSTORE_MAX_ATTEMPTS (a poison source
    // that kills every worker taking it up).
    version: 2,
    name: "job attempts",
    sql: `ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    // Tags are filed under the resource (catalog/ids.ts tagKey) instead of its ARN: ARNs are the
    // AWS API's to spell, and workers tagging a new reference should not need the account and
    // region. The key is the ARN's tail after "referenceStore/".
    version: 3,
    name: "tags by resource",
    sql: `
      ALTER TABLE tags RENAME COLUMN arn TO resource;
      UPDATE OR IGNORE tags SET resource = substr(resource, instr(resource, ':referenceStore/') + 16)
        WHERE resource LIKE 'arn:%:referenceStore/%';
      DELETE FROM tags WHERE resource LIKE 'arn:%';
    `,
  },
  {
    // Import jobs by status, kept by triggers, so /metrics reads a handful of rows instead of
    // counting a million jobs at every scrape.
    version: 4,
    name: "job counts",
    sql: `
      CREATE TABLE job_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO job_counts (status, n) SELECT status, count(*) FROM jobs GROUP BY status;
      CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO job_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER job_counts_update AFTER UPDATE OF status ON jobs WHEN OLD.status <> NEW.status BEGIN
        UPDATE job_counts SET n = n - 1 WHERE status = OLD.status;
        INSERT INTO job_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN
        UPDATE job_counts SET n = n - 1 WHERE status = OLD.status;
      END;
    `,
  },
  {
    // GA4GH refget/seqcol lookups: each sequence by md5 and ga4gh id, each reference's seqcol
    // digests; references imported before are indexed from their stored sequence facts.
    version: 5,
    name: "ga4gh index",
    sql: SQLITE_GA4GH_SCHEMA,
    apply: backfillGa4gh,
  },
  {
    // Live progress of the source being imported, written by its worker about once a second and
    // read by any API process. A table of its own: a progress write touches neither the jobs row
    // (its sources JSON, its counts triggers) nor its indexes.
    version: 6,
    name: "source progress",
    sql: `
      CREATE TABLE source_progress (
        job_id       TEXT NOT NULL,
        source_index INTEGER NOT NULL,
        bytes_read   INTEGER NOT NULL,
        bytes_total  INTEGER,
        update_time  INTEGER NOT NULL,
        PRIMARY KEY (job_id, source_index)
      ) WITHOUT ROWID;
    `,
  },
  {
    // Local files streamed through the upload extension, staged in the blob store until a worker
    // imports them. The row holds the staging key back from the blob stores' sweeps.
    version: 7,
    name: "uploads",
    sql: `
      CREATE TABLE uploads (
        id             TEXT PRIMARY KEY,
        account        TEXT NOT NULL,
        store_id       TEXT NOT NULL,
        file_name      TEXT NOT NULL,
        blob_key       TEXT NOT NULL UNIQUE,
        status         TEXT NOT NULL,
        content_length INTEGER,
        bytes_received INTEGER NOT NULL,
        md5            TEXT,
        status_message TEXT,
        job_id         TEXT,
        creation_time  INTEGER NOT NULL,
        update_time    INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX uploads_by_job ON uploads (job_id);
    `,
  },
];
