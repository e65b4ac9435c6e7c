// Row ↔ record mapping shared by both catalogs: the two schemas use the same column names.
// JSON columns arrive as text from SQLite and already parsed from PostgreSQL; both are accepted.

import {
  TERMINAL_JOB_STATUSES,
  type JobRecord,
  type JobSummary,
  type ReferenceRecord,
  type SourceRecord,
  type SourceStatus,
  type StoreRecord,
  type UploadRecord,
} from "./types.js";

export type Row = Record<string, any>;

/** SQL NULL → undefined, so that absent optional fields stay absent on the wire. */
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** `'CANCELLED', 'FAILED', …` for `status NOT IN (…)` */
export const TERMINAL_SQL = TERMINAL_JOB_STATUSES.map((s) => `'${s}'`).join(", ");

const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

export function storeFromRow(r: Row): StoreRecord {
  return {
    account: r.account,
    id: r.id,
    name: r.name,
    description: opt(r.description),
    sseConfig: r.sse_type ? { type: r.sse_type, keyArn: opt(r.sse_key_arn) } : undefined,
    creationTime: r.creation_time,
    clientToken: opt(r.client_token),
    requestDigest: opt(r.request_digest),
  };
}

export function jobSummaryFromRow(r: Row): JobSummary {
  return {
    id: r.id,
    storeId: r.store_id,
    roleArn: r.role_arn,
    status: r.status,
    creationTime: r.creation_time,
    completionTime: opt(r.completion_time),
  };
}

export function jobFromRow(r: Row): JobRecord {
  return {
    ...jobSummaryFromRow(r),
    statusMessage: opt(r.status_message),
    clientToken: opt(r.client_token),
    requestDigest: opt(r.request_digest),
    sources: parseSources(r.sources),
    attempts: r.attempts,
  };
}

/** Sources in the order of the request (by index). */
export function parseSources(v: unknown): SourceRecord[] {
  return (json(v) as SourceRecord[]).sort((a, b) => a.index - b.index);
}

/** Sources as stored: JSON text; undefined members are dropped, so they stay absent. */
export function sourcesJson(sources: SourceRecord[]): string {
  return JSON.stringify([...sources].sort((a, b) => a.index - b.index));
}

export function referenceFromRow(r: Row): ReferenceRecord {
  return {
    id: r.id,
    storeId: r.store_id,
    name: r.name,
    description: opt(r.description),
    md5: r.md5,
    status: r.status,
    creationTime: r.creation_time,
    updateTime: r.update_time,
    creationJobId: r.creation_job_id,
    source: { key: r.source_key, contentLength: r.source_length },
    index: { key: r.index_key, contentLength: r.index_length },
    extraKeys: json(r.extra_keys),
    sequences: json(r.sequences),
    compression: r.compression,
  };
}

/** Columns of a refs row as finishSource inserts it, and the values for them (both catalogs). */
export const REFERENCE_COLUMNS =
  "id, store_id, name, description, md5, status, creation_time, update_time, creation_job_id, " +
  "source_key, source_length, index_key, index_length, extra_keys, sequences, compression";

export function referenceValues(ref: ReferenceRecord): unknown[] {
  return [
    ref.id,
    ref.storeId,
    ref.name,
    ref.description ?? null,
    ref.md5.toLowerCase(),
    ref.status,
    ref.creationTime,
    ref.updateTime,
    ref.creationJobId,
    ref.source.key,
    ref.source.contentLength,
    ref.index.key,
    ref.index.contentLength,
    JSON.stringify(ref.extraKeys),
    JSON.stringify(ref.sequences),
    ref.compression,
  ];
}

/** The source `index` of a job's sources becomes FINISHED with its reference. */
export function markSourceFinished(sources: SourceRecord[], jobId: string, index: number, referenceId: string): void {
  const s = sources.find((x) => x.index === index);
  if (!s) throw new Error(`job ${jobId} has no source ${index}`);
  s.status = "FINISHED";
  s.referenceId = referenceId;
  delete s.statusMessage;
}

/** Columns of a jobs row as insertJob writes it, and the values for them (both catalogs). */
export const JOB_COLUMNS =
  "id, store_id, role_arn, status, status_message, creation_time, completion_time, client_token, request_digest, sources";

export function jobValues(j: JobRecord): unknown[] {
  return [
    j.id,
    j.storeId,
    j.roleArn,
    j.status,
    j.statusMessage ?? null,
    j.creationTime,
    j.completionTime ?? null,
    j.clientToken ?? null,
    j.requestDigest ?? null,
    sourcesJson(j.sources),
  ];
}

/** updateSource's change: source `index` gets `patch` (a null or empty message removes it). */
export function patchSource(
  sources: SourceRecord[],
  jobId: string,
  index: number,
  patch: { status: SourceStatus; statusMessage?: string | null },
): void {
  const s = sources.find((x) => x.index === index);
  if (!s) throw new Error(`job ${jobId} has no source ${index}`);
  s.status = patch.status;
  if (patch.statusMessage) s.statusMessage = patch.statusMessage;
  else delete s.statusMessage;
}

/** Columns of a stores row as insertStore writes it, and the values for them (both catalogs). */
export const STORE_COLUMNS = "id, account, name, description, sse_type, sse_key_arn, creation_time, client_token, request_digest";

export function storeValues(s: StoreRecord): unknown[] {
  return [
    s.id,
    s.account,
    s.name,
    s.description ?? null,
    s.sseConfig?.type ?? null,
    s.sseConfig?.keyArn ?? null,
    s.creationTime,
    s.clientToken ?? null,
    s.requestDigest ?? null,
  ];
}

/** checkReady's test: the catalog's schema is the newest this release knows. */
export function schemaIsCurrent(applied: number, migrations: readonly { version: number }[]): void {
  const latest = migrations[migrations.length - 1].version;
  if (applied < latest)
    throw new Error(`catalog schema is at version ${applied}, this release needs ${latest}: start a process to migrate it`);
}

export const UPLOAD_COLUMNS =
  "id, account, store_id, file_name, blob_key, status, content_length, bytes_received, md5, status_message, job_id, creation_time, update_time";

export function uploadValues(u: UploadRecord): unknown[] {
  return [
    u.id, u.account, u.storeId, u.fileName, u.blobKey, u.status, u.contentLength ?? null, u.bytesReceived,
    u.md5 ?? null, u.statusMessage ?? null, u.jobId ?? null, u.creationTime, u.updateTime,
  ];
}

export function uploadFromRow(r: Row): UploadRecord {
  return {
    id: r.id,
    account: r.account,
    storeId: r.store_id,
    fileName: r.file_name,
    blobKey: r.blob_key,
    status: r.status,
    ...(r.content_length === null ? {} : { contentLength: Number(r.content_length) }),
    bytesReceived: Number(r.bytes_received),
    ...(r.md5 === null ? {} : { md5: r.md5 }),
    ...(r.status_message === null ? {} : { statusMessage: r.status_message }),
    ...(r.job_id === null ? {} : { jobId: r.job_id }),
    creationTime: Number(r.creation_time),
    updateTime: Number(r.update_time),
  };
}
