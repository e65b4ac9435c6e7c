// The service: the domain's operations over the catalog and the blob store, in no protocol's
// terms. APIs (src/api/*) call it and word its results and errors for their wire.

import type { ServiceDeps } from "./context.js";
import { ga4ghService } from "./ga4gh.js";
import { importJobService } from "./import-jobs.js";
import { Paging } from "./paging.js";
import { referenceService } from "./references.js";
import { storeService } from "./stores.js";
import { tagService } from "./tags.js";
import { uploadService } from "./uploads.js";

export function createService(deps: ServiceDeps) {
  const paging = new Paging(deps.settings.tokenSecret);
  return {
    stores: storeService(deps, paging),
    importJobs: importJobService(deps, paging),
    references: referenceService(deps, paging),
    tags: tagService(deps),
    uploads: uploadService(deps),
    ga4gh: ga4ghService(deps),
  };
}

export type Service = ReturnType<typeof createService>;
export type { Caller, Page, PageRequest, ServiceDeps, ServiceSettings } from "./context.js";
export { Clock } from "./context.js";
export * from "./errors.js";
export type { AccountScope } from "./ga4gh.js";
