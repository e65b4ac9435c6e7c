// The layering of docs/architecture.md, checked on the import graph of src/: data flows
// api → service → catalog/blobs/jobs → fasta; nothing imports upward; no API imports another;
// src/fasta imports nothing of ours outside itself; config.ts imports none of the layers.
// Type-only imports count: a type is a dependency on the module that owns it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = join(ROOT, "src");

/**
 * Which layer a file of src/ belongs to: "api/<name>" for each API, "api" for what they share
 * (the files directly in src/api/, and src/api/auth/: who signed a request, for every API).
 */
const SHARED_API_DIRS = ["auth"];
function layerOf(file: string): string {
  const parts = relative(SRC, file).split(/[\\/]/);
  if (parts.length === 1) return parts[0].replace(/\.ts$/, ""); // config.ts
  if (parts[0] === "api") return parts.length === 2 || SHARED_API_DIRS.includes(parts[1]) ? "api" : `api/${parts[1]}`;
  return parts[0];
}

const LOWER = ["service", "catalog", "blobs", "jobs", "fasta"];
/**
 * What each layer may import (besides itself). config.ts sits under the layers that take its
 * typed settings (they may import its types; it imports none of them); fasta takes nothing.
 */
function allowed(from: string): string[] {
  if (from === "cli") return ["app", "api", "config", ...LOWER, "*api/"]; // the entry point: a client of everything
  if (from === "app") return ["api", "config", ...LOWER, "*api/"];
  if (from.startsWith("api/")) return ["api", "config", ...LOWER];
  if (from === "api") return ["config", ...LOWER];
  switch (from) {
    case "service":
      return ["catalog", "blobs", "jobs", "fasta", "config"];
    case "jobs":
      return ["catalog", "blobs", "fasta", "config"];
    case "catalog":
    case "blobs":
      return ["fasta", "config"];
    case "fasta":
    case "config":
      return [];
  }
  return [];
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

test("the import graph of src/ follows the layering", () => {
  const files = sources(SRC);
  assert.ok(files.length > 30, "found the sources");
  const violations: string[] = [];
  let edges = 0;
  for (const file of files) {
    const from = layerOf(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith(".")) continue; // packages and node: builtins
      const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
      if (!target.startsWith(SRC + "/")) {
        violations.push(`${relative(ROOT, file)} imports ${spec}, outside src/`);
        continue;
      }
      edges++;
      const to = layerOf(target);
      if (to === from) continue;
      const ok = allowed(from);
      if (ok.includes(to) || (to.startsWith("api/") && ok.includes("*api/"))) continue;
      violations.push(`${relative(ROOT, file)} (${from}) imports ${relative(ROOT, target)} (${to})`);
    }
  }
  assert.ok(edges > 50, "saw the imports");
  assert.deepEqual(violations, [], "upward or sideways imports");
});

test("the layering check catches an upward import", () => {
  // the rule itself, on made-up edges: a broken rule would let everything through
  assert.ok(!allowed("fasta").includes("catalog"));
  assert.ok(!allowed("service").includes("api/aws"));
  assert.ok(!allowed("api/aws").includes("api/ga4gh"));
  assert.ok(!allowed("config").includes("blobs"));
  assert.ok(!allowed("fasta").includes("config"));
  assert.ok(!allowed("jobs").includes("service"));
  assert.equal(layerOf(join(SRC, "api/aws/plugin.ts")), "api/aws");
  assert.equal(layerOf(join(SRC, "api/request-info.ts")), "api");
  assert.equal(layerOf(join(SRC, "api/auth/sigv4.ts")), "api");
  assert.ok(allowed("api").every((l) => !l.startsWith("api/") && l !== "*api/"), "what the APIs share imports no API");
  assert.equal(layerOf(join(SRC, "config.ts")), "config");
});
