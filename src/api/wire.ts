// Small rules of the HTTP wire that the router, the parser, SigV4 and the serialiser all need:
// one copy each.

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Split a raw request target ("/a/b?x=1", or absolute-form "http://h/a/b?x=1") into path + query. */
export function splitUrl(rawUrl: string): { rawPath: string; rawQuery: string } {
  let url = rawUrl || "/";
  if (!url.startsWith("/")) {
    // absolute-form request target (proxies): drop scheme and authority
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(url);
    url = m ? url.slice(m[0].length) || "/" : "/" + url;
    if (!url.startsWith("/")) url = "/" + url;
  }
  const hash = url.indexOf("#");
  if (hash >= 0) url = url.slice(0, hash);
  const q = url.indexOf("?");
  return q < 0 ? { rawPath: url, rawQuery: "" } : { rawPath: url.slice(0, q), rawQuery: url.slice(q + 1) };
}

/** A header's value by name, case-insensitively (Node lower-cases, hand-built bags may not); repeats joined by ",". */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const want = name.toLowerCase();
  let v = headers[want];
  if (v === undefined) {
    for (const k of Object.keys(headers)) {
      if (k.toLowerCase() === want) {
        v = headers[k];
        break;
      }
    }
  }
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(",") : v;
}

export const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** defineProperty, so that a key like "__proto__" (a legal tag key) stays a plain own property. */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}
