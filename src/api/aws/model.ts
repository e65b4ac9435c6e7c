// Typed view of the vendored AWS model (botocore service-2 format, model/omics-reference-store.json)
// for the 14 reference-store operations, plus refstore's extension operations (extensions.ts).
// The JSON is imported as a module: tsc copies it into dist, so
// nothing reads a path into src/ at run time.

import vendored from "./model/omics-reference-store.json" with { type: "json" };
import { addExtensions } from "./extensions.js";

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

function loadModel(): ServiceModel {
  // a copy: the extensions must not change the imported module object
  const raw = structuredClone(vendored) as unknown as ServiceModel;
  addExtensions(raw);
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

export function getShape(name: string): Shape {
  const s = model.shapes[name];
  if (!s) throw new Error(`unknown shape ${name}`);
  return s;
}
