// References: list, metadata, parts of SOURCE/INDEX, delete. References come into being only
// through import jobs (src/jobs).

import type { Readable } from "node:stream";
import { tagKey } from "../catalog/ids.js";
import { referenceBlobKeys, type FileInfo, type ReferenceFilter, type ReferenceRecord, type SequenceInfo } from "../catalog/types.js";
import { seqcolDigests } from "../fasta/seqcol.js";
import type { Caller, Page, PageRequest, ServiceDeps } from "./context.js";
import { Invalid, NotFound } from "./errors.js";
import { page, type Paging } from "./paging.js";
import { resolveByteRange } from "./ranges.js";
import { requireStore } from "./stores.js";

const MAX_PARTS = 10_000;

export type ReferenceFile = "SOURCE" | "INDEX";

/** How a stored file is cut into parts for reading. */
export interface PartGeometry {
  contentLength: number;
  partSize: number;
  totalParts: number;
}

/** Part geometry: the configured part size (100 MiB), grown only if the file needs > 10,000 parts. */
export function partGeometry(contentLength: number, configured: number): PartGeometry {
  const partSize = Math.max(configured, Math.ceil(contentLength / MAX_PARTS));
  return { contentLength, partSize, totalParts: Math.max(1, Math.ceil(contentLength / partSize)) };
}

/** Bytes of one part of a reference's file, possibly a range within the part. */
export interface PartRead {
  stream: Readable;
  /** bytes in the stream */
  length: number;
  /** the bytes of the part the range selected (inclusive), when a range was asked for */
  range?: { start: number; end: number };
  partLength: number;
}

/** A reference's GA4GH identifiers, as the catalog holds them (no byte is read). */
export interface ReferenceIdentifiers {
  reference: ReferenceRecord;
  /** name, length, md5, ga4gh (`SQ.…`) of each sequence in file order */
  sequences: SequenceInfo[];
  /** the seqcol level-0 digest */
  seqcolDigest: string;
}

export function referenceService(deps: ServiceDeps, paging: Paging) {
  const { catalog, blobs, settings } = deps;

  async function requireReference(caller: Caller, storeId: string, id: string): Promise<ReferenceRecord> {
    await requireStore(deps, caller, storeId);
    const ref = await catalog.getReference(storeId, id);
    if (!ref) throw new NotFound(`Reference ${id} not found in reference store ${storeId}`);
    return ref;
  }

  const geometry = (f: FileInfo) => partGeometry(f.contentLength, settings.partSize);

  return {
    geometry,

    async listReferences(caller: Caller, storeId: string, filter: ReferenceFilter, request: PageRequest): Promise<Page<ReferenceRecord>> {
      const store = await requireStore(deps, caller, storeId);
      const normalised = { ...filter, md5: filter.md5?.toLowerCase() };
      return page(paging, `references:${store.id}`, normalised, request, (after, limit) =>
        catalog.listReferences(store.id, normalised, after, limit),
      );
    },

    getReference: requireReference,

    /** The digests of a reference and of its sequences (404s as getReference). */
    async identifiers(caller: Caller, storeId: string, id: string): Promise<ReferenceIdentifiers> {
      const reference = await requireReference(caller, storeId, id);
      // the same rule the import used to index the collection: recomputing it from the catalog's
      // per-sequence facts costs a few hashes of JSON arrays, a lookup would cost a query
      return { reference, sequences: reference.sequences, seqcolDigest: seqcolDigests(reference.sequences).digest };
    },

    /** Part `partNumber` (1-based) of SOURCE or INDEX; `range` (bytes=…) is relative to the part. */
    async readPart(
      caller: Caller,
      storeId: string,
      id: string,
      request: { file: ReferenceFile; partNumber: number; range?: string },
    ): Promise<PartRead> {
      const r = await requireReference(caller, storeId, id);
      const file = request.file === "SOURCE" ? r.source : r.index;
      const g = geometry(file);
      if (request.partNumber > g.totalParts)
        throw new Invalid(
          "partNumber",
          `partNumber ${request.partNumber} is beyond the last part of ${request.file} (totalParts is ${g.totalParts})`,
        );
      const partStart = (request.partNumber - 1) * g.partSize;
      const partLength = Math.min(g.partSize, g.contentLength - partStart);
      const range = request.range === undefined ? undefined : resolveByteRange("range", request.range, partLength, "the part");
      const start = partStart + (range?.start ?? 0);
      const end = partStart + (range?.end ?? partLength - 1);
      return { stream: await blobs.read(file.key, start, end), length: end - start + 1, range, partLength };
    },

    async deleteReference(caller: Caller, storeId: string, id: string): Promise<void> {
      await requireStore(deps, caller, storeId);
      const r = await catalog.deleteReference(storeId, id);
      if (!r) throw new NotFound(`Reference ${id} not found in reference store ${storeId}`);
      await catalog.deleteAllTags(tagKey({ storeId: r.storeId, referenceId: r.id }));
      for (const key of referenceBlobKeys(r)) await blobs.delete(key);
    },
  };
}
