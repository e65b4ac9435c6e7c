// The one tight pass over FASTA text: builds the .fai, enforces the rules, and writes each
// sequence, upper-cased and without line breaks, into a normalisation area whose contents are
// handed to the digests in large blocks.
//
// Memory: the scanner works in one buffer that the caller owns (the import's shared memory, so
// that the digests read the normalised bytes where the scanner wrote them). Text is scanned in
// place (scanAt: plain files, where the source bytes are already in that memory for the file
// MD5), or copied into the work area first (scan: decompressed text). Sequence bytes are moved
// into the current normalisation area with copyWithin (no allocation per line), then validated
// (IUPAC nucleotide codes only) and upper-cased through one 256-byte table. The caller hands the
// area over and gives the scanner a new one (setNorm) whenever it holds FLUSH_AT bytes or more,
// between pieces.
//
// Fast path: inside a record whose line geometry is known, the next line's terminator is
// predicted (LINEWIDTH bytes ahead) instead of searched; any surprise (a byte that is not a
// nucleotide code, a newline where a base should be) sends that line through the exact slow
// path, which gives the right answer or the right error.

import { err, isBinaryByte, MAX_NAME_LENGTH, MAX_SEQUENCE_LENGTH, SAM_NAME, showBytes, UPPER_NUCLEOTIDE } from "./rules.js";

export const WORK_CAP = 1 << 20;
export const FLUSH_AT = 4 << 20;
/** Bytes a normalisation area needs: flushed between pieces once it holds FLUSH_AT or more. */
export const NORM_CAP = FLUSH_AT + WORK_CAP + 16;

const enum St {
  Start, // before the first header, at a line start
  StartBlank, // inside a line before the first header that began with \r
  LineStart, // at a line start after a header
  Header,
  SeqLine,
}

const enum HPhase {
  Lead,
  Name,
  Desc,
}

const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;

export interface SequenceEnd {
  /** position in the normalisation area where the sequence's bytes end */
  end: number;
}

export class FastaScanner {
  /** the current normalisation area: [normBase, normEnd) holds its bytes */
  private normBase = 0;
  private normEnd = 0;
  private normCap = 0;
  /** positions in the normalisation area (from its start) where a sequence ends */
  ends: number[] = [];
  /** the piece being scanned: buf[pieceOff, pieceOff + piece.length) */
  private pieceOff = 0;
  private piece: Buffer;

  private st: St = St.Start;
  private lineNo = 1;
  /** uncompressed offset of the first byte of the current piece */
  private base = 0;
  total = 0;
  private faiParts: string[] = [];
  readonly names: string[] = [];
  readonly lengths: number[] = [];
  private seen = new Map<string, number>();
  private sawHeader = false;

  // current record
  private name = "";
  private headerLine = 0;
  private recOffset = 0;
  private length = 0;
  private lb = -1; // LINEBASES, -1 until the first sequence line ends
  private lw = -1;
  private crlf = false; // terminator style of the record (when lb >= 0 and styleKnown)
  private styleKnown = false;
  private shortLine = 0;
  private blankLine = 0;

  // current line
  private curN = 0;
  private pendingCR = false;
  private hPhase = HPhase.Lead;
  private nameBytes: number[] = [];

  /**
   * `buf` (4-byte aligned in its ArrayBuffer) is where everything happens; buf[workOff, +WORK_CAP)
   * is the work area for `scan`. With `lines`, 16 bytes past a piece must be readable and 16
   * bytes past the normalisation area's capacity writable.
   */
  constructor(
    readonly buf: Buffer,
    private readonly workOff: number,
    /** the kernel's `lines` over the same memory (md5x2-wat.ts); without it, linesJs */
    private readonly lines?: (q: number, o: number, lb: number, lw: number, max: number, crlf: number) => number,
  ) {
    if ((buf.byteOffset & 3) !== 0 || workOff + WORK_CAP > buf.length) throw new RangeError("bad scanner buffer");
    this.piece = buf.subarray(0, 0);
  }

  /** Sequence bytes go to buf[off, off + cap) from now on (off a multiple of 4); ends restart. */
  setNorm(off: number, cap = NORM_CAP): void {
    if ((off & 3) !== 0) throw new RangeError("normalisation area not 4-byte aligned");
    this.normBase = this.normEnd = off;
    this.normCap = cap;
    this.ends = [];
  }

  /** Bytes in the current normalisation area. */
  get normBytes(): number {
    return this.normEnd - this.normBase;
  }

  /** Scan a piece of text of at most WORK_CAP bytes, copied into the work area. Throws FastaError. */
  scan(piece: Uint8Array): void {
    if (piece.length > WORK_CAP) throw new RangeError("piece larger than WORK_CAP");
    this.buf.set(piece, this.workOff);
    this.scanAt(this.workOff, piece.length);
  }

  /**
   * Scan buf[off, off + n) in place (n <= WORK_CAP; not overlapping the normalisation area, and
   * left unchanged). Throws FastaError.
   */
  scanAt(off: number, n: number): void {
    if (n === 0) return;
    if (n > WORK_CAP) throw new RangeError("piece larger than WORK_CAP");
    if (this.normEnd + n > this.normBase + this.normCap - 8) throw new RangeError("normalisation area not flushed");
    this.pieceOff = off;
    // searches for a line end stop at the piece's end (the buffer goes on with unrelated bytes)
    this.piece = this.buf.subarray(off, off + n);
    const end = off + n;
    let p = off;
    const buf = this.buf;
    while (p < end) {
      switch (this.st) {
        case St.LineStart: {
          if (this.lb > 0 && this.styleKnown && this.shortLine === 0 && this.blankLine === 0) {
            p = this.fastRun(p, end);
            if (p >= end) break;
          }
          const b = buf[p];
          if (b === GT) {
            this.finishRecord();
            this.startHeader();
            p++;
          } else if (b === LF) {
            // blank LF line
            if (this.blankLine === 0) this.blankLine = this.lineNo;
            this.lineNo++;
            p++;
          } else {
            this.st = St.SeqLine;
            this.curN = 0;
            this.pendingCR = false;
          }
          break;
        }
        case St.SeqLine:
          p = this.seqPiece(p, end);
          break;
        case St.Header:
          p = this.headerPiece(p, end);
          break;
        case St.Start: {
          const b = buf[p];
          if (b === GT) {
            this.startHeader();
            p++;
          } else if (b === LF) {
            this.lineNo++;
            p++;
          } else if (b === CR) {
            this.st = St.StartBlank;
            p++;
          } else {
            if (isBinaryByte(b)) throw err.badChar(this.lineNo, 1, "", b);
            throw err.textBeforeHeader(this.lineNo);
          }
          break;
        }
        case St.StartBlank: {
          if (buf[p] !== LF) throw err.textBeforeHeader(this.lineNo);
          this.lineNo++;
          this.st = St.Start;
          p++;
          break;
        }
      }
    }
    this.base += n;
    this.total += n;
  }

  /** End of text: complete the last line and record. Returns the .fai. */
  finish(): Buffer {
    if (this.st === St.SeqLine) {
      this.endSeqLine(this.pendingCR ? 2 : 0, this.pendingCR);
    } else if (this.st === St.Header) {
      this.endHeader();
    } else if (this.st === St.StartBlank) {
      throw err.textBeforeHeader(this.lineNo);
    }
    if (!this.sawHeader) throw this.total === 0 ? err.empty() : err.noRecords();
    this.finishRecord();
    return Buffer.from(this.faiParts.join(""), "latin1");
  }

  // ---------------------------------------------------------------------------------------

  private pos(p: number): number {
    return this.base + (p - this.pieceOff);
  }

  /** Position of the first LF in [p, end of piece), or -1. */
  private findLF(p: number): number {
    const i = this.piece.indexOf(LF, p - this.pieceOff);
    return i < 0 ? -1 : i + this.pieceOff;
  }

  private startHeader(): void {
    this.st = St.Header;
    this.sawHeader = true;
    this.hPhase = HPhase.Lead;
    this.nameBytes.length = 0;
    this.headerLine = this.lineNo;
  }

  private headerPiece(p: number, end: number): number {
    const buf = this.buf;
    let e = this.findLF(p);
    const complete = e >= 0 && e < end;
    if (!complete) e = end;
    for (let i = p; i < e; i++) {
      const b = buf[i];
      if (isBinaryByte(b) && b < 0x80) throw err.binaryHeader(this.lineNo, b);
      if (this.hPhase === HPhase.Desc) continue;
      const ws = b === 0x20 || b === 0x09 || b === 0x0b || b === 0x0c || b === CR;
      if (this.hPhase === HPhase.Lead) {
        // `> chr1`: samtools takes chr1, other tools the empty name or " chr1"
        if (ws && b !== CR) throw err.spaceBeforeName(this.lineNo);
        if (ws) continue;
        this.hPhase = HPhase.Name;
      }
      if (ws) {
        this.hPhase = HPhase.Desc;
        continue;
      }
      if (this.nameBytes.length >= MAX_NAME_LENGTH) throw err.nameTooLong(this.lineNo);
      this.nameBytes.push(b);
    }
    if (!complete) return end;
    this.endHeader();
    this.recOffset = this.pos(e + 1);
    this.lineNo++;
    this.st = St.LineStart;
    return e + 1;
  }

  private endHeader(): void {
    const name = Buffer.from(this.nameBytes).toString("latin1");
    const line = this.headerLine;
    if (name.length === 0) throw err.emptyName(line);
    if (this.nameBytes.some((b) => b >= 0x80)) throw err.nonAsciiName(line, showBytes(Uint8Array.from(this.nameBytes)));
    if (!SAM_NAME.test(name)) throw err.badName(line, name);
    const first = this.seen.get(name);
    if (first !== undefined) throw err.duplicate(line, name, first);
    this.seen.set(name, line);
    this.name = name;
    this.length = 0;
    this.lb = -1;
    this.lw = -1;
    this.styleKnown = false;
    this.crlf = false;
    this.shortLine = 0;
    this.blankLine = 0;
    this.curN = 0;
    this.pendingCR = false;
    this.recOffset = 0; // set by headerPiece once the header line ends
  }

  private finishRecord(): void {
    if (!this.sawHeader || this.name === "") return;
    if (this.length === 0) throw err.noSequence(this.headerLine, this.name);
    this.faiParts.push(`${this.name}\t${this.length}\t${this.recOffset}\t${this.lb}\t${this.lw}\n`);
    this.names.push(this.name);
    this.lengths.push(this.length);
    this.ends.push(this.normEnd - this.normBase);
    this.name = "";
  }

  private seqPiece(p: number, end: number): number {
    const buf = this.buf;
    let e = this.findLF(p);
    const complete = e >= 0 && e < end;
    if (!complete) e = end;
    let cEnd = e; // content end
    let cr = false;
    if (e > p && buf[e - 1] === CR) {
      cEnd = e - 1;
      cr = true;
    }
    if (this.pendingCR) {
      // the previous piece ended with CR: only a LF may follow it
      if (buf[p] !== LF) throw err.badChar(this.lineNo, this.curN + 1, this.name, CR);
      this.pendingCR = false;
      this.endSeqLine(2, true);
      return p + 1;
    }
    const n = cEnd - p;
    if (n > 0) {
      if (this.curN === 0) this.lineContentStarts();
      this.addContent(p, cEnd);
      this.curN += n;
      if (this.lb >= 0 && this.curN > this.lb) throw err.longLine(this.lineNo, this.name);
    }
    if (!complete) {
      this.pendingCR = cr;
      return end;
    }
    this.endSeqLine(cr ? 2 : 1, cr);
    return e + 1;
  }

  private lineContentStarts(): void {
    if (this.blankLine !== 0) throw err.blankLine(this.blankLine, this.name);
    if (this.shortLine !== 0) throw err.shortLine(this.shortLine, this.name);
  }

  /** copy [s, e) of the work area to the normalisation area, validated and upper-cased */
  private addContent(s: number, e: number): void {
    const o = this.normEnd;
    this.buf.copyWithin(o, s, e);
    const bad = this.validateUpper(o, o + (e - s));
    // (curN: the line's bytes before this piece)
    if (bad >= 0) throw err.badChar(this.lineNo, this.curN + (bad - o) + 1, this.name, this.buf[s + (bad - o)]);
    this.normEnd = o + (e - s);
    const len = this.length + (e - s);
    if (len > MAX_SEQUENCE_LENGTH) throw err.tooLong(this.lineNo, this.name);
    this.length = len;
  }

  /** termLen: bytes of the terminator (0 at end of file without newline) */
  private endSeqLine(termLen: number, crlf: boolean): void {
    const n = this.curN;
    if (n === 0) {
      if (termLen === 0) return; // end of file right after a newline: no line
      if (this.blankLine === 0) this.blankLine = this.lineNo;
      this.lineNo++;
      this.st = St.LineStart;
      return;
    }
    if (this.lb < 0) {
      this.lb = n;
      this.lw = n + (termLen === 0 ? 1 : termLen);
      if (termLen > 0) {
        this.crlf = crlf;
        this.styleKnown = true;
      }
    } else {
      if (termLen > 0 && this.styleKnown && crlf !== this.crlf) throw err.mixedEndings(this.lineNo, this.name, crlf);
      if (n < this.lb) this.shortLine = this.lineNo;
    }
    this.curN = 0;
    this.lineNo++;
    this.st = St.LineStart;
  }

  /** Returns the index of the first byte in [a, b) that is not a nucleotide code, or -1; upper-cases. */
  private validateUpper(a: number, b: number): number {
    const buf = this.buf;
    for (let i = a; i < b; i++) {
      const c = UPPER_NUCLEOTIDE[buf[i]];
      if (c === 0) return i;
      buf[i] = c;
    }
    return -1;
  }

  /** Predicted full lines; returns the position after the last accepted line. */
  private fastRun(p: number, end: number): number {
    const lb = this.lb;
    const lw = this.lw;
    const maxLines = Math.floor((end - p) / lw);
    if (maxLines === 0) return p;
    const o0 = this.normEnd;
    const r = this.lines ? this.lines(p, o0, lb, lw, maxLines, this.crlf ? 1 : 0) : this.linesJs(p, o0, maxLines);
    if (r === 0) return p;
    const len = this.length + r * lb;
    if (len > MAX_SEQUENCE_LENGTH) {
      // let the slow path find the exact line
      return p;
    }
    this.length = len;
    this.normEnd = o0 + r * lb;
    this.lineNo += r;
    return p + r * lw;
  }

  /** `lines` of the kernel, in JavaScript: the lines at q predicted whole and all nucleotide codes, upper-cased into o. */
  private linesJs(p: number, o0: number, maxLines: number): number {
    const buf = this.buf;
    const lb = this.lb;
    const lw = this.lw;
    let o = o0;
    let q = p;
    let r = 0;
    if (this.crlf) {
      while (r < maxLines && buf[q + lw - 1] === LF && buf[q + lw - 2] === CR) {
        buf.copyWithin(o, q, q + lb);
        o += lb;
        q += lw;
        r++;
      }
    } else {
      while (r < maxLines && buf[q + lw - 1] === LF) {
        buf.copyWithin(o, q, q + lb);
        o += lb;
        q += lw;
        r++;
      }
    }
    if (r === 0) return 0;
    const bad = this.validateUpper(o0, o);
    return bad >= 0 ? Math.floor((bad - o0) / lb) : r;
  }
}
