// Routing: method + RAW path (still percent-encoded) → operation, then each captured label is
// percent-decoded. The table is built from the model's requestUri templates (including the
// refstore extension operations, which extensions.ts adds to the model).
// The Host header plays no part.

import { model, type Operation } from "./model.js";
import { AwsError } from "./errors.js";
import { splitUrl } from "./wire.js";

export interface RouteMatch {
  /** operation name, e.g. "GetReference" (parseRequest/serializeOutput accept it directly) */
  operation: string;
  /** the operation's model entry */
  definition: Operation;
  /** label name (as in the template, e.g. "referenceStoreId") → percent-decoded value */
  labels: Record<string, string>;
  /** the raw query string without the leading "?" ("" when none) */
  rawQuery: string;
  /** the raw path, still percent-encoded */
  rawPath: string;
}

type Segment = { literal: string } | { label: string; greedy: boolean };

interface Route {
  operation: Operation;
  method: string;
  segments: Segment[];
  /** literal segments count higher than labels so "/a/b" beats "/a/{x}" */
  specificity: number;
}

function compileTemplate(op: Operation): Route {
  // A botocore requestUri may carry a constant query part ("/x?foo"); only the path matters here.
  const path = op.http.requestUri.split("?")[0];
  const parts = path.split("/").slice(1);
  const segments: Segment[] = parts.map((p) => {
    const m = /^\{([^}+]+)(\+?)\}$/.exec(p);
    return m ? { label: m[1], greedy: m[2] === "+" } : { literal: p };
  });
  const specificity = segments.reduce((n, s) => n + ("literal" in s ? 2 : 1), 0);
  return { operation: op, method: op.http.method.toUpperCase(), segments, specificity };
}

const ROUTES: Route[] = Object.values(model.operations)
  .map(compileTemplate)
  .sort((a, b) => b.specificity - a.specificity);

/** The route table, for inspection/tests: operation name, method and requestUri template. */
export const routeTable: ReadonlyArray<{ operation: string; method: string; requestUri: string }> = ROUTES.map((r) => ({
  operation: r.operation.name,
  method: r.method,
  requestUri: r.operation.http.requestUri,
}));

/** Match raw path segments against a template; returns raw (still encoded) label values. */
function matchSegments(route: Route, parts: string[]): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  const segs = route.segments;
  let i = 0;
  for (let s = 0; s < segs.length; s++) {
    const seg = segs[s];
    if ("literal" in seg) {
      if (parts[i] !== seg.literal) return undefined;
      i++;
    } else if (seg.greedy) {
      // greedy label: everything up to what the remaining template needs
      const rest = segs.length - s - 1;
      const take = parts.length - i - rest;
      if (take < 1) return undefined;
      const v = parts.slice(i, i + take).join("/");
      if (v === "") return undefined;
      labels[seg.label] = v;
      i += take;
    } else {
      const v = parts[i];
      if (v === undefined || v === "") return undefined;
      labels[seg.label] = v;
      i++;
    }
  }
  return i === parts.length ? labels : undefined;
}

function decodeLabel(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AwsError("ValidationException", `Value at '${name}' is not valid percent-encoding`);
  }
}

/**
 * Find the operation for `method` + raw request target (path with optional query, as in Node's
 * `req.url`). Throws AwsError UnknownOperationException (404) when nothing matches — also
 * when the path is known but the method is not (the message says which methods the path takes),
 * and ValidationException (400) when a label is not valid percent-encoding.
 */
export function route(method: string, rawUrl: string): RouteMatch {
  const { rawPath, rawQuery } = splitUrl(rawUrl);
  const parts = rawPath.split("/").slice(1);
  const m = method.toUpperCase();
  const otherMethods = new Set<string>();
  for (const r of ROUTES) {
    const raw = matchSegments(r, parts);
    if (!raw) continue;
    if (r.method !== m) {
      otherMethods.add(r.method);
      continue;
    }
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) labels[k] = decodeLabel(k, v);
    return { operation: r.operation.name, definition: r.operation, labels, rawQuery, rawPath };
  }
  const shown = rawPath.length > 200 ? rawPath.slice(0, 200) + "…" : rawPath;
  if (otherMethods.size > 0) {
    throw new AwsError(
      "UnknownOperationException",
      `No operation matches ${m} ${shown} (this path accepts ${[...otherMethods].sort().join(", ")})`,
    );
  }
  throw new AwsError("UnknownOperationException", `No operation matches ${m} ${shown}`);
}
