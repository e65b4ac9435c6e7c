// The service: one handler per operation name (the model's names, plus the Cancel extension).

import type { Handler, ServiceDeps } from "./context.js";
import { importJobHandlers } from "./import-jobs.js";
import { Paging } from "./paging.js";
import { referenceHandlers } from "./references.js";
import { storeHandlers } from "./stores.js";
import { tagHandlers } from "./tags.js";

export function createService(deps: ServiceDeps): Record<string, Handler> {
  const paging = new Paging(deps.config.tokenSecret);
  return {
    ...storeHandlers(deps, paging),
    ...importJobHandlers(deps, paging),
    ...referenceHandlers(deps, paging),
    ...tagHandlers(deps),
  };
}
