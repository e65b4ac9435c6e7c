// node dist/bench/hash-child.js [GiB]
//
// The hashes of an import on one core, for bench/import.ts: CPU seconds per GiB of one stream
// for the md5x2 kernel (two streams hashed together, as an import's file and sequence MD5s
// are; the figure is per stream), the same with the copy into WebAssembly memory that an import
// pays, and node:crypto's MD5 and SHA-512 on the same bytes. 4 MiB calls, over a 64 MiB region
// of random bytes reused until GiB (default 1) of each stream are hashed; the digests of the
// kernel are checked against its single-stream loop. Prints one JSON line.
import { createHash, randomFillSync } from "node:crypto";
import { instantiate, md5x2Module } from "../src/fasta/md5x2.js";

const GIB = Number(process.argv[2] ?? "1");
const MiB = 1 << 20;
const REGION = 64 * MiB;
const CALL = 4 * MiB;
const module = md5x2Module();
if (!module) throw new Error("no md5x2 kernel (WebAssembly unavailable)");
const memory = new WebAssembly.Memory({ initial: (2 * REGION + MiB) / 65536, maximum: (2 * REGION + MiB) / 65536, shared: true });
const mem = new Uint8Array(memory.buffer);
const k = instantiate(module, memory);
const A = MiB;
const B = MiB + REGION;
randomFillSync(mem, A, 2 * REGION);
const src = Buffer.alloc(2 * REGION);
randomFillSync(src);
const calls = Math.round((GIB * 2 ** 30) / CALL);
const gib = (calls * CALL) / 2 ** 30;

const cpu = (f: () => void) => {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e6;
};
const state = (s: number) => Buffer.from(memory.buffer, s, 16).toString("hex");
const init = () => {
  const dv = new DataView(memory.buffer);
  [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476].forEach((w, i) => {
    dv.setUint32(4 * i, w, true);
    dv.setUint32(16 + 4 * i, w, true);
  });
};

// Warm-up: V8 runs the kernel's first calls in its baseline compiler and optimises it in the
// background; 300 ms of 1 MiB calls. Then x2 must compute what x1 computes on each stream
// (md5x2.test.ts checks the digests themselves against node:crypto).
for (const t = Date.now(); Date.now() - t < 300; ) k.x2(A, B, 16384);
init();
k.x1(0, A, 1024);
const x1State = state(0);
init();
k.x2(A, A, 1024);
if (state(0) !== x1State || state(16) !== x1State) throw new Error("x2 and x1 disagree");

const kernel = cpu(() => {
  init();
  for (let i = 0; i < calls; i++) {
    const o = (i * CALL) % REGION;
    k.x2(A + o, B + o, CALL / 64);
  }
});
const withCopy = cpu(() => {
  init();
  for (let i = 0; i < calls; i++) {
    const o = (i * CALL) % REGION;
    mem.set(src.subarray(o, o + CALL), A + o);
    mem.set(src.subarray(REGION + o, REGION + o + CALL), B + o);
    k.x2(A + o, B + o, CALL / 64);
  }
});
const node = (algo: string) =>
  cpu(() => {
    const h = createHash(algo);
    for (let i = 0; i < calls; i++) {
      const o = (i * CALL) % REGION;
      h.update(mem.subarray(A + o, A + o + CALL));
    }
    h.digest();
  });
const md5 = node("md5");
const sha512 = node("sha512");
console.log(
  JSON.stringify({
    gib,
    md5x2PerStream: kernel / 2 / gib,
    md5x2WithCopyPerStream: withCopy / 2 / gib,
    nodeMd5: md5 / gib,
    nodeSha512: sha512 / gib,
  }),
);
