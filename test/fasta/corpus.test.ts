// The acceptance rules (docs/fasta-rules.md) on a corpus of small crafted inputs: each
// rejected input with its exact message, each accepted one with the .fai samtools writes
// (checked against samtools itself when it is installed) and independently computed digests.
// Every case also runs in 1-, 2-, 3- and 5-byte chunks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingestFasta } from "../../src/fasta/ingest.js";
import { FastaError } from "../../src/fasta/types.js";
import { chunked, hasSamtools, refget } from "./helpers.js";

const SIZES = [1 << 20, 1, 2, 3, 5];
const SAM = 'breaks the SAM rule (no \\,"\'`()[]{}<> and no leading * or =)';
const CODES = "(only IUPAC nucleotide codes allowed)";
const PROTEIN = "is not an IUPAC nucleotide code (protein FASTA?)";
const long = "n".repeat(200);
const SPACE = 'whitespace between ">" and the name (write ">name"): tools disagree on what the name is';
const ASCII = "is not ASCII (SAM names are printable ASCII)";

const rejected: [string, string | Buffer, string][] = [
  ["empty file", "", "empty file"],
  ["only blank lines", "\n\n", 'no FASTA records: no line starts with ">"'],
  ["text before the first header", "ACGT\n>a\nAC\n", 'line 1: text before the first header (a FASTA file must start with ">")'],
  ["text after leading blank lines", "\n\nhello\n>a\nAC\n", 'line 3: text before the first header (a FASTA file must start with ">")'],
  ["empty name", ">\nACGT\n", 'line 1: empty sequence name after ">"'],
  ["name of spaces only", ">   \nACGT\n", `line 1: ${SPACE}`],
  ["space between > and the name", ">a\nAC\n> chr1 desc\nAC\n", `line 3: ${SPACE}`],
  ["tab between > and the name", ">\tchr1\nAC\n", `line 1: ${SPACE}`],
  ["empty name, CRLF", ">\r\nACGT\r\n", 'line 1: empty sequence name after ">"'],
  ["duplicate name", ">a\nAC\n>b\nAC\n>a x\nAC\n", 'line 5: duplicate sequence name "a" (first used at line 1)'],
  ["header without sequence, mid-file", ">a\n>b\nAC\n", 'line 1: header "a" has no sequence lines'],
  ["header without sequence at the end", ">a\nAC\n>b\n", 'line 3: header "b" has no sequence lines'],
  ["header at the end without newline", ">a\nAC\n>b", 'line 3: header "b" has no sequence lines'],
  ["header, blank line, header", ">a\n\n>b\nAC\n", 'line 1: header "a" has no sequence lines'],
  ["line longer than the first", ">a\nACGT\nACGTA\nAC\n", "line 3: line longer than the record's first line (a)"],
  ["first line short, second longer", ">a\nAC\nACGT\n", "line 3: line longer than the record's first line (a)"],
  ["short line before the last", ">a\nACGT\nAC\nACGT\n", "line 3: line shorter than the record's first line but not its last (a)"],
  ["two short lines", ">a\nACGT\nAC\nA\n", "line 3: line shorter than the record's first line but not its last (a)"],
  ["blank line inside a record", ">a\nACGT\n\nACGT\n", "line 3: blank line inside a record (a)"],
  ["blank line after the header", ">a\n\nACGT\n", "line 2: blank line inside a record (a)"],
  ["CRLF blank line inside a record", ">a\r\nACGT\r\n\r\nACGT\r\n", "line 3: blank line inside a record (a)"],
  ["asterisk", ">a\nAC*T\n", `line 2, column 3: invalid character "*" in sequence a ${CODES}`],
  ["gap", ">a\nACGT\nA-GT\n", `line 3, column 2: invalid character "-" in sequence a ${CODES}`],
  ["dot", ">a\nAC.T\n", `line 2, column 3: invalid character "." in sequence a ${CODES}`],
  ["digit", ">a\nAC1T\n", `line 2, column 3: invalid character "1" in sequence a ${CODES}`],
  ["space in a line", ">a\nAC GT\nAC GT\n", `line 2, column 3: invalid character space in sequence a ${CODES}`],
  ["trailing tab", ">a\nACGT\t\n", `line 2, column 5: invalid character tab in sequence a ${CODES}`],
  ["whitespace-only line between records", ">a\nAC\n  \n>b\nAC\n", `line 3, column 1: invalid character space in sequence a ${CODES}`],
  ["lone CR inside a line", ">a\nAC\rGT\nACGT\n", `line 2, column 3: invalid character carriage return in sequence a ${CODES}`],
  ["protein (E)", ">sp|P69905|HBA_HUMAN\nMVLSPADKTNVKAAWGKVGAHAGEYGAEALERMF\n", `line 2, column 3: "L" in sequence sp|P69905|HBA_HUMAN ${PROTEIN}`],
  ["lower-case non-code letter", `>a\n${"ACGT".repeat(9)}\n${"ACGT".repeat(9)}\nACGT${"acgt".repeat(7)}xacg\n`, `line 4, column 33: "x" in sequence a ${PROTEIN}`],
  ["X (unknown amino acid) after many good lines", `>chrX\n${"ACGTNRYKMSWBDHVU".repeat(4)}\n`.repeat(1) + `${"acgtnrykmswbdhvu".repeat(4)}\n`.repeat(40) + `${"A".repeat(20)}X${"A".repeat(43)}\nAC\n`, `line 43, column 21: "X" in sequence chrX ${PROTEIN}`],
  ["NUL in a sequence", Buffer.from(">a\nAC\0T\n", "latin1"), "line 2, column 3: binary data (byte 0x00): not a FASTA text file"],
  ["NUL in a header", Buffer.from(">a\0b\nAC\n", "latin1"), "line 1: binary data (byte 0x00) in a header: not a FASTA text file"],
  ["binary file", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), "line 1, column 1: binary data (byte 0x89): not a FASTA text file"],
  ["UTF-8 in a sequence", Buffer.from(">a\nACé\n", "utf8"), "line 2, column 3: binary data (byte 0xC3): not a FASTA text file"],
  ["name starting with *", ">*a\nAC\n", `line 1: sequence name "*a" ${SAM}`],
  ["name starting with =", ">=a\nAC\n", `line 1: sequence name "=a" ${SAM}`],
  ["name with a comma", ">chr1,2\nAC\n", `line 1: sequence name "chr1,2" ${SAM}`],
  ["name with brackets", ">seq[1]\nAC\n", `line 1: sequence name "seq[1]" ${SAM}`],
  ["non-UTF-8 name, escaped", Buffer.from(">séq\nAC\n", "latin1"), `line 1: sequence name "s\\xE9q" ${ASCII}`],
  ["UTF-8 name, decoded", Buffer.from(">phiX_à_ü desc\nAC\n", "utf8"), `line 1: sequence name "phiX_à_ü" ${ASCII}`],
  ["name too long", ">" + "a".repeat(1025) + "\nAC\n", "line 1: sequence name longer than 1024 characters"],
  ["CRLF line after LF lines", ">a\nACGT\nACGT\r\nAC\n", "line 3: mixed line endings, CRLF after LF lines in record a"],
  ["LF line after CRLF lines", ">a\nACGT\r\nACGT\nAC\n", "line 3: mixed line endings, LF after CRLF lines in record a"],
  ["last line CRLF after LF lines", ">a\nACGT\nAC\r\n", "line 3: mixed line endings, CRLF after LF lines in record a"],
  ["zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]), "compressed with zstd: only bgzip compression is supported"],
  ["xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]), "compressed with xz: only bgzip compression is supported"],
  ["bzip2", "BZh91AY&SY", "compressed with bzip2: only bgzip compression is supported"],
  ["long duplicate name is shortened", `>${long}\nAC\n>${long}\nAC\n`, `line 3: duplicate sequence name "${"n".repeat(37)}..." (first used at line 1)`],
];

for (const [what, input, message] of rejected) {
  const data = typeof input === "string" ? Buffer.from(input, "latin1") : input;
  test(`rejects: ${what}`, async () => {
    assert.ok(message.length <= 127, `message within 127 characters (${message.length})`);
    for (const size of SIZES) {
      await assert.rejects(
        ingestFasta(chunked(data, size)),
        (e: unknown) => {
          assert.ok(e instanceof FastaError, `a FastaError (${String(e)})`);
          assert.equal(e.message, message, `chunk size ${size}`);
          return true;
        },
      );
    }
  });
}

// accepted inputs: expected .fai (as samtools 1.16 writes it) and sequences
const accepted: [string, string, string, Record<string, string>][] = [
  ["two records, description", ">a\nACGTACGT\nACGT\n>b desc\nAAAA\n", "a\t12\t3\t8\t9\nb\t4\t25\t4\t5\n", { a: "ACGTACGTACGT", b: "AAAA" }],
  ["CRLF", ">a desc\r\nACGT\r\nAC\r\n", "a\t6\t9\t4\t6\n", { a: "ACGTAC" }],
  ["no final newline", ">a\nACGTACGT\nACGT", "a\t12\t3\t8\t9\n", { a: "ACGTACGTACGT" }],
  ["one line, no final newline", ">a\nACGT", "a\t4\t3\t4\t5\n", { a: "ACGT" }],
  ["CRLF, no final newline", ">a\r\nACGT\r\nAC", "a\t6\t4\t4\t6\n", { a: "ACGTAC" }],
  ["tab before the description", ">a\tb\nAC\n", "a\t2\t5\t2\t3\n", { a: "AC" }],
  ["blank line before the first header", "\n>a\nACGT\n", "a\t4\t4\t4\t5\n", { a: "ACGT" }],
  ["CRLF blank line before the first header", "\r\n>a\nACGT\n", "a\t4\t5\t4\t5\n", { a: "ACGT" }],
  ["CRLF blank line between records", ">a\r\nACGT\r\n\r\n>b\r\nAC\r\n", "a\t4\t4\t4\t6\nb\t2\t16\t2\t4\n", { a: "ACGT", b: "AC" }],
  ["blank lines at the end", ">a\nACGT\n\n\n", "a\t4\t3\t4\t5\n", { a: "ACGT" }],
  ["blank line between records", ">a\nACGT\n\n>b\nAC\n", "a\t4\t3\t4\t5\nb\t2\t12\t2\t3\n", { a: "ACGT", b: "AC" }],
  ["CRLF header, LF sequence", ">a\r\nACGT\nAC\n>b\r\nAC\r\n", "a\t6\t4\t4\t5\nb\t2\t16\t2\t4\n", { a: "ACGTAC", b: "AC" }],
  ["last line as long as the first", ">a\nACGT\nACGT\n", "a\t8\t3\t4\t5\n", { a: "ACGTACGT" }],
  ["lower case and IUPAC codes", ">chr1 desc\nacgtNN\nRYKMsw\nbdhv\n", "chr1\t16\t11\t6\t7\n", { chr1: "ACGTNNRYKMSWBDHV" }],
  ["SAM-legal punctuation in names", ">a|b.c:1-2;x=y*z\nAC\n", "a|b.c:1-2;x=y*z\t2\t17\t2\t3\n", { "a|b.c:1-2;x=y*z": "AC" }],
  ["UTF-8 in a description", ">a Escherichia coli (Müller)\nAC\n", "a\t2\t30\t2\t3\n", { a: "AC" }],
];

const samtools = hasSamtools();
for (const [what, text, fai, seqs] of accepted) {
  const data = Buffer.from(text, "utf8");
  test(`accepts: ${what}`, async (t) => {
    for (const size of SIZES) {
      const r = await ingestFasta(chunked(data, size));
      assert.equal(r.fai.toString("latin1"), fai, `chunk size ${size}`);
      assert.deepEqual(
        r.sequences,
        Object.entries(seqs).map(([name, s]) => ({ name, length: s.length, ...refget(s) })),
      );
      assert.equal(r.bytes, data.length);
    }
    if (!samtools) {
      t.skip("samtools not on PATH: .fai not compared with samtools itself");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "refstore-corpus-"));
    try {
      writeFileSync(join(dir, "x.fa"), data);
      const st = spawnSync("samtools", ["faidx", join(dir, "x.fa")]);
      assert.equal(st.status, 0, st.stderr.toString());
      assert.equal(readFileSync(join(dir, "x.fa.fai"), "latin1"), fai);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("every letter: the 16 IUPAC nucleotide codes accepted in either case, the other 10 rejected as protein", async () => {
  const codes = new Set("ACGTUNRYKMSWBDHV");
  for (let c = 0x41; c <= 0x5a; c++) {
    for (const ch of [String.fromCharCode(c), String.fromCharCode(c | 0x20)]) {
      // a long record, so that the letter also reaches the predicted-lines path
      const line = "ACGT".repeat(15);
      const text = `>s\n${line}\n${line}\n${line.slice(0, 30)}${ch}${line.slice(31)}\n${line}\nAC\n`;
      if (codes.has(ch.toUpperCase())) {
        const r = await ingestFasta(chunked(Buffer.from(text), 1 << 20));
        assert.equal(r.sequences[0].length, 4 * 60 + 2, ch);
      } else {
        await assert.rejects(ingestFasta(chunked(Buffer.from(text), 1 << 20)), { message: `line 4, column 31: "${ch}" in sequence s ${PROTEIN}` });
      }
    }
  }
});

test("the corpus has at least 25 rejected and 15 accepted cases", () => {
  assert.ok(rejected.length >= 25);
  assert.ok(accepted.length >= 15);
});
