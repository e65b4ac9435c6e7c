// ARNs of stores and references, in the form the AWS model fixes.
// The domain has no ARNs: a tag's target is a store id and maybe a reference id.

import type { TagTarget } from "../../service/tags.js";

export function storeArn(region: string, account: string, storeId: string): string {
  return `arn:aws:omics:${region}:${account}:referenceStore/${storeId}`;
}

export function referenceArn(region: string, account: string, storeId: string, referenceId: string): string {
  return `${storeArn(region, account, storeId)}/reference/${referenceId}`;
}

const ARN = /^arn:aws:omics:([a-z0-9-]+):([0-9]{12}):referenceStore\/([0-9]{10,36})(?:\/reference\/([0-9]{10,36}))?$/;

/** The resource one of refstore's own ARNs names; anything else is undefined. */
export function parseArn(arn: string): (TagTarget & { region: string; account: string }) | undefined {
  const m = ARN.exec(arn);
  if (!m) return undefined;
  const [, region, account, storeId, referenceId] = m;
  return referenceId === undefined ? { region, account, storeId } : { region, account, storeId, referenceId };
}
