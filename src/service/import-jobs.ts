// Import jobs: startImportJob records a SUBMITTED job and returns at once; the worker (src/jobs)
// does the work. get/list read the catalog; cancel is refstore's own (AWS has no cancel).

import { newId } from "../catalog/ids.js";
import type { JobFilter, JobRecord, JobSummary, SourceProgress, UploadRecord } from "../catalog/types.js";
import { discardUpload, uploadIdOf } from "../jobs/upload-source.js";
import type { Caller, Page, PageRequest, ServiceDeps } from "./context.js";
import { Invalid, NotFound } from "./errors.js";
import { replayOf, requestDigest } from "./idempotency.js";
import { page, type Paging } from "./paging.js";
import { requireStore } from "./stores.js";

export interface NewImportSource {
  sourceFile: string;
  name: string;
  description?: string;
  tags?: Record<string, string>;
}

export interface NewImportJob {
  referenceStoreId: string;
  roleArn: string;
  sources: NewImportSource[];
  clientToken?: string;
}

export function importJobService(deps: ServiceDeps, paging: Paging) {
  const { catalog } = deps;

  async function requireJob(storeId: string, id: string): Promise<JobRecord> {
    const job = await catalog.getJob(storeId, id);
    if (!job) throw new NotFound(`Import job ${id} not found in reference store ${storeId}`);
    return job;
  }

  return {
    async startImportJob(caller: Caller, request: NewImportJob): Promise<JobRecord> {
      const store = await requireStore(deps, caller, request.referenceStoreId);
      // the digest covers referenceStoreId, roleArn and sources: the members of the request
      const digest = requestDigest(request);
      const prior = await replayOf(request.clientToken, digest, (t) => catalog.findJobByClientToken(store.id, t));
      if (prior) return prior;
      // sources in the upload bucket must name an upload of this store that no job took yet
      const uploads: string[] = [];
      for (const [i, s] of request.sources.entries()) {
        const uploadId = uploadIdOf(s.sourceFile);
        if (uploadId === undefined) continue;
        const field = `sources.${i + 1}.sourceFile`;
        const upload = uploadId === null ? undefined : await catalog.getUpload(uploadId);
        if (!upload || upload.account !== caller.accountId || upload.storeId !== store.id)
          throw new Invalid(field, `${field}: ${s.sourceFile} is no upload of reference store ${store.id} (create one with the upload extension first)`);
        if (upload.jobId !== undefined || uploads.includes(upload.id))
          throw new Invalid(field, `${field}: upload ${upload.id} is imported by another job already`);
        uploads.push(upload.id);
      }
      const job: JobRecord = {
        id: newId(),
        storeId: store.id,
        roleArn: request.roleArn,
        status: "SUBMITTED",
        creationTime: deps.clock.now(),
        clientToken: request.clientToken,
        requestDigest: digest,
        sources: request.sources.map((s, index) => ({
          index,
          sourceFile: s.sourceFile,
          name: s.name,
          description: s.description,
          tags: s.tags,
          status: "NOT_STARTED" as const,
        })),
      };
      await catalog.insertJob(job);
      // a lost race with another job for the same upload fails that source in the worker
      for (const id of uploads) await catalog.attachUpload(id, job.id);
      await catalog.notifyJobAvailable();
      return job;
    },

    async getImportJob(caller: Caller, storeId: string, id: string): Promise<JobRecord> {
      await requireStore(deps, caller, storeId);
      return requireJob(storeId, id);
    },

    async listImportJobs(caller: Caller, storeId: string, filter: JobFilter, request: PageRequest): Promise<Page<JobSummary>> {
      const store = await requireStore(deps, caller, storeId);
      return page(paging, `jobs:${store.id}`, filter, request, (after, limit) => catalog.listJobs(store.id, filter, after, limit));
    },

    /**
     * The job, the progress its workers recorded for each source, and the uploads of its sources
     * that are local files (their bytes received so far, as the API process receiving them
     * records them) by source index (extension).
     */
    async getImportProgress(
      caller: Caller,
      storeId: string,
      id: string,
    ): Promise<{ job: JobRecord; progress: SourceProgress[]; uploads: Map<number, UploadRecord> }> {
      await requireStore(deps, caller, storeId);
      const job = await requireJob(storeId, id);
      const uploads = new Map<number, UploadRecord>();
      if (job.sources.some((s) => uploadIdOf(s.sourceFile))) {
        const byId = new Map((await catalog.uploadsOfJob(job.id)).map((u) => [u.id, u]));
        for (const s of job.sources) {
          const u = byId.get(uploadIdOf(s.sourceFile) ?? "");
          if (u) uploads.set(s.index, u);
        }
      }
      return { job, progress: await catalog.getProgress(job.id), uploads };
    },

    /** SUBMITTED ends CANCELLED at once; IN_PROGRESS becomes CANCELLING until its worker stops. */
    async cancelImportJob(caller: Caller, storeId: string, id: string): Promise<JobRecord> {
      await requireStore(deps, caller, storeId);
      const status = await catalog.requestCancel(storeId, id, deps.clock.now());
      if (status === undefined) throw new NotFound(`Import job ${id} not found in reference store ${storeId}`);
      // ended at once, never to reach a worker: its staged uploads go now
      if (status === "CANCELLED") for (const u of await catalog.uploadsOfJob(id)) await discardUpload(deps, u);
      await catalog.notifyJobAvailable();
      return requireJob(storeId, id);
    },
  };
}
