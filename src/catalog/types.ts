// The Catalog: everything refstore knows about stores, jobs, references and tags.
// One interface, two implementations (sqlite.ts for the embedded default, postgres.ts for
// scale-out). Both must pass the same test suite (test/catalog/contract.test.ts; what only
// PostgreSQL must get right across processes is in test/catalog/postgres.test.ts).
//
// Conventions
// - Timestamps are integer milliseconds since the epoch (number). The service layer turns them
//   into ISO-8601 strings.
// - Ids are decimal strings (10 digits, made by ids.ts newId).
// - Every list method takes a keyset cursor `after` = (creationTime, id) of the last item already
//   returned, and returns items strictly after it in (creationTime ASC, id ASC) order, at most
//   `limit` items. The caller asks for limit+1 to know whether there is a next page.
// - Filters are applied in the query, before the limit.
// - Methods never throw for "not found": they return undefined / false.

import type { SequenceInfo } from "../fasta/types.js";

export type { SequenceInfo } from "../fasta/types.js";
import type { SeqcolAttribute } from "../fasta/seqcol.js";

export type JobStatus =
  | "SUBMITTED"
  | "IN_PROGRESS"
  | "CANCELLING"
  | "CANCELLED"
  | "FAILED"
  | "COMPLETED"
  | "COMPLETED_WITH_FAILURES";

export type SourceStatus = "NOT_STARTED" | "IN_PROGRESS" | "FINISHED" | "FAILED";

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = [
  "CANCELLED",
  "FAILED",
  "COMPLETED",
  "COMPLETED_WITH_FAILURES",
];

export interface Cursor {
  creationTime: number;
  id: string;
}

export interface SseConfig {
  type: string;
  keyArn?: string;
}

export interface StoreRecord {
  account: string;
  id: string;
  name: string;
  description?: string;
  sseConfig?: SseConfig;
  creationTime: number;
  /** clientToken given at creation, and a digest of the request it came with (idempotency). */
  clientToken?: string;
  requestDigest?: string;
}

export interface StoreFilter {
  name?: string; // exact match
  createdAfter?: number; // inclusive
  createdBefore?: number; // inclusive
}

export interface SourceRecord {
  /** position of the source in the job's `sources` list, 0-based */
  index: number;
  sourceFile: string;
  name: string;
  description?: string;
  tags?: Record<string, string>;
  status: SourceStatus;
  statusMessage?: string;
  referenceId?: string;
}

export interface JobRecord {
  id: string;
  storeId: string;
  roleArn: string;
  status: JobStatus;
  statusMessage?: string;
  creationTime: number;
  completionTime?: number;
  clientToken?: string;
  requestDigest?: string;
  sources: SourceRecord[];
  /** How many times the job was claimed (not on the wire). Set by claimJob; insertJob ignores it. */
  attempts?: number;
}

/** What list operations return for a job: no sources, no statusMessage (as the model's list item). */
export type JobSummary = Omit<JobRecord, "sources" | "statusMessage" | "clientToken" | "requestDigest" | "attempts">;

export interface JobFilter {
  status?: JobStatus;
  createdAfter?: number; // inclusive
  createdBefore?: number; // inclusive
}

export interface FileInfo {
  /** blob key in the BlobStore */
  key: string;
  contentLength: number;
}

export interface ReferenceRecord {
  id: string;
  storeId: string;
  name: string;
  description?: string;
  md5: string;
  status: "ACTIVE" | "DELETING" | "DELETED";
  creationTime: number;
  updateTime: number;
  creationJobId: string;
  source: FileInfo;
  index: FileInfo;
  /** extra internal blobs (e.g. the .gzi of a BGZF source); deleted with the reference */
  extraKeys: string[];
  /** per-sequence facts (name, length, md5, ga4gh), JSON; not on the AWS wire */
  sequences: SequenceInfo[];
  compression: "none" | "bgzf";
}

export interface ReferenceFilter {
  name?: string; // exact match
  md5?: string; // case-insensitive exact match
  createdAfter?: number;
  createdBefore?: number;
}

/** Every blob key a reference owns (deleted with it). */
export function referenceBlobKeys(ref: ReferenceRecord): string[] {
  return [ref.source.key, ref.index.key, ...ref.extraKeys];
}

/** How far the worker has read a source (live progress; bytesTotal when the source's size is known). */
export interface SourceProgress {
  index: number;
  bytesRead: number;
  bytesTotal?: number;
  updateTime: number;
}

/** A local file streamed to an API process (the upload extension), staged in the blob store. */
export type UploadStatus = "CREATED" | "RECEIVING" | "COMPLETE" | "FAILED";

export interface UploadRecord {
  id: string;
  account: string;
  storeId: string;
  fileName: string;
  /** where the bytes are staged; held back from the blob stores' sweeps while the row exists */
  blobKey: string;
  status: UploadStatus;
  /** the size declared at creation or by the PUT's Content-Length */
  contentLength?: number;
  bytesReceived: number;
  /** hex MD5 of the bytes received (COMPLETE) */
  md5?: string;
  statusMessage?: string;
  /** the import job whose source it is (set by StartReferenceImportJob) */
  jobId?: string;
  creationTime: number;
  updateTime: number;
}

/**
 * One copy of a sequence in a live reference (GA4GH refget reads it from there). Holds what the
 * read path needs without parsing the reference's whole sequence list.
 */
export interface SequenceCopy {
  account: string;
  storeId: string;
  referenceId: string;
  referenceName: string;
  /** position of the sequence in the reference (0-based, file order = .fai line) */
  ordinal: number;
  name: string;
  length: number;
  md5: string;
  /** `SQ.<sha512t24u>` */
  ga4gh: string;
  source: FileInfo;
  index: FileInfo;
  extraKeys: string[];
  compression: "none" | "bgzf";
  creationTime: number;
}

/** The level-1 digests of a reference's sequence collection (see fasta/seqcol.ts). */
export type CollectionDigests = Record<SeqcolAttribute, string>;

/** A reference seen as a GA4GH sequence collection. */
export interface CollectionRecord {
  /** level 0 */
  digest: string;
  level1: CollectionDigests;
  /** the reference's sequences in file order (level 2 is derived from them) */
  sequences: SequenceInfo[];
  account: string;
  storeId: string;
  referenceId: string;
}

/** Who may be seen: every account (refget `open` mode) or one. */
export type AccountScope = { account?: string };

/**
 * What claimJob found: a job for this worker to run, a job it ended instead (given up: its
 * attempts are used up), or nothing to do.
 */
export type Claim =
  | { kind: "claimed"; job: JobRecord }
  | { kind: "given-up"; job: JobRecord }
  | { kind: "none" };

export interface Catalog {
  /** Apply pending migrations (idempotent; safe when several processes start at once). */
  migrate(): Promise<void>;
  /**
   * Resolves when the catalog answers and its schema is this release's (/ready); rejects with the
   * reason (unreachable, not migrated) within a few seconds.
   */
  checkReady(): Promise<void>;
  /** Import jobs of every store by status (kept by the catalog, not counted per call). */
  jobCounts(): Promise<Partial<Record<JobStatus, number>>>;
  close(): Promise<void>;

  // --- reference stores -------------------------------------------------------------------
  insertStore(store: StoreRecord): Promise<void>;
  getStore(account: string, id: string): Promise<StoreRecord | undefined>;
  findStoreByClientToken(account: string, clientToken: string): Promise<StoreRecord | undefined>;
  countStores(account: string): Promise<number>;
  listStores(account: string, filter: StoreFilter, after: Cursor | undefined, limit: number): Promise<StoreRecord[]>;
  /** The account that owns a store (workers need it for reference ARNs). */
  accountOfStore(storeId: string): Promise<string | undefined>;
  /** Deletes the store unless it still holds references (then returns "not-empty"). */
  deleteStore(account: string, id: string): Promise<"deleted" | "not-found" | "not-empty">;

  // --- import jobs --------------------------------------------------------------------------
  insertJob(job: JobRecord): Promise<void>;
  /** Insert many jobs in one transaction (bulk loads and benchmarks). */
  insertJobs(jobs: JobRecord[]): Promise<void>;
  getJob(storeId: string, id: string): Promise<JobRecord | undefined>;
  findJobByClientToken(storeId: string, clientToken: string): Promise<JobRecord | undefined>;
  listJobs(storeId: string, filter: JobFilter, after: Cursor | undefined, limit: number): Promise<JobSummary[]>;

  /**
   * Atomically claim one job that needs work: SUBMITTED, or IN_PROGRESS/CANCELLING whose lease
   * has expired (its worker died). Oldest first. Sets status IN_PROGRESS (CANCELLING stays
   * CANCELLING), owner = workerId, lease until now+leaseMs, attempts + 1, and returns
   * `{ kind: "claimed", job }`; `{ kind: "none" }` when no job needs work.
   *
   * A job whose lease expired after `maxAttempts` claims (omitted: no limit) is not handed out
   * again: in the same transaction it is ended as outcome.ts `givenUp` says (CANCELLING →
   * CANCELLED, otherwise FAILED or COMPLETED_WITH_FAILURES, completionTime = now, lease
   * released), and returned as `{ kind: "given-up", job }` with that terminal status. The caller
   * then deletes the job's pending blobs (the catalog cannot reach the blob store) and claims again.
   */
  claimJob(workerId: string, leaseMs: number, now: number, maxAttempts?: number): Promise<Claim>;
  /** Extend the lease; false if the worker no longer owns the job (lease lost). */
  renewLease(jobId: string, workerId: string, leaseMs: number, now: number): Promise<boolean>;
  /**
   * Give a claimed job back (graceful stop): owner and lease cleared, so any worker may claim it
   * at once, and this claim no longer counts as an attempt. False if the lease was lost.
   */
  releaseJob(jobId: string, workerId: string): Promise<boolean>;
  /** Update one source's status/message; false if the lease was lost. */
  updateSource(
    jobId: string,
    workerId: string,
    index: number,
    patch: { status: SourceStatus; statusMessage?: string | null },
  ): Promise<boolean>;
  /**
   * In one transaction: insert the reference, mark source `index` FINISHED with its referenceId.
   * Returns false (and inserts nothing) if the worker no longer owns the job.
   */
  finishSource(jobId: string, workerId: string, index: number, reference: ReferenceRecord): Promise<boolean>;
  /** Set the terminal status, message and completionTime, release the lease. False if lease lost. */
  finishJob(
    jobId: string,
    workerId: string,
    status: JobStatus,
    statusMessage: string | undefined,
    completionTime: number,
  ): Promise<boolean>;
  /**
   * Wind up a cancelled job its worker owns, in one transaction: ended as outcome.ts `cancelled`
   * says (CANCELLED, sources not yet FINISHED or FAILED become FAILED), completionTime, lease
   * released. False if the lease was lost.
   */
  finishCancelled(jobId: string, workerId: string, completionTime: number): Promise<boolean>;
  /**
   * Cancel: SUBMITTED → CANCELLED at once (ended as outcome.ts `cancelled` says), IN_PROGRESS →
   * CANCELLING (its worker winds it up with finishCancelled). Returns the new status, or
   * undefined if the job does not exist. Terminal jobs are returned unchanged.
   */
  requestCancel(storeId: string, jobId: string, now: number): Promise<JobStatus | undefined>;
  /**
   * Record how far source `index` has been read (its worker, about once a second). False if the
   * worker no longer owns the job; nothing is written then.
   */
  recordProgress(jobId: string, workerId: string, index: number, bytesRead: number, bytesTotal: number | undefined, now: number): Promise<boolean>;
  /** The progress rows of a job's sources, by index (sources never started have none). */
  getProgress(jobId: string): Promise<SourceProgress[]>;
  /** Current status of a job (workers poll this to notice CANCELLING). */
  getJobStatus(jobId: string): Promise<JobStatus | undefined>;

  // --- blob bookkeeping (crash safety) -----------------------------------------------------
  /** Record a blob key about to be written, so that a crash leaves nothing unaccounted for. */
  addPendingBlob(key: string, jobId: string, now: number): Promise<void>;
  /** Forget pending keys (after they were committed into a reference, or deleted). */
  removePendingBlobs(keys: string[]): Promise<void>;
  /** Pending keys of a job (to delete when the job is taken up again after a crash). */
  pendingBlobsOfJob(jobId: string): Promise<string[]>;
  /**
   * Pending keys no running job will ever clean up: their job ended (given up while its worker
   * died before deleting them) or no longer exists (its store was deleted). At most `limit`.
   */
  orphanedPendingBlobs(limit: number): Promise<string[]>;
  /**
   * Every pending key (whatever its job's status) and every upload's staging key: the start-up
   * sweeps of the blob stores leave these alone, because a running job or an upload is writing
   * them or one of the cleanups above will delete them.
   */
  pendingBlobKeys(): Promise<string[]>;

  // --- uploads (the upload extension) ------------------------------------------------------
  // An upload's blob key counts as pending (pendingBlobKeys) while its row exists; finishSource
  // deletes the row of an upload whose blob became the reference's SOURCE.
  insertUpload(upload: UploadRecord): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  /** Tie an upload to the job that imports it; false if it is tied to another job already. */
  attachUpload(id: string, jobId: string): Promise<boolean>;
  /** CREATED → RECEIVING with its size; false if the upload is not CREATED (sent already, or gone). */
  beginUpload(id: string, contentLength: number, now: number): Promise<boolean>;
  /** Bytes received so far (about twice a second); false if the upload is gone. */
  recordUploadProgress(id: string, bytesReceived: number, now: number): Promise<boolean>;
  /** RECEIVING → COMPLETE or FAILED; false if the upload is gone (its job ended meanwhile). */
  endUpload(id: string, end: { status: "COMPLETE" | "FAILED"; bytesReceived: number; md5?: string; statusMessage?: string }, now: number): Promise<boolean>;
  /** The uploads tied to a job. */
  uploadsOfJob(jobId: string): Promise<UploadRecord[]>;
  /**
   * Uploads nobody will import: their job ended or vanished, or no job took them and they have
   * been idle since before `idleBefore`. At most `limit`.
   */
  staleUploads(idleBefore: number, limit: number): Promise<UploadRecord[]>;
  deleteUpload(id: string): Promise<void>;

  // --- references ---------------------------------------------------------------------------
  getReference(storeId: string, id: string): Promise<ReferenceRecord | undefined>;
  listReferences(
    storeId: string,
    filter: ReferenceFilter,
    after: Cursor | undefined,
    limit: number,
  ): Promise<ReferenceRecord[]>;
  /** Removes the row; returns the record that was deleted (its blobs are then deleted by the caller). */
  deleteReference(storeId: string, id: string): Promise<ReferenceRecord | undefined>;

  // --- GA4GH lookups (refget, seqcol) over live references ---------------------------------
  // Each reference's sequences and seqcol digests are indexed when finishSource inserts it
  // (and by migration 4 for references imported before); deleting a reference drops them.
  /**
   * Copies of the sequence with this md5 (lower-case hex) or ga4gh id (`SQ.…`) in live
   * references, oldest reference first, at most `limit`; only `scope.account`'s when given.
   */
  findSequences(by: "md5" | "ga4gh", digest: string, scope: AccountScope, limit: number): Promise<SequenceCopy[]>;
  /** A live reference whose collection has this level-0 digest (the oldest), or undefined. */
  getCollection(digest: string, scope: AccountScope): Promise<CollectionRecord | undefined>;
  /** A live reference whose collection's `attribute` has this level-1 digest, or undefined. */
  findCollectionByAttribute(attribute: SeqcolAttribute, digest: string, scope: AccountScope): Promise<CollectionRecord | undefined>;
  /**
   * Distinct level-0 digests of live collections, in digest order, whose level-1 digests equal
   * every one given in `filter` (AND); `offset`/`limit` page them; `total` counts all matches.
   */
  listCollections(
    filter: Partial<Record<SeqcolAttribute, string>>,
    scope: AccountScope,
    offset: number,
    limit: number,
  ): Promise<{ digests: string[]; total: number }>;

  // --- tags, keyed by resource (ids.ts tagKey: "<storeId>" or "<storeId>/reference/<id>") ----
  getTags(resource: string): Promise<Record<string, string>>;
  putTags(resource: string, tags: Record<string, string>): Promise<void>;
  removeTags(resource: string, keys: string[]): Promise<void>;
  deleteAllTags(resource: string): Promise<void>;

  /** Wake-up hint for workers: resolves when a job may be available (NOTIFY on postgres). */
  onJobAvailable(listener: () => void): () => void;
  /** Tell workers a job is available (called after insertJob / cancel). */
  notifyJobAvailable(): Promise<void>;
}
