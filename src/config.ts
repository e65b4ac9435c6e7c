// All settings come from the environment (REFSTORE_*), read once here. Every setting is listed in
// README.md ("Settings"); keep that table in step with this file.

import { readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /** tokens that stand for this credential's account on the GA4GH routes (Authorization: Bearer) */
  bearerTokens?: string[];
}

/** Who may use the GA4GH read routes (refget, seqcol, /files): see api/ga4gh/plugin.ts. */
export type Ga4ghAccess = "open" | "signed" | "off";

export type Role = "api" | "worker" | "all";

/** Where the catalog lives (REFSTORE_DATABASE_URL). */
export type DatabaseLocation = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

/** Where SOURCE and INDEX bytes live (REFSTORE_BLOB_URL). */
export type BlobLocation = { kind: "disk"; dir: string } | { kind: "s3"; bucket: string; prefix: string };

/** REFSTORE_S3_*: the S3 API that import sources (and S3 blobs) are read through. */
export interface S3Settings {
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region: string;
}

export interface Config {
  host: string;
  port: number;
  role: Role;
  region: string;
  dataDir: string;
  /** REFSTORE_DATABASE_URL: postgres://… (PostgreSQL) or sqlite:<path>; unset, SQLite in dataDir */
  database: DatabaseLocation;
  /** PostgreSQL connections per process (the LISTEN connection comes on top) */
  databasePoolSize: number;
  /** REFSTORE_BLOB_URL: s3://bucket/prefix (S3) or file:///dir; unset, local disk in dataDir */
  blobs: BlobLocation;
  credentials: Credential[];
  /** true when the built-in development credentials are in use (a warning is logged) */
  usingDevCredentials: boolean;
  /** key for the HMAC that makes nextToken tamper-proof */
  tokenSecret: string;
  s3: S3Settings;
  /** REFSTORE_BUCKET_MOUNTS: bucket → local directory that mirrors it */
  bucketMounts: Map<string, string>;
  importConcurrency: number;
  leaseSeconds: number;
  /** on SIGTERM/SIGINT, how long running imports may go on before they are aborted and given back */
  stopGraceSeconds: number;
  /** claims of an import job whose worker died (crash, lost lease) before it is given up */
  maxAttempts: number;
  /** how long a source is read again after transient storage faults before it fails (REFSTORE_STORAGE_RETRY_SECONDS) */
  storageRetrySeconds: number;
  maxStoresPerAccount?: number;
  maxReferenceBytes: number;
  /** REFSTORE_MAX_UPLOAD_BYTES: the largest local file the upload extension accepts */
  maxUploadBytes: number;
  /** REFSTORE_UPLOAD_TIMEOUT_SECONDS: an upload that receives nothing this long fails its source */
  uploadTimeoutSeconds: number;
  /** GetReference part size; 100 MiB as in AWS. Settable for tests only. */
  partSize: number;
  logLevel: string;
  /** pretty (coloured lines, for a terminal) or json (one object per line); default: pretty on a terminal */
  logFormat?: "json" | "pretty";
  /** how often an idle worker looks for work when no notification arrives (ms) */
  pollMs: number;
  /** GET /metrics (REFSTORE_METRICS=off removes it) */
  metrics: boolean;
  /** serve the web console at /console/ (REFSTORE_CONSOLE=off removes it) */
  console: boolean;
  /** REFSTORE_GA4GH_ACCESS: open (default), signed or off */
  ga4ghAccess: Ga4ghAccess;
}

export const DEV_CREDENTIAL: Credential = {
  accessKeyId: "AKIDREFSTOREDEV",
  secretAccessKey: "refstore-dev-secret",
  accountId: "123456789012",
};

const onOff = (name: string, v: string | undefined, def: boolean): boolean => {
  if (v === undefined || v === "") return def;
  if (v === "on") return true;
  if (v === "off") return false;
  throw new Error(`${name} must be on or off, got "${v}"`);
};

const int = (name: string, v: string | undefined, def: number, min = 0): number => {
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${v}"`);
  return n;
};

function readCredentials(env: NodeJS.ProcessEnv): { list: Credential[]; dev: boolean } {
  const list: Credential[] = [];
  if (env.REFSTORE_CREDENTIALS_FILE) {
    // JSON: [{"accessKeyId": "...", "secretAccessKey": "...", "accountId": "111122223333"}, ...]
    const raw = JSON.parse(readFileSync(env.REFSTORE_CREDENTIALS_FILE, "utf8")) as unknown;
    if (!Array.isArray(raw)) throw new Error("REFSTORE_CREDENTIALS_FILE must hold a JSON array");
    for (const c of raw as Record<string, unknown>[]) {
      const { accessKeyId, secretAccessKey, accountId, bearerTokens } = c;
      if (typeof accessKeyId !== "string" || typeof secretAccessKey !== "string" || typeof accountId !== "string")
        throw new Error("each credential needs accessKeyId, secretAccessKey and accountId strings");
      if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits: ${accountId}`);
      // a guessable token would open an account's references to anyone who reaches the port
      if (bearerTokens !== undefined && (!Array.isArray(bearerTokens) || bearerTokens.some((t) => typeof t !== "string" || !/^[\x21-\x7e]{16,}$/.test(t))))
        throw new Error(`bearerTokens of ${accessKeyId} must be a list of strings of 16 or more printable characters`);
      list.push({ accessKeyId, secretAccessKey, accountId, ...(bearerTokens ? { bearerTokens: bearerTokens as string[] } : {}) });
    }
  }
  if (env.REFSTORE_ACCESS_KEY_ID || env.REFSTORE_SECRET_ACCESS_KEY) {
    if (!env.REFSTORE_ACCESS_KEY_ID || !env.REFSTORE_SECRET_ACCESS_KEY)
      throw new Error("set both REFSTORE_ACCESS_KEY_ID and REFSTORE_SECRET_ACCESS_KEY");
    const accountId = env.REFSTORE_ACCOUNT_ID ?? DEV_CREDENTIAL.accountId;
    if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`REFSTORE_ACCOUNT_ID must be 12 digits: ${accountId}`);
    list.push({ accessKeyId: env.REFSTORE_ACCESS_KEY_ID, secretAccessKey: env.REFSTORE_SECRET_ACCESS_KEY, accountId });
  }
  if (list.length === 0) return { list: [{ ...DEV_CREDENTIAL, accountId: env.REFSTORE_ACCOUNT_ID ?? DEV_CREDENTIAL.accountId }], dev: true };
  return { list, dev: false };
}

function tokenSecret(env: NodeJS.ProcessEnv, credentials: Credential[]): string {
  const set = env.REFSTORE_TOKEN_SECRET;
  if (set !== undefined) {
    // an empty key would make every nextToken forgeable
    if (set.trim() === "") throw new Error("REFSTORE_TOKEN_SECRET is set but empty: unset it, or set a random value");
    return set;
  }
  // Every process of one deployment shares the same credentials, so a key derived from them
  // is shared too (until the credentials change: deployments should set the secret).
  return "derived:" + credentials.map((c) => c.accessKeyId + ":" + c.secretAccessKey).sort().join("|");
}

function ga4ghAccess(v: string | undefined): Ga4ghAccess {
  if (v === undefined || v === "") return "open";
  if (v !== "open" && v !== "signed" && v !== "off") throw new Error(`REFSTORE_GA4GH_ACCESS must be open, signed or off, got "${v}"`);
  return v;
}

function s3Settings(env: NodeJS.ProcessEnv): S3Settings {
  const v = (name: string) => env[name]?.trim() || undefined;
  const s3 = {
    endpoint: v("REFSTORE_S3_ENDPOINT"),
    accessKeyId: v("REFSTORE_S3_ACCESS_KEY_ID"),
    secretAccessKey: v("REFSTORE_S3_SECRET_ACCESS_KEY"),
    sessionToken: v("REFSTORE_S3_SESSION_TOKEN"),
    region: v("REFSTORE_S3_REGION") ?? "us-east-1",
  };
  if (Boolean(s3.accessKeyId) !== Boolean(s3.secretAccessKey))
    throw new Error("set both REFSTORE_S3_ACCESS_KEY_ID and REFSTORE_S3_SECRET_ACCESS_KEY, or neither (the AWS credential chain)");
  if (s3.sessionToken && !s3.accessKeyId)
    throw new Error("REFSTORE_S3_SESSION_TOKEN needs REFSTORE_S3_ACCESS_KEY_ID and REFSTORE_S3_SECRET_ACCESS_KEY");
  return s3;
}

/** REFSTORE_DATABASE_URL: postgres:// or postgresql:// → PostgreSQL; sqlite:<path> → that SQLite file. */
export function parseDatabaseUrl(value: string | undefined, dataDir: string): DatabaseLocation {
  const url = value?.trim();
  if (!url) return { kind: "sqlite", path: join(dataDir, "catalog.sqlite") };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: "postgres", url };
  // sqlite:///abs/file names /abs/file; sqlite:rel/file and sqlite::memory: are taken as written
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path) return { kind: "sqlite", path };
  }
  throw new Error(
    `REFSTORE_DATABASE_URL must be postgres://…, postgresql://… or sqlite:<path>, not ${JSON.stringify(url.split(":")[0] + ":…")}`,
  );
}

/** REFSTORE_BLOB_URL: s3://bucket[/prefix] → S3; file:///dir → that directory. */
export function parseBlobUrl(value: string | undefined, dataDir: string): BlobLocation {
  const url = value?.trim();
  if (!url) return { kind: "disk", dir: join(dataDir, "blobs") };
  if (url.startsWith("file://")) {
    let dir: string | undefined;
    try {
      dir = decodeURIComponent(new URL(url).pathname);
    } catch {
      dir = undefined;
    }
    if (dir && dir !== "/" && isAbsolute(dir)) return { kind: "disk", dir };
    throw new Error(`REFSTORE_BLOB_URL: ${JSON.stringify(url)} names no directory (file:///absolute/dir)`);
  }
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) throw new Error(`REFSTORE_BLOB_URL must be s3://bucket/prefix or file:///dir, not ${JSON.stringify(url)}`);
  return { kind: "s3", bucket: m[1], prefix: m[2] ?? "" };
}

/**
 * REFSTORE_BUCKET_MOUNTS: "bucket=/dir,other=/dir2" (whitespace around items ignored, empty items
 * skipped). Directories must be absolute. Throws on malformed input or duplicates.
 */
export function parseBucketMounts(value: string | undefined): Map<string, string> {
  const mounts = new Map<string, string>();
  if (!value) return mounts;
  for (const raw of value.split(",")) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf("=");
    if (eq <= 0) throw new Error(`REFSTORE_BUCKET_MOUNTS: expected bucket=/dir, got ${JSON.stringify(item)}`);
    const bucket = item.slice(0, eq).trim();
    const dir = item.slice(eq + 1).trim();
    if (!bucket || bucket.includes("/")) throw new Error(`REFSTORE_BUCKET_MOUNTS: bad bucket name ${JSON.stringify(bucket)}`);
    if (!dir || !isAbsolute(dir)) throw new Error(`REFSTORE_BUCKET_MOUNTS: directory for ${bucket} must be absolute`);
    if (mounts.has(bucket)) throw new Error(`REFSTORE_BUCKET_MOUNTS: bucket ${bucket} listed twice`);
    mounts.set(bucket, resolve(dir));
  }
  return mounts;
}

function logFormat(v: string | undefined): Config["logFormat"] {
  if (v === undefined || v === "") return undefined;
  if (v !== "json" && v !== "pretty") throw new Error(`REFSTORE_LOG_FORMAT must be json or pretty, got "${v}"`);
  return v;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const creds = readCredentials(env);
  const role = (env.REFSTORE_ROLE ?? "all") as Role;
  if (!["api", "worker", "all"].includes(role)) throw new Error(`REFSTORE_ROLE must be api, worker or all`);
  const maxStores = env.REFSTORE_MAX_STORES_PER_ACCOUNT;
  // the default catalog and blob locations are inside the data dir, also when it is overridden
  const dataDir = overrides.dataDir ?? resolve(env.REFSTORE_DATA_DIR ?? "./refstore-data");
  const config: Config = {
    host: env.REFSTORE_HOST ?? "127.0.0.1",
    port: int("REFSTORE_PORT", env.REFSTORE_PORT, 8470),
    role,
    region: env.REFSTORE_REGION ?? "us-east-1",
    dataDir,
    database: parseDatabaseUrl(env.REFSTORE_DATABASE_URL, dataDir),
    databasePoolSize: int("REFSTORE_DATABASE_POOL_SIZE", env.REFSTORE_DATABASE_POOL_SIZE, 10, 1),
    blobs: parseBlobUrl(env.REFSTORE_BLOB_URL, dataDir),
    credentials: creds.list,
    usingDevCredentials: creds.dev,
    // Every process of one deployment shares the same credentials, so a key derived from them
    // is shared too; REFSTORE_TOKEN_SECRET overrides it.
    tokenSecret: tokenSecret(env, creds.list),
    s3: s3Settings(env),
    bucketMounts: parseBucketMounts(env.REFSTORE_BUCKET_MOUNTS),
    importConcurrency: int("REFSTORE_IMPORT_CONCURRENCY", env.REFSTORE_IMPORT_CONCURRENCY, 2, 1),
    leaseSeconds: int("REFSTORE_LEASE_SECONDS", env.REFSTORE_LEASE_SECONDS, 30, 1),
    stopGraceSeconds: int("REFSTORE_STOP_GRACE_SECONDS", env.REFSTORE_STOP_GRACE_SECONDS, 0, 0),
    maxAttempts: int("REFSTORE_MAX_ATTEMPTS", env.REFSTORE_MAX_ATTEMPTS, 3, 1),
    storageRetrySeconds: int("REFSTORE_STORAGE_RETRY_SECONDS", env.REFSTORE_STORAGE_RETRY_SECONDS, 300, 0),
    maxStoresPerAccount: maxStores ? int("REFSTORE_MAX_STORES_PER_ACCOUNT", maxStores, 0) : undefined,
    maxReferenceBytes: int("REFSTORE_MAX_REFERENCE_BYTES", env.REFSTORE_MAX_REFERENCE_BYTES, 64 * 2 ** 30, 1),
    maxUploadBytes: int("REFSTORE_MAX_UPLOAD_BYTES", env.REFSTORE_MAX_UPLOAD_BYTES, 64 * 2 ** 30, 1),
    uploadTimeoutSeconds: int("REFSTORE_UPLOAD_TIMEOUT_SECONDS", env.REFSTORE_UPLOAD_TIMEOUT_SECONDS, 600, 1),
    partSize: int("REFSTORE_PART_SIZE", env.REFSTORE_PART_SIZE, 104857600, 1),
    logLevel: env.REFSTORE_LOG_LEVEL ?? "info",
    logFormat: logFormat(env.REFSTORE_LOG_FORMAT),
    pollMs: int("REFSTORE_POLL_MS", env.REFSTORE_POLL_MS, 100, 1),
    metrics: onOff("REFSTORE_METRICS", env.REFSTORE_METRICS, true),
    console: onOff("REFSTORE_CONSOLE", env.REFSTORE_CONSOLE, true),
    ga4ghAccess: ga4ghAccess(env.REFSTORE_GA4GH_ACCESS),
  };
  return { ...config, ...overrides };
}
