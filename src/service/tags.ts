// Tags on reference stores and references, keyed by ARN. An ARN that is not one of the caller's
// existing stores or references is "not found" (other accounts' resources included).

import { notFound } from "../api/aws/errors.js";
import type { Caller, Handler, ServiceDeps } from "./context.js";
import { parseArn } from "./ids.js";

export function tagHandlers(deps: ServiceDeps): Record<string, Handler> {
  const { catalog } = deps;

  async function requireResource(caller: Caller, arn: string): Promise<string> {
    const p = parseArn(arn);
    const missing = () => notFound(`Resource ${arn} not found`);
    if (!p || p.account !== caller.accountId || p.region !== caller.region) throw missing();
    const store = await catalog.getStore(caller.accountId, p.storeId);
    if (!store) throw missing();
    if (p.kind === "reference" && !(await catalog.getReference(p.storeId, p.referenceId))) throw missing();
    return arn;
  }

  return {
    async TagResource(caller, input) {
      await catalog.putTags(await requireResource(caller, input.resourceArn), input.tags ?? {});
      return {};
    },
    async UntagResource(caller, input) {
      await catalog.removeTags(await requireResource(caller, input.resourceArn), input.tagKeys ?? []);
      return {};
    },
    async ListTagsForResource(caller, input) {
      return { tags: await catalog.getTags(await requireResource(caller, input.resourceArn)) };
    },
  };
}
