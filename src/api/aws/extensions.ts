// refstore's own operations, beside the 14 of the AWS model (docs/api-decisions.md). Each is
// declared with `extension()`: the same restJson1 shapes, routing and SigV4 as the AWS operations,
// so the one parser/serialiser serves them; the AWS operations never change.

import type { Operation, ServiceModel, Shape } from "./model.js";

/** The errors every extension may answer, in the model's own shapes. */
const commonErrors = [
  "InternalServerException",
  "ThrottlingException",
  "ValidationException",
  "ResourceNotFoundException",
  "AccessDeniedException",
  "RequestTimeoutException",
];

interface ExtensionSpec {
  name: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  requestUri: string;
  /** New shapes this operation needs (input, output, their members). */
  shapes: Record<string, Shape>;
  input: string;
  output: string;
  /** Errors beyond commonErrors (e.g. ConflictException). */
  moreErrors?: string[];
  readonly?: boolean;
}

function extension(model: ServiceModel, spec: ExtensionSpec): void {
  for (const [name, shape] of Object.entries(spec.shapes)) {
    if (model.shapes[name]) throw new Error(`extension ${spec.name}: shape ${name} already in the model`);
    model.shapes[name] = shape;
  }
  const op: Operation = {
    name: spec.name,
    http: { method: spec.method, requestUri: spec.requestUri, responseCode: 200 },
    input: { shape: spec.input },
    output: { shape: spec.output },
    errors: [...commonErrors, ...(spec.moreErrors ?? [])].map((shape) => ({ shape })),
    endpoint: { hostPrefix: "control-storage-" },
    extension: true,
  };
  if (spec.readonly) op.readonly = true;
  model.operations[spec.name] = op;
}

/** An import job named by URI labels, as GetReferenceImportJob's input. */
const importJobLabels = (): Shape => ({
  type: "structure",
  required: ["id", "referenceStoreId"],
  members: {
    id: { shape: "ImportJobId", location: "uri", locationName: "id" },
    referenceStoreId: { shape: "ReferenceStoreId", location: "uri", locationName: "referenceStoreId" },
  },
});

/** Adds every refstore extension operation to `model` (a copy of the vendored one). */
export function addExtensions(model: ServiceModel): void {
  // Cancel an import job: same input members as GetReferenceImportJob, same output shape.
  extension(model, {
    name: "CancelReferenceImportJob",
    method: "POST",
    requestUri: "/referencestore/{referenceStoreId}/importjob/{id}/cancel",
    shapes: { CancelReferenceImportJobRequest: importJobLabels() },
    input: "CancelReferenceImportJobRequest",
    output: "GetReferenceImportJobResponse",
    moreErrors: ["ConflictException"],
  });

  // Live progress of an import job's sources, as its workers record it (about once a second).
  extension(model, {
    name: "GetReferenceImportJobProgress",
    method: "GET",
    requestUri: "/referencestore/{referenceStoreId}/importjob/{id}/progress",
    shapes: {
      GetReferenceImportJobProgressRequest: importJobLabels(),
      ImportProgressBytes: { type: "long", min: 0 },
      ReferenceImportSourceProgress: {
        type: "structure",
        required: ["status", "bytesRead"],
        members: {
          sourceFile: { shape: "S3Uri" },
          name: { shape: "ReferenceName" },
          status: { shape: "ReferenceImportJobItemStatus" },
          bytesRead: { shape: "ImportProgressBytes" },
          bytesTotal: { shape: "ImportProgressBytes" },
          updateTime: { shape: "SyntheticTimestamp_date_time" },
        },
      },
      ReferenceImportSourceProgressList: { type: "list", member: { shape: "ReferenceImportSourceProgress" } },
      GetReferenceImportJobProgressResponse: {
        type: "structure",
        required: ["id", "referenceStoreId", "status", "sources"],
        members: {
          id: { shape: "ImportJobId" },
          referenceStoreId: { shape: "ReferenceStoreId" },
          status: { shape: "ReferenceImportJobStatus" },
          sources: { shape: "ReferenceImportSourceProgressList" },
        },
      },
    },
    input: "GetReferenceImportJobProgressRequest",
    output: "GetReferenceImportJobProgressResponse",
    readonly: true,
  });

  // A reference's GA4GH identifiers: each sequence's digests, the seqcol digest, and the paths of
  // the GA4GH routes that serve it (the AWS responses keep only their modelled members).
  extension(model, {
    name: "GetReferenceIdentifiers",
    method: "GET",
    requestUri: "/referencestore/{referenceStoreId}/reference/{id}/identifiers",
    shapes: {
      Ga4ghIdentifier: { type: "string" },
      Ga4ghPath: { type: "string" },
      Ga4ghAccess: { type: "string", enum: ["open", "signed", "off"] },
      SequenceLength: { type: "long", min: 0 },
      ReferenceSequenceIdentifiers: {
        type: "structure",
        required: ["name", "length", "md5", "ga4gh"],
        members: {
          name: { shape: "Ga4ghIdentifier" },
          length: { shape: "SequenceLength" },
          md5: { shape: "Md5" },
          ga4gh: { shape: "Ga4ghIdentifier" },
          refget: { shape: "Ga4ghPath" },
        },
      },
      ReferenceSequenceIdentifiersList: { type: "list", member: { shape: "ReferenceSequenceIdentifiers" } },
      ReferenceGa4ghPaths: {
        type: "structure",
        required: ["seqcol", "source", "index", "dict"],
        members: {
          seqcol: { shape: "Ga4ghPath" },
          source: { shape: "Ga4ghPath" },
          index: { shape: "Ga4ghPath" },
          gzi: { shape: "Ga4ghPath" },
          dict: { shape: "Ga4ghPath" },
        },
      },
      GetReferenceIdentifiersResponse: {
        type: "structure",
        required: ["id", "referenceStoreId", "status", "md5", "seqcolDigest", "sequences", "ga4ghAccess"],
        members: {
          id: { shape: "ReferenceId" },
          referenceStoreId: { shape: "ReferenceStoreId" },
          status: { shape: "ReferenceStatus" },
          md5: { shape: "Md5" },
          seqcolDigest: { shape: "Ga4ghIdentifier" },
          sequences: { shape: "ReferenceSequenceIdentifiersList" },
          ga4ghAccess: { shape: "Ga4ghAccess" },
          paths: { shape: "ReferenceGa4ghPaths" },
        },
      },
    },
    // the same URI labels as GetReferenceMetadata
    input: "GetReferenceMetadataRequest",
    output: "GetReferenceIdentifiersResponse",
    readonly: true,
  });
}
