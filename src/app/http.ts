// The HTTP face of a process: a fastify root that registers each API as an encapsulated plugin,
// writes one access-log line per request, and closes cleanly. Adding an API is one folder under
// src/api/ and one register() line here.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import Fastify, { LogController } from "fastify";
import type { Logger } from "pino";
import { awsApi, MAX_BODY_BYTES } from "../api/aws/plugin.js";
import { bearerTokenMap, ga4ghApi } from "../api/ga4gh/plugin.js";
import type { CredentialLookup } from "../api/aws/sigv4.js";
import "../api/request-info.js";
import type { Credential, Ga4ghAccess } from "../config.js";
import type { Service } from "../service/index.js";

export interface HttpOptions {
  service: Service;
  credentials: Credential[];
  region: string;
  log: Logger;
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

  // One line per request, at info: operation or route, status, milliseconds, account, and (as
  // fastify's reqId binding) the request id — for AWS the x-amzn-RequestId the client got.
  app.addHook("onResponse", async (req, reply) => {
    if (!log.isLevelEnabled("info")) return;
    const info = req.info;
    req.log.info(
      {
        api: info?.api,
        operation: info?.operation ?? req.routeOptions.url,
        method: req.method,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        account: info?.account,
      },
      "request",
    );
  });

  await app.register(awsApi, { service: opts.service, credentials: credentialLookup(opts.credentials), region: opts.region });
  const ga4ghAccess = opts.ga4ghAccess ?? "open";
  if (ga4ghAccess !== "off") await app.register(ga4ghApi, { service: opts.service, access: ga4ghAccess, bearerTokens: bearerTokenMap(opts.credentials), version: VERSION });
  return app;
}

/** refstore's version (service-info), from package.json */
const VERSION: string = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version;

export type HttpApp = Awaited<ReturnType<typeof buildHttp>>;
