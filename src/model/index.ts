// Typed view of the vendored AWS model (botocore service-2 format) for the 14 reference-store
// operations, plus refstore's one extension operation (CancelReferenceImportJob).
//
// The JSON stays in src/model/ (tsc does not copy it). It is read with fs at module load from the
// first of these locations that exists:
//   1. next to this module             (running the .ts directly, or a build step that copies it)
//   2. ../../../src/model/ from here   (the compiled file in dist/src/model/ → <root>/src/model/)

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type ShapeType =
  | "structure"
  | "string"
  | "integer"
  | "long"
  | "float"
  | "double"
  | "boolean"
  | "list"
  | "map"
  | "timestamp"
  | "blob";

export type MemberLocation = "uri" | "querystring" | "header" | "headers" | "statusCode";

/** A reference to a shape from a structure member, a list member or a map key/value. */
export interface ShapeRef {
  shape: string;
  location?: MemberLocation;
  locationName?: string;
  jsonvalue?: boolean;
  idempotencyToken?: boolean;
  documentation?: string;
}

export interface Shape {
  type: ShapeType;
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  payload?: string;
  streaming?: boolean;
  timestampFormat?: "iso8601" | "unixTimestamp" | "rfc822";
  error?: { httpStatusCode?: number; senderFault?: boolean; code?: string };
  exception?: boolean;
  fault?: boolean;
  retryable?: { throttling?: boolean };
  documentation?: string;
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string };
  errors?: { shape: string }[];
  endpoint?: { hostPrefix?: string };
  idempotent?: boolean;
  readonly?: boolean;
  documentation?: string;
  /** true for refstore's own operations that are not in the AWS model */
  extension?: boolean;
}

export interface ServiceModel {
  version: string;
  metadata: {
    apiVersion: string;
    endpointPrefix: string;
    protocol: string;
    serviceId: string;
    signingName: string;
    uid: string;
    [k: string]: unknown;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const FILE = "omics-reference-store.json";

function locateModel(): string {
  const candidates = [
    fileURLToPath(new URL(`./${FILE}`, import.meta.url)),
    fileURLToPath(new URL(`../../../src/model/${FILE}`, import.meta.url)),
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`refstore: service model ${FILE} not found (looked in: ${candidates.join(", ")})`);
}

function loadModel(): ServiceModel {
  const raw = JSON.parse(readFileSync(locateModel(), "utf8")) as ServiceModel;
  // refstore extension: cancel an import job. Same input members as GetReferenceImportJob
  // (referenceStoreId + id as URI labels), same output shape.
  raw.shapes["CancelReferenceImportJobRequest"] = {
    type: "structure",
    required: ["id", "referenceStoreId"],
    members: {
      id: { shape: "ImportJobId", location: "uri", locationName: "id" },
      referenceStoreId: { shape: "ReferenceStoreId", location: "uri", locationName: "referenceStoreId" },
    },
  };
  raw.operations["CancelReferenceImportJob"] = {
    name: "CancelReferenceImportJob",
    http: { method: "POST", requestUri: "/referencestore/{referenceStoreId}/importjob/{id}/cancel", responseCode: 200 },
    input: { shape: "CancelReferenceImportJobRequest" },
    output: { shape: "GetReferenceImportJobResponse" },
    errors: [
      { shape: "InternalServerException" },
      { shape: "ThrottlingException" },
      { shape: "ValidationException" },
      { shape: "ConflictException" },
      { shape: "ResourceNotFoundException" },
      { shape: "AccessDeniedException" },
      { shape: "RequestTimeoutException" },
    ],
    endpoint: { hostPrefix: "control-storage-" },
    extension: true,
  };
  return raw;
}

/** The whole model (AWS operations + the refstore extension). Treat as read-only. */
export const model: ServiceModel = loadModel();

/** The 14 AWS operation names, then the extension(s). */
export const operationNames: readonly string[] = Object.keys(model.operations);

/** AWS operations only (as in the vendored JSON). */
export const awsOperationNames: readonly string[] = operationNames.filter((n) => !model.operations[n].extension);

export function getOperation(name: string): Operation {
  const op = model.operations[name];
  if (!op) throw new Error(`unknown operation ${name}`);
  return op;
}

export function hasOperation(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(model.operations, name);
}

export function getShape(name: string): Shape {
  const s = model.shapes[name];
  if (!s) throw new Error(`unknown shape ${name}`);
  return s;
}

export function inputShapeOf(op: Operation | string): Shape | undefined {
  const o = typeof op === "string" ? getOperation(op) : op;
  return o.input ? getShape(o.input.shape) : undefined;
}

export function outputShapeOf(op: Operation | string): Shape | undefined {
  const o = typeof op === "string" ? getOperation(op) : op;
  return o.output ? getShape(o.output.shape) : undefined;
}

/** HTTP status of a modelled error shape (e.g. ValidationException → 400), if modelled. */
export function errorStatus(shapeName: string): number | undefined {
  return model.shapes[shapeName]?.error?.httpStatusCode;
}

/** Host prefix the SDKs prepend for this operation ("control-storage-", "storage-", "tags-"). */
export function hostPrefixOf(op: Operation | string): string | undefined {
  const o = typeof op === "string" ? getOperation(op) : op;
  return o.endpoint?.hostPrefix;
}

export const SIGNING_NAME: string = model.metadata.signingName;
