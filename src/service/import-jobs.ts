// Import jobs: StartReferenceImportJob records a SUBMITTED job and returns at once; the worker
// (src/jobs) does the work. Get/List read the catalog; Cancel is refstore's extension.

import type { JobRecord, JobSummary } from "../catalog/types.js";
import { conflict, notFound } from "../api/aws/errors.js";
import type { Handler, ServiceDeps } from "./context.js";
import { requestDigest } from "./idempotency.js";
import { newId } from "../catalog/ids.js";
import { ms, page, Paging } from "./paging.js";
import { requireStore } from "./stores.js";

export function jobSummaryView(j: JobSummary) {
  return {
    id: j.id,
    referenceStoreId: j.storeId,
    roleArn: j.roleArn,
    status: j.status,
    creationTime: j.creationTime,
    completionTime: j.completionTime,
  };
}

export function jobView(j: JobRecord) {
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

export function importJobHandlers(deps: ServiceDeps, paging: Paging): Record<string, Handler> {
  const { catalog } = deps;

  async function requireJob(storeId: string, id: string): Promise<JobRecord> {
    const job = await catalog.getJob(storeId, id);
    if (!job) throw notFound(`Import job ${id} not found in reference store ${storeId}`);
    return job;
  }

  return {
    async StartReferenceImportJob(caller, input) {
      const store = await requireStore(deps, caller, input.referenceStoreId);
      const digest = requestDigest(input);
      if (input.clientToken !== undefined) {
        const prior = await catalog.findJobByClientToken(store.id, input.clientToken);
        if (prior) {
          if (prior.requestDigest !== digest)
            throw conflict(`clientToken ${input.clientToken} was already used with a different request`);
          return startView(prior);
        }
      }
      const job: JobRecord = {
        id: newId(),
        storeId: store.id,
        roleArn: input.roleArn,
        status: "SUBMITTED",
        creationTime: deps.clock.now(),
        clientToken: input.clientToken,
        requestDigest: digest,
        sources: (input.sources as any[]).map((s, index) => ({
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
      return startView(job);
    },

    async GetReferenceImportJob(caller, input) {
      await requireStore(deps, caller, input.referenceStoreId);
      return jobView(await requireJob(input.referenceStoreId, input.id));
    },

    async ListReferenceImportJobs(caller, input) {
      const store = await requireStore(deps, caller, input.referenceStoreId);
      const f = input.filter ?? {};
      const filter = { status: f.status, createdAfter: ms(f.createdAfter), createdBefore: ms(f.createdBefore) };
      const result = await page(paging, `jobs:${store.id}`, filter, input, (after, limit) =>
        catalog.listJobs(store.id, filter, after, limit),
      );
      return { importJobs: result.items.map(jobSummaryView), nextToken: result.nextToken };
    },

    // Extension: POST /referencestore/{referenceStoreId}/importjob/{id}/cancel
    async CancelReferenceImportJob(caller, input) {
      await requireStore(deps, caller, input.referenceStoreId);
      const status = await catalog.requestCancel(input.referenceStoreId, input.id, deps.clock.now());
      if (status === undefined) throw notFound(`Import job ${input.id} not found in reference store ${input.referenceStoreId}`);
      await catalog.notifyJobAvailable();
      return jobView(await requireJob(input.referenceStoreId, input.id));
    },
  };
}

function startView(j: JobRecord) {
  return { id: j.id, referenceStoreId: j.storeId, roleArn: j.roleArn, status: j.status, creationTime: j.creationTime };
}
