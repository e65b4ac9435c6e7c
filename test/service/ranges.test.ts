import { test } from "node:test";
import assert from "node:assert/strict";
import { Invalid, RangeNotSatisfiable } from "../../src/service/errors.js";
import { isByteRange, resolveByteRange } from "../../src/service/ranges.js";

test("byte ranges: the three forms, resolved against a length", () => {
  assert.deepEqual(resolveByteRange("range", "bytes=0-9", 100), { start: 0, end: 9 });
  assert.deepEqual(resolveByteRange("range", "bytes=5-", 100), { start: 5, end: 99 });
  assert.deepEqual(resolveByteRange("range", "bytes=-7", 100), { start: 93, end: 99 });
  assert.deepEqual(resolveByteRange("range", "BYTES=0-0", 1), { start: 0, end: 0 });
  // past the end: the last byte is cut, a suffix longer than the data is all of it
  assert.deepEqual(resolveByteRange("range", "bytes=90-1000", 100), { start: 90, end: 99 });
  assert.deepEqual(resolveByteRange("range", "bytes=-1000", 100), { start: 0, end: 99 });
});

test("byte ranges: bad syntax is Invalid naming the field, a start past the end is unsatisfiable", () => {
  for (const bad of ["0-9", "bytes=", "bytes=a-b", "bytes=0-9,20-30", "items=0-9", "bytes=-"]) {
    assert.equal(isByteRange(bad), false, bad);
    assert.throws(() => resolveByteRange("Range", bad, 100), (e) => e instanceof Invalid && e.field === "Range");
  }
  assert.throws(() => resolveByteRange("range", "bytes=9-3", 100), (e) => e instanceof Invalid && /last byte comes before the first/.test(e.message));
  for (const unsatisfiable of ["bytes=100-", "bytes=100-200", "bytes=-0"])
    assert.throws(() => resolveByteRange("range", unsatisfiable, 100, "the part"), (e) => e instanceof RangeNotSatisfiable && /outside the part \(100 bytes\)/.test(e.message));
  assert.throws(() => resolveByteRange("range", "bytes=-5", 0), RangeNotSatisfiable);
});
