// The scale-out catalog: PostgreSQL through node-postgres (a Pool). Several refstore processes
// (api and worker roles, on several machines) may share one database:
// - migrate() runs under a session advisory lock, so concurrent starts apply each migration once;
// - claimJob() picks the oldest job needing work with FOR UPDATE SKIP LOCKED, so two workers
//   never get the same job (and only one of them gives up on a job whose attempts are used up);
// - lease-guarded writes (updateSource, finishSource, finishJob) lock the job row and check the
//   owner in the same transaction;
// - wake-ups travel as NOTIFY refstore_jobs, heard by a dedicated LISTEN connection (opened on
//   the first onJobAvailable()), so workers in every process wake up, this one included.
//
// Usage: `const c = await PostgresCatalog.open(url); await c.migrate();` — open() connects (and
// fails fast on a bad URL) but does not migrate.

import { EventEmitter } from "node:events";
import pg from "pg";
import { attemptsUsedUp, cancelled, givenUp, type JobEnd } from "./outcome.js";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
import * as ga4gh from "./ga4gh-postgres.js";
import type { SeqcolAttribute } from "../fasta/seqcol.js";
import {
  JOB_COLUMNS,
  jobFromRow,
  jobSummaryFromRow,
  jobValues,
  parseSources,
  referenceFromRow,
  sourcesJson,
  storeFromRow,
  TERMINAL_SQL,
  type Row,
  markSourceFinished,
  patchSource,
  REFERENCE_COLUMNS,
  schemaIsCurrent,
  referenceValues,
  STORE_COLUMNS,
  storeValues,
  UPLOAD_COLUMNS,
  uploadFromRow,
  uploadValues,
} from "./rows.js";
import {
  referenceBlobKeys,
  type AccountScope,
  type Catalog,
  type Claim,
  type CollectionRecord,
  type Cursor,
  type SequenceCopy,
  type JobFilter,
  type JobRecord,
  type JobStatus,
  type JobSummary,
  type ReferenceFilter,
  type ReferenceRecord,
  type SourceRecord,
  type SourceProgress,
  type SourceStatus,
  type StoreFilter,
  type StoreRecord,
  type UploadRecord,
} from "./types.js";

type Queryable = Pick<pg.PoolClient, "query">;

/** The NOTIFY channel for wake-ups. */
const JOB_CHANNEL = "refstore_jobs";
/** pg_advisory_lock key held while migrating (an arbitrary constant: "refstore" in ASCII). */
const MIGRATION_LOCK_KEY = "8243122767727781477";
/** Rows per INSERT in insertJobs. */
const INSERT_BATCH = 2000;

/** int8 → JS number (timestamps in ms and byte lengths stay far below 2^53); the rest as usual. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === pg.types.builtins.INT8 && format !== "binary") return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as "text");
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/** WHERE … ORDER BY … LIMIT shared by every keyset list; `params` gets the values. */
function keyset(
  clauses: string[],
  params: unknown[],
  range: { createdAfter?: number; createdBefore?: number },
  after: Cursor | undefined,
  limit: number,
): string {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (range.createdAfter !== undefined) clauses.push(`creation_time >= ${p(range.createdAfter)}::bigint`);
  if (range.createdBefore !== undefined) clauses.push(`creation_time <= ${p(range.createdBefore)}::bigint`);
  if (after) clauses.push(`(creation_time, id) > (${p(after.creationTime)}::bigint, ${p(after.id)}::text)`);
  return `WHERE ${clauses.join(" AND ")} ORDER BY creation_time, id LIMIT ${p(limit)}`;
}

/** Lock the row of a job `workerId` owns (and has not ended); its sources, or undefined. */
async function lockOwnedJob(c: Queryable, jobId: string, workerId: string): Promise<Row | undefined> {
  const { rows } = await c.query(
    `SELECT sources FROM jobs WHERE id = $1 AND owner = $2 AND status NOT IN (${TERMINAL_SQL}) FOR UPDATE`,
    [jobId, workerId],
  );
  return rows[0];
}

/** Write `end` into a job row the transaction holds: terminal, lease released. */
async function endJob(c: Queryable, jobId: string, end: JobEnd, now: number): Promise<JobRecord> {
  const { rows } = await c.query(
    `UPDATE jobs SET status = $1, status_message = $2, completion_time = $3::bigint, sources = $4::json,
                     owner = NULL, lease_expires = NULL
      WHERE id = $5
    RETURNING *`,
    [end.status, end.statusMessage ?? null, now, sourcesJson(end.sources), jobId],
  );
  return jobFromRow(rows[0]);
}

const statementNames = new Map<string, string>();
/** A stable name per SQL text, for prepared statements (only for explicit column lists: a
 * prepared `SELECT *` would fail after a migration adds a column). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `refstore_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

export class PostgresCatalog implements Catalog {
  private readonly events = new EventEmitter();
  private listener: pg.Client | undefined;
  private listening: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    private readonly databaseUrl: string,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Connect (checking the URL and the server once); does not migrate. */
  static async open(databaseUrl: string, opts: { maxConnections?: number } = {}): Promise<PostgresCatalog> {
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: opts.maxConnections ?? 10,
      types: TYPES,
      application_name: "refstore",
    });
    // An idle client losing its connection (server restart, database dropped) must not crash
    // the process; the pool discards it and the next query opens a new one.
    pool.on("error", () => {});
    try {
      await pool.query("SELECT 1");
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return new PostgresCatalog(pool, databaseUrl);
  }

  async migrate(): Promise<void> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query("SELECT pg_advisory_lock($1::bigint)", [MIGRATION_LOCK_KEY]);
      try {
        await c.query(
          `CREATE TABLE IF NOT EXISTS schema_migrations (
             version integer PRIMARY KEY, name text NOT NULL, applied bigint NOT NULL)`,
        );
        const done = new Set(
          (await c.query("SELECT version FROM schema_migrations")).rows.map((r: Row) => r.version as number),
        );
        for (const m of POSTGRES_MIGRATIONS) {
          if (done.has(m.version)) continue;
          await c.query("BEGIN");
          try {
            await c.query(m.sql);
            await m.apply?.(c);
            await c.query("INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)", [
              m.version,
              m.name,
              Date.now(),
            ]);
            await c.query("COMMIT");
          } catch (err) {
            await c.query("ROLLBACK").catch(() => {});
            throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
          }
        }
      } finally {
        await c.query("SELECT pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK_KEY]).catch((e: Error) => {
          broken = e; // the session (and with it the lock) goes away with the connection
        });
      }
    } finally {
      c.release(broken);
    }
  }

  async checkReady(): Promise<void> {
    // a pool whose server went away can take long to say so: a check answers within seconds
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("PostgreSQL did not answer within 3 s")), 3000);
    });
    try {
      const { rows } = await Promise.race([this.pool.query("SELECT max(version) AS v FROM schema_migrations"), timeout]);
      schemaIsCurrent(Number(rows[0]?.v ?? 0), POSTGRES_MIGRATIONS);
    } finally {
      clearTimeout(timer);
    }
  }

  async jobCounts(): Promise<Partial<Record<JobStatus, number>>> {
    const out: Partial<Record<JobStatus, number>> = {};
    for (const r of (await this.pool.query("SELECT status, n FROM job_counts")).rows as Row[])
      out[r.status as JobStatus] = Number(r.n);
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.removeAllListeners();
    clearTimeout(this.reconnectTimer);
    if (this.listening) await this.listening.catch(() => {});
    const l = this.listener;
    this.listener = undefined;
    if (l) await l.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }

  /** Run `fn` in a transaction on one connection; ROLLBACK on throw. */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query("BEGIN");
      const result = await fn(c);
      await c.query("COMMIT");
      return result;
    } catch (err) {
      await c.query("ROLLBACK").catch((e: Error) => (broken = e));
      throw err;
    } finally {
      c.release(broken);
    }
  }

  // --- reference stores ----------------------------------------------------------------------

  async insertStore(s: StoreRecord): Promise<void> {
    const values = storeValues(s);
    await this.pool.query(`INSERT INTO stores (${STORE_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")})`, values);
  }

  async getStore(account: string, id: string): Promise<StoreRecord | undefined> {
    const { rows } = await this.pool.query("SELECT * FROM stores WHERE id = $1 AND account = $2", [id, account]);
    return rows[0] && storeFromRow(rows[0]);
  }

  async findStoreByClientToken(account: string, clientToken: string): Promise<StoreRecord | undefined> {
    const { rows } = await this.pool.query("SELECT * FROM stores WHERE account = $1 AND client_token = $2", [
      account,
      clientToken,
    ]);
    return rows[0] && storeFromRow(rows[0]);
  }

  async countStores(account: string): Promise<number> {
    const { rows } = await this.pool.query("SELECT count(*) AS n FROM stores WHERE account = $1", [account]);
    return rows[0].n;
  }

  async listStores(account: string, filter: StoreFilter, after: Cursor | undefined, limit: number): Promise<StoreRecord[]> {
    const params: unknown[] = [account];
    const clauses = ["account = $1"];
    if (filter.name !== undefined) {
      params.push(filter.name);
      clauses.push(`name = $${params.length}`);
    }
    const tail = keyset(clauses, params, filter, after, limit);
    const { rows } = await this.pool.query(`SELECT * FROM stores ${tail}`, params);
    return rows.map(storeFromRow);
  }

  async accountOfStore(storeId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query("SELECT account FROM stores WHERE id = $1", [storeId]);
    return rows[0]?.account;
  }

  async deleteStore(account: string, id: string): Promise<"deleted" | "not-found" | "not-empty"> {
    const NOT_EMPTY = Symbol("not-empty");
    try {
      return await this.tx(async (c) => {
        const s = await c.query("SELECT 1 FROM stores WHERE id = $1 AND account = $2 FOR UPDATE", [id, account]);
        if (s.rowCount === 0) return "not-found" as const;
        const hasRefs = async () => (await c.query("SELECT 1 FROM refs WHERE store_id = $1 LIMIT 1", [id])).rowCount! > 0;
        if (await hasRefs()) return "not-empty" as const;
        // Jobs go with their store; a worker still running one loses its lease. Deleting them
        // waits for any finishSource holding a job row, whose reference we then see: re-check.
        await c.query("DELETE FROM jobs WHERE store_id = $1", [id]);
        if (await hasRefs()) throw NOT_EMPTY; // roll back the job deletion
        await c.query("DELETE FROM stores WHERE id = $1", [id]);
        return "deleted" as const;
      });
    } catch (err) {
      if (err === NOT_EMPTY) return "not-empty";
      throw err;
    }
  }

  // --- import jobs ---------------------------------------------------------------------------

  async insertJob(job: JobRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO jobs (${JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      jobValues(job),
    );
  }

  async insertJobs(jobs: JobRecord[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.tx(async (c) => {
      for (let i = 0; i < jobs.length; i += INSERT_BATCH) {
        const batch = jobs.slice(i, i + INSERT_BATCH);
        // One array per column, unnested into rows: 10 parameters per batch, however large.
        const cols: unknown[][] = Array.from({ length: 10 }, () => new Array(batch.length));
        batch.forEach((j, r) => jobValues(j).forEach((v, k) => (cols[k][r] = v)));
        await c.query(
          `INSERT INTO jobs (${JOB_COLUMNS})
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                                $7::bigint[], $8::text[], $9::text[], $10::json[])`,
          cols,
        );
      }
    });
  }

  async getJob(storeId: string, id: string): Promise<JobRecord | undefined> {
    const { rows } = await this.pool.query("SELECT * FROM jobs WHERE id = $1 AND store_id = $2", [id, storeId]);
    return rows[0] && jobFromRow(rows[0]);
  }

  async findJobByClientToken(storeId: string, clientToken: string): Promise<JobRecord | undefined> {
    const { rows } = await this.pool.query("SELECT * FROM jobs WHERE store_id = $1 AND client_token = $2", [
      storeId,
      clientToken,
    ]);
    return rows[0] && jobFromRow(rows[0]);
  }

  /** The SELECT behind listJobs (exported for EXPLAIN in tests). */
  static listJobsQuery(
    storeId: string,
    filter: JobFilter,
    after: Cursor | undefined,
    limit: number,
  ): { text: string; values: unknown[] } {
    const params: unknown[] = [storeId];
    const clauses = ["store_id = $1"];
    if (filter.status !== undefined) {
      params.push(filter.status);
      clauses.push(`status = $${params.length}`);
    }
    const tail = keyset(clauses, params, filter, after, limit);
    return {
      text: `SELECT id, store_id, role_arn, status, creation_time, completion_time FROM jobs ${tail}`,
      values: params,
    };
  }

  async listJobs(storeId: string, filter: JobFilter, after: Cursor | undefined, limit: number): Promise<JobSummary[]> {
    const q = PostgresCatalog.listJobsQuery(storeId, filter, after, limit);
    // a named statement: each pooled connection parses and plans each query shape once
    const { rows } = await this.pool.query({ ...q, name: statementName(q.text) });
    return rows.map(jobSummaryFromRow);
  }

  async claimJob(workerId: string, leaseMs: number, now: number, maxAttempts?: number): Promise<Claim> {
    // One transaction: lock the oldest claimable row, skipping rows other claimers (or
    // requestCancel) hold; a row changed under us is re-checked and passed over if it no longer
    // qualifies. The IN list matches the partial index jobs_work. Whether to run the job or give
    // it up is decided here in JS (givenUp rewrites the sources, which SQL on json cannot do
    // without losing their key order) while the row stays locked.
    const claimable = `status IN ('SUBMITTED', 'IN_PROGRESS', 'CANCELLING')
            AND (status = 'SUBMITTED' OR lease_expires IS NULL OR lease_expires < $1::bigint)`;
    // An idle worker polls: one statement, not a transaction, when there is nothing to claim.
    const any = await this.pool.query(`SELECT 1 FROM jobs WHERE ${claimable} LIMIT 1`, [now]);
    if (any.rowCount === 0) return { kind: "none" };
    return this.tx(async (c): Promise<Claim> => {
      const { rows } = await c.query(
        `SELECT * FROM jobs
          WHERE ${claimable}
          ORDER BY creation_time, id
          LIMIT 1
          FOR UPDATE SKIP LOCKED`,
        [now],
      );
      const r = rows[0];
      if (!r) return { kind: "none" };
      if (attemptsUsedUp(r.status, r.attempts, maxAttempts)) {
        // Every worker that took it up died with it: end it instead of handing it out again.
        return { kind: "given-up", job: await endJob(c, r.id, givenUp(r.status, parseSources(r.sources), r.attempts), now) };
      }
      const claimed = await c.query(
        `UPDATE jobs
            SET status = CASE WHEN status = 'CANCELLING' THEN 'CANCELLING' ELSE 'IN_PROGRESS' END,
                owner = $1, lease_expires = $2::bigint, attempts = attempts + 1
          WHERE id = $3
        RETURNING *`,
        [workerId, now + leaseMs, r.id],
      );
      return { kind: "claimed", job: jobFromRow(claimed.rows[0]) };
    });
  }

  async renewLease(jobId: string, workerId: string, leaseMs: number, now: number): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE jobs SET lease_expires = $1::bigint WHERE id = $2 AND owner = $3 AND status NOT IN (${TERMINAL_SQL})`,
      [now + leaseMs, jobId, workerId],
    );
    return res.rowCount === 1;
  }

  async releaseJob(jobId: string, workerId: string): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE jobs SET owner = NULL, lease_expires = NULL, attempts = greatest(attempts - 1, 0)
        WHERE id = $1 AND owner = $2 AND status NOT IN (${TERMINAL_SQL})`,
      [jobId, workerId],
    );
    return res.rowCount === 1;
  }

  /** Read-modify-write of one job's sources, only while `workerId` owns the job (row locked). */
  private async withOwnedJob(
    jobId: string,
    workerId: string,
    change: (c: pg.PoolClient, sources: SourceRecord[]) => Promise<void> | void,
  ): Promise<boolean> {
    return this.tx(async (c) => {
      const r = await lockOwnedJob(c, jobId, workerId);
      if (!r) return false;
      const sources = parseSources(r.sources);
      await change(c, sources);
      await c.query("UPDATE jobs SET sources = $1::json WHERE id = $2", [sourcesJson(sources), jobId]);
      return true;
    });
  }

  async updateSource(
    jobId: string,
    workerId: string,
    index: number,
    patch: { status: SourceStatus; statusMessage?: string | null },
  ): Promise<boolean> {
    return this.withOwnedJob(jobId, workerId, (_c, sources) => patchSource(sources, jobId, index, patch));
  }

  async finishSource(jobId: string, workerId: string, index: number, ref: ReferenceRecord): Promise<boolean> {
    return this.withOwnedJob(jobId, workerId, async (c, sources) => {
      markSourceFinished(sources, jobId, index, ref.id);
      const values = referenceValues(ref);
      await c.query(`INSERT INTO refs (${REFERENCE_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")})`, values);
      await ga4gh.insertGa4ghRows(c, ref.id, ref.sequences);
      // the reference owns its blobs now: in the same transaction, so that no crash can leave
      // them registered as an unfinished import's leftovers (which the next claim deletes)
      await c.query("DELETE FROM pending_blobs WHERE key = ANY($1::text[])", [referenceBlobKeys(ref)]);
      await c.query("DELETE FROM uploads WHERE blob_key = ANY($1::text[])", [referenceBlobKeys(ref)]);
    });
  }

  async finishJob(
    jobId: string,
    workerId: string,
    status: JobStatus,
    statusMessage: string | undefined,
    completionTime: number,
  ): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE jobs SET status = $1, status_message = $2, completion_time = $3::bigint, owner = NULL, lease_expires = NULL
        WHERE id = $4 AND owner = $5 AND status NOT IN (${TERMINAL_SQL})`,
      [status, statusMessage ?? null, completionTime, jobId, workerId],
    );
    return res.rowCount === 1;
  }

  async finishCancelled(jobId: string, workerId: string, completionTime: number): Promise<boolean> {
    return this.tx(async (c) => {
      const r = await lockOwnedJob(c, jobId, workerId);
      if (!r) return false;
      await endJob(c, jobId, cancelled(parseSources(r.sources)), completionTime);
      return true;
    });
  }

  async requestCancel(storeId: string, jobId: string, now: number): Promise<JobStatus | undefined> {
    return this.tx(async (c) => {
      // The row lock orders us with claimJob: either it claimed first (we see IN_PROGRESS) or it
      // skips the row we hold and then sees CANCELLED.
      const { rows } = await c.query("SELECT status, sources FROM jobs WHERE id = $1 AND store_id = $2 FOR UPDATE", [
        jobId,
        storeId,
      ]);
      if (rows.length === 0) return undefined;
      const status = rows[0].status as JobStatus;
      if (status === "SUBMITTED") return (await endJob(c, jobId, cancelled(parseSources(rows[0].sources)), now)).status;
      if (status === "IN_PROGRESS") {
        await c.query("UPDATE jobs SET status = 'CANCELLING' WHERE id = $1", [jobId]);
        return "CANCELLING";
      }
      return status;
    });
  }

  async recordProgress(jobId: string, workerId: string, index: number, bytesRead: number, bytesTotal: number | undefined, now: number): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO source_progress (job_id, source_index, bytes_read, bytes_total, update_time)
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $1 AND owner = $6)
       ON CONFLICT (job_id, source_index) DO UPDATE SET
         bytes_read = EXCLUDED.bytes_read, bytes_total = EXCLUDED.bytes_total, update_time = EXCLUDED.update_time`,
      [jobId, index, bytesRead, bytesTotal ?? null, now, workerId],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async getProgress(jobId: string): Promise<SourceProgress[]> {
    const { rows } = await this.pool.query(
      "SELECT source_index, bytes_read, bytes_total, update_time FROM source_progress WHERE job_id = $1 ORDER BY source_index",
      [jobId],
    );
    return rows.map((r) => ({
      index: Number(r.source_index),
      bytesRead: Number(r.bytes_read),
      ...(r.bytes_total === null ? {} : { bytesTotal: Number(r.bytes_total) }),
      updateTime: Number(r.update_time),
    }));
  }

  async getJobStatus(jobId: string): Promise<JobStatus | undefined> {
    const { rows } = await this.pool.query("SELECT status FROM jobs WHERE id = $1", [jobId]);
    return rows[0]?.status;
  }

  // --- blob bookkeeping ------------------------------------------------------------------------

  async addPendingBlob(key: string, jobId: string, now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO pending_blobs (key, job_id, created) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET job_id = EXCLUDED.job_id, created = EXCLUDED.created`,
      [key, jobId, now],
    );
  }

  async removePendingBlobs(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query("DELETE FROM pending_blobs WHERE key = ANY($1::text[])", [keys]);
  }

  async orphanedPendingBlobs(limit: number): Promise<string[]> {
    const { rows } = await this.pool.query(
      `SELECT key FROM pending_blobs p
        WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = p.job_id AND j.status NOT IN (${TERMINAL_SQL}))
        ORDER BY key LIMIT $1`,
      [limit],
    );
    return rows.map((r: Row) => r.key as string);
  }

  async pendingBlobKeys(): Promise<string[]> {
    const { rows } = await this.pool.query("SELECT key FROM pending_blobs UNION SELECT blob_key FROM uploads ORDER BY 1");
    return rows.map((r: Row) => r.key as string);
  }

  // --- uploads ---------------------------------------------------------------------------------

  async insertUpload(u: UploadRecord): Promise<void> {
    const values = uploadValues(u);
    await this.pool.query(`INSERT INTO uploads (${UPLOAD_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")})`, values);
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const { rows } = await this.pool.query("SELECT * FROM uploads WHERE id = $1", [id]);
    return rows[0] && uploadFromRow(rows[0]);
  }

  async attachUpload(id: string, jobId: string): Promise<boolean> {
    const r = await this.pool.query("UPDATE uploads SET job_id = $2 WHERE id = $1 AND (job_id IS NULL OR job_id = $2)", [id, jobId]);
    return r.rowCount === 1;
  }

  async beginUpload(id: string, contentLength: number, now: number): Promise<boolean> {
    const r = await this.pool.query(
      "UPDATE uploads SET status = 'RECEIVING', content_length = $2, update_time = $3 WHERE id = $1 AND status = 'CREATED'",
      [id, contentLength, now],
    );
    return r.rowCount === 1;
  }

  async recordUploadProgress(id: string, bytesReceived: number, now: number): Promise<boolean> {
    const r = await this.pool.query("UPDATE uploads SET bytes_received = $2, update_time = $3 WHERE id = $1", [id, bytesReceived, now]);
    return r.rowCount === 1;
  }

  async endUpload(
    id: string,
    end: { status: "COMPLETE" | "FAILED"; bytesReceived: number; md5?: string; statusMessage?: string },
    now: number,
  ): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE uploads SET status = $2, bytes_received = $3, md5 = $4, status_message = $5, update_time = $6
        WHERE id = $1 AND status = 'RECEIVING'`,
      [id, end.status, end.bytesReceived, end.md5 ?? null, end.statusMessage ?? null, now],
    );
    return r.rowCount === 1;
  }

  async uploadsOfJob(jobId: string): Promise<UploadRecord[]> {
    const { rows } = await this.pool.query("SELECT * FROM uploads WHERE job_id = $1 ORDER BY id", [jobId]);
    return rows.map(uploadFromRow);
  }

  async staleUploads(idleBefore: number, limit: number): Promise<UploadRecord[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM uploads u
        WHERE (u.job_id IS NULL AND u.update_time < $1)
           OR (u.job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = u.job_id AND j.status NOT IN (${TERMINAL_SQL})))
        ORDER BY id LIMIT $2`,
      [idleBefore, limit],
    );
    return rows.map(uploadFromRow);
  }

  async deleteUpload(id: string): Promise<void> {
    await this.pool.query("DELETE FROM uploads WHERE id = $1", [id]);
  }

  async pendingBlobsOfJob(jobId: string): Promise<string[]> {
    const { rows } = await this.pool.query("SELECT key FROM pending_blobs WHERE job_id = $1 ORDER BY key", [jobId]);
    return rows.map((r: Row) => r.key as string);
  }

  // --- references ------------------------------------------------------------------------------

  async getReference(storeId: string, id: string): Promise<ReferenceRecord | undefined> {
    const { rows } = await this.pool.query("SELECT * FROM refs WHERE id = $1 AND store_id = $2", [id, storeId]);
    return rows[0] && referenceFromRow(rows[0]);
  }

  async listReferences(
    storeId: string,
    filter: ReferenceFilter,
    after: Cursor | undefined,
    limit: number,
  ): Promise<ReferenceRecord[]> {
    const params: unknown[] = [storeId];
    const clauses = ["store_id = $1"];
    if (filter.name !== undefined) {
      params.push(filter.name);
      clauses.push(`name = $${params.length}`);
    }
    if (filter.md5 !== undefined) {
      params.push(filter.md5.toLowerCase());
      clauses.push(`md5 = $${params.length}`);
    }
    const tail = keyset(clauses, params, filter, after, limit);
    const { rows } = await this.pool.query(`SELECT * FROM refs ${tail}`, params);
    return rows.map(referenceFromRow);
  }

  async deleteReference(storeId: string, id: string): Promise<ReferenceRecord | undefined> {
    const { rows } = await this.pool.query("DELETE FROM refs WHERE id = $1 AND store_id = $2 RETURNING *", [
      id,
      storeId,
    ]);
    return rows[0] && referenceFromRow(rows[0]);
  }

  // --- tags ------------------------------------------------------------------------------------

  async getTags(resource: string): Promise<Record<string, string>> {
    const { rows } = await this.pool.query("SELECT key, value FROM tags WHERE resource = $1 ORDER BY key", [resource]);
    return Object.fromEntries(rows.map((r: Row) => [r.key, r.value]));
  }

  async putTags(resource: string, tags: Record<string, string>): Promise<void> {
    const entries = Object.entries(tags);
    if (entries.length === 0) return;
    await this.pool.query(
      `INSERT INTO tags (resource, key, value)
       SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)
       ON CONFLICT (resource, key) DO UPDATE SET value = EXCLUDED.value`,
      [resource, entries.map((e) => e[0]), entries.map((e) => e[1])],
    );
  }

  async removeTags(resource: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query("DELETE FROM tags WHERE resource = $1 AND key = ANY($2::text[])", [resource, keys]);
  }

  async deleteAllTags(resource: string): Promise<void> {
    await this.pool.query("DELETE FROM tags WHERE resource = $1", [resource]);
  }

  // --- GA4GH lookups (ga4gh-postgres.ts) -------------------------------------------------------

  async findSequences(by: "md5" | "ga4gh", digest: string, scope: AccountScope, limit: number): Promise<SequenceCopy[]> {
    return ga4gh.findSequences(this.pool, by, digest, scope, limit);
  }

  async getCollection(digest: string, scope: AccountScope): Promise<CollectionRecord | undefined> {
    return ga4gh.collectionByAttribute(this.pool, "digest", digest, scope);
  }

  async findCollectionByAttribute(attribute: SeqcolAttribute, digest: string, scope: AccountScope): Promise<CollectionRecord | undefined> {
    return ga4gh.collectionByAttribute(this.pool, attribute, digest, scope);
  }

  async listCollections(
    filter: Partial<Record<SeqcolAttribute, string>>,
    scope: AccountScope,
    offset: number,
    limit: number,
  ): Promise<{ digests: string[]; total: number }> {
    return ga4gh.listCollections(this.pool, filter, scope, offset, limit);
  }

  // --- wake-ups --------------------------------------------------------------------------------

  onJobAvailable(listener: () => void): () => void {
    this.events.on("job", listener);
    if (!this.closed) this.listen();
    return () => {
      this.events.off("job", listener);
    };
  }

  async notifyJobAvailable(): Promise<void> {
    // Let a LISTEN being set up in this catalog hear this very notification.
    if (this.listening) await this.listening.catch(() => {});
    await this.pool.query("SELECT pg_notify($1, '')", [JOB_CHANNEL]);
  }

  /** Open the LISTEN connection unless it is open or opening. */
  private listen(): void {
    if (this.listener || this.listening || this.closed) return;
    const client = new pg.Client({ connectionString: this.databaseUrl, types: TYPES, application_name: "refstore-listen" });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (n) => {
      if (n.channel === JOB_CHANNEL) this.events.emit("job");
    });
    this.listening = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN ${JOB_CHANNEL}`);
      } catch (err) {
        client.end().catch(() => {});
        this.scheduleReconnect();
        throw err;
      }
      if (this.closed) {
        await client.end().catch(() => {});
        return;
      }
      this.listener = client;
    })().finally(() => {
      this.listening = undefined;
    });
    this.listening.catch(() => {}); // reported through reconnects, not as an unhandled rejection
  }

  /** After losing the LISTEN connection: try again in a second, and wake everyone (we may have
   *  missed notifications meanwhile). */
  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer || this.events.listenerCount("job") === 0) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed) return;
      this.listen();
      this.listening?.then(() => this.events.emit("job"), () => {});
    }, 1000);
    this.reconnectTimer.unref();
  }
}
