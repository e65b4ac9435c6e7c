// Reference stores: create, get, list, delete. Domain rules only; the wire is the protocol layer's.

import type { StoreRecord } from "../catalog/types.js";
import { conflict, notFound, ServiceError } from "../api/aws/errors.js";
import type { Caller, Handler, ServiceDeps } from "./context.js";
import { newId } from "../catalog/ids.js";
import { storeArn } from "./ids.js";
import { ms, page, Paging } from "./paging.js";
import { requestDigest } from "./idempotency.js";

export function storeView(caller: Caller, s: StoreRecord) {
  return {
    id: s.id,
    arn: storeArn(caller.region, s.account, s.id),
    name: s.name,
    description: s.description,
    sseConfig: s.sseConfig,
    creationTime: s.creationTime,
  };
}

/** The store, if it belongs to the caller; another account's store is "not found", like a missing one. */
export async function requireStore(deps: ServiceDeps, caller: Caller, id: string): Promise<StoreRecord> {
  const store = await deps.catalog.getStore(caller.accountId, id);
  if (!store) throw notFound(`Reference store ${id} not found`);
  return store;
}

export function storeHandlers(deps: ServiceDeps, paging: Paging): Record<string, Handler> {
  const { catalog, config } = deps;
  return {
    async CreateReferenceStore(caller, input) {
      const digest = requestDigest(input);
      if (input.clientToken !== undefined) {
        const prior = await catalog.findStoreByClientToken(caller.accountId, input.clientToken);
        if (prior) {
          if (prior.requestDigest !== digest)
            throw conflict(`clientToken ${input.clientToken} was already used with a different request`);
          return storeView(caller, prior);
        }
      }
      if (config.maxStoresPerAccount !== undefined) {
        const count = await catalog.countStores(caller.accountId);
        if (count >= config.maxStoresPerAccount)
          throw new ServiceError(
            "ServiceQuotaExceededException",
            `This account already has ${count} reference stores (limit ${config.maxStoresPerAccount})`,
          );
      }
      const store: StoreRecord = {
        account: caller.accountId,
        id: newId(),
        name: input.name,
        description: input.description,
        sseConfig: input.sseConfig,
        creationTime: deps.clock.now(),
        clientToken: input.clientToken,
        requestDigest: digest,
      };
      await catalog.insertStore(store);
      if (input.tags && Object.keys(input.tags).length > 0)
        await catalog.putTags(storeArn(caller.region, caller.accountId, store.id), input.tags);
      return storeView(caller, store);
    },

    async GetReferenceStore(caller, input) {
      return storeView(caller, await requireStore(deps, caller, input.id));
    },

    async ListReferenceStores(caller, input) {
      const f = input.filter ?? {};
      const filter = { name: f.name, createdAfter: ms(f.createdAfter), createdBefore: ms(f.createdBefore) };
      const result = await page(paging, `stores:${caller.accountId}`, filter, input, (after, limit) =>
        catalog.listStores(caller.accountId, filter, after, limit),
      );
      return { referenceStores: result.items.map((s) => storeView(caller, s)), nextToken: result.nextToken };
    },

    async DeleteReferenceStore(caller, input) {
      const outcome = await catalog.deleteStore(caller.accountId, input.id);
      if (outcome === "not-found") throw notFound(`Reference store ${input.id} not found`);
      if (outcome === "not-empty")
        throw conflict(`Reference store ${input.id} still holds references: delete them first`);
      await catalog.deleteAllTags(storeArn(caller.region, caller.accountId, input.id));
      return {};
    },
  };
}
