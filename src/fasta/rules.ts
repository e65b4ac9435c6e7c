// Acceptance rules of the FASTA engine and their user-facing messages (see docs/fasta-rules.md).
// Every message stays within a statusMessage's MAX_MESSAGE_LENGTH (types.ts): names are shortened.

import { FastaError } from "./types.js";

/** SAM reference-name rule (SAMv1 §1.2.1). */
export const SAM_NAME = /^[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*$/;
/** Longest sequence SAM/BAM tooling accepts (@SQ LN). */
export const MAX_SEQUENCE_LENGTH = 2 ** 31 - 1;
/** Longest accepted sequence name (bounded memory while streaming a header). */
export const MAX_NAME_LENGTH = 1024;
/** The IUPAC nucleotide codes, the only letters a sequence may hold (either case). */
export const NUCLEOTIDE_CODES = "ACGTUNRYKMSWBDHV";

/** byte -> its upper case when it is a nucleotide code (either case), else 0 */
export const UPPER_NUCLEOTIDE = new Uint8Array(256);
for (const ch of NUCLEOTIDE_CODES) {
  const c = ch.charCodeAt(0);
  UPPER_NUCLEOTIDE[c] = UPPER_NUCLEOTIDE[c | 0x20] = c;
}

/** Shorten a user-supplied string so that the message fits in MAX_MESSAGE_LENGTH characters. */
export function q(s: string, max = 40): string {
  return s.length > max ? s.slice(0, max - 3) + "..." : s;
}

/** A byte is "binary" when it is a C0 control other than TAB/LF/VT/FF/CR, DEL, or >= 0x80. */
export function isBinaryByte(b: number): boolean {
  return (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0b && b !== 0x0c && b !== 0x0d) || b === 0x7f || b >= 0x80;
}

function hex(b: number): string {
  return "0x" + b.toString(16).padStart(2, "0").toUpperCase();
}

/**
 * A name's bytes for a message: decoded as UTF-8 when they are UTF-8 (phiX_à stays phiX_à), else
 * each byte outside printable ASCII as \xHH; never read as Latin-1 (which printed phiX_Ã ).
 */
export function showBytes(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    let out = "";
    for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "\\x" + b.toString(16).padStart(2, "0").toUpperCase();
    return out;
  }
}

function showChar(b: number): string {
  if (b > 0x20 && b < 0x7f) return `"${String.fromCharCode(b)}"`;
  if (b === 0x20) return "space";
  if (b === 0x09) return "tab";
  if (b === 0x0d) return "carriage return";
  return `byte ${hex(b)}`;
}

export const err = {
  empty: () => new FastaError("empty file"),
  noRecords: () => new FastaError('no FASTA records: no line starts with ">"'),
  textBeforeHeader: (line: number) =>
    new FastaError(`line ${line}: text before the first header (a FASTA file must start with ">")`),
  emptyName: (line: number) => new FastaError(`line ${line}: empty sequence name after ">"`),
  nameTooLong: (line: number) =>
    new FastaError(`line ${line}: sequence name longer than ${MAX_NAME_LENGTH} characters`),
  badName: (line: number, name: string) =>
    new FastaError(
      `line ${line}: sequence name "${q(name)}" breaks the SAM rule (no \\,"'\`()[]{}<> and no leading * or =)`,
    ),
  /** `shown`: showBytes of the name */
  nonAsciiName: (line: number, shown: string) =>
    new FastaError(`line ${line}: sequence name "${q(shown)}" is not ASCII (SAM names are printable ASCII)`),
  spaceBeforeName: (line: number) =>
    new FastaError(`line ${line}: whitespace between ">" and the name (write ">name"): tools disagree on what the name is`),
  duplicate: (line: number, name: string, first: number) =>
    new FastaError(`line ${line}: duplicate sequence name "${q(name)}" (first used at line ${first})`),
  noSequence: (line: number, name: string) =>
    new FastaError(`line ${line}: header "${q(name)}" has no sequence lines`),
  longLine: (line: number, name: string) =>
    new FastaError(`line ${line}: line longer than the record's first line (${q(name)})`),
  shortLine: (line: number, name: string) =>
    new FastaError(`line ${line}: line shorter than the record's first line but not its last (${q(name)})`),
  blankLine: (line: number, name: string) =>
    new FastaError(`line ${line}: blank line inside a record (${q(name)})`),
  /** `col`: 1-based byte of the line */
  badChar: (line: number, col: number, name: string, b: number) => {
    const at = `line ${line}, column ${col}`;
    if (isBinaryByte(b)) return new FastaError(`${at}: binary data (byte ${hex(b)}): not a FASTA text file`);
    const u = b & 0xdf;
    if (u >= 0x41 && u <= 0x5a)
      return new FastaError(`${at}: "${String.fromCharCode(b)}" in sequence ${q(name)} is not an IUPAC nucleotide code (protein FASTA?)`);
    return new FastaError(`${at}: invalid character ${showChar(b)} in sequence ${q(name)} (only IUPAC nucleotide codes allowed)`);
  },
  binaryHeader: (line: number, b: number) =>
    new FastaError(`line ${line}: binary data (byte ${hex(b)}) in a header: not a FASTA text file`),
  tooLong: (line: number, name: string) =>
    new FastaError(`line ${line}: sequence ${q(name)} is longer than 2147483647 bases (the SAM limit)`),
  mixedEndings: (line: number, name: string, crlf: boolean) =>
    new FastaError(
      `line ${line}: mixed line endings, ${crlf ? "CRLF after LF" : "LF after CRLF"} lines in record ${q(name)}`,
    ),
  tooBig: (limit: number) => new FastaError(`uncompressed size exceeds the limit of ${limit} bytes`),
  gzip: () => new FastaError("compressed with gzip: recompress with bgzip"),
  otherCompression: (kind: string) => new FastaError(`compressed with ${kind}: only bgzip compression is supported`),
  bgzfCorrupt: (at: number, what: string) => new FastaError(`BGZF: corrupt block at byte ${at} (${what})`),
  bgzfTruncated: (at: number) => new FastaError(`BGZF: truncated block at byte ${at}: the file is incomplete`),
  bgzfNoEof: () => new FastaError("BGZF: missing end-of-file marker block: the file is truncated"),
  bgzfEmpty: () => new FastaError("empty file (the BGZF data holds no text)"),
};
