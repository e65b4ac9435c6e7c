// The engine's tests again on the node:crypto fallback: the same test files in a child process
// without WebAssembly (--jitless), which is how the fallback gets chosen. The interpreter is
// slow, so the cases that feed inputs byte by byte or stream hundreds of megabytes (they test
// the scanner and the memory bound, which do not depend on the engine) are left out there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

test("the FASTA engine's tests pass on the node:crypto fallback (no WebAssembly)", () => {
  const files = ["corpus.test.js", "engine.test.js", "fixtures.test.js", "bgzf.test.js"].map(here);
  const probe = `import { md5Engine } from ${JSON.stringify(here("../../src/fasta/md5x2.js"))}; console.log(md5Engine().kind)`;
  const kind = spawnSync(process.execPath, ["--jitless", "--input-type=module", "-e", probe], { encoding: "utf8" });
  assert.equal(kind.stdout.trim(), "node:crypto");
  const patterns = [
    "^rejects: ",
    "^accepts: ",
    "^every letter",
    "in (1048576|65536|4099)-byte chunks$",
    "multi-megabyte genome",
    "refget test vector",
    "propagates",
    "FASTA error deep",
    "^abort rejects",
    "source chunks are left unmodified",
    "^blocks split",
    "plain gzip",
    "^truncated block",
    "^bad CRC",
    "^corrupt deflate",
    "^garbage after",
    "^uncompressed size limit",
    "^BGZF holding no text",
    "^FASTA errors inside BGZF",
  ].map((p) => `--test-name-pattern=${p}`);
  // (a test runner started from a test would report to this one: NODE_TEST_CONTEXT goes)
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ["--jitless", "--test", "--test-concurrency=1", ...patterns, ...files], {
    encoding: "utf8",
    env,
  });
  const summary = /^# pass (\d+)\n# fail (\d+)/m.exec(r.stdout);
  assert.equal(r.status, 0, r.stdout.split("\n").filter((l) => l.startsWith("not ok") || l.includes("error:")).join("\n"));
  assert.ok(summary && summary[2] === "0", `ran the engine's tests: ${summary?.[0]}`);
  const ran = r.stdout.split("\n").filter((l) => /^ok \d+ /.test(l) && !l.includes("# SKIP")).length;
  assert.ok(ran >= 90, `${ran} tests ran on the fallback`);
});
