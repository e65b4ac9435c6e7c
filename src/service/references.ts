// References: list, metadata, parts of SOURCE/INDEX, delete. References come into being only
// through import jobs (src/jobs).

import type { FileInfo, ReferenceRecord } from "../catalog/types.js";
import { notFound, ServiceError, validation } from "../api/aws/errors.js";
import type { Caller, Handler, ServiceDeps } from "./context.js";
import { referenceArn } from "./ids.js";
import { ms, page, Paging } from "./paging.js";
import { requireStore } from "./stores.js";

const MAX_PARTS = 10_000;

/** Part geometry: the configured part size (100 MiB), grown only if the file needs > 10,000 parts. */
export function partGeometry(contentLength: number, configured: number) {
  const partSize = Math.max(configured, Math.ceil(contentLength / MAX_PARTS));
  return { contentLength, partSize, totalParts: Math.max(1, Math.ceil(contentLength / partSize)) };
}

function referenceListView(caller: Caller, r: ReferenceRecord) {
  return {
    id: r.id,
    arn: referenceArn(caller.region, caller.accountId, r.storeId, r.id),
    referenceStoreId: r.storeId,
    md5: r.md5,
    status: r.status,
    name: r.name,
    description: r.description,
    creationTime: r.creationTime,
    updateTime: r.updateTime,
  };
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`, relative to the part; undefined for the whole part. */
export function parseRange(header: string | undefined, partLength: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === ""))
    throw validation(`Invalid range "${header}": expected bytes=first-last, bytes=first- or bytes=-suffix`);
  const unsatisfiable = () =>
    new ServiceError("RangeNotSatisfiableException", `Range "${header}" is outside the part (${partLength} bytes)`);
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) throw unsatisfiable();
    return { start: Math.max(0, partLength - n), end: partLength - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? partLength - 1 : Math.min(Number(m[2]), partLength - 1);
  if (m[2] !== "" && Number(m[2]) < start)
    throw validation(`Invalid range "${header}": the last byte comes before the first`);
  if (start >= partLength) throw unsatisfiable();
  return { start, end };
}

export function referenceHandlers(deps: ServiceDeps, paging: Paging): Record<string, Handler> {
  const { catalog, blobs, config } = deps;

  async function requireReference(caller: Caller, storeId: string, id: string): Promise<ReferenceRecord> {
    await requireStore(deps, caller, storeId);
    const ref = await catalog.getReference(storeId, id);
    if (!ref) throw notFound(`Reference ${id} not found in reference store ${storeId}`);
    return ref;
  }

  const fileInfo = (f: FileInfo) => partGeometry(f.contentLength, config.partSize);

  return {
    async ListReferences(caller, input) {
      const store = await requireStore(deps, caller, input.referenceStoreId);
      const f = input.filter ?? {};
      const filter = {
        name: f.name,
        md5: f.md5?.toLowerCase(),
        createdAfter: ms(f.createdAfter),
        createdBefore: ms(f.createdBefore),
      };
      const result = await page(paging, `references:${store.id}`, filter, input, (after, limit) =>
        catalog.listReferences(store.id, filter, after, limit),
      );
      return { references: result.items.map((r) => referenceListView(caller, r)), nextToken: result.nextToken };
    },

    async GetReferenceMetadata(caller, input) {
      const r = await requireReference(caller, input.referenceStoreId, input.id);
      return {
        ...referenceListView(caller, r),
        files: { source: fileInfo(r.source), index: fileInfo(r.index) },
        creationType: "IMPORT",
        creationJobId: r.creationJobId,
      };
    },

    async GetReference(caller, input) {
      const r = await requireReference(caller, input.referenceStoreId, input.id);
      const which = (input.file ?? "SOURCE") as "SOURCE" | "INDEX";
      const file = which === "SOURCE" ? r.source : r.index;
      const g = fileInfo(file);
      const part: number = input.partNumber;
      if (part > g.totalParts)
        throw validation(`partNumber ${part} is beyond the last part of ${which} (totalParts is ${g.totalParts})`);
      const partStart = (part - 1) * g.partSize;
      const partLength = Math.min(g.partSize, g.contentLength - partStart);
      const range = parseRange(input.range, partLength);
      const start = partStart + (range?.start ?? 0);
      const end = partStart + (range?.end ?? partLength - 1);
      const stream = await blobs.read(file.key, start, end);
      const headers: Record<string, string> = {
        "content-type": "application/octet-stream",
        "content-length": String(end - start + 1),
      };
      if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${partLength}`;
      return { payload: stream, $headers: headers };
    },

    async DeleteReference(caller, input) {
      await requireStore(deps, caller, input.referenceStoreId);
      const r = await catalog.deleteReference(input.referenceStoreId, input.id);
      if (!r) throw notFound(`Reference ${input.id} not found in reference store ${input.referenceStoreId}`);
      await catalog.deleteAllTags(referenceArn(caller.region, caller.accountId, r.storeId, r.id));
      for (const key of [r.source.key, r.index.key, ...r.extraKeys]) await blobs.delete(key);
      return {};
    },
  };
}
