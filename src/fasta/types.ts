// The FASTA engine's contract. Pure: it reads bytes from an async iterable and hands the same
// bytes, unchanged, to a sink; it knows nothing of HTTP, S3 or the catalog.

/** The facts of one sequence of a FASTA file (refget digests of its normalised sequence). */
export interface SequenceInfo {
  name: string;
  length: number;
  md5: string;
  ga4gh: string;
}

export interface IngestOptions {
  /** Receives every source byte exactly as read, in order (to store SOURCE byte for byte). */
  onBytes?: (chunk: Buffer) => Promise<void> | void;
  /** Uncompressed size limit (REFSTORE_MAX_REFERENCE_BYTES): guards against decompression bombs. */
  maxUncompressedBytes?: number;
  signal?: AbortSignal;
}

export interface IngestResult {
  /** whole-file MD5 of the stored bytes (compressed bytes for BGZF), lower-case hex */
  md5: string;
  /** number of stored bytes */
  bytes: number;
  compression: "none" | "bgzf";
  /** bytes of FASTA text (equals `bytes` when not compressed) */
  uncompressedBytes: number;
  /** the .fai, byte-identical to `samtools faidx` */
  fai: Buffer;
  /** the .gzi (BGZF sources only), byte-identical to what samtools/bgzip write */
  gzi?: Buffer;
  sequences: SequenceInfo[];
}

/** The longest statusMessage of an import job or source (P_TEXT of at most 127 characters). */
export const MAX_MESSAGE_LENGTH = 127;

/** `text` cut to MAX_MESSAGE_LENGTH characters, ending in "..." when it was cut. */
export function shortenMessage(text: string): string {
  return text.length > MAX_MESSAGE_LENGTH ? text.slice(0, MAX_MESSAGE_LENGTH - 3) + "..." : text;
}

/** A source that failed validation. `message` is user-facing and at most MAX_MESSAGE_LENGTH characters. */
export class FastaError extends Error {
  constructor(message: string) {
    super(shortenMessage(message));
    this.name = "FastaError";
  }
}
