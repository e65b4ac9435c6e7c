// The md5x2 kernel and its two-stream driver (PairMd5) against node:crypto, and the node:crypto
// fallback (NodePairMd5) on the same cases: empty input, every length around the 55/56/64-byte
// padding edges, unequal stream lengths, many segment splits with sequence ends anywhere, and
// the bound on what waits unhashed. 1 GiB streams: test/slow/md5x2-large.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomFillSync } from "node:crypto";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { LEAD, md5Engine, md5x2Module, instantiate, NodePairMd5, PairMd5, type Md5Pair } from "../../src/fasta/md5x2.js";

const MD5X2 = fileURLToPath(new URL("../../src/fasta/md5x2.js", import.meta.url));
const memory = new WebAssembly.Memory({ initial: 1024, maximum: 1024, shared: true }); // 64 MiB
const mem = new Uint8Array(memory.buffer);
const DATA = 4096; // after the scratch area

function pairs(): [string, Md5Pair][] {
  return [
    ["md5x2", new PairMd5(instantiate(md5x2Module()!, memory), memory)],
    ["node:crypto", new NodePairMd5(mem)],
  ];
}

const md5 = (o: number, n: number) => createHash("md5").update(mem.subarray(o, o + n)).digest("hex");

let seed = 1;
const rnd = () => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed;
};
function fill(o: number, n: number): void {
  randomFillSync(mem, o, n);
}

test("the kernel is the engine here (WebAssembly available)", () => {
  assert.deepEqual(md5Engine(), { kind: "md5x2-wasm" });
});

test("without WebAssembly (--jitless) node:crypto is chosen, with the reason", () => {
  const r = spawnSync(
    process.execPath,
    ["--jitless", "--input-type=module", "-e", `import { md5Engine } from ${JSON.stringify(MD5X2)}; console.log(JSON.stringify(md5Engine()))`],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { kind: "node:crypto", reason: "WebAssembly is not available in this runtime" });
});

test("empty input and every length around the padding edges, both streams", () => {
  fill(DATA, 1 << 16);
  for (const [name, p] of pairs()) {
    for (let n = 0; n <= 200; n++) {
      // the file stream: n bytes; the sequences: n bytes then 200 - n (one of them empty at the ends)
      const F = DATA;
      const S = DATA + 4096;
      p.file({ id: 0, off: F, len: n });
      p.norm({ id: 1, off: S, len: 200, ends: [n, 200] });
      p.finish();
      assert.equal(p.fileMd5, md5(F, n), `${name}: file of ${n} bytes`);
      assert.deepEqual(p.md5s, [md5(S, n), md5(S + n, 200 - n)], `${name}: sequences of ${n} and ${200 - n}`);
      assert.deepEqual(p.released, [0, 1]);
      reset(p);
    }
  }
});

function reset(p: Md5Pair): void {
  if (p instanceof PairMd5) p.reset();
  else Object.assign(p, new NodePairMd5(mem));
}

test("unequal stream lengths: one stream long, the other short or empty", () => {
  const F = DATA;
  const S = DATA + (8 << 20);
  fill(F, (3 << 20) + 17);
  fill(S, (3 << 20) + 17);
  for (const [name, p] of pairs()) {
    for (const [fl, sl] of [
      [(3 << 20) + 17, 100],
      [100, (3 << 20) + 17],
      [(3 << 20) + 17, 0],
      [0, (3 << 20) + 17],
      [0, 0],
    ]) {
      p.file({ id: 0, off: F, len: fl });
      p.run();
      p.norm({ id: 1, off: S, len: sl, ends: [sl] });
      p.run();
      p.finish();
      assert.equal(p.fileMd5, md5(F, fl), `${name}: file ${fl}, sequence ${sl}`);
      assert.deepEqual(p.md5s, [md5(S, sl)], `${name}: file ${fl}, sequence ${sl}`);
      reset(p);
    }
  }
});

/** Splits [0, len) into segments: mostly small (1..200 bytes), some up to 256 KiB. */
function splits(len: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < len; ) {
    const r = rnd();
    const n = Math.min(len - s, r % 4 === 0 ? 1 + (rnd() % (256 << 10)) : 1 + (rnd() % 200));
    out.push(n);
    s += n;
  }
  return out;
}

test("many segment splits, sequence ends anywhere (at boundaries, at 0, twice at one place)", () => {
  const FL = (2 << 20) + 13;
  const SL = (1900 << 10) + 5;
  const F = DATA;
  const S = DATA + (4 << 20);
  for (const s0 of [3, 17, 99, 2024]) {
    seed = s0;
    fill(F, FL);
    fill(S, SL);
    // sequence ends: random, plus 0, a duplicate (an empty sequence) and the end
    const ends = new Set<number>([0, SL]);
    for (let i = 0; i < 40; i++) ends.add(rnd() % SL);
    const endList = [...ends].sort((a, b) => a - b);
    endList.splice(5, 0, endList[5]);
    const want: string[] = [];
    for (let i = 0, prev = 0; i < endList.length; prev = endList[i], i++) want.push(md5(S + prev, endList[i] - prev));
    const fSegs = splits(FL);
    const sSegs = splits(SL);
    for (const [name, p] of pairs()) {
      let fi = 0;
      let si = 0;
      let fo = 0;
      let so = 0;
      let ei = 0;
      let id = 0;
      const ids: number[] = [];
      while (fi < fSegs.length || si < sSegs.length) {
        const takeFile = si >= sSegs.length || (fi < fSegs.length && rnd() % 2 === 0);
        if (takeFile) {
          p.file({ id, off: F + fo, len: fSegs[fi] });
          fo += fSegs[fi++];
        } else {
          const len = sSegs[si++];
          const rel: number[] = [];
          // an end on a boundary goes to either segment
          while (ei < endList.length && (endList[ei] < so + len || (endList[ei] === so + len && (si === sSegs.length || rnd() % 2 === 0))))
            rel.push(endList[ei++] - so);
          p.norm({ id, off: S + so, len, ends: rel });
          so += len;
        }
        ids.push(id++);
        if (rnd() % 3 === 0) p.run();
      }
      assert.equal(ei, endList.length);
      p.finish();
      assert.equal(p.fileMd5, md5(F, FL), `${name}, seed ${s0}: file`);
      assert.deepEqual(p.md5s, want, `${name}, seed ${s0}: sequences`);
      assert.deepEqual([...p.released].sort((a, b) => a - b), ids, `${name}: every segment released once`);
    }
  }
});

test("the stream running ahead is hashed alone past LEAD: what waits stays about one segment", () => {
  const MiB = 1 << 20;
  const F = DATA;
  const S = DATA + 40 * MiB;
  fill(F, 24 * MiB);
  fill(S, 12 * MiB);
  const p = new PairMd5(instantiate(md5x2Module()!, memory), memory);
  let maxWait = 0;
  for (let i = 0; i < 24; i++) {
    p.file({ id: i, off: F + i * MiB, len: MiB });
    if (i % 2 === 1) p.norm({ id: 100 + i, off: S + ((i - 1) / 2) * MiB, len: MiB, ends: i === 23 ? [MiB] : [] });
    p.run();
    const b = p.backlog();
    maxWait = Math.max(maxWait, b.file, b.norm);
  }
  assert.ok(maxWait <= LEAD + MiB, `at most LEAD + one segment waits (saw ${maxWait})`);
  // and the segments hashed are released as soon as they are
  assert.ok(p.released.length >= 24 - (LEAD / MiB + 1), `released ${p.released.length} of 36 before the end`);
  p.finish();
  assert.equal(p.fileMd5, md5(F, 24 * MiB));
  assert.deepEqual(p.md5s, [md5(S, 12 * MiB)]);
});
