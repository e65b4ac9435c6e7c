// One refstore process: the HTTP APIs (app/http.ts) and/or an import worker, over one catalog
// and one blob store. `role` says which parts run: api, worker or all (the embedded default).

import { mkdirSync, statSync } from "node:fs";
import type { Logger } from "pino";
import { openBlobStore, S3SourceReader } from "../blobs/index.js";
import type { BlobStore } from "../blobs/types.js";
import { openCatalog } from "../catalog/index.js";
import type { Catalog } from "../catalog/types.js";
import type { Config } from "../config.js";
import { md5Engine } from "../fasta/ingest.js";
import { ImportWorker } from "../jobs/worker.js";
import { Clock, createService } from "../service/index.js";
import { buildHttp, type HttpApp } from "./http.js";
import { createLogger } from "./log.js";
import { Metrics } from "./metrics.js";

export interface Refstore {
  config: Config;
  catalog: Catalog;
  blobs: BlobStore;
  app?: HttpApp;
  worker?: ImportWorker;
  /** base URL of the process's HTTP listener (APIs on roles api/all; /health, /ready, /metrics on all), e.g. http://127.0.0.1:8470 */
  url?: string;
  log: Logger;
  close(): Promise<void>;
}

export async function startRefstore(config: Config, log?: Logger): Promise<Refstore> {
  const logger = log ?? createLogger(config);
  if (config.usingDevCredentials)
    logger.warn(
      { accessKeyId: config.credentials[0].accessKeyId },
      "using the built-in development credentials: set REFSTORE_ACCESS_KEY_ID / REFSTORE_SECRET_ACCESS_KEY (or REFSTORE_CREDENTIALS_FILE) for anything but local use",
    );
  const engine = md5Engine();
  logger.info({ md5: engine.kind, reason: engine.reason }, "digest engine");
  mkdirSync(config.dataDir, { recursive: true });
  const catalog = await openCatalog({ database: config.database, poolSize: config.databasePoolSize });
  const blobs = openBlobStore(config.blobs, config.s3, {
    onWarning: (message, err) => logger.warn({ err }, message),
  });
  const clock = new Clock();
  await blobs.sweepIncomplete({ pendingKeys: () => catalog.pendingBlobKeys(), now: () => clock.now() });

  const closers: (() => Promise<void>)[] = [];
  const refstore: Refstore = {
    config,
    catalog,
    blobs,
    log: logger,
    async close() {
      await refstore.app?.close();
      await refstore.worker?.stop(config.stopGraceSeconds * 1000);
      for (const close of closers) await close();
      await blobs.close();
      await catalog.close();
    },
  };

  if (config.role === "worker" || config.role === "all") {
    logMounts(logger, config.bucketMounts);
    const sources = new S3SourceReader({ mounts: config.bucketMounts, s3: config.s3 });
    const worker = new ImportWorker(
      {
        catalog,
        blobs,
        sources,
        maxReferenceBytes: config.maxReferenceBytes,
        now: () => clock.now(),
        storageRetryMs: config.storageRetrySeconds * 1000,
        uploadTimeoutMs: config.uploadTimeoutSeconds * 1000,
      },
      {
        concurrency: config.importConcurrency,
        leaseMs: config.leaseSeconds * 1000,
        maxAttempts: config.maxAttempts,
        pollMs: config.pollMs,
        log: logger.child({ component: "worker" }),
      },
    );
    worker.start();
    refstore.worker = worker;
    closers.push(async () => sources.close());
  }

  const metrics = config.metrics ? new Metrics(catalog) : undefined;
  if (metrics && refstore.worker) metrics.watchWorker(refstore.worker);

  // Every role listens: API roles serve the APIs, and every process serves /health, /ready and
  // /metrics (a worker-only process serves nothing else).
  const serveApi = config.role === "api" || config.role === "all";
  const service = serveApi
    ? createService({
        catalog,
        blobs,
        clock,
        settings: {
          maxStoresPerAccount: config.maxStoresPerAccount,
          partSize: config.partSize,
          tokenSecret: config.tokenSecret,
          maxUploadBytes: config.maxUploadBytes,
        },
      })
    : undefined;
  const { app, events } = await buildHttp({
    log: logger,
    service,
    credentials: config.credentials,
    region: config.region,
    console: config.console,
    ga4ghAccess: config.ga4ghAccess,
    ops: {
      checks: { catalog: () => catalog.checkReady(), blobs: () => blobs.checkReady() },
      metrics: metrics && { contentType: metrics.contentType, text: () => metrics.text() },
    },
  });
  if (metrics) events.on("request", (e) => metrics.observeRequest(e));
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  refstore.app = app;
  refstore.url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url: refstore.url, role: config.role }, "refstore listening");
  return refstore;
}

/** What a newcomer needs to see at start: which buckets are local directories, and which of those are missing. */
function logMounts(log: Logger, mounts: Map<string, string>): void {
  if (mounts.size > 0) log.info({ bucketMounts: Object.fromEntries(mounts) }, "bucket mounts: s3://BUCKET/KEY is read from DIR/KEY");
  else log.info("no bucket mounts: s3:// sources are read through the S3 API (REFSTORE_BUCKET_MOUNTS=bucket=/dir to read a local directory)");
  for (const [bucket, dir] of mounts) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // missing: warned below
    }
    if (!isDir) log.warn({ bucket, dir }, `bucket mount ${bucket}: ${dir} is not a directory, so s3://${bucket}/… sources will fail`);
  }
}
