// Identifiers and ARNs, in the forms the AWS model fixes (API.md §6.1).

export function storeArn(region: string, account: string, storeId: string): string {
  return `arn:aws:omics:${region}:${account}:referenceStore/${storeId}`;
}

export function referenceArn(region: string, account: string, storeId: string, referenceId: string): string {
  return `${storeArn(region, account, storeId)}/reference/${referenceId}`;
}

export type ParsedArn =
  | { kind: "store"; region: string; account: string; storeId: string }
  | { kind: "reference"; region: string; account: string; storeId: string; referenceId: string };

const ARN = /^arn:aws:omics:([a-z0-9-]+):([0-9]{12}):referenceStore\/([0-9]{10,36})(?:\/reference\/([0-9]{10,36}))?$/;

/** Parse one of refstore's own ARNs; anything else is undefined. */
export function parseArn(arn: string): ParsedArn | undefined {
  const m = ARN.exec(arn);
  if (!m) return undefined;
  const [, region, account, storeId, referenceId] = m;
  return referenceId
    ? { kind: "reference", region, account, storeId, referenceId }
    : { kind: "store", region, account, storeId };
}
