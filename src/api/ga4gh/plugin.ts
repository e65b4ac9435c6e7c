// The GA4GH read paths as one encapsulated fastify plugin (wire contract: docs/ga4gh.md, from
// ../shared/docs/GA4GH.md):
//   /ga4gh/refget/v2   refget sequences v2 (htslib REF_PATH, refget clients)
//   /ga4gh/seqcol/v1   sequence collections 1.0 (each reference is a collection)
//   /files/{referenceStoreId}/{referenceId}/{fileName}   SOURCE, .fai, .gzi, .dict over plain
//                      HTTP with Range (samtools faidx <url>, igv.js, GATK)
// Access (REFSTORE_GA4GH_ACCESS): `open` answers anyone who reaches the port; `signed` wants
// `Authorization: Bearer <token>` (tokens per credential in REFSTORE_CREDENTIALS_FILE) or a SigV4
// signature (header or presigned query, the AWS API's keys) and shows a caller only their
// account's references; `off` does not register this plugin at all.

import { createHash } from "node:crypto";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { AccountScope, Service } from "../../service/index.js";
import { DomainError, Invalid, NotFound, RangeNotSatisfiable } from "../../service/errors.js";
import { SEQCOL_ATTRIBUTES, SEQCOL_SCHEMA, type SeqcolAttribute } from "../../service/ga4gh.js";
import { resolveByteRange } from "../../service/ranges.js";
import { SigV4Failure, verifySigV4, type CredentialLookup, type SigV4FailureReason } from "../auth/sigv4.js";
import "../request-info.js";
import { FILES_PREFIX, REFGET_PREFIX, SEQCOL_PREFIX } from "../ga4gh-paths.js";

export type Ga4ghAccess = "open" | "signed";

export interface Ga4ghApiOptions {
  service: Service;
  access: Ga4ghAccess;
  /** bearer token → account (signed mode) */
  bearerTokens: Map<string, string>;
  /** access key → secret and account (SigV4, signed mode) */
  credentials: CredentialLookup;
  version: string;
}

// the prefixes GetReferenceIdentifiers hands out (api/ga4gh-paths.ts): one copy of each
const REFGET = REFGET_PREFIX;
const SEQCOL = SEQCOL_PREFIX;
export const SEQUENCE_TYPE = "text/vnd.ga4gh.refget.v2.0.0+plain";
export const REFGET_JSON_TYPE = "application/vnd.ga4gh.refget.v2.0.0+json";
const JSON_TYPE = "application/json";
/** Longest subsequence one request may ask for: none (they stream). */
const SUBSEQUENCE_LIMIT = null;
const MAX_PAGE_SIZE = 1000;

/** An answer with a status of its own (406, 501, 401) that is no domain error. */
class WireError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A refused signature as an HTTP status: no credentials at all, or a key nobody knows, is a 401
 * (as an unknown bearer token); a known key whose signature is wrong or whose presigned URL has
 * expired is a 403; an Authorization header or presign query that is no SigV4 at all is a 400.
 */
const SIGV4_STATUS: Record<SigV4FailureReason, number> = { missing: 401, "unknown-key": 401, malformed: 400, mismatch: 403, expired: 403 };
const PRESIGNED = /[?&]X-Amz-(?:Algorithm|Credential|Signature)=/;
/**
 * htslib finds a FASTA's index by appending `.fai` (`.gzi`) to the whole URL, query included: on
 * a presigned URL that lands on the signature. Such a request asks for the index of the signed
 * file, under the signature of the file's URL.
 */
const HTSLIB_INDEX_SUFFIX = /[?&]X-Amz-Signature=[0-9a-f]{64}(\.fai|\.gzi)$/;
/** The bytes a POST came with, for the signature's payload hash. */
const rawBodies = new WeakMap<object, Buffer>();
const NO_BODY = Buffer.alloc(0);

const tokenKey = (token: string) => createHash("sha256").update(token).digest("hex");

/** token → account, keyed by the token's SHA-256 (no string compare of secrets). */
export function bearerTokenMap(credentials: { accountId: string; bearerTokens?: string[] }[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const c of credentials) for (const t of c.bearerTokens ?? []) map.set(tokenKey(t), c.accountId);
  return map;
}

/**
 * Whether the Accept header lets us answer with one of `types` (media ranges; parameters such
 * as q ignored, except q=0). No header accepts anything. The routes call negotiate() below.
 */
export function accepts(header: string | undefined, types: string[]): boolean {
  if (header === undefined || header.trim() === "") return true;
  for (const part of header.split(",")) {
    const [range, ...params] = part.trim().toLowerCase().split(";").map((s) => s.trim());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) continue;
    if (range === "*/*") return true;
    for (const t of types) {
      if (range === t || (range.endsWith("/*") && t.startsWith(range.slice(0, -1)))) return true;
    }
  }
  return false;
}

/** `start`/`end` query values: absent, or a non-negative integer in decimal digits. */
function position(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^[0-9]{1,15}$/.test(v)) throw new Invalid(name, `${name} must be a non-negative integer`);
  return Number(v);
}

export const ga4ghApi: FastifyPluginAsync<Ga4ghApiOptions> = async (app, opts) => {
  const ga4gh = opts.service.ga4gh;

  app.addHook("onRequest", async (req, reply) => {
    req.info = { api: "ga4gh", operation: req.routeOptions.url };
    reply.header("access-control-allow-origin", "*");
    reply.header("access-control-expose-headers", "Content-Length, Content-Range, Accept-Ranges, ETag");
  });

  /** `signedUrl`: the URL the signature covers when it is not the request's own (see HTSLIB_INDEX_SUFFIX). */
  const scopeOf = async (req: FastifyRequest, signedUrl: string = req.url): Promise<AccountScope> => {
    if (opts.access === "open") return {};
    const auth = req.headers.authorization;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth ?? "");
    let account: string | undefined;
    if (bearer) account = opts.bearerTokens.get(tokenKey(bearer[1]));
    else if ((auth !== undefined && auth.trim() !== "") || PRESIGNED.test(signedUrl)) {
      try {
        const body = rawBodies.get(req.raw) ?? NO_BODY;
        account = (await verifySigV4({ method: req.method, url: signedUrl, headers: req.headers }, body, opts.credentials, new Date())).accountId;
      } catch (err) {
        if (err instanceof SigV4Failure) throw new WireError(SIGV4_STATUS[err.reason], err.message);
        throw err;
      }
    }
    if (!account) throw new WireError(401, "this server wants Authorization: Bearer <token>, or a SigV4 signature (header or presigned URL)");
    req.info!.account = account;
    return { account };
  };

  // the body's bytes are kept: a SigV4 signature covers them
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body: Buffer, done) => {
    rawBodies.set(req.raw, body);
    try {
      done(null, JSON.parse(body.toString("utf8")));
    } catch (err) {
      done(new Invalid("body", `the body is not JSON: ${(err as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    let status = 500;
    if (err instanceof WireError) status = err.status;
    else if (err instanceof DomainError)
      status = err instanceof NotFound ? 404 : err instanceof RangeNotSatisfiable ? 416 : err instanceof Invalid ? 400 : 409;
    else if (typeof (err as { statusCode?: unknown }).statusCode === "number" && (err as { statusCode: number }).statusCode < 500)
      status = (err as { statusCode: number }).statusCode; // fastify's own: unreadable JSON body, too large
    if (status >= 500) req.log.error({ err }, "internal error");
    if (status === 401) reply.header("www-authenticate", 'Bearer realm="refstore"');
    const message = status >= 500 ? "internal error" : (err as Error).message;
    return reply.code(status).header("content-type", JSON_TYPE).send(Buffer.from(JSON.stringify({ status_code: status, message })));
  });

  const sendJson = (reply: FastifyReply, type: string, body: unknown) => {
    // a Buffer: fastify would append "; charset=utf-8" to a JSON type given a string
    const bytes = Buffer.from(JSON.stringify(body));
    return reply.header("content-type", type).header("content-length", bytes.length).send(bytes);
  };
  /** 406 unless the Accept header admits `type` or its generic `alternative`. */
  const negotiate = (req: FastifyRequest, type: string, alternative: string) => {
    if (!accepts(req.headers.accept, [type, alternative])) throw new WireError(406, `only ${type} is served here`);
  };

  // CORS preflight (igv.js sends Range, signed callers Authorization)
  app.options("/ga4gh/*", async (_req, reply) => preflight(reply));
  app.options(`${FILES_PREFIX}/*`, async (_req, reply) => preflight(reply));
  const preflight = (reply: FastifyReply) =>
    reply
      .code(204)
      .header("access-control-allow-methods", "GET, HEAD, POST, OPTIONS")
      .header("access-control-allow-headers", "Range, Authorization, Content-Type")
      .header("access-control-max-age", "86400")
      .send();

  // --- refget sequences v2 ----------------------------------------------------------------------

  app.get(`${REFGET}/sequence/service-info`, async (req, reply) => {
    negotiate(req, REFGET_JSON_TYPE, JSON_TYPE);
    return sendJson(reply, REFGET_JSON_TYPE, {
      id: "org.refstore.refget",
      name: "refstore refget sequences",
      type: { group: "org.ga4gh", artifact: "refget-sequence", version: "2.0.0" },
      description: "Sequences of the references stored in refstore, by MD5 or ga4gh (SQ.) digest.",
      organization: { name: "refstore", url: "https://github.com/refstore/refstore" },
      version: opts.version,
      refget: {
        circular_supported: false,
        algorithms: ["md5", "ga4gh"],
        identifier_types: ["md5", "ga4gh"],
        subsequence_limit: SUBSEQUENCE_LIMIT,
      },
    });
  });

  app.get<{ Params: { id: string } }>(`${REFGET}/sequence/:id/metadata`, async (req, reply) => {
    negotiate(req, REFGET_JSON_TYPE, JSON_TYPE);
    const m = await ga4gh.sequenceMetadata(req.params.id, await scopeOf(req));
    return sendJson(reply, REFGET_JSON_TYPE, {
      metadata: {
        md5: m.md5,
        ga4gh: m.ga4gh,
        length: m.length,
        aliases: m.names.map((alias) => ({ alias, naming_authority: "unknown" })),
      },
    });
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(`${REFGET}/sequence/:id`, async (req, reply) => {
    negotiate(req, SEQUENCE_TYPE, "text/plain");
    const scope = await scopeOf(req);
    const start = position("start", req.query.start);
    const end = position("end", req.query.end);
    const range = req.headers.range;
    if (range !== undefined && (start !== undefined || end !== undefined))
      throw new Invalid("Range", "give either start/end or a Range header, not both");
    let partial = false;
    const { body, length, start: from, end: to } = await ga4gh.readSequence(req.params.id, scope, (length) => {
      if (range !== undefined) {
        const m = /^bytes=([0-9]+)-([0-9]+)$/.exec(range.trim());
        if (m && Number(m[1]) > Number(m[2])) throw new RangeNotSatisfiable(`Range "${range}": the first byte comes after the last`);
        if (!m) throw new Invalid("Range", `Range "${range}" must be bytes=first-last`);
        const r = resolveByteRange("Range", range, length, "the sequence");
        partial = true;
        return { start: r.start, end: r.end + 1 };
      }
      if (start !== undefined && start >= length) throw new RangeNotSatisfiable(`start ${start} is not below the length ${length}`);
      if (end !== undefined && end > length) throw new RangeNotSatisfiable(`end ${end} is past the length ${length}`);
      if ((start ?? 0) > (end ?? length)) throw new WireError(501, "start > end asks for a circular subsequence, which this server does not support");
      return { start: start ?? 0, end: end ?? length };
    });
    reply.code(partial ? 206 : 200).type(SEQUENCE_TYPE).header("content-length", to - from);
    if (partial) reply.header("content-range", `bytes ${from}-${to - 1}/${length}`).header("accept-ranges", "bytes");
    return reply.send(body);
  });

  // --- sequence collections 1.0 -------------------------------------------------------------

  app.get(`${SEQCOL}/service-info`, async (_req, reply) =>
    sendJson(reply, JSON_TYPE, {
      id: "org.refstore.seqcol",
      name: "refstore sequence collections",
      type: { group: "org.ga4gh", artifact: "refget-seqcol", version: "1.0.0" },
      description: "Each reference stored in refstore as a GA4GH sequence collection.",
      organization: { name: "refstore", url: "https://github.com/refstore/refstore" },
      version: opts.version,
      seqcol: { schema: SEQCOL_SCHEMA, sorted_name_length_pairs: true },
    }),
  );

  app.get<{ Params: { digest: string }; Querystring: { level?: string } }>(`${SEQCOL}/collection/:digest`, async (req, reply) => {
    const level = req.query.level ?? "2";
    if (level !== "1" && level !== "2") throw new Invalid("level", "level must be 1 or 2");
    const scope = await scopeOf(req);
    const body = level === "1" ? await ga4gh.collectionLevel1(req.params.digest, scope) : await ga4gh.collectionLevel2(req.params.digest, scope);
    return sendJson(reply, JSON_TYPE, body);
  });

  app.get<{ Params: { a: string; b: string } }>(`${SEQCOL}/comparison/:a/:b`, async (req, reply) =>
    sendJson(reply, JSON_TYPE, await ga4gh.compare(req.params.a, req.params.b, await scopeOf(req))),
  );

  app.post<{ Params: { a: string } }>(`${SEQCOL}/comparison/:a`, async (req, reply) =>
    sendJson(reply, JSON_TYPE, await ga4gh.compareWith(req.params.a, req.body, await scopeOf(req))),
  );

  app.get<{ Params: { type: string }; Querystring: Record<string, unknown> }>(`${SEQCOL}/list/:type`, async (req, reply) => {
    const scope = await scopeOf(req);
    if (req.params.type !== "collection") throw new NotFound(`no object type ${req.params.type}: only collection`);
    const q = req.query;
    const int = (name: string, def: number, min: number, max: number) => {
      const v = q[name];
      if (v === undefined) return def;
      if (typeof v !== "string" || !/^[0-9]{1,9}$/.test(v) || Number(v) < min || Number(v) > max)
        throw new Invalid(name, `${name} must be an integer from ${min} to ${max}`);
      return Number(v);
    };
    const page = int("page", 0, 0, 1e9);
    const pageSize = int("page_size", 100, 1, MAX_PAGE_SIZE);
    const filter: Partial<Record<SeqcolAttribute, string>> = {};
    for (const [k, v] of Object.entries(q)) {
      if (k === "page" || k === "page_size" || k.startsWith("X-Amz-")) continue; // paging, a presigned URL's signature
      if (!SEQCOL_ATTRIBUTES.includes(k as SeqcolAttribute)) throw new Invalid(k, `${k} is not an attribute of this server's schema`);
      if (typeof v !== "string") throw new Invalid(k, `${k} given more than once`);
      filter[k as SeqcolAttribute] = v;
    }
    const r = await ga4gh.listCollections(filter, scope, page, pageSize);
    return sendJson(reply, JSON_TYPE, { results: r.digests, pagination: { page, page_size: pageSize, total: r.total } });
  });

  app.get<{ Params: { type: string; attribute: string; digest: string } }>(
    `${SEQCOL}/attribute/:type/:attribute/:digest`,
    async (req, reply) => {
      if (req.params.type !== "collection") throw new NotFound(`no object type ${req.params.type}: only collection`);
      return sendJson(reply, JSON_TYPE, await ga4gh.attribute(req.params.attribute, req.params.digest, await scopeOf(req)));
    },
  );

  // --- files over plain HTTP --------------------------------------------------------------------

  app.route<{ Params: { store: string; ref: string; name: string } }>({
    method: ["GET", "HEAD"],
    url: `${FILES_PREFIX}/:store/:ref/:name`,
    handler: async (req, reply) => {
      const { store, ref } = req.params;
      const suffix = HTSLIB_INDEX_SUFFIX.exec(req.url)?.[1];
      const name = req.params.name + (suffix ?? "");
      const scope = await scopeOf(req, suffix ? req.url.slice(0, -suffix.length) : req.url);
      const base = `${req.protocol}://${req.headers.host ?? "localhost"}/files/${store}/${ref}`;
      const file = await ga4gh.file(store, ref, name, scope, `${base}/${sourceNameFor(name)}`);
      reply.header("accept-ranges", "bytes").header("etag", file.etag);
      reply.type(file.kind === "source" || file.kind === "gzi" ? "application/octet-stream" : "text/plain; charset=utf-8");
      if (req.headers["if-none-match"] === file.etag) return reply.code(304).send();
      let start = 0;
      let end = file.length - 1;
      const range = req.headers.range;
      if (range !== undefined) {
        try {
          ({ start, end } = resolveByteRange("Range", range, file.length, name));
        } catch (err) {
          if (err instanceof RangeNotSatisfiable) reply.header("content-range", `bytes */${file.length}`);
          throw err;
        }
        reply.code(206).header("content-range", `bytes ${start}-${end}/${file.length}`);
      }
      reply.header("content-length", end - start + 1);
      if (req.method === "HEAD" || end < start) return reply.send();
      return reply.send(await file.read(start, end));
    },
  });
};

/** The SOURCE name a `.dict` names: `genome.dict` → `genome.fa`, `genome.fa.dict` → `genome.fa`. */
function sourceNameFor(fileName: string): string {
  if (!fileName.endsWith(".dict")) return fileName;
  const stem = fileName.slice(0, -".dict".length);
  return /\.(fa|fasta|fna|fas)(\.gz|\.bgz)?$/i.test(stem) ? stem : `${stem}.fa`;
}
