// Import jobs: startImportJob records a SUBMITTED job and returns at once; the worker (src/jobs)
// does the work. get/list read the catalog; cancel is refstore's own (AWS has no cancel).

import { newId } from "../catalog/ids.js";
import type { JobFilter, JobRecord, JobSummary, SourceProgress } from "../catalog/types.js";
import type { Caller, Page, PageRequest, ServiceDeps } from "./context.js";
import { NotFound } from "./errors.js";
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

    /** The job and the progress its workers recorded for each source (extension). */
    async getImportProgress(caller: Caller, storeId: string, id: string): Promise<{ job: JobRecord; progress: SourceProgress[] }> {
      await requireStore(deps, caller, storeId);
      const job = await requireJob(storeId, id);
      return { job, progress: await catalog.getProgress(job.id) };
    },

    /** SUBMITTED ends CANCELLED at once; IN_PROGRESS becomes CANCELLING until its worker stops. */
    async cancelImportJob(caller: Caller, storeId: string, id: string): Promise<JobRecord> {
      await requireStore(deps, caller, storeId);
      const status = await catalog.requestCancel(storeId, id, deps.clock.now());
      if (status === undefined) throw new NotFound(`Import job ${id} not found in reference store ${storeId}`);
      await catalog.notifyJobAvailable();
      return requireJob(storeId, id);
    },
  };
}
