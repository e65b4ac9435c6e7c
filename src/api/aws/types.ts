// Per-operation input and output types of the AWS handlers, taken (types only, nothing at run
// time) from @aws-sdk/client-omics, which is generated from the same model as the vendored JSON.
//
// Two adjustments to the SDK's view:
//  * Parsed<I>: after parse.ts, every required member is present (the SDK types them
//    `T | undefined` so that a client may omit them and hear it from the server).
//  * Wire<O>: a handler may give a timestamp as epoch milliseconds as well as a Date (the
//    catalog keeps milliseconds; the serialiser formats both).

import type * as Sdk from "@aws-sdk/client-omics";

type Leaf = Date | Uint8Array | string | number | boolean | bigint | symbol | ((...a: never[]) => unknown);
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type RequiredKeys<T> = Exclude<keyof T, OptionalKeys<T>>;

export type Parsed<T> = T extends Leaf
  ? T
  : T extends readonly (infer U)[]
    ? Parsed<U>[]
    : T extends object
      ? { [K in RequiredKeys<T>]-?: Parsed<NonNullable<T[K]>> } & { [K in OptionalKeys<T>]?: Parsed<NonNullable<T[K]>> }
      : T;

export type Wire<T> = T extends Date
  ? Date | number
  : T extends Leaf
    ? T
    : T extends readonly (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

/** Every operation the AWS API serves: the model's 14 and refstore's extension. */
export interface Operations {
  CreateReferenceStore: [Sdk.CreateReferenceStoreRequest, Sdk.CreateReferenceStoreResponse];
  GetReferenceStore: [Sdk.GetReferenceStoreRequest, Sdk.GetReferenceStoreResponse];
  ListReferenceStores: [Sdk.ListReferenceStoresRequest, Sdk.ListReferenceStoresResponse];
  DeleteReferenceStore: [Sdk.DeleteReferenceStoreRequest, Sdk.DeleteReferenceStoreResponse];
  StartReferenceImportJob: [Sdk.StartReferenceImportJobRequest, Sdk.StartReferenceImportJobResponse];
  GetReferenceImportJob: [Sdk.GetReferenceImportJobRequest, Sdk.GetReferenceImportJobResponse];
  ListReferenceImportJobs: [Sdk.ListReferenceImportJobsRequest, Sdk.ListReferenceImportJobsResponse];
  ListReferences: [Sdk.ListReferencesRequest, Sdk.ListReferencesResponse];
  GetReferenceMetadata: [Sdk.GetReferenceMetadataRequest, Sdk.GetReferenceMetadataResponse];
  GetReference: [Sdk.GetReferenceRequest, Omit<Sdk.GetReferenceResponse, "payload"> & { payload: import("node:stream").Readable }];
  DeleteReference: [Sdk.DeleteReferenceRequest, Sdk.DeleteReferenceResponse];
  TagResource: [Sdk.TagResourceRequest, Sdk.TagResourceResponse];
  UntagResource: [Sdk.UntagResourceRequest, Sdk.UntagResourceResponse];
  ListTagsForResource: [Sdk.ListTagsForResourceRequest, Sdk.ListTagsForResourceResponse];
  /** refstore extension: same input members as GetReferenceImportJob, same output */
  CancelReferenceImportJob: [Sdk.GetReferenceImportJobRequest, Sdk.GetReferenceImportJobResponse];
  /** refstore extension: live progress of each source (not in the SDK: its own types) */
  GetReferenceImportJobProgress: [Sdk.GetReferenceImportJobRequest, ImportJobProgress];
  /** refstore extension: a reference's GA4GH identifiers (same input members as GetReferenceMetadata) */
  GetReferenceIdentifiers: [Sdk.GetReferenceMetadataRequest, ReferenceIdentifiersOutput];
}

export interface ReferenceIdentifiersOutput {
  id: string;
  referenceStoreId: string;
  status: Sdk.ReferenceStatus;
  md5: string;
  seqcolDigest: string;
  sequences: { name: string; length: number; md5: string; ga4gh: string; refget?: string }[];
  ga4ghAccess: "open" | "signed" | "off";
  paths?: { seqcol: string; source: string; index: string; gzi?: string; dict: string };
}

export interface ImportJobProgress {
  id: string;
  referenceStoreId: string;
  status: Sdk.ReferenceImportJobStatus;
  sources: {
    sourceFile?: string;
    name?: string;
    status: Sdk.ReferenceImportJobItemStatus;
    bytesRead: number;
    bytesTotal?: number;
    updateTime?: Date;
  }[];
}

export type OperationName = keyof Operations;
export type Input<Op extends OperationName> = Parsed<Operations[Op][0]>;
export type Output<Op extends OperationName> = Wire<Operations[Op][1]>;
