// Reference stores: create, get, list, delete. Domain rules only; each API words them its way.

import { newId, tagKey } from "../catalog/ids.js";
import type { SseConfig, StoreFilter, StoreRecord } from "../catalog/types.js";
import type { Caller, Page, PageRequest, ServiceDeps } from "./context.js";
import { Conflict, NotFound, QuotaExceeded } from "./errors.js";
import { replayOf, requestDigest } from "./idempotency.js";
import { page, type Paging } from "./paging.js";

export interface NewStore {
  name: string;
  description?: string;
  sseConfig?: SseConfig;
  tags?: Record<string, string>;
  clientToken?: string;
}

/** The store, if it belongs to the caller; another account's store is "not found", like a missing one. */
export async function requireStore(deps: ServiceDeps, caller: Caller, id: string): Promise<StoreRecord> {
  const store = await deps.catalog.getStore(caller.accountId, id);
  if (!store) throw new NotFound(`Reference store ${id} not found`);
  return store;
}

export function storeService(deps: ServiceDeps, paging: Paging) {
  const { catalog, settings } = deps;
  return {
    async createStore(caller: Caller, request: NewStore): Promise<StoreRecord> {
      const digest = requestDigest(request);
      const prior = await replayOf(request.clientToken, digest, (t) => catalog.findStoreByClientToken(caller.accountId, t));
      if (prior) return prior;
      if (settings.maxStoresPerAccount !== undefined) {
        const count = await catalog.countStores(caller.accountId);
        if (count >= settings.maxStoresPerAccount)
          throw new QuotaExceeded(`This account already has ${count} reference stores (limit ${settings.maxStoresPerAccount})`);
      }
      const store: StoreRecord = {
        account: caller.accountId,
        id: newId(),
        name: request.name,
        description: request.description,
        sseConfig: request.sseConfig,
        creationTime: deps.clock.now(),
        clientToken: request.clientToken,
        requestDigest: digest,
      };
      await catalog.insertStore(store);
      if (request.tags && Object.keys(request.tags).length > 0) await catalog.putTags(tagKey({ storeId: store.id }), request.tags);
      return store;
    },

    getStore: (caller: Caller, id: string): Promise<StoreRecord> => requireStore(deps, caller, id),

    listStores(caller: Caller, filter: StoreFilter, request: PageRequest): Promise<Page<StoreRecord>> {
      return page(paging, `stores:${caller.accountId}`, filter, request, (after, limit) =>
        catalog.listStores(caller.accountId, filter, after, limit),
      );
    },

    async deleteStore(caller: Caller, id: string): Promise<void> {
      const outcome = await catalog.deleteStore(caller.accountId, id);
      if (outcome === "not-found") throw new NotFound(`Reference store ${id} not found`);
      if (outcome === "not-empty") throw new Conflict(`Reference store ${id} still holds references: delete them first`);
      await catalog.deleteAllTags(tagKey({ storeId: id }));
    },
  };
}
