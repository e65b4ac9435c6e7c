// Where a reference's GA4GH resources live on this server: the paths that GetReferenceIdentifiers
// (api/aws) hands out for the routes api/ga4gh serves. Shared here because no API imports another.
// Paths, never URLs: a server behind a proxy or a port mapping cannot know the name its clients
// reach it by, and a client that signed a request knows the endpoint it used.

export const REFGET_PREFIX = "/ga4gh/refget/v2";
export const SEQCOL_PREFIX = "/ga4gh/seqcol/v1";
export const FILES_PREFIX = "/files";

export interface Ga4ghPaths {
  /** the collection (level 2 by default) */
  seqcol: string;
  /** the SOURCE as uploaded (whole-file Range) */
  source: string;
  index: string;
  /** BGZF sources only */
  gzi?: string;
  dict: string;
}

export const refgetPath = (digest: string): string => `${REFGET_PREFIX}/sequence/${encodeURIComponent(digest)}`;

/**
 * The /files paths of a reference, named after it. /files picks the file by the name's ending
 * (`.fai`, `.gzi`, `.dict`, anything else the SOURCE), so a reference named `x.fai` still gets a
 * SOURCE name ending `.fa`; characters a path or a shell would trip on become `_`. The `.dict`
 * sits beside the FASTA (`genome.dict` for `genome.fa`, as GATK looks for it; `genome.fa.gz.dict`
 * for BGZF, so that its `UR:` names the `.fa.gz`).
 */
export function ga4ghPaths(ref: { storeId: string; id: string; name: string; compression: "none" | "bgzf" }, seqcolDigest: string): Ga4ghPaths {
  const stem = ref.name.replace(/[^A-Za-z0-9._+-]+/g, "_").replace(/\.(fa|fasta|fna|fas)(\.gz|\.bgz)?$/i, "") || "reference";
  const base = `${FILES_PREFIX}/${ref.storeId}/${ref.id}/`;
  const bgzf = ref.compression === "bgzf";
  const source = `${stem}${bgzf ? ".fa.gz" : ".fa"}`;
  return {
    seqcol: `${SEQCOL_PREFIX}/collection/${encodeURIComponent(seqcolDigest)}`,
    source: base + source,
    index: `${base}${source}.fai`,
    ...(bgzf ? { gzi: `${base}${source}.gzi` } : {}),
    dict: bgzf ? `${base}${source}.dict` : `${base}${stem}.dict`,
  };
}
