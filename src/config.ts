// All settings come from the environment (REFSTORE_*), read once here. Every setting is listed in
// README.md ("Settings"); keep that table in step with this file.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { s3OptionsFromEnv } from "./blobs/sources.js";

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
}

export type Role = "api" | "worker" | "all";

export interface Config {
  host: string;
  port: number;
  role: Role;
  region: string;
  dataDir: string;
  /** postgres://… switches the catalog to PostgreSQL; otherwise SQLite in dataDir */
  databaseUrl?: string;
  /** PostgreSQL connections per process (the LISTEN connection comes on top) */
  databasePoolSize: number;
  /** s3://bucket/prefix switches blobs to S3; otherwise local disk in dataDir */
  blobUrl?: string;
  credentials: Credential[];
  /** true when the built-in development credentials are in use (a warning is logged) */
  usingDevCredentials: boolean;
  /** key for the HMAC that makes nextToken tamper-proof */
  tokenSecret: string;
  s3: {
    endpoint?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    sessionToken?: string;
    region: string;
  };
  bucketMounts: string | undefined;
  importConcurrency: number;
  leaseSeconds: number;
  /** on SIGTERM/SIGINT, how long running imports may go on before they are aborted and given back */
  stopGraceSeconds: number;
  /** claims of an import job whose worker died (crash, lost lease) before it is given up */
  maxAttempts: number;
  maxStoresPerAccount?: number;
  maxReferenceBytes: number;
  /** GetReference part size; 100 MiB as in AWS. Settable for tests only. */
  partSize: number;
  logLevel: string;
  /** pretty (coloured lines, for a terminal) or json (one object per line); default: pretty on a terminal */
  logFormat?: "json" | "pretty";
  /** how often an idle worker looks for work when no notification arrives (ms) */
  pollMs: number;
  /** GET /metrics (REFSTORE_METRICS=off removes it) */
  metrics: boolean;
}

export const DEV_CREDENTIAL: Credential = {
  accessKeyId: "AKIDREFSTOREDEV",
  secretAccessKey: "refstore-dev-secret",
  accountId: "123456789012",
};

const int = (name: string, v: string | undefined, def: number, min = 0): number => {
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${v}"`);
  return n;
};

const onOff = (name: string, v: string | undefined, def: boolean): boolean => {
  if (v === undefined || v === "") return def;
  if (v === "on") return true;
  if (v === "off") return false;
  throw new Error(`${name} must be on or off, got "${v}"`);
};

function readCredentials(env: NodeJS.ProcessEnv): { list: Credential[]; dev: boolean } {
  const list: Credential[] = [];
  if (env.REFSTORE_CREDENTIALS_FILE) {
    // JSON: [{"accessKeyId": "...", "secretAccessKey": "...", "accountId": "111122223333"}, ...]
    const raw = JSON.parse(readFileSync(env.REFSTORE_CREDENTIALS_FILE, "utf8")) as unknown;
    if (!Array.isArray(raw)) throw new Error("REFSTORE_CREDENTIALS_FILE must hold a JSON array");
    for (const c of raw as Record<string, unknown>[]) {
      const { accessKeyId, secretAccessKey, accountId } = c;
      if (typeof accessKeyId !== "string" || typeof secretAccessKey !== "string" || typeof accountId !== "string")
        throw new Error("each credential needs accessKeyId, secretAccessKey and accountId strings");
      if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits: ${accountId}`);
      list.push({ accessKeyId, secretAccessKey, accountId });
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

function s3Settings(env: NodeJS.ProcessEnv): Config["s3"] {
  const s3 = s3OptionsFromEnv(env);
  if (Boolean(s3.accessKeyId) !== Boolean(s3.secretAccessKey))
    throw new Error("set both REFSTORE_S3_ACCESS_KEY_ID and REFSTORE_S3_SECRET_ACCESS_KEY, or neither (the AWS credential chain)");
  if (s3.sessionToken && !s3.accessKeyId)
    throw new Error("REFSTORE_S3_SESSION_TOKEN needs REFSTORE_S3_ACCESS_KEY_ID and REFSTORE_S3_SECRET_ACCESS_KEY");
  return { ...s3, region: s3.region ?? "us-east-1" };
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
  const config: Config = {
    host: env.REFSTORE_HOST ?? "127.0.0.1",
    port: int("REFSTORE_PORT", env.REFSTORE_PORT, 8470),
    role,
    region: env.REFSTORE_REGION ?? "us-east-1",
    dataDir: resolve(env.REFSTORE_DATA_DIR ?? "./refstore-data"),
    databaseUrl: env.REFSTORE_DATABASE_URL || undefined,
    databasePoolSize: int("REFSTORE_DATABASE_POOL_SIZE", env.REFSTORE_DATABASE_POOL_SIZE, 10, 1),
    blobUrl: env.REFSTORE_BLOB_URL || undefined,
    credentials: creds.list,
    usingDevCredentials: creds.dev,
    // Every process of one deployment shares the same credentials, so a key derived from them
    // is shared too; REFSTORE_TOKEN_SECRET overrides it.
    tokenSecret: tokenSecret(env, creds.list),
    s3: s3Settings(env),
    bucketMounts: env.REFSTORE_BUCKET_MOUNTS || undefined,
    importConcurrency: int("REFSTORE_IMPORT_CONCURRENCY", env.REFSTORE_IMPORT_CONCURRENCY, 2, 1),
    leaseSeconds: int("REFSTORE_LEASE_SECONDS", env.REFSTORE_LEASE_SECONDS, 30, 1),
    stopGraceSeconds: int("REFSTORE_STOP_GRACE_SECONDS", env.REFSTORE_STOP_GRACE_SECONDS, 0, 0),
    maxAttempts: int("REFSTORE_MAX_ATTEMPTS", env.REFSTORE_MAX_ATTEMPTS, 3, 1),
    maxStoresPerAccount: maxStores ? int("REFSTORE_MAX_STORES_PER_ACCOUNT", maxStores, 0) : undefined,
    maxReferenceBytes: int("REFSTORE_MAX_REFERENCE_BYTES", env.REFSTORE_MAX_REFERENCE_BYTES, 64 * 2 ** 30, 1),
    partSize: int("REFSTORE_PART_SIZE", env.REFSTORE_PART_SIZE, 104857600, 1),
    logLevel: env.REFSTORE_LOG_LEVEL ?? "info",
    logFormat: logFormat(env.REFSTORE_LOG_FORMAT),
    pollMs: int("REFSTORE_POLL_MS", env.REFSTORE_POLL_MS, 100, 1),
    metrics: onOff("REFSTORE_METRICS", env.REFSTORE_METRICS, true),
  };
  return { ...config, ...overrides };
}
