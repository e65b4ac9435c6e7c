// Generates the WebAssembly text of the MD5 kernels (assembled into md5x2.wasm by
// md5x2-build.ts during `npm run build`; nothing prebuilt is committed).
//
// One MD5 is bound by its dependency chain (each step needs the previous step's result), so a
// core runs it at a fraction of its width. `x2` hashes two independent streams step by step in
// one loop — step i of stream A, then step i of stream B — and fills that width: two MD5s cost
// about what one costs. All 64 steps are unrolled; in each, `a + M[g] + K[i]` (and G's and I's
// terms that do not depend on b) are computed off the chain, which only carries the and/or/xor
// with b, one add, the rotate (wasm has a native rotl) and the add of b.
// `x1` is the same loop for one stream (the stream running ahead, tails, padding).
//
// Memory is imported (shared: the main thread and the hashing thread use one memory). A state is
// 4 little-endian words; blocks are read from any offset.

import { NUCLEOTIDE_CODES } from "./rules.js";

const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/** K[i] = floor(|sin(i + 1)| * 2^32): exact in double precision for all 64 (RFC 1321's table). */
export const MD5_K: readonly number[] = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

function msgIndex(i: number): number {
  if (i < 16) return i;
  if (i < 32) return (5 * i + 1) & 15;
  if (i < 48) return (3 * i + 5) & 15;
  return (7 * i) & 15;
}

const get = (v: string) => `(local.get $${v})`;
const c32 = (n: number) => `(i32.const ${n | 0})`;

/** Step i of one stream whose state locals are `${p}a`.. and whose block pointer is `$${ptr}`. */
function step(i: number, p: string, ptr: string): string {
  const r = ["a", "b", "c", "d"].map((_, k) => p + "abcd"[(k - (i & 3) + 4) & 3]);
  const [a, b, c, d] = r;
  const g = msgIndex(i);
  // off the chain: a + M[g] + K[i]
  let early = `(i32.add ${get(a)} (i32.add (i32.load offset=${4 * g} ${get(ptr)}) ${c32(MD5_K[i])}))`;
  let f: string;
  if (i < 16) {
    // F = d ^ (b & (c ^ d))
    f = `(i32.xor ${get(d)} (i32.and ${get(b)} (i32.xor ${get(c)} ${get(d)})))`;
  } else if (i < 32) {
    // G = (b & d) | (c & ~d): the two terms share no bit, so G = (b & d) + (c & ~d) and the
    // second term joins the early sum
    early = `(i32.add ${early} (i32.and ${get(c)} (i32.xor ${get(d)} ${c32(-1)})))`;
    f = `(i32.and ${get(b)} ${get(d)})`;
  } else if (i < 48) {
    // H = b ^ (c ^ d)
    f = `(i32.xor ${get(b)} (i32.xor ${get(c)} ${get(d)}))`;
  } else {
    // I = c ^ (b | ~d)
    f = `(i32.xor ${get(c)} (i32.or ${get(b)} (i32.xor ${get(d)} ${c32(-1)})))`;
  }
  const s = S[(i >> 4) * 4 + (i & 3)];
  return `(local.set $${a} (i32.add ${get(b)} (i32.rotl (i32.add ${early} ${f}) ${c32(s)})))`;
}

/**
 * The loop over n blocks. Register pressure decides the speed (x64 has 15 registers for V8):
 * the live values are the 8 state words, 2 block pointers, the end pointer, V8's memory base
 * and the step's temporaries. So the state before a block is re-read from memory rather than
 * kept in 8 more locals, and x2's two states live at the fixed offsets 0 and 16 (no pointer to
 * them): measured here, two 1 GiB streams in 2.45 CPU-s before, 2.0 after (one in node:crypto: 1.95).
 */
function kernel(name: string, streams: { p: string; ptr: string }[], fixedStates: boolean): string {
  const params = (fixedStates ? "" : "(param $st i32) ") + streams.map((s) => `(param $${s.ptr} i32)`).join(" ");
  const locals = streams.flatMap((s) => ["a", "b", "c", "d"].map((x) => `(local $${s.p}${x} i32)`));
  const word = (si: number, k: number) => `offset=${16 * si + 4 * k} ${fixedStates ? c32(0) : get("st")}`;
  const out: string[] = [];
  out.push(`(func $${name} (export "${name}") ${params} (param $n i32)`);
  out.push("  " + locals.join(" ") + " (local $end i32)");
  out.push(`  (local.set $end (i32.add ${get(streams[0].ptr)} (i32.shl ${get("n")} ${c32(6)})))`);
  streams.forEach((s, si) =>
    ["a", "b", "c", "d"].forEach((x, k) => out.push(`  (local.set $${s.p}${x} (i32.load ${word(si, k)}))`)),
  );
  out.push("  (block $done (loop $blocks");
  out.push(`    (br_if $done (i32.eq ${get(streams[0].ptr)} ${get("end")}))`);
  for (let i = 0; i < 64; i++) for (const s of streams) out.push("    " + step(i, s.p, s.ptr));
  streams.forEach((s, si) => {
    ["a", "b", "c", "d"].forEach((x, k) => {
      out.push(`    (local.set $${s.p}${x} (i32.add ${get(s.p + x)} (i32.load ${word(si, k)})))`);
      out.push(`    (i32.store ${word(si, k)} ${get(s.p + x)})`);
    });
    out.push(`    (local.set $${s.ptr} (i32.add ${get(s.ptr)} ${c32(64)}))`);
  });
  out.push("    (br $blocks)))");
  out.push(")");
  return out.join("\n");
}

/**
 * Lanes of `v` (already & 0xdf: upper case) that are an IUPAC nucleotide code, as 0xff (others
 * 0). The codes lie in 0x41..0x59: `v - 0x41` indexes a 16-lane table for A..P and `v - 0x51`
 * one for Q..Y, each with one swizzle, which gives 0 for an index of 16 or more (every other
 * byte, the wrapped-around ones below 0x41 included). Five SIMD ops per 16 bytes (two
 * subtractions, two swizzles, an or; a first form, by nibbles, also needed a byte shift, which
 * x64 lacks, and cost 5-8% of the engine's CPU) where the A-Z range check took two.
 */
function nucleotideLanes(v: string): string {
  const code = (c: number) => NUCLEOTIDE_CODES.includes(String.fromCharCode(c));
  const table = (from: number) => `(v128.const i8x16 ${Array.from({ length: 16 }, (_, n) => (code(from + n) ? 0xff : 0)).join(" ")})`;
  return `(v128.or (i8x16.swizzle ${table(0x41)} (i8x16.sub ${v} (i8x16.splat (i32.const 0x41))))
          (i8x16.swizzle ${table(0x51)} (i8x16.sub ${v} (i8x16.splat (i32.const 0x51)))))`;
}

/**
 * lines(q, o, lb, lw, max, crlf) -> r: the scanner's fast path (scanner.ts fastRun). Lines of
 * lb bases and lw bytes start at q; while a line ends where the record's geometry predicts (LF,
 * CR LF when crlf) and holds only IUPAC nucleotide codes (either case), its bases are upper-cased
 * into o (o += lb), up to max lines; returns how many were taken. 16 bytes at a time (SIMD): a
 * line's last vector is masked to its bases; loads may read up to 15 bytes past a line, stores write up to 15 bytes past the
 * normalised bytes (the callers leave that slack). In JavaScript this was one copyWithin call
 * per line plus a 4-bytes-at-a-time pass: the scanner's largest cost.
 */
const LINES = () => `(func $lines (export "lines") (param $q i32) (param $o i32) (param $lb i32) (param $lw i32) (param $max i32) (param $crlf i32) (result i32)
  (local $r i32) (local $k i32) (local $full i32) (local $v v128) (local $good v128) (local $pad v128)
  (local.set $full (i32.and (local.get $lb) (i32.const -16)))
  ;; lanes at or past lb mod 16 of the last vector (not bases: they pass)
  (local.set $pad (v128.not (i8x16.gt_u (i8x16.splat (i32.and (local.get $lb) (i32.const 15)))
    (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))))
  (block $out (loop $line
    (br_if $out (i32.ge_u (local.get $r) (local.get $max)))
    (br_if $out (i32.ne (i32.load8_u (i32.sub (i32.add (local.get $q) (local.get $lw)) (i32.const 1))) (i32.const 10)))
    (if (local.get $crlf) (then
      (br_if $out (i32.ne (i32.load8_u (i32.sub (i32.add (local.get $q) (local.get $lw)) (i32.const 2))) (i32.const 13)))))
    (local.set $good (v128.const i64x2 -1 -1))
    (local.set $k (i32.const 0))
    (block $vend (loop $vec
      (br_if $vend (i32.ge_u (local.get $k) (local.get $full)))
      (local.set $v (v128.and (v128.load align=1 (i32.add (local.get $q) (local.get $k))) (v128.const i8x16 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf)))
      (local.set $good (v128.and (local.get $good) ${nucleotideLanes("(local.get $v)")}))
      (v128.store align=1 (i32.add (local.get $o) (local.get $k)) (local.get $v))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $vec)))
    (if (i32.and (local.get $lb) (i32.const 15)) (then
      (local.set $v (v128.and (v128.load align=1 (i32.add (local.get $q) (local.get $k))) (v128.const i8x16 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf 0xdf)))
      (local.set $good (v128.and (local.get $good) (v128.or (local.get $pad) ${nucleotideLanes("(local.get $v)")})))
      (v128.store align=1 (i32.add (local.get $o) (local.get $k)) (local.get $v))))
    (br_if $out (i32.eqz (i8x16.all_true (local.get $good))))
    (local.set $q (i32.add (local.get $q) (local.get $lw)))
    (local.set $o (i32.add (local.get $o) (local.get $lb)))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $line)))
  (local.get $r))`;

/** The module: imports env.memory (shared; any size, so the declared limits are the widest). */
export function md5x2Wat(): string {
  return [
    "(module",
    '(import "env" "memory" (memory 1 65536 shared))',
    ";; x2(blocksA, blocksB, n): n 64-byte blocks of each stream, interleaved; A's state at 0, B's at 16",
    kernel(
      "x2",
      [
        { p: "A", ptr: "pa" },
        { p: "B", ptr: "pb" },
      ],
      true,
    ),
    ";; x1(state, blocks, n): n 64-byte blocks of one stream",
    kernel("x1", [{ p: "A", ptr: "pa" }], false),
    LINES(),
    ")",
    "",
  ].join("\n");
}
