// Sequence collections: every vector of test/fixtures/seqcol (copied from refgenie/refget's
// test_fasta/ and tests/api/comparison/) reproduced from the facts the engine gives for each
// FASTA file, plus RFC-8785 corner cases and the shared phix.fa digest GA4GH.md quotes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ingestFasta } from "../../src/fasta/ingest.js";
import {
  canonicalJson,
  compareCollections,
  level0Of,
  level1Of,
  seqcolDigests,
  seqcolLevel2,
  sha512t24u,
  sortedNameLengthPairs,
} from "../../src/fasta/seqcol.js";
import { chunked, GENOMES } from "./helpers.js";

const VECTORS = join(GENOMES, "../seqcol");

interface Vector {
  top_level_digest: string;
  sorted_name_length_pairs_digest: string;
  level1: Record<string, string>;
  level2: Record<string, unknown>;
}
const vectors = JSON.parse(readFileSync(join(VECTORS, "test_fasta_digests.json"), "utf8")) as Record<string, Vector>;

async function factsOf(path: string) {
  const r = await ingestFasta(chunked(readFileSync(path), 1 << 16));
  return r.sequences;
}

test("sha512t24u and canonical JSON (RFC 8785)", () => {
  assert.equal("SQ." + sha512t24u("ACGT"), "SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2");
  assert.equal(canonicalJson({ name: "chr1", length: 4 }), '{"length":4,"name":"chr1"}');
  assert.equal(canonicalJson([1, "a", null, true, { b: [], a: {} }]), '[1,"a",null,true,{"a":{},"b":[]}]');
  // JCS: keys in UTF-16 code-unit order, strings escaped as ECMAScript does, numbers shortest form
  assert.equal(canonicalJson({ "\u20ac": 1, "\r": 2, "1": 3, "\ud83d\ude00": 4, "\ufb33": 5 }), '{"\\r":2,"1":3,"\u20ac":1,"\ud83d\ude00":4,"\ufb33":5}');
  assert.equal(canonicalJson([1e21, 0.5, -0, 2 ** 53]), "[1e+21,0.5,0,9007199254740992]");
  assert.equal(canonicalJson('\u0007"\\'), '"\\u0007\\"\\\\"');
  assert.throws(() => canonicalJson(NaN), /finite/);
});

for (const [file, v] of Object.entries(vectors)) {
  test(`seqcol vector ${file}: level 0, 1 and 2 from the engine's per-sequence facts`, async () => {
    const seqs = await factsOf(join(VECTORS, file));
    const l2 = seqcolLevel2(seqs);
    assert.deepEqual(l2, v.level2, "level 2");
    const d = seqcolDigests(seqs);
    assert.deepEqual(d.level1, v.level1, "level 1");
    assert.equal(d.level1.sorted_name_length_pairs, v.sorted_name_length_pairs_digest);
    assert.equal(d.digest, v.top_level_digest, "level 0");
    // the generic path (a POSTed level-2 collection) gives the same digests
    const generic = level1Of({ ...l2, sorted_name_length_pairs: sortedNameLengthPairs(l2.name_length_pairs) });
    assert.deepEqual(generic, v.level1);
    assert.equal(level0Of(generic), v.top_level_digest);
  });
}

for (const name of readdirSync(join(VECTORS, "comparison")).sort()) {
  test(`seqcol comparison vector ${name}`, async () => {
    const want = JSON.parse(readFileSync(join(VECTORS, "comparison", name), "utf8"));
    const [, a, b] = /^compare_(.+\.fa)_(.+\.fa)\.json$/.exec(name)!;
    const A = seqcolLevel2(await factsOf(join(VECTORS, a)));
    const B = seqcolLevel2(await factsOf(join(VECTORS, b)));
    const got = compareCollections(A, B, { a: seqcolDigests(await factsOf(join(VECTORS, a))).digest, b: seqcolDigests(await factsOf(join(VECTORS, b))).digest });
    assert.deepEqual(got, want);
    // JSON key order as the reference server writes it
    assert.equal(JSON.stringify(Object.keys(got)), JSON.stringify(Object.keys(want)));
  });
}

test("comparison: attributes present on one side only, duplicates, no overlap", () => {
  const r = compareCollections(
    { names: ["a", "b", "b"], lengths: [1, 2, 2], extra: ["x"] },
    { names: ["b", "b", "a"], lengths: [3, 4], other: [] },
    { a: "A", b: null },
  );
  assert.deepEqual(r.attributes, { a_only: ["extra"], b_only: ["other"], a_and_b: ["lengths", "names"] });
  assert.deepEqual(r.array_elements.a_count, { extra: 1, lengths: 3, names: 3 });
  assert.deepEqual(r.array_elements.b_count, { lengths: 2, names: 3, other: 0 });
  assert.deepEqual(r.array_elements.a_and_b_count, { lengths: 0, names: 3 });
  // balanced duplicates keep order defined; no overlap leaves it undefined
  assert.deepEqual(r.array_elements.a_and_b_same_order, { lengths: null, names: false });
});

test("the shared phix.fa is the collection GA4GH.md names", async () => {
  const d = seqcolDigests(await factsOf(join(GENOMES, "phix.fa")));
  assert.equal(d.digest, "m_PzcWK25QSriIexXs3qY9YoGDCJ0ekk");
});
