// Capture requests signed by the REAL @aws-sdk/client-omics: a custom requestHandler records the
// signed HttpRequest and answers a fake 200. No server involved.

import { Readable } from "node:stream";
import {
  OmicsClient,
  CreateReferenceStoreCommand,
  GetReferenceStoreCommand,
  ListReferenceStoresCommand,
  DeleteReferenceStoreCommand,
  StartReferenceImportJobCommand,
  GetReferenceImportJobCommand,
  ListReferenceImportJobsCommand,
  ListReferencesCommand,
  GetReferenceMetadataCommand,
  GetReferenceCommand,
  DeleteReferenceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-omics";

export interface CapturedRequest {
  operation: string;
  method: string;
  /** raw request target as a server would see it in req.url */
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  /** the input the SDK was given */
  input: Record<string, unknown>;
}

export const ACCESS_KEY_ID = "AKIDREFSTORETEST";
export const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
export const ACCOUNT = "123456789012";

export const STORE_ARN = `arn:aws:omics:us-east-1:${ACCOUNT}:referenceStore/1234567890`;
export const REF_ARN = `${STORE_ARN}/reference/1111111111`;

/** Valid inputs for the 14 operations (what a user would pass to the SDK). */
export const SAMPLE_INPUTS: Record<string, Record<string, unknown>> = {
  CreateReferenceStore: {
    name: "my-ref-store",
    description: "a store",
    sseConfig: { type: "KMS", keyArn: "arn:aws:kms:us-east-1:123456789012:key/abcd" },
    tags: { team: "genomics", "b c": "d e" },
    clientToken: "tok-1",
  },
  GetReferenceStore: { id: "1234567890" },
  ListReferenceStores: {
    maxResults: 5,
    nextToken: "abc+/=",
    filter: { name: "n", createdAfter: new Date("2024-01-01T00:00:00Z"), createdBefore: new Date("2024-02-01T12:00:00.123Z") },
  },
  DeleteReferenceStore: { id: "1234567890" },
  StartReferenceImportJob: {
    referenceStoreId: "1234567890",
    roleArn: "arn:aws:iam::123456789012:role/x",
    clientToken: "tok",
    sources: [{ sourceFile: "s3://bucket/a.fa", name: "ref1", description: "d", tags: { t: "v" } }],
  },
  GetReferenceImportJob: { referenceStoreId: "1234567890", id: "2222222222" },
  ListReferenceImportJobs: {
    referenceStoreId: "1234567890",
    maxResults: 10,
    nextToken: "tok en",
    filter: { status: "COMPLETED", createdAfter: new Date("2024-01-01T00:00:00Z") },
  },
  ListReferences: { referenceStoreId: "1234567890", filter: { md5: "abc", name: "ref" } },
  GetReferenceMetadata: { referenceStoreId: "1234567890", id: "1111111111" },
  GetReference: { referenceStoreId: "1234567890", id: "1111111111", partNumber: 2, file: "SOURCE", range: "bytes=0-9" },
  DeleteReference: { referenceStoreId: "1234567890", id: "1111111111" },
  TagResource: { resourceArn: STORE_ARN, tags: { a: "b" } },
  UntagResource: { resourceArn: REF_ARN, tagKeys: ["a", "b c", "x+y/z="] },
  ListTagsForResource: { resourceArn: REF_ARN },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const COMMANDS: Record<string, new (input: any) => any> = {
  CreateReferenceStore: CreateReferenceStoreCommand,
  GetReferenceStore: GetReferenceStoreCommand,
  ListReferenceStores: ListReferenceStoresCommand,
  DeleteReferenceStore: DeleteReferenceStoreCommand,
  StartReferenceImportJob: StartReferenceImportJobCommand,
  GetReferenceImportJob: GetReferenceImportJobCommand,
  ListReferenceImportJobs: ListReferenceImportJobsCommand,
  ListReferences: ListReferencesCommand,
  GetReferenceMetadata: GetReferenceMetadataCommand,
  GetReference: GetReferenceCommand,
  DeleteReference: DeleteReferenceCommand,
  TagResource: TagResourceCommand,
  UntagResource: UntagResourceCommand,
  ListTagsForResource: ListTagsForResourceCommand,
};

function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

function bodyBytes(b: unknown): Buffer {
  if (b === undefined || b === null) return Buffer.alloc(0);
  if (typeof b === "string") return Buffer.from(b, "utf8");
  if (ArrayBuffer.isView(b)) return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return Buffer.from(String(b), "utf8");
}

interface SdkHttpRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** Turn an SDK HttpRequest into what the server would receive (raw url as in Node's req.url). */
export function toWire(req: SdkHttpRequest): { method: string; url: string; headers: Record<string, string>; body: Buffer } {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(req.query ?? {})) {
    if (v === null || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${escapeUri(k)}=${escapeUri(item)}`);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  return { method: req.method, url: req.path + (parts.length ? "?" + parts.join("&") : ""), headers, body: bodyBytes(req.body) };
}

export async function captureAll(
  opts: { signingDate?: Date; sessionToken?: string; disableHostPrefix?: boolean } = {},
): Promise<CapturedRequest[]> {
  const out: CapturedRequest[] = [];
  let current = "";
  const client = new OmicsClient({
    region: "us-east-1",
    endpoint: "http://localhost:9000",
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: opts.sessionToken },
    disableHostPrefix: opts.disableHostPrefix ?? false,
    maxAttempts: 1,
    ...(opts.signingDate ? { systemClockOffset: opts.signingDate.getTime() - Date.now() } : {}),
    requestHandler: {
      handle: async (request: SdkHttpRequest) => {
        const w = toWire(request);
        out.push({ operation: current, ...w, input: SAMPLE_INPUTS[current] });
        return {
          response: {
            statusCode: 200,
            headers: { "content-type": "application/json" },
            body: Readable.from([Buffer.from("{}")]),
          },
        };
      },
      destroy: () => {},
    },
  });
  for (const [name, Cmd] of Object.entries(COMMANDS)) {
    current = name;
    await client.send(new Cmd(SAMPLE_INPUTS[name]));
  }
  client.destroy();
  return out;
}
