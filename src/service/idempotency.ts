// clientToken: the same token with the same request returns the first result; the same token
// with a different request is a ConflictException. The request is compared by a digest of its
// canonical JSON (keys sorted), leaving the token itself out.

import { createHash } from "node:crypto";

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

export function requestDigest(input: Record<string, unknown>): string {
  const { clientToken: _token, ...rest } = input;
  return createHash("sha256").update(JSON.stringify(canonical(rest))).digest("hex");
}
