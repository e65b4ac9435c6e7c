// `refstore import STORE ./genome.fa`: local files go to the server through refstore's upload
// extension (docs/api-decisions.md). The CLI asks for an upload (its `sourceFile` goes into the
// ordinary StartReferenceImportJob), then streams the file as the PUT's body straight from disk —
// one read, no temporary copy, nothing held in memory — signed with UNSIGNED-PAYLOAD.

import { createReadStream } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { ExtensionUnavailable, extensionRequest, type Connection } from "./client.js";
import { CliError } from "./output.js";

export interface Upload {
  id: string;
  referenceStoreId: string;
  sourceFile: string;
  status: string;
  bytesReceived: number;
}

const uploadsPath = (store: string) => `/referencestore/${encodeURIComponent(store)}/upload`;

/** CreateReferenceUpload: an upload for `fileName` of `size` bytes in `store`. */
export async function createUpload(conn: Connection, store: string, fileName: string, size: number): Promise<Upload> {
  if (conn.endpoint === undefined)
    throw new ExtensionUnavailable(`${fileName}: importing a local file is a refstore extension that AWS HealthOmics lacks; put the file in S3 and import s3://…`, 1);
  return extensionRequest(conn, "importing a local file", "POST", uploadsPath(store), {
    body: JSON.stringify({ fileName, contentLength: size }),
  });
}

/**
 * UploadReferenceFile: stream `path` (`size` bytes) as the upload's body. `onBytes` hears the
 * bytes sent so far. Answers the upload as the server recorded it (COMPLETE).
 */
export async function sendUpload(
  conn: Connection,
  upload: Upload,
  path: string,
  size: number,
  onBytes?: (sent: number) => void,
): Promise<Upload> {
  const url = new URL(conn.endpoint + `${uploadsPath(upload.referenceStoreId)}/${encodeURIComponent(upload.id)}`);
  const signer = new SignatureV4({ service: "omics", region: conn.region, sha256: Sha256, credentials: conn.credentials, applyChecksum: false });
  const signed = await signer.sign(
    new HttpRequest({
      method: "PUT",
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      headers: {
        host: url.host,
        "content-length": String(size),
        "content-type": "application/octet-stream",
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
      },
    }),
  );
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(url, { method: "PUT", headers: signed.headers as Record<string, string> }, resolve);
    req.on("error", (err) => reject(new CliError(`${path}: upload failed: ${err.message}`, 1)));
    const file = createReadStream(path);
    let sent = 0;
    file.on("data", (chunk) => {
      sent += chunk.length;
      onBytes?.(sent);
    });
    file.on("error", (err) => {
      req.destroy();
      reject(new CliError(`${path}: ${err.message}`, 1));
    });
    file.pipe(req);
  });
  let text = "";
  for await (const chunk of res) text += chunk;
  let json: any = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text.slice(0, 200) };
  }
  if (res.statusCode && res.statusCode < 300) return json;
  const type = String(res.headers["x-amzn-errortype"] ?? "").split(":")[0] || `HTTP ${res.statusCode}`;
  throw new CliError(`${path}: ${type}: ${json?.message ?? json?.Message ?? text.slice(0, 200)}`, 1);
}
