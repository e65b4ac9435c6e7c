// The AWS HealthOmics reference-store API as one encapsulated fastify plugin. Every request goes
// through the same pipeline, all of it driven by the model:
//   route (raw path) → SigV4 → parse + validate → handler (service) → serialise.
// The plugin keeps raw bodies (SigV4 needs the bytes; parse.ts reads JSON itself), answers its
// own errors and unknown paths in AWS form, and claims only the paths its model's URI templates
// start with, so requests under another API's prefix never reach it.

import type { Readable } from "node:stream";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Ga4ghAccess } from "../../config.js";
import type { Service } from "../../service/index.js";
import { toAwsError, AwsError } from "./errors.js";
import { awsHandlers, type AwsCall } from "./handlers.js";
import { model } from "./model.js";
import { parseRequest } from "./parse.js";
import { route } from "./router.js";
import { serializeError, serializeOutput } from "./serialize.js";
import { verifySigV4, type CredentialLookup } from "./sigv4.js";
import type { OperationName } from "./types.js";
import "../request-info.js";

/** Largest request body: the biggest modelled input (StartReferenceImportJob's 100 sources) is far below. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface AwsApiOptions {
  service: Service;
  /** access key id → secret + account */
  credentials: CredentialLookup;
  /** region of the ARNs this server issues */
  region: string;
  /** REFSTORE_GA4GH_ACCESS, which GetReferenceIdentifiers reports (default open) */
  ga4ghAccess?: Ga4ghAccess;
}

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] as const;

/** First path segments of the model's URI templates ("referencestore", "referencestores", "tags"). */
const ROOT_SEGMENTS = [...new Set(Object.values(model.operations).map((op) => op.http.requestUri.split(/[/?]/)[1]))];

export const awsApi: FastifyPluginAsync<AwsApiOptions> = async (app, opts) => {
  const handlers = awsHandlers(opts.service, opts.ga4ghAccess ?? "open");

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));

  app.addHook("onRequest", async (req, reply) => {
    req.info = { api: "aws" };
    reply.header("x-amzn-RequestId", req.id);
    reply.header("date", new Date().toUTCString());
  });

  const sendError = (reply: FastifyReply, err: unknown) => {
    const out = serializeError(toAwsError(err));
    if (out.status >= 500) reply.log.error({ err }, "internal error");
    return reply.code(out.status).headers(out.headers).send(out.body);
  };

  // fastify's own errors (body too large, unreadable body) are the client's: serializeError words them
  app.setErrorHandler((err, _req, reply) => sendError(reply, err));

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const rawUrl = req.raw.url ?? "/";
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const identity = await verifySigV4({ method: req.method, url: rawUrl, headers: req.headers }, body, opts.credentials, new Date());
      req.info!.account = identity.accountId;
      const { operation, labels, rawQuery } = route(req.method, rawUrl);
      req.info!.operation = operation;
      const input = parseRequest(operation, labels, rawQuery, req.headers, body);
      const handler = handlers[operation as OperationName] as ((call: AwsCall, input: unknown) => Promise<object>) | undefined;
      if (!handler) throw new AwsError("UnknownOperationException", `Operation ${operation} is not supported`);
      const call: AwsCall = { caller: { accountId: identity.accountId }, region: opts.region, extra: {} };
      const output = await handler(call, input);
      const out = serializeOutput(operation, output, call.extra);
      reply.code(out.status).headers(out.headers);
      if (out.body === undefined) return reply.send();
      return reply.send(out.body as Buffer | string | Readable);
    } catch (err) {
      return sendError(reply, err);
    }
  };

  for (const segment of ROOT_SEGMENTS) {
    app.route({ method: [...METHODS], url: `/${segment}`, handler: handle });
    app.route({ method: [...METHODS], url: `/${segment}/*`, handler: handle });
  }
  // the root is the AWS API's: any other path answers as AWS does (UnknownOperationException)
  app.setNotFoundHandler(handle);
};
