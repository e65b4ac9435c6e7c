// The domain's records as the AWS outputs show them: ARNs, the model's member names, and only
// the members the model has (the serialiser drops anything else, but views state it first).

import type { JobRecord, JobSummary, ReferenceRecord, SourceProgress, StoreRecord } from "../../catalog/types.js";
import type { Ga4ghAccess } from "../../config.js";
import type { PartGeometry, ReferenceIdentifiers } from "../../service/references.js";
import { ga4ghPaths, refgetPath } from "../ga4gh-paths.js";
import { referenceArn, storeArn } from "./arns.js";
import type { Output } from "./types.js";

type StoreView = Output<"GetReferenceStore">;
type JobView = Output<"GetReferenceImportJob">;
type JobListItem = NonNullable<Output<"ListReferenceImportJobs">["importJobs"]>[number];
type ReferenceListItem = NonNullable<Output<"ListReferences">["references"]>[number];

export function storeView(region: string, s: StoreRecord): StoreView {
  return {
    id: s.id,
    arn: storeArn(region, s.account, s.id),
    name: s.name,
    description: s.description,
    sseConfig: s.sseConfig as StoreView["sseConfig"],
    creationTime: s.creationTime,
  };
}

export function jobSummaryView(j: JobSummary): JobListItem {
  return {
    id: j.id,
    referenceStoreId: j.storeId,
    roleArn: j.roleArn,
    status: j.status,
    creationTime: j.creationTime,
    completionTime: j.completionTime,
  };
}

export function jobView(j: JobRecord): JobView {
  return {
    ...jobSummaryView(j),
    statusMessage: j.statusMessage,
    sources: j.sources.map((s) => ({
      sourceFile: s.sourceFile,
      status: s.status,
      statusMessage: s.statusMessage,
      name: s.name,
      description: s.description,
      tags: s.tags,
      referenceId: s.referenceId,
    })),
  };
}

/** GetReferenceImportJobProgress (extension): each source's bytes read, from its worker's last record. */
export function jobProgressView(j: JobRecord, progress: SourceProgress[]): Output<"GetReferenceImportJobProgress"> {
  const byIndex = new Map(progress.map((p) => [p.index, p]));
  return {
    id: j.id,
    referenceStoreId: j.storeId,
    status: j.status,
    sources: j.sources.map((s) => {
      const p = byIndex.get(s.index);
      return {
        sourceFile: s.sourceFile,
        name: s.name,
        status: s.status,
        bytesRead: p?.bytesRead ?? 0,
        bytesTotal: p?.bytesTotal,
        updateTime: p?.updateTime,
      };
    }),
  };
}

/** StartReferenceImportJob answers with the job's head only. */
export function startedJobView(j: JobRecord): Output<"StartReferenceImportJob"> {
  return { id: j.id, referenceStoreId: j.storeId, roleArn: j.roleArn, status: j.status, creationTime: j.creationTime };
}

export function referenceListView(region: string, account: string, r: ReferenceRecord): ReferenceListItem {
  return {
    id: r.id,
    arn: referenceArn(region, account, r.storeId, r.id),
    referenceStoreId: r.storeId,
    md5: r.md5,
    status: r.status,
    name: r.name,
    description: r.description,
    creationTime: r.creationTime,
    updateTime: r.updateTime,
  };
}

export function referenceMetadataView(
  region: string,
  account: string,
  r: ReferenceRecord,
  geometry: (f: ReferenceRecord["source"]) => PartGeometry,
): Output<"GetReferenceMetadata"> {
  return {
    ...referenceListView(region, account, r),
    files: { source: geometry(r.source), index: geometry(r.index) },
    creationType: "IMPORT",
    creationJobId: r.creationJobId,
  };
}

/**
 * GetReferenceIdentifiers (extension): the catalog's digests, and the paths of the GA4GH routes
 * that serve the reference: none when those routes are off, or when the reference is not ACTIVE
 * (they serve live references only).
 */
export function referenceIdentifiersView(x: ReferenceIdentifiers, access: Ga4ghAccess): Output<"GetReferenceIdentifiers"> {
  const r = x.reference;
  const served = access !== "off" && r.status === "ACTIVE";
  return {
    id: r.id,
    referenceStoreId: r.storeId,
    status: r.status,
    md5: r.md5,
    seqcolDigest: x.seqcolDigest,
    sequences: x.sequences.map((s) => ({
      name: s.name,
      length: s.length,
      md5: s.md5,
      ga4gh: s.ga4gh,
      refget: served ? refgetPath(s.ga4gh) : undefined,
    })),
    ga4ghAccess: access,
    paths: served ? ga4ghPaths(r, x.seqcolDigest) : undefined,
  };
}
