// The HTTP face of a process: a fastify root that registers each API as an encapsulated plugin,
// emits one "request" event per answered request (the access log and the metrics hang off it),
// and closes cleanly. Adding an API is one folder under src/api/ and one register() line here.

import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import Fastify, { LogController } from "fastify";
import type { Logger } from "pino";
import { awsApi, MAX_BODY_BYTES } from "../api/aws/plugin.js";
import { bearerTokenMap, ga4ghApi } from "../api/ga4gh/plugin.js";
import type { CredentialLookup } from "../api/auth/sigv4.js";
import { opsApi, type OpsOptions } from "../api/ops/plugin.js";
import { consoleUi } from "../api/console/plugin.js";
import "../api/request-info.js";
import type { Credential, Ga4ghAccess } from "../config.js";
import type { Service } from "../service/index.js";

/** One answered request, as the access log and the metrics see it. */
export interface RequestDone {
  requestId: string;
  api: string;
  /** AWS operation, or the route template of other APIs; undefined when nothing matched */
  operation?: string;
  method: string;
  status: number;
  seconds: number;
  account?: string;
}

export interface HttpOptions {
  log: Logger;
  /** the domain, for the APIs (absent on a worker-only process: it serves ops routes only) */
  service?: Service;
  credentials: Credential[];
  region: string;
  ops: OpsOptions;
  /** serve the web console at /console/ (with the APIs only) */
  console?: boolean;
  /** REFSTORE_GA4GH_ACCESS (default open) */
  ga4ghAccess?: Ga4ghAccess;
}

export function credentialLookup(credentials: Credential[]): CredentialLookup {
  const byKey = new Map(credentials.map((c) => [c.accessKeyId, c]));
  return (accessKeyId) => {
    const c = byKey.get(accessKeyId);
    return c && { secretAccessKey: c.secretAccessKey, accountId: c.accountId };
  };
}

export async function buildHttp(opts: HttpOptions) {
  const log = opts.log.child({ component: "http" });
  const app = Fastify({
    loggerInstance: log,
    // the access log below replaces fastify's two lines per request
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: 65536 },
    genReqId: () => randomUUID(),
    return503OnClosing: false,
  });
  app.decorateRequest("info", null);

  const events = new EventEmitter<{ request: [RequestDone] }>();
  app.addHook("onResponse", async (req, reply) => {
    if (events.listenerCount("request") === 0) return;
    const info = req.info;
    events.emit("request", {
      requestId: req.id,
      api: info?.api ?? "none",
      operation: info?.operation ?? req.routeOptions.url,
      method: req.method,
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
      account: info?.account,
    });
  });
  // The access log: one line per request at info, with (as fastify's reqId binding) the request
  // id — for AWS the x-amzn-RequestId the client got.
  if (log.isLevelEnabled("info"))
    events.on("request", (e) =>
      log.info(
        {
          reqId: e.requestId,
          api: e.api,
          operation: e.operation,
          method: e.method,
          status: e.status,
          ms: Math.round(e.seconds * 100_000) / 100,
          account: e.account,
        },
        "request",
      ),
    );

  await app.register(opsApi, opts.ops);
  if (opts.service) {
    const credentials = credentialLookup(opts.credentials);
    const ga4ghAccess = opts.ga4ghAccess ?? "open";
    await app.register(awsApi, { service: opts.service, credentials, region: opts.region, ga4ghAccess });
    if (ga4ghAccess !== "off")
      await app.register(ga4ghApi, {
        service: opts.service,
        access: ga4ghAccess,
        bearerTokens: bearerTokenMap(opts.credentials),
        credentials,
        version: VERSION,
      });
    if (opts.console) await app.register(consoleUi, { prefix: "/console" });
  }
  return { app, events };
}

/** refstore's version (service-info), from package.json */
const VERSION: string = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version;

export type HttpApp = Awaited<ReturnType<typeof buildHttp>>["app"];
