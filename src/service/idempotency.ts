// clientToken: the same token with the same request returns the first result; the same token
// with a different request is a Conflict. The request is compared by a digest of its canonical
// JSON (keys sorted), leaving the token itself out.

import { createHash } from "node:crypto";
import { Conflict } from "./errors.js";

function canonical(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

/** Digest of a request, its clientToken left out (stored with the row the request created). */
export function requestDigest(request: object): string {
  const { clientToken: _token, ...rest } = request as { clientToken?: unknown };
  return createHash("sha256").update(JSON.stringify(canonical(rest))).digest("hex");
}

/**
 * The row an earlier request with this clientToken created, if any: returned again when the
 * request is the same, a Conflict when it differs.
 */
export async function replayOf<T extends { requestDigest?: string }>(
  clientToken: string | undefined,
  digest: string,
  find: (clientToken: string) => Promise<T | undefined>,
): Promise<T | undefined> {
  if (clientToken === undefined) return undefined;
  const prior = await find(clientToken);
  if (prior && prior.requestDigest !== digest)
    throw new Conflict(`clientToken ${clientToken} was already used with a different request`);
  return prior;
}
