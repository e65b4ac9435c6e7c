// The stored .fai index (samtools faidx format): NAME LENGTH OFFSET LINEBASES LINEWIDTH per line.

export interface FaiEntry {
  name: string;
  length: number;
}

export function parseFai(text: string): FaiEntry[] {
  const out: FaiEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const [name, length] = line.split("\t");
    out.push({ name, length: Number(length) });
  }
  return out;
}
