// Raw signed HTTP requests, for what an SDK would never send (malformed JSON, huge bodies,
// unknown routes) and for checking headers on the wire.

import { createHash } from "node:crypto";
import { request } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import { HttpRequest } from "@smithy/protocol-http";
import { Sha256 } from "@aws-crypto/sha256-js";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

export function send(
  baseUrl: string,
  method: string,
  pathAndQuery: string,
  opts: { body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path: pathAndQuery, headers: { ...opts.headers, ...(body ? { "content-length": String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, body: b, json: () => JSON.parse(b.toString()) });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

/** Sign like botocore does (no x-amz-content-sha256 header), then send. */
export async function signedSend(
  baseUrl: string,
  method: string,
  pathAndQuery: string,
  cred: { accessKeyId: string; secretAccessKey: string },
  opts: { body?: Buffer | string; headers?: Record<string, string>; date?: Date; region?: string } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const qi = pathAndQuery.indexOf("?");
  const path = qi < 0 ? pathAndQuery : pathAndQuery.slice(0, qi);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(qi < 0 ? "" : pathAndQuery.slice(qi + 1))) {
    const prev = query[k];
    query[k] = prev === undefined ? v : ([] as string[]).concat(prev, v);
  }
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headers: Record<string, string> = { host: url.host, ...opts.headers };
  if (body) headers["content-length"] = String(body.length);
  const signer = new SignatureV4({
    service: "omics",
    region: opts.region ?? "us-east-1",
    sha256: Sha256,
    credentials: cred,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({ method, protocol: "http:", hostname: url.hostname, port: Number(url.port), path, query, headers, body }),
    { signingDate: opts.date ?? new Date() },
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== "content-length") out[k] = String(v);
  return send(baseUrl, method, pathAndQuery, { body, headers: out });
}

export const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/**
 * The signed headers of a PUT whose body the caller streams itself, as the CLI and the console
 * send an upload: `x-amz-content-sha256: UNSIGNED-PAYLOAD`, Content-Length when given.
 */
export async function signedStreamHeaders(
  baseUrl: string,
  path: string,
  cred: { accessKeyId: string; secretAccessKey: string },
  contentLength?: number,
): Promise<Record<string, string>> {
  const url = new URL(baseUrl);
  const signer = new SignatureV4({ service: "omics", region: "us-east-1", sha256: Sha256, credentials: cred, applyChecksum: false });
  const headers: Record<string, string> = { host: url.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
  if (contentLength !== undefined) headers["content-length"] = String(contentLength);
  const signed = await signer.sign(new HttpRequest({ method: "PUT", protocol: "http:", hostname: url.hostname, port: Number(url.port), path, headers }));
  return signed.headers as Record<string, string>;
}
