// Runs every compiled test file under dist/test with Node's own test runner.
// Slow tests (a multi-hundred-megabyte genome) live in dist/test/slow and run only when
// REFSTORE_SLOW_TESTS=1 (CI sets it; see .ci/run).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function collect(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === "slow" && process.env.REFSTORE_SLOW_TESTS !== "1") continue;
      collect(p, out);
    } else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = collect("dist/test");
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("no test files found under dist/test");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
