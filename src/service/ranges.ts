// HTTP byte ranges (RFC 9110 §14.1.2), one range only: `bytes=a-b`, `bytes=a-`, `bytes=-n`. The
// one parser of the syntax: AWS GetReference's `range` member and the GA4GH routes' Range header
// both come here, so both APIs agree on what a range means and when it is unsatisfiable.

import { Invalid, RangeNotSatisfiable } from "./errors.js";

const SYNTAX = /^bytes=(?:([0-9]+)-([0-9]*)|-([0-9]+))$/i;

/** True when `text` is a single byte range in one of the three forms (satisfiable or not). */
export function isByteRange(text: string): boolean {
  return SYNTAX.test(text.trim());
}

/**
 * The inclusive byte interval that `text` selects in something `length` bytes long. Throws
 * Invalid(field) for bad syntax or last < first, RangeNotSatisfiable when it starts past the end
 * (or is a zero-length suffix). `last` past the end is cut to the end, as HTTP says.
 */
export function resolveByteRange(
  field: string,
  text: string,
  length: number,
  what = "the data",
): { start: number; end: number } {
  const m = SYNTAX.exec(text.trim());
  if (!m) throw new Invalid(field, `Invalid range "${text}": expected bytes=first-last, bytes=first- or bytes=-suffix`);
  const unsatisfiable = () => new RangeNotSatisfiable(`Range "${text}" is outside ${what} (${length} bytes)`);
  if (m[3] !== undefined) {
    const n = Number(m[3]);
    if (n === 0 || length === 0) throw unsatisfiable();
    return { start: Math.max(0, length - n), end: length - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start)
    throw new Invalid(field, `Invalid range "${text}": the last byte comes before the first`);
  if (start >= length) throw unsatisfiable();
  return { start, end: m[2] === "" ? length - 1 : Math.min(Number(m[2]), length - 1) };
}
