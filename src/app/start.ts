// The refstore process: an HTTP API (fastify) and/or an import worker, over one catalog and one
// blob store. `role` says which parts run: api, worker or all (the embedded default).
//
// Every request goes through the same pipeline, all of it driven by the AWS model:
//   route (raw path) → SigV4 → parse + validate → service handler → serialise.

import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from "fastify";
import pino, { type Logger } from "pino";
import { blobStoreFromUrl, parseBucketMounts, S3SourceReader } from "../blobs/index.js";
import type { BlobStore } from "../blobs/types.js";
import { openCatalog } from "../catalog/index.js";
import type { Catalog } from "../catalog/types.js";
import type { Config, Credential } from "../config.js";
import { ImportWorker } from "../jobs/worker.js";
import { ServiceError } from "../api/aws/errors.js";
import { parseRequest } from "../api/aws/parse.js";
import { route } from "../api/aws/router.js";
import { serializeError, serializeOutput } from "../api/aws/serialize.js";
import { verifySigV4 } from "../api/aws/sigv4.js";
import { Clock, type Handler } from "../service/context.js";
import { createService } from "../service/index.js";

export const MAX_BODY_BYTES = 1024 * 1024;

export interface Refstore {
  config: Config;
  catalog: Catalog;
  blobs: BlobStore;
  app?: ReturnType<typeof buildApp>;
  worker?: ImportWorker;
  /** base URL of the HTTP API (role api/all), e.g. http://127.0.0.1:8470 */
  url?: string;
  log: Logger;
  close(): Promise<void>;
}

export async function startRefstore(config: Config, log?: Logger): Promise<Refstore> {
  const logger = log ?? pino({ level: config.logLevel });
  if (config.usingDevCredentials)
    logger.warn(
      { accessKeyId: config.credentials[0].accessKeyId },
      "using the built-in development credentials: set REFSTORE_ACCESS_KEY_ID / REFSTORE_SECRET_ACCESS_KEY (or REFSTORE_CREDENTIALS_FILE) for anything but local use",
    );
  mkdirSync(config.dataDir, { recursive: true });
  const catalog = await openCatalog({
    databaseUrl: config.databaseUrl,
    sqlitePath: join(config.dataDir, "catalog.sqlite"),
    poolSize: config.databasePoolSize,
  });
  const blobs = blobStoreFromUrl(config.blobUrl, config.dataDir, config.s3, {
    onWarning: (message, err) => logger.warn({ err }, message),
  });
  await blobs.sweepIncomplete();
  const clock = new Clock();

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
    const sources = new S3SourceReader({ mounts: parseBucketMounts(config.bucketMounts), s3: config.s3 });
    const worker = new ImportWorker(
      { catalog, blobs, sources, maxReferenceBytes: config.maxReferenceBytes, now: () => clock.now() },
      {
        concurrency: config.importConcurrency,
        leaseMs: config.leaseSeconds * 1000,
        maxAttempts: config.maxAttempts,
        pollMs: config.pollMs,
        region: config.region,
        accountOfStore: (storeId) => catalog.accountOfStore(storeId),
        log: logger.child({ component: "worker" }),
      },
    );
    worker.start();
    refstore.worker = worker;
    closers.push(async () => sources.close());
  }

  if (config.role === "api" || config.role === "all") {
    const service = createService({ catalog, blobs, config, clock });
    const app = buildApp(config, service, logger);
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = typeof addr === "object" && addr ? addr.port : config.port;
    refstore.app = app;
    refstore.url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
    logger.info({ url: refstore.url, role: config.role }, "refstore listening");
  }
  return refstore;
}

export function buildApp(config: Config, service: Record<string, Handler>, logger: Logger) {
  const credentials = new Map<string, Credential>(config.credentials.map((c) => [c.accessKeyId, c]));
  const lookup = (akid: string) => {
    const c = credentials.get(akid);
    return c && { secretAccessKey: c.secretAccessKey, accountId: c.accountId };
  };

  const app = Fastify({
    loggerInstance: logger.child({ component: "http" }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: 65536 },
    genReqId: () => randomUUID(),
    return503OnClosing: false,
  });

  // Raw bytes for every body: SigV4 needs them, and the protocol layer parses JSON itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));

  const sendError = (reply: FastifyReply, err: unknown) => {
    const out = serializeError(err);
    if (out.status >= 500) reply.log.error({ err }, "internal error");
    reply.code(out.status).headers(out.headers).send(out.body);
  };

  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-amzn-RequestId", req.id);
    reply.header("date", new Date().toUTCString());
  });

  app.setErrorHandler((err: any, _req, reply) => {
    // fastify's own errors: body too large, bad URL, …
    if (err instanceof ServiceError) return sendError(reply, err);
    if (err?.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      return sendError(reply, new ServiceError("PayloadTooLargeException", `Request body is larger than ${MAX_BODY_BYTES} bytes`));
    if (typeof err?.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500)
      return sendError(reply, new ServiceError("ValidationException", String(err.message ?? "bad request")));
    return sendError(reply, err);
  });
  app.setNotFoundHandler((req, reply) => handle(req, reply));

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const rawUrl = req.raw.url ?? "/";
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const identity = await verifySigV4(
        { method: req.method, url: rawUrl, headers: req.headers },
        body,
        lookup,
        new Date(),
      );
      const q = rawUrl.indexOf("?");
      const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
      const rawQuery = q < 0 ? "" : rawUrl.slice(q + 1);
      const { operation, labels } = route(req.method, path);
      const input = parseRequest(operation, labels, rawQuery, req.headers, body);
      const handler = service[operation];
      if (!handler) throw new ServiceError("UnknownOperationException", `Operation ${operation} is not supported`);
      const output = await handler({ accountId: identity.accountId, region: config.region }, input);
      const out = serializeOutput(operation, output);
      reply.code(out.status).headers(out.headers);
      if (out.body === undefined) return reply.send();
      return reply.send(out.body as Buffer | string | Readable);
    } catch (err) {
      return sendError(reply, err);
    }
  };

  app.route({ method: ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"], url: "/*", handler: handle });
  return app;
}
