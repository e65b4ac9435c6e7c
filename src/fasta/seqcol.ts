// GA4GH sequence collections 1.0 (refget seqcol): a reference is a collection of its sequences.
// Pure: computed from per-sequence facts (name, length, SQ. digest), never from the bytes.
//
// Attributes served (the spec's base schema plus its recommended extras):
//   names, lengths, sequences      collated, level 2 in file order; names + sequences inherent
//   name_length_pairs              collated: [{length, name}] (recommended, §5.1)
//   sorted_sequences               the sequences sorted (optional, §5.3; not transient here, as
//                                  the refget reference server serves it and its comparison
//                                  vectors list it)
//   sorted_name_length_pairs       transient (§5.2): each pair canonicalised and digested, the
//                                  digests sorted; only its level-1 digest exists
// Digests: sha512t24u (base64url of the first 24 bytes of SHA-512, no prefix) of the RFC-8785
// canonical JSON of each attribute (level 1); level 0 digests {names, sequences} the same way.

import { createHash } from "node:crypto";

export interface SeqcolSequence {
  name: string;
  length: number;
  /** the refget id, `SQ.<sha512t24u>` */
  ga4gh: string;
}

export interface NameLengthPair {
  length: number;
  name: string;
}

/** Level 2: every attribute's value (transient ones excluded). */
export interface SeqcolLevel2 {
  lengths: number[];
  names: string[];
  sequences: string[];
  sorted_sequences: string[];
  name_length_pairs: NameLengthPair[];
}

export const SEQCOL_ATTRIBUTES = [
  "lengths",
  "names",
  "sequences",
  "sorted_sequences",
  "name_length_pairs",
  "sorted_name_length_pairs",
] as const;
export type SeqcolAttribute = (typeof SEQCOL_ATTRIBUTES)[number];
export const TRANSIENT_ATTRIBUTES: readonly SeqcolAttribute[] = ["sorted_name_length_pairs"];
export const INHERENT_ATTRIBUTES = ["names", "sequences"] as const;

/** Level 1: each attribute's digest. */
export type SeqcolLevel1 = Record<SeqcolAttribute, string>;

export interface SeqcolDigests {
  /** level 0, *the* digest of the collection */
  digest: string;
  level1: SeqcolLevel1;
}

/** The JSON Schema this server implements (served in /service-info as `seqcol.schema`). */
export const SEQCOL_SCHEMA = {
  description: "A collection of biological sequences.",
  type: "object",
  properties: {
    lengths: {
      type: "array",
      collated: true,
      description: "Number of elements, such as nucleotides or amino acids, in each sequence.",
      items: { type: "integer" },
    },
    names: {
      type: "array",
      collated: true,
      description: "Human-readable labels of each sequence (chromosome names).",
      items: { type: "string" },
    },
    sequences: {
      type: "array",
      collated: true,
      items: { type: "string", description: "Refget sequences v2 identifiers for sequences." },
    },
    sorted_sequences: {
      type: "array",
      collated: false,
      items: { type: "string", description: "Refget sequences v2 identifiers for sequences, sorted." },
    },
    name_length_pairs: {
      type: "array",
      collated: true,
      items: {
        type: "object",
        properties: { name: { type: "string" }, length: { type: "integer" } },
      },
    },
    sorted_name_length_pairs: {
      type: "array",
      collated: false,
      items: { type: "string", description: "Digests of the canonical name-length pairs, sorted." },
    },
  },
  required: ["names", "lengths", "sequences"],
  ga4gh: {
    inherent: ["names", "sequences"],
    transient: ["sorted_name_length_pairs"],
    passthru: [],
  },
} as const;

/**
 * RFC-8785 (JCS) canonical JSON: object keys sorted by UTF-16 code units, no whitespace, strings
 * and numbers serialised as ECMAScript's JSON.stringify does (which is what JCS prescribes).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON: numbers must be finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (typeof value === "object") {
    const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
    // default sort compares UTF-16 code units, as RFC 8785 §3.2.3 asks
    keys.sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson((value as Record<string, unknown>)[k])).join(",") + "}";
  }
  throw new TypeError(`canonical JSON: cannot serialise a ${typeof value}`);
}

/** GA4GH digest: base64url (unpadded) of the first 24 bytes of SHA-512. */
export function sha512t24u(data: string | Uint8Array): string {
  return createHash("sha512").update(data).digest().subarray(0, 24).toString("base64url");
}

const digestOf = (value: unknown) => sha512t24u(canonicalJson(value));

/** Level 2 of a collection given its sequences in file order. */
export function seqcolLevel2(sequences: readonly SeqcolSequence[]): SeqcolLevel2 {
  const seqs = sequences.map((s) => s.ga4gh);
  return {
    lengths: sequences.map((s) => s.length),
    names: sequences.map((s) => s.name),
    sequences: seqs,
    sorted_sequences: [...seqs].sort(),
    name_length_pairs: sequences.map((s) => ({ length: s.length, name: s.name })),
  };
}

/** The transient sorted_name_length_pairs array (its digest is all that is kept). */
export function sortedNameLengthPairs(pairs: readonly NameLengthPair[]): string[] {
  return pairs.map((p) => digestOf({ length: p.length, name: p.name })).sort();
}

/** Level 1 of a level-2 collection (any attributes; sorted_name_length_pairs derived if absent). */
export function level1Of(level2: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(level2)) if (v !== undefined) out[k] = digestOf(v);
  return out;
}

/** Level 0 of a level-1 collection: the digest of its inherent attributes. */
export function level0Of(level1: Record<string, string | undefined>): string {
  const inherent: Record<string, string> = {};
  for (const k of INHERENT_ATTRIBUTES) {
    const d = level1[k];
    if (d === undefined) throw new TypeError(`a sequence collection needs "${k}"`);
    inherent[k] = d;
  }
  return digestOf(inherent);
}

/** Every stored digest of a collection. */
export function seqcolDigests(sequences: readonly SeqcolSequence[]): SeqcolDigests {
  const l2 = seqcolLevel2(sequences);
  const level1: SeqcolLevel1 = {
    lengths: digestOf(l2.lengths),
    names: digestOf(l2.names),
    sequences: digestOf(l2.sequences),
    sorted_sequences: digestOf(l2.sorted_sequences),
    name_length_pairs: digestOf(l2.name_length_pairs),
    sorted_name_length_pairs: digestOf(sortedNameLengthPairs(l2.name_length_pairs)),
  };
  return { digest: level0Of(level1), level1 };
}

// --- comparison (spec §3.3) ---------------------------------------------------------------------

export interface SeqcolComparison {
  digests: { a: string | null; b: string | null };
  attributes: { a_only: string[]; b_only: string[]; a_and_b: string[] };
  array_elements: {
    a_count: Record<string, number>;
    b_count: Record<string, number>;
    a_and_b_count: Record<string, number>;
    a_and_b_same_order: Record<string, boolean | null>;
  };
}

/** Elements compare by their canonical JSON (name_length_pairs hold objects). */
function keysOf(values: readonly unknown[]): string[] {
  return values.map((v) => (typeof v === "string" ? "s" + v : canonicalJson(v)));
}

function compareArrays(a: readonly unknown[], b: readonly unknown[]): { count: number; sameOrder: boolean | null } {
  const ka = keysOf(a);
  const kb = keysOf(b);
  const inB = new Set(kb);
  const inA = new Set(ka);
  const aFiltered = ka.filter((x) => inB.has(x));
  const bFiltered = kb.filter((x) => inA.has(x));
  // overlap counts duplicates: min of each side's matching elements
  const count = Math.min(aFiltered.length, bFiltered.length);
  let sameOrder: boolean | null;
  // The spec text says "null if fewer than 2 overlapping elements", but the reference server
  // (refgenie/refget, whose answers are the comparison vectors) answers true for one: base.fa vs
  // pair_swap.fa has one common name-length pair and a_and_b_same_order true. We follow it.
  if (count < 1) sameOrder = null;
  else if (aFiltered.length !== bFiltered.length) sameOrder = null; // unbalanced duplicates
  else sameOrder = aFiltered.every((x, i) => x === bFiltered[i]);
  return { count, sameOrder };
}

/**
 * Compare two level-2 collections. Transient attributes (no level-2 value) are left out of
 * both `attributes` and `array_elements` when absent from the input, as the value-less
 * attributes of a stored collection.
 */
export function compareCollections(
  collectionA: object,
  collectionB: object,
  digests: { a: string | null; b: string | null },
): SeqcolComparison {
  const a = collectionA as Record<string, unknown>;
  const b = collectionB as Record<string, unknown>;
  const arrays = (c: Record<string, unknown>) =>
    Object.keys(c).filter((k) => Array.isArray(c[k])).sort();
  const aKeys = arrays(a);
  const bKeys = arrays(b);
  const result: SeqcolComparison = {
    digests,
    attributes: {
      a_only: aKeys.filter((k) => !bKeys.includes(k)),
      b_only: bKeys.filter((k) => !aKeys.includes(k)),
      a_and_b: aKeys.filter((k) => bKeys.includes(k)),
    },
    array_elements: { a_count: {}, b_count: {}, a_and_b_count: {}, a_and_b_same_order: {} },
  };
  for (const k of aKeys) result.array_elements.a_count[k] = (a[k] as unknown[]).length;
  for (const k of bKeys) result.array_elements.b_count[k] = (b[k] as unknown[]).length;
  for (const k of result.attributes.a_and_b) {
    const r = compareArrays(a[k] as unknown[], b[k] as unknown[]);
    result.array_elements.a_and_b_count[k] = r.count;
    result.array_elements.a_and_b_same_order[k] = r.sameOrder;
  }
  return result;
}
