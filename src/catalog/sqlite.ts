// The embedded catalog: one SQLite file (better-sqlite3), WAL mode. better-sqlite3 is
// synchronous, which makes each method atomic within the process; writes that read first run in
// BEGIN IMMEDIATE transactions so that several processes sharing the file (api + worker roles on
// one machine) stay correct too.
//
// Wake-ups (onJobAvailable) are in-process only; a worker in another process finds new jobs by
// polling (REFSTORE_POLL_MS).

import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { attemptsUsedUp, cancelled, givenUp, type JobEnd } from "./outcome.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";
import * as ga4gh from "./ga4gh-sqlite.js";
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

/** WHERE fragments shared by every keyset list. */
function keyset(
  clauses: string[],
  params: unknown[],
  range: { createdAfter?: number; createdBefore?: number },
  after: Cursor | undefined,
) {
  if (range.createdAfter !== undefined) {
    clauses.push("creation_time >= ?");
    params.push(range.createdAfter);
  }
  if (range.createdBefore !== undefined) {
    clauses.push("creation_time <= ?");
    params.push(range.createdBefore);
  }
  if (after) {
    clauses.push("(creation_time, id) > (?, ?)");
    params.push(after.creationTime, after.id);
  }
  return `WHERE ${clauses.join(" AND ")} ORDER BY creation_time, id LIMIT ?`;
}

export class SqliteCatalog implements Catalog {
  private readonly events = new EventEmitter();
  /** Prepared statements by SQL text (a bounded set: the dynamic WHERE clauses have few shapes). */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(readonly db: Database.Database) {
    this.events.setMaxListeners(0);
  }

  /** The prepared statement of `text`, compiled once (preparing costs more than a small query). */
  private sql(text: string, rawRows = false): Database.Statement {
    const cacheKey = rawRows ? "raw:" + text : text;
    let st = this.statements.get(cacheKey);
    if (!st) {
      st = this.db.prepare(text);
      if (rawRows) st.raw(true);
      this.statements.set(cacheKey, st);
    }
    return st;
  }

  static open(path: string): SqliteCatalog {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 10000");
    db.pragma("foreign_keys = OFF");
    // A page of jobs touches a few dozen pages; with SQLite's default 2 MB cache a million-job
    // table evicts everything else between requests. Keep 64 MiB of pages per connection and
    // read the file through mmap (no read() call and copy per page).
    db.pragma("cache_size = -65536");
    db.pragma("mmap_size = 1073741824");
    return new SqliteCatalog(db);
  }

  async migrate(): Promise<void> {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied INTEGER)");
    const apply = this.db.transaction(() => {
      const done = new Set(
        (this.sql("SELECT version FROM schema_migrations").all() as Row[]).map((r) => r.version as number),
      );
      for (const m of SQLITE_MIGRATIONS) {
        if (done.has(m.version)) continue;
        this.db.exec(m.sql);
        m.apply?.(this.db);
        this.sql("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
      }
    });
    apply.immediate();
  }

  async checkReady(): Promise<void> {
    const row = this.sql("SELECT max(version) AS v FROM schema_migrations").get() as Row | undefined;
    schemaIsCurrent(Number(row?.v ?? 0), SQLITE_MIGRATIONS);
  }

  async jobCounts(): Promise<Partial<Record<JobStatus, number>>> {
    const out: Partial<Record<JobStatus, number>> = {};
    for (const r of this.sql("SELECT status, n FROM job_counts").all() as Row[]) out[r.status as JobStatus] = Number(r.n);
    return out;
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
    if (this.db.open) this.db.close();
  }

  // --- reference stores ----------------------------------------------------------------------

  async insertStore(s: StoreRecord): Promise<void> {
    const values = storeValues(s);
    this.sql(`INSERT INTO stores (${STORE_COLUMNS}) VALUES (${values.map(() => "?").join(", ")})`).run(...values);
  }

  async getStore(account: string, id: string): Promise<StoreRecord | undefined> {
    const r = this.sql("SELECT * FROM stores WHERE id = ? AND account = ?").get(id, account) as Row | undefined;
    return r && storeFromRow(r);
  }

  async findStoreByClientToken(account: string, clientToken: string): Promise<StoreRecord | undefined> {
    const r = this.sql("SELECT * FROM stores WHERE account = ? AND client_token = ?")
      .get(account, clientToken) as Row | undefined;
    return r && storeFromRow(r);
  }

  async countStores(account: string): Promise<number> {
    return (this.sql("SELECT count(*) AS n FROM stores WHERE account = ?").get(account) as Row).n;
  }

  async listStores(account: string, filter: StoreFilter, after: Cursor | undefined, limit: number): Promise<StoreRecord[]> {
    const clauses = ["account = ?"];
    const params: unknown[] = [account];
    if (filter.name !== undefined) {
      clauses.push("name = ?");
      params.push(filter.name);
    }
    const tail = keyset(clauses, params, filter, after);
    const rows = this.sql(`SELECT * FROM stores ${tail}`).all(...params, limit) as Row[];
    return rows.map(storeFromRow);
  }

  async accountOfStore(storeId: string): Promise<string | undefined> {
    const r = this.sql("SELECT account FROM stores WHERE id = ?").get(storeId) as Row | undefined;
    return r?.account;
  }

  async deleteStore(account: string, id: string): Promise<"deleted" | "not-found" | "not-empty"> {
    const run = this.db.transaction((): "deleted" | "not-found" | "not-empty" => {
      if (!this.sql("SELECT 1 FROM stores WHERE id = ? AND account = ?").get(id, account)) return "not-found";
      if (this.sql("SELECT 1 FROM refs WHERE store_id = ? LIMIT 1").get(id)) return "not-empty";
      // Jobs go with their store; a worker still running one loses its lease and cleans up.
      this.sql("DELETE FROM jobs WHERE store_id = ?").run(id);
      this.sql("DELETE FROM stores WHERE id = ?").run(id);
      return "deleted";
    });
    return run.immediate();
  }

  // --- import jobs ---------------------------------------------------------------------------

  private insertJobStatement() {
    return this.sql(`INSERT INTO jobs (${JOB_COLUMNS}) VALUES (${JOB_COLUMNS.split(",").map(() => "?").join(", ")})`);
  }

  async insertJob(job: JobRecord): Promise<void> {
    this.insertJobStatement().run(...jobValues(job));
  }

  async insertJobs(jobs: JobRecord[]): Promise<void> {
    const stmt = this.insertJobStatement();
    this.db.transaction(() => {
      for (const j of jobs) stmt.run(...jobValues(j));
    })();
  }

  async getJob(storeId: string, id: string): Promise<JobRecord | undefined> {
    const r = this.sql("SELECT * FROM jobs WHERE id = ? AND store_id = ?").get(id, storeId) as Row | undefined;
    return r && jobFromRow(r);
  }

  async findJobByClientToken(storeId: string, clientToken: string): Promise<JobRecord | undefined> {
    const r = this.sql("SELECT * FROM jobs WHERE store_id = ? AND client_token = ?")
      .get(storeId, clientToken) as Row | undefined;
    return r && jobFromRow(r);
  }

  async listJobs(storeId: string, filter: JobFilter, after: Cursor | undefined, limit: number): Promise<JobSummary[]> {
    const clauses = ["store_id = ?"];
    const params: unknown[] = [storeId];
    if (filter.status !== undefined) {
      clauses.push("status = ?");
      params.push(filter.status);
    }
    const tail = keyset(clauses, params, filter, after);
    // rows as arrays: building 100 row objects costs more than the query itself
    const rows = this.sql(`SELECT id, role_arn, status, creation_time, completion_time FROM jobs ${tail}`, true).all(
      ...params,
      limit,
    ) as [string, string, JobStatus, number, number | null][];
    return rows.map(([id, roleArn, status, creationTime, completionTime]) => ({
      id,
      storeId,
      roleArn,
      status,
      creationTime,
      completionTime: completionTime ?? undefined,
    }));
  }

  async claimJob(workerId: string, leaseMs: number, now: number, maxAttempts?: number): Promise<Claim> {
    const claim = this.db.transaction((): Claim => {
      const r = this.sql(
        `SELECT * FROM jobs
         WHERE status IN ('SUBMITTED', 'IN_PROGRESS', 'CANCELLING')
           AND (status = 'SUBMITTED' OR lease_expires IS NULL OR lease_expires < ?)
         ORDER BY creation_time LIMIT 1`,
      ).get(now) as Row | undefined;
      if (!r) return { kind: "none" };
      if (attemptsUsedUp(r.status, r.attempts, maxAttempts)) {
        // Every worker that took it up died with it: end it instead of handing it out again.
        return { kind: "given-up", job: this.endJob(r, givenUp(r.status, parseSources(r.sources), r.attempts), now) };
      }
      const status: JobStatus = r.status === "CANCELLING" ? "CANCELLING" : "IN_PROGRESS";
      this.sql("UPDATE jobs SET status = ?, owner = ?, lease_expires = ?, attempts = attempts + 1 WHERE id = ?")
        .run(status, workerId, now + leaseMs, r.id);
      const job = jobFromRow({ ...r, status, owner: workerId, lease_expires: now + leaseMs, attempts: r.attempts + 1 });
      return { kind: "claimed", job };
    });
    return claim.immediate();
  }

  /** Write `end` into the job row `r` (in the caller's transaction): terminal, lease released. */
  private endJob(r: Row, end: JobEnd, now: number): JobRecord {
    const ended = {
      ...r,
      status: end.status,
      status_message: end.statusMessage ?? null,
      completion_time: now,
      sources: sourcesJson(end.sources),
      owner: null,
      lease_expires: null,
    };
    this.sql(
      `UPDATE jobs SET status = ?, status_message = ?, completion_time = ?, sources = ?, owner = NULL,
                       lease_expires = NULL WHERE id = ?`,
    ).run(ended.status, ended.status_message, now, ended.sources, r.id);
    return jobFromRow(ended);
  }

  async renewLease(jobId: string, workerId: string, leaseMs: number, now: number): Promise<boolean> {
    const res = this.sql(`UPDATE jobs SET lease_expires = ? WHERE id = ? AND owner = ? AND status NOT IN (${TERMINAL_SQL})`)
      .run(now + leaseMs, jobId, workerId);
    return res.changes === 1;
  }

  async releaseJob(jobId: string, workerId: string): Promise<boolean> {
    const res = this.sql(
      `UPDATE jobs SET owner = NULL, lease_expires = NULL, attempts = max(attempts - 1, 0)
       WHERE id = ? AND owner = ? AND status NOT IN (${TERMINAL_SQL})`,
    ).run(jobId, workerId);
    return res.changes === 1;
  }

  /** The row of a job `workerId` owns (and has not ended). */
  private ownedJob(jobId: string, workerId: string): Row | undefined {
    return this.sql(`SELECT * FROM jobs WHERE id = ? AND owner = ? AND status NOT IN (${TERMINAL_SQL})`)
      .get(jobId, workerId) as Row | undefined;
  }

  /** Read-modify-write of one job's sources, only while `workerId` owns the job. */
  private withOwnedJob(jobId: string, workerId: string, change: (job: Row, sources: SourceRecord[]) => void): boolean {
    const run = this.db.transaction((): boolean => {
      const r = this.ownedJob(jobId, workerId);
      if (!r) return false;
      const sources = parseSources(r.sources);
      change(r, sources);
      this.sql("UPDATE jobs SET sources = ? WHERE id = ?").run(sourcesJson(sources), jobId);
      return true;
    });
    return run.immediate();
  }

  async updateSource(
    jobId: string,
    workerId: string,
    index: number,
    patch: { status: SourceStatus; statusMessage?: string | null },
  ): Promise<boolean> {
    return this.withOwnedJob(jobId, workerId, (_job, sources) => patchSource(sources, jobId, index, patch));
  }

  async finishSource(jobId: string, workerId: string, index: number, ref: ReferenceRecord): Promise<boolean> {
    return this.withOwnedJob(jobId, workerId, (_job, sources) => {
      markSourceFinished(sources, jobId, index, ref.id);
      const values = referenceValues(ref);
      this.sql(`INSERT INTO refs (${REFERENCE_COLUMNS}) VALUES (${values.map(() => "?").join(", ")})`).run(...values);
      ga4gh.insertGa4ghRows((t) => this.sql(t), ref.id, ref.sequences);
      // the reference owns its blobs now: in the same transaction, so that no crash can leave
      // them registered as an unfinished import's leftovers (which the next claim deletes)
      const forget = this.sql("DELETE FROM pending_blobs WHERE key = ?");
      const forgetUpload = this.sql("DELETE FROM uploads WHERE blob_key = ?");
      for (const key of referenceBlobKeys(ref)) {
        forget.run(key);
        forgetUpload.run(key);
      }
    });
  }

  async finishJob(
    jobId: string,
    workerId: string,
    status: JobStatus,
    statusMessage: string | undefined,
    completionTime: number,
  ): Promise<boolean> {
    const res = this.sql(
      `UPDATE jobs SET status = ?, status_message = ?, completion_time = ?, owner = NULL, lease_expires = NULL
       WHERE id = ? AND owner = ? AND status NOT IN (${TERMINAL_SQL})`,
    ).run(status, statusMessage ?? null, completionTime, jobId, workerId);
    return res.changes === 1;
  }

  async finishCancelled(jobId: string, workerId: string, completionTime: number): Promise<boolean> {
    const run = this.db.transaction((): boolean => {
      const r = this.ownedJob(jobId, workerId);
      if (!r) return false;
      this.endJob(r, cancelled(parseSources(r.sources)), completionTime);
      return true;
    });
    return run.immediate();
  }

  async requestCancel(storeId: string, jobId: string, now: number): Promise<JobStatus | undefined> {
    const run = this.db.transaction((): JobStatus | undefined => {
      const r = this.sql("SELECT * FROM jobs WHERE id = ? AND store_id = ?").get(jobId, storeId) as Row | undefined;
      if (!r) return undefined;
      if (r.status === "SUBMITTED") return this.endJob(r, cancelled(parseSources(r.sources)), now).status;
      if (r.status === "IN_PROGRESS") {
        this.sql("UPDATE jobs SET status = 'CANCELLING' WHERE id = ?").run(jobId);
        return "CANCELLING";
      }
      return r.status as JobStatus;
    });
    return run.immediate();
  }

  async recordProgress(jobId: string, workerId: string, index: number, bytesRead: number, bytesTotal: number | undefined, now: number): Promise<boolean> {
    const r = this.sql(
      `INSERT INTO source_progress (job_id, source_index, bytes_read, bytes_total, update_time)
         SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ? AND owner = ?)
       ON CONFLICT (job_id, source_index) DO UPDATE SET
         bytes_read = excluded.bytes_read, bytes_total = excluded.bytes_total, update_time = excluded.update_time`,
    ).run(jobId, index, bytesRead, bytesTotal ?? null, now, jobId, workerId);
    return r.changes > 0;
  }

  async getProgress(jobId: string): Promise<SourceProgress[]> {
    const rows = this.sql(
      "SELECT source_index, bytes_read, bytes_total, update_time FROM source_progress WHERE job_id = ? ORDER BY source_index",
    ).all(jobId) as Row[];
    return rows.map((r) => ({
      index: r.source_index,
      bytesRead: r.bytes_read,
      ...(r.bytes_total === null ? {} : { bytesTotal: r.bytes_total }),
      updateTime: r.update_time,
    }));
  }

  async getJobStatus(jobId: string): Promise<JobStatus | undefined> {
    const r = this.sql("SELECT status FROM jobs WHERE id = ?").get(jobId) as Row | undefined;
    return r?.status;
  }

  // --- blob bookkeeping ------------------------------------------------------------------------

  async addPendingBlob(key: string, jobId: string, now: number): Promise<void> {
    this.sql("INSERT OR REPLACE INTO pending_blobs (key, job_id, created) VALUES (?, ?, ?)").run(key, jobId, now);
  }

  async removePendingBlobs(keys: string[]): Promise<void> {
    const stmt = this.sql("DELETE FROM pending_blobs WHERE key = ?");
    this.db.transaction(() => {
      for (const k of keys) stmt.run(k);
    })();
  }

  async orphanedPendingBlobs(limit: number): Promise<string[]> {
    const rows = this.sql(
      `SELECT key FROM pending_blobs p
       WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = p.job_id AND j.status NOT IN (${TERMINAL_SQL}))
       ORDER BY key LIMIT ?`,
    ).all(limit) as Row[];
    return rows.map((r) => r.key as string);
  }

  async pendingBlobKeys(): Promise<string[]> {
    return (this.sql("SELECT key FROM pending_blobs UNION SELECT blob_key FROM uploads ORDER BY 1").all() as Row[]).map(
      (r) => Object.values(r)[0] as string,
    );
  }

  // --- uploads ---------------------------------------------------------------------------------

  async insertUpload(u: UploadRecord): Promise<void> {
    const values = uploadValues(u);
    this.sql(`INSERT INTO uploads (${UPLOAD_COLUMNS}) VALUES (${values.map(() => "?").join(", ")})`).run(...values);
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const r = this.sql("SELECT * FROM uploads WHERE id = ?").get(id) as Row | undefined;
    return r && uploadFromRow(r);
  }

  async attachUpload(id: string, jobId: string): Promise<boolean> {
    const r = this.sql("UPDATE uploads SET job_id = ? WHERE id = ? AND (job_id IS NULL OR job_id = ?)").run(jobId, id, jobId);
    return r.changes === 1;
  }

  async beginUpload(id: string, contentLength: number, now: number): Promise<boolean> {
    const r = this.sql(
      "UPDATE uploads SET status = 'RECEIVING', content_length = ?, update_time = ? WHERE id = ? AND status = 'CREATED'",
    ).run(contentLength, now, id);
    return r.changes === 1;
  }

  async recordUploadProgress(id: string, bytesReceived: number, now: number): Promise<boolean> {
    const r = this.sql("UPDATE uploads SET bytes_received = ?, update_time = ? WHERE id = ?").run(bytesReceived, now, id);
    return r.changes === 1;
  }

  async endUpload(
    id: string,
    end: { status: "COMPLETE" | "FAILED"; bytesReceived: number; md5?: string; statusMessage?: string },
    now: number,
  ): Promise<boolean> {
    const r = this.sql(
      `UPDATE uploads SET status = ?, bytes_received = ?, md5 = ?, status_message = ?, update_time = ?
       WHERE id = ? AND status = 'RECEIVING'`,
    ).run(end.status, end.bytesReceived, end.md5 ?? null, end.statusMessage ?? null, now, id);
    return r.changes === 1;
  }

  async uploadsOfJob(jobId: string): Promise<UploadRecord[]> {
    return (this.sql("SELECT * FROM uploads WHERE job_id = ? ORDER BY id").all(jobId) as Row[]).map(uploadFromRow);
  }

  async staleUploads(idleBefore: number, limit: number): Promise<UploadRecord[]> {
    const rows = this.sql(
      `SELECT * FROM uploads u
       WHERE (u.job_id IS NULL AND u.update_time < ?)
          OR (u.job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = u.job_id AND j.status NOT IN (${TERMINAL_SQL})))
       ORDER BY id LIMIT ?`,
    ).all(idleBefore, limit) as Row[];
    return rows.map(uploadFromRow);
  }

  async deleteUpload(id: string): Promise<void> {
    this.sql("DELETE FROM uploads WHERE id = ?").run(id);
  }

  async pendingBlobsOfJob(jobId: string): Promise<string[]> {
    return (this.sql("SELECT key FROM pending_blobs WHERE job_id = ? ORDER BY key").all(jobId) as Row[]).map(
      (r) => r.key,
    );
  }

  // --- references ------------------------------------------------------------------------------

  async getReference(storeId: string, id: string): Promise<ReferenceRecord | undefined> {
    const r = this.sql("SELECT * FROM refs WHERE id = ? AND store_id = ?").get(id, storeId) as Row | undefined;
    return r && referenceFromRow(r);
  }

  async listReferences(
    storeId: string,
    filter: ReferenceFilter,
    after: Cursor | undefined,
    limit: number,
  ): Promise<ReferenceRecord[]> {
    const clauses = ["store_id = ?"];
    const params: unknown[] = [storeId];
    if (filter.name !== undefined) {
      clauses.push("name = ?");
      params.push(filter.name);
    }
    if (filter.md5 !== undefined) {
      clauses.push("md5 = ?");
      params.push(filter.md5.toLowerCase());
    }
    const tail = keyset(clauses, params, filter, after);
    return (this.sql(`SELECT * FROM refs ${tail}`).all(...params, limit) as Row[]).map(referenceFromRow);
  }

  async deleteReference(storeId: string, id: string): Promise<ReferenceRecord | undefined> {
    const run = this.db.transaction((): ReferenceRecord | undefined => {
      const r = this.sql("SELECT * FROM refs WHERE id = ? AND store_id = ?").get(id, storeId) as Row | undefined;
      if (!r) return undefined;
      this.sql("DELETE FROM refs WHERE id = ?").run(id);
      return referenceFromRow(r);
    });
    return run.immediate();
  }

  // --- tags ------------------------------------------------------------------------------------

  async getTags(resource: string): Promise<Record<string, string>> {
    const rows = this.sql("SELECT key, value FROM tags WHERE resource = ? ORDER BY key").all(resource) as Row[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  async putTags(resource: string, tags: Record<string, string>): Promise<void> {
    const stmt = this.sql("INSERT OR REPLACE INTO tags (resource, key, value) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(tags)) stmt.run(resource, k, v);
    })();
  }

  async removeTags(resource: string, keys: string[]): Promise<void> {
    const stmt = this.sql("DELETE FROM tags WHERE resource = ? AND key = ?");
    this.db.transaction(() => {
      for (const k of keys) stmt.run(resource, k);
    })();
  }

  async deleteAllTags(resource: string): Promise<void> {
    this.sql("DELETE FROM tags WHERE resource = ?").run(resource);
  }

  // --- GA4GH lookups (ga4gh-sqlite.ts) ---------------------------------------------------------

  async findSequences(by: "md5" | "ga4gh", digest: string, scope: AccountScope, limit: number): Promise<SequenceCopy[]> {
    return ga4gh.findSequences((t) => this.sql(t), by, digest, scope, limit);
  }

  async getCollection(digest: string, scope: AccountScope): Promise<CollectionRecord | undefined> {
    return ga4gh.getCollection((t) => this.sql(t), "digest", digest, scope);
  }

  async findCollectionByAttribute(attribute: SeqcolAttribute, digest: string, scope: AccountScope): Promise<CollectionRecord | undefined> {
    return ga4gh.collectionByAttribute((t) => this.sql(t), attribute, digest, scope);
  }

  async listCollections(
    filter: Partial<Record<SeqcolAttribute, string>>,
    scope: AccountScope,
    offset: number,
    limit: number,
  ): Promise<{ digests: string[]; total: number }> {
    return ga4gh.listCollections((t) => this.sql(t), filter, scope, offset, limit);
  }

  // --- wake-ups --------------------------------------------------------------------------------

  onJobAvailable(listener: () => void): () => void {
    this.events.on("job", listener);
    return () => this.events.off("job", listener);
  }

  async notifyJobAvailable(): Promise<void> {
    this.events.emit("job");
  }
}
