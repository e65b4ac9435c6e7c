// Tags on reference stores and references. A target that is not one of the caller's existing
// stores or references is "not found" (other accounts' resources included).

import { tagKey, type TagTarget } from "../catalog/ids.js";
import type { Caller, ServiceDeps } from "./context.js";
import { NotFound } from "./errors.js";

export type { TagTarget } from "../catalog/ids.js";

export function tagService(deps: ServiceDeps) {
  const { catalog } = deps;

  /** `name` is how the caller named the resource (an ARN), for the message. */
  async function requireTarget(caller: Caller, target: TagTarget, name: string): Promise<string> {
    const missing = () => new NotFound(`Resource ${name} not found`);
    if (!(await catalog.getStore(caller.accountId, target.storeId))) throw missing();
    if (target.referenceId !== undefined && !(await catalog.getReference(target.storeId, target.referenceId))) throw missing();
    return tagKey(target);
  }

  return {
    async tagResource(caller: Caller, target: TagTarget, name: string, tags: Record<string, string>): Promise<void> {
      await catalog.putTags(await requireTarget(caller, target, name), tags);
    },
    async untagResource(caller: Caller, target: TagTarget, name: string, keys: string[]): Promise<void> {
      await catalog.removeTags(await requireTarget(caller, target, name), keys);
    },
    async listTags(caller: Caller, target: TagTarget, name: string): Promise<Record<string, string>> {
      return catalog.getTags(await requireTarget(caller, target, name));
    },
  };
}
