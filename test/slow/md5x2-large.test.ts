// Slow (REFSTORE_SLOW_TESTS=1): two 1 GiB streams (plus an odd tail) through the md5x2 kernel,
// generated segment by segment into a ring of a shared memory, against node:crypto over the
// same bytes: the file stream in 1 MiB + 3 segments, the sequence stream in 4 MiB - 5 segments
// with a sequence ending every 300 MiB.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomFillSync } from "node:crypto";
import { md5x2Module, instantiate, PairMd5 } from "../../src/fasta/md5x2.js";

test("two 1 GiB streams: md5x2 = node:crypto", () => {
  const MiB = 1 << 20;
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 1024, shared: true }); // 64 MiB
  const mem = new Uint8Array(memory.buffer);
  const p = new PairMd5(instantiate(md5x2Module()!, memory), memory);
  const TOTAL = 2 ** 30 + 77;
  const streams = [
    { seg: MiB + 3, base: 4096, ring: 24 * MiB, off: 0, sent: 0, h: createHash("md5"), ends: [] as number[] },
    { seg: 4 * MiB - 5, base: 4096 + 32 * MiB, ring: 24 * MiB, off: 0, sent: 0, h: createHash("md5"), ends: [] as number[] },
  ];
  const want: string[] = [];
  const free = new Set<number>();
  let id = 0;
  const ringPos = new Map<number, [number, number]>();
  while (streams.some((s) => s.sent < TOTAL)) {
    // the sequence stream trails the file stream, as in an import
    const s = streams[0].sent <= streams[1].sent * 1.02 && streams[0].sent < TOTAL ? streams[0] : streams[1];
    if (s.sent >= TOTAL) continue;
    const len = Math.min(s.seg, TOTAL - s.sent);
    if (s.off + len > s.ring) s.off = 0;
    const off = s.base + s.off;
    // the ring place must have been released by the kernel before it is written again
    for (const [sid, [o, l]] of ringPos) {
      if (o < off + len && off < o + l) {
        assert.ok(free.has(sid), "a segment is overwritten only after its release");
        ringPos.delete(sid);
      }
    }
    randomFillSync(mem, off, len);
    const view = mem.subarray(off, off + len);
    if (s === streams[0]) {
      s.h.update(view);
      p.file({ id, off, len });
    } else {
      const rel: number[] = [];
      const cut = Math.floor((s.sent + len) / (300 * MiB)) * 300 * MiB;
      if (cut > s.sent && cut <= s.sent + len) {
        const r = cut - s.sent;
        s.h.update(view.subarray(0, r));
        want.push(s.h.digest("hex"));
        s.h = createHash("md5");
        s.h.update(view.subarray(r));
        rel.push(r);
      } else s.h.update(view);
      if (s.sent + len === TOTAL) {
        want.push(s.h.digest("hex"));
        rel.push(len);
      }
      p.norm({ id, off, len, ends: rel });
    }
    ringPos.set(id++, [off, len]);
    s.off += len;
    s.sent += len;
    p.run();
    for (const r of p.released.splice(0)) free.add(r);
  }
  p.finish();
  assert.equal(p.fileMd5, streams[0].h.digest("hex"));
  assert.deepEqual(p.md5s, want);
  assert.equal(want.length, 4);
});
