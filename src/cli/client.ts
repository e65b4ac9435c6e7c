// Where the CLI talks to and as whom: one OmicsClient (so the CLI works against refstore or AWS
// HealthOmics alike), the raw JSON of each answer (`--json` prints exactly what the API returned),
// and SigV4-signed requests for refstore's extension routes, which the SDK has no commands for.

import { Sha256 } from "@aws-crypto/sha256-js";
import { OmicsClient, type OmicsClientConfig } from "@aws-sdk/client-omics";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity } from "@smithy/types";
import { CliError } from "./output.js";

export interface ConnectionOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
}

/** The development key a refstore server uses when it is given none (src/config.ts). */
const DEV_KEY = { accessKeyId: "AKIDREFSTOREDEV", secretAccessKey: "refstore-dev-secret" };

export interface Connection {
  client: OmicsClient;
  /** the refstore (or other custom) endpoint; undefined when talking to AWS itself */
  endpoint?: string;
  region: string;
  credentials(): Promise<AwsCredentialIdentity>;
}

/** `--endpoint` / REFSTORE_ENDPOINT; `aws` means AWS HealthOmics itself; default the local server. */
export function resolveEndpoint(opt: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = opt ?? env.REFSTORE_ENDPOINT;
  if (given === "aws") return undefined;
  if (given) {
    let u: URL;
    try {
      u = new URL(given);
    } catch {
      throw new CliError(`--endpoint: not a URL: ${given} (give e.g. http://127.0.0.1:8470, or "aws")`, 2);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new CliError(`--endpoint: must be http(s)://…, got ${given}`, 2);
    return u.origin + u.pathname.replace(/\/$/, "");
  }
  // the server's own defaults: a server started with REFSTORE_HOST/PORT is found with the same env
  let host = env.REFSTORE_HOST || "127.0.0.1";
  if (host === "0.0.0.0") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  if (host.includes(":")) host = `[${host}]`;
  return `http://${host}:${env.REFSTORE_PORT || "8470"}`;
}

export function connect(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Connection {
  // The SDK warns on Node 20 with a multi-line text on stderr; a CLI run prints only its own output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const endpoint = resolveEndpoint(opts.endpoint, env);
  const region = opts.region || env.REFSTORE_REGION || env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";

  let credentials: () => Promise<AwsCredentialIdentity>;
  if (env.REFSTORE_ACCESS_KEY_ID || env.REFSTORE_SECRET_ACCESS_KEY) {
    if (!env.REFSTORE_ACCESS_KEY_ID || !env.REFSTORE_SECRET_ACCESS_KEY)
      throw new CliError("set both REFSTORE_ACCESS_KEY_ID and REFSTORE_SECRET_ACCESS_KEY, or neither", 2);
    const fixed = { accessKeyId: env.REFSTORE_ACCESS_KEY_ID, secretAccessKey: env.REFSTORE_SECRET_ACCESS_KEY };
    credentials = async () => fixed;
  } else {
    const chain = defaultProvider({ profile: opts.profile });
    let cached: Promise<AwsCredentialIdentity> | undefined;
    credentials = () =>
      (cached ??= chain().catch((err) => {
        // Nothing anywhere: a local refstore started with no keys accepts the development key.
        if (endpoint !== undefined && !opts.profile) return DEV_KEY;
        throw err;
      }));
  }

  const config: OmicsClientConfig = {
    region,
    credentials,
    // the CLI's own retries (pull) are per part; one SDK retry policy on top would multiply them
    maxAttempts: 3,
  };
  if (opts.profile) config.profile = opts.profile;
  if (endpoint !== undefined) {
    config.endpoint = endpoint;
    // control-storage-127.0.0.1 does not resolve: a custom endpoint is taken as it is
    config.disableHostPrefix = true;
  }
  return { client: new OmicsClient(config), endpoint, region, credentials };
}

/**
 * Send an SDK command and keep the raw JSON body of the answer as well as the parsed output
 * (the parsed one has Dates, and drops members the SDK does not know).
 */
export async function sendRaw<O>(client: OmicsClient, command: any): Promise<{ output: O; raw: any }> {
  let text = "";
  command.middlewareStack.add(
    (next: any) => async (args: any) => {
      const result = await next(args);
      const body = result.response?.body;
      if (body && typeof body[Symbol.asyncIterator] === "function") {
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(Buffer.from(c));
        const raw = Buffer.concat(chunks);
        text = raw.toString("utf8");
        // the SDK's deserialiser takes a Uint8Array as it is (and changes its prototype)
        result.response.body = raw;
      }
      return result;
    },
    // inside the deserialiser: the HTTP response before it is parsed
    { step: "deserialize", priority: "low", name: "refstoreCliRawBody" },
  );
  const output = (await client.send(command)) as O;
  return { output, raw: text === "" ? {} : JSON.parse(text) };
}

export class ExtensionUnavailable extends CliError {}

/**
 * A SigV4-signed request to one of refstore's extension routes (docs/api-decisions.md), with the
 * same credentials and region as the SDK client. Answers the parsed JSON; an error answer becomes
 * a CliError carrying the service's error type.
 */
export async function extensionRequest(
  conn: Connection,
  what: string,
  method: string,
  path: string,
  opts: { body?: Buffer | string } = {},
): Promise<any> {
  if (conn.endpoint === undefined)
    throw new ExtensionUnavailable(`${what} is a refstore extension: AWS HealthOmics has no such operation`, 1);
  const url = new URL(conn.endpoint + path);
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headers: Record<string, string> = { host: url.host };
  if (body) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(body.length);
  }
  const signer = new SignatureV4({ service: "omics", region: conn.region, sha256: Sha256, credentials: conn.credentials, applyChecksum: false });
  const signed = await signer.sign(
    new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      headers,
      body,
    }),
  );
  const res = await fetch(url, { method, headers: signed.headers as Record<string, string>, body });
  const text = await res.text();
  const json = text ? safeJson(text) : {};
  if (res.ok) return json;
  const type = (res.headers.get("x-amzn-errortype") ?? "").split(":")[0] || `HTTP ${res.status}`;
  if (type === "UnknownOperationException" || (res.status === 404 && type.startsWith("HTTP")))
    throw new ExtensionUnavailable(`${what} is a refstore extension: the server at ${conn.endpoint} does not have it`, 1);
  throw new CliError(`${type}: ${json?.message ?? json?.Message ?? text.slice(0, 200)}`, 1);
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}
