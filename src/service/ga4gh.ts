// What the GA4GH read paths ask of the domain: sequences by digest across live references,
// their bases, references as sequence collections, and a reference's files by name. Every call
// takes a scope: every account (refget `open` mode) or one (`signed`), another account's things
// being as absent as unknown ones. Wire matters (status codes, content types, query syntax) are
// api/ga4gh's.

import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { BlobNotFound } from "../blobs/types.js";
import type { AccountScope, CollectionRecord, ReferenceRecord, SequenceCopy } from "../catalog/types.js";
import {
  compareCollections,
  level0Of,
  level1Of,
  SEQCOL_ATTRIBUTES,
  seqcolLevel2,
  TRANSIENT_ATTRIBUTES,
  type SeqcolAttribute,
  type SeqcolComparison,
} from "../fasta/seqcol.js";
import type { ServiceDeps } from "./context.js";
import { Invalid, NotFound } from "./errors.js";
import { SequenceReader, StoredSequenceError } from "./sequence-reader.js";

export type { AccountScope } from "../catalog/types.js";
export { SEQCOL_ATTRIBUTES, SEQCOL_SCHEMA, type SeqcolAttribute } from "../fasta/seqcol.js";

/** Copies of one sequence looked at (a sequence in many references is still one sequence). */
const MAX_COPIES = 100;

/** `md5`, `md5:<md5>`, `SQ.<…>` or `ga4gh:SQ.<…>` → the catalog lookup; undefined if no such form. */
export function parseSequenceId(id: string): { by: "md5" | "ga4gh"; digest: string } | undefined {
  let m = /^(?:md5:)?([0-9a-fA-F]{32})$/.exec(id);
  if (m) return { by: "md5", digest: m[1].toLowerCase() };
  m = /^(?:ga4gh:)?(SQ\.[A-Za-z0-9_-]{32})$/.exec(id);
  if (m) return { by: "ga4gh", digest: m[1] };
  return undefined;
}

export interface SequenceMetadata {
  md5: string;
  ga4gh: string;
  length: number;
  /** the sequence's name in each reference that holds it (distinct) */
  names: string[];
}

/** A file of a reference as /files serves it. */
export interface ReferenceFileView {
  kind: "source" | "index" | "gzi" | "dict";
  length: number;
  /** a strong validator: the bytes under one URL never change (blobs are immutable) */
  etag: string;
  read(start: number, endInclusive: number): Promise<Readable>;
}

export function ga4ghService(deps: ServiceDeps) {
  const { catalog, blobs } = deps;
  const reader = new SequenceReader(blobs);

  async function copies(id: string, scope: AccountScope): Promise<SequenceCopy[]> {
    const parsed = parseSequenceId(id);
    const found = parsed ? await catalog.findSequences(parsed.by, parsed.digest, scope, MAX_COPIES) : [];
    if (found.length === 0) throw new NotFound(`no sequence ${id}`);
    return found;
  }

  async function collection(digest: string, scope: AccountScope): Promise<CollectionRecord> {
    const c = await catalog.getCollection(digest, scope);
    if (!c) throw new NotFound(`no sequence collection ${digest}`);
    return c;
  }

  const level2 = (c: CollectionRecord) => seqcolLevel2(c.sequences);

  async function reference(storeId: string, referenceId: string, scope: AccountScope): Promise<ReferenceRecord> {
    const missing = () => new NotFound(`no reference ${storeId}/${referenceId}`);
    if (!/^[0-9]{10}$/.test(storeId) || !/^[0-9]{10}$/.test(referenceId)) throw missing();
    const ref = await catalog.getReference(storeId, referenceId);
    if (!ref || ref.status !== "ACTIVE") throw missing();
    if (scope.account !== undefined && (await catalog.accountOfStore(storeId)) !== scope.account) throw missing();
    return ref;
  }

  return {
    async sequenceMetadata(id: string, scope: AccountScope): Promise<SequenceMetadata> {
      const found = await copies(id, scope);
      return {
        md5: found[0].md5,
        ga4gh: found[0].ga4gh,
        length: found[0].length,
        names: [...new Set(found.map((c) => c.name))],
      };
    },

    /**
     * Bases of the sequence from any live copy (a Buffer when small, else a stream): `window` turns its length into [start, end)
     * (and may throw: the protocol's checks), so that one lookup serves both. A copy whose
     * reference went away between the lookup and the read is passed over for the next.
     */
    async readSequence(
      id: string,
      scope: AccountScope,
      window: (length: number) => { start: number; end: number },
    ): Promise<{ body: Buffer | Readable; length: number; start: number; end: number }> {
      const found = await copies(id, scope);
      const { start, end } = window(found[0].length);
      let last: unknown;
      for (const copy of found) {
        try {
          return { body: await reader.bases(copy, start, end), length: copy.length, start, end };
        } catch (err) {
          if (!(err instanceof BlobNotFound) && !(err instanceof StoredSequenceError)) throw err;
          last = err;
        }
      }
      if (last instanceof BlobNotFound) throw new NotFound(`no sequence ${id}`);
      throw last;
    },

    // --- sequence collections -------------------------------------------------------------------

    async collectionLevel1(digest: string, scope: AccountScope): Promise<Record<SeqcolAttribute, string>> {
      return (await collection(digest, scope)).level1;
    },

    async collectionLevel2(digest: string, scope: AccountScope) {
      return level2(await collection(digest, scope));
    },

    async compare(a: string, b: string, scope: AccountScope): Promise<SeqcolComparison> {
      const [ca, cb] = await Promise.all([collection(a, scope), collection(b, scope)]);
      return compareCollections(level2(ca), level2(cb), { a: ca.digest, b: cb.digest });
    },

    /** Compare a stored collection with one given as its level-2 value. */
    async compareWith(a: string, given: unknown, scope: AccountScope): Promise<SeqcolComparison> {
      if (typeof given !== "object" || given === null || Array.isArray(given))
        throw new Invalid("body", "the body must be a level-2 sequence collection (a JSON object of arrays)");
      const entries = Object.entries(given as Record<string, unknown>);
      for (const [k, v] of entries) if (!Array.isArray(v)) throw new Invalid(k, `attribute ${k} must be an array`);
      const ca = await collection(a, scope);
      let bDigest: string | null = null;
      if (entries.some(([k]) => k === "names") && entries.some(([k]) => k === "sequences"))
        bDigest = level0Of(level1Of(given as Record<string, unknown>));
      return compareCollections(level2(ca), given as object, { a: ca.digest, b: bDigest });
    },

    async listCollections(filter: Partial<Record<SeqcolAttribute, string>>, scope: AccountScope, page: number, pageSize: number) {
      return catalog.listCollections(filter, scope, page * pageSize, pageSize);
    },

    /** The level-2 value of an attribute given its level-1 digest (transient ones have none). */
    async attribute(attribute: string, digest: string, scope: AccountScope): Promise<unknown> {
      const attr = attribute as SeqcolAttribute;
      if (!SEQCOL_ATTRIBUTES.includes(attr) || TRANSIENT_ATTRIBUTES.includes(attr))
        throw new NotFound(`no attribute ${attribute} to retrieve`);
      const c = await catalog.findCollectionByAttribute(attr, digest, scope);
      if (!c) throw new NotFound(`no ${attribute} with digest ${digest}`);
      return (level2(c) as unknown as Record<string, unknown>)[attr];
    },

    // --- files ------------------------------------------------------------------------------

    /**
     * A reference's file picked by the ending of `fileName`: `.fai` the index, `.gzi` the BGZF
     * index (BGZF sources only), `.dict` the sequence dictionary naming `sourceUrl`, anything
     * else the SOURCE as uploaded.
     */
    async file(storeId: string, referenceId: string, fileName: string, scope: AccountScope, sourceUrl: string): Promise<ReferenceFileView> {
      const ref = await reference(storeId, referenceId, scope);
      const blobView = (kind: ReferenceFileView["kind"], key: string, length: number, etag: string): ReferenceFileView => ({
        kind,
        length,
        etag,
        read: (start, end) => blobs.read(key, start, end),
      });
      if (fileName.endsWith(".fai")) return blobView("index", ref.index.key, ref.index.contentLength, `"${ref.id}-fai"`);
      if (fileName.endsWith(".gzi")) {
        const key = ref.extraKeys.find((k) => k.endsWith(".gzi"));
        if (ref.compression !== "bgzf" || !key) throw new NotFound(`reference ${referenceId} is not BGZF-compressed: it has no .gzi`);
        const size = await blobs.size(key);
        if (size === undefined) throw new NotFound(`no .gzi for reference ${referenceId}`);
        return blobView("gzi", key, size, `"${ref.id}-gzi"`);
      }
      if (fileName.endsWith(".dict")) {
        const dict = Buffer.from(sequenceDictionary(ref, sourceUrl));
        return {
          kind: "dict",
          length: dict.length,
          etag: `"${createHash("md5").update(dict).digest("hex")}"`,
          read: async (start, end) => Readable.from([dict.subarray(start, end + 1)]),
        };
      }
      return blobView("source", ref.source.key, ref.source.contentLength, `"${ref.md5}"`);
    },
  };
}

/** What `samtools dict -u <sourceUrl>` writes for the reference's FASTA. */
export function sequenceDictionary(ref: Pick<ReferenceRecord, "sequences">, sourceUrl: string): string {
  let out = "@HD\tVN:1.0\tSO:unsorted\n";
  for (const s of ref.sequences) out += `@SQ\tSN:${s.name}\tLN:${s.length}\tM5:${s.md5}\tUR:${sourceUrl}\n`;
  return out;
}

export type Ga4ghService = ReturnType<typeof ga4ghService>;
