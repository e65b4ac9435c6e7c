// nextToken: an opaque, HMAC-signed keyset position (creationTime, id) plus a digest of what the
// list was asked for (operation, scope, filter). A token is only good for the same list with the
// same filter; any change, or any tampering, is Invalid("nextToken"). Tokens do not expire:
// a keyset position stays meaningful forever.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Cursor } from "../catalog/types.js";
import type { Page, PageRequest } from "./context.js";
import { Invalid } from "./errors.js";

export class Paging {
  private readonly key: Buffer;
  constructor(secret: string) {
    this.key = createHash("sha256").update("refstore-next-token\0" + secret).digest();
  }

  /** `scope` names the list (operation + store or account); `filter` is the normalised filter. */
  encode(scope: string, filter: unknown, cursor: Cursor): string {
    const body = Buffer.from(
      JSON.stringify({ t: cursor.creationTime, i: cursor.id, f: this.digest(scope, filter) }),
    ).toString("base64url");
    return `${body}.${this.mac(body)}`;
  }

  decode(scope: string, filter: unknown, token: string | undefined): Cursor | undefined {
    if (token === undefined) return undefined;
    const bad = () => new Invalid("nextToken", "Invalid nextToken: it was not issued by this service for this request");
    const dot = token.indexOf(".");
    if (dot < 1) throw bad();
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.mac(body));
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw bad();
    let parsed: { t?: unknown; i?: unknown; f?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      throw bad();
    }
    if (typeof parsed.t !== "number" || typeof parsed.i !== "string") throw bad();
    if (parsed.f !== this.digest(scope, filter))
      throw new Invalid("nextToken", "Invalid nextToken: it belongs to a list with another store or another filter");
    return { creationTime: parsed.t, id: parsed.i };
  }

  private digest(scope: string, filter: unknown): string {
    return createHash("sha256").update(scope + "\0" + JSON.stringify(filter ?? {})).digest("base64url").slice(0, 16);
  }

  private mac(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url");
  }
}

/** Run a keyset list: fetch limit+1 to know whether a next page exists. */
export async function page<T extends { creationTime: number; id: string }>(
  paging: Paging,
  scope: string,
  filter: unknown,
  input: PageRequest,
  fetch: (after: Cursor | undefined, limit: number) => Promise<T[]>,
): Promise<Page<T>> {
  const limit = input.maxResults ?? 100;
  const after = paging.decode(scope, filter, input.nextToken);
  const rows = await fetch(after, limit + 1);
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextToken: paging.encode(scope, filter, { creationTime: last.creationTime, id: last.id }) };
}
