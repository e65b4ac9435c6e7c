// The console plugin serves the built page (dist/web) with cache headers, and only that:
// REFSTORE_CONSOLE=off leaves /console/ to the root's 404 (the AWS API's answer).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../../src/config.js";
import { CONTENT_SECURITY_POLICY, DEFAULT_CONSOLE_ROOT } from "../../../src/api/console/plugin.js";
import { startTestServer } from "../../support/refstore.js";

test("REFSTORE_CONSOLE: on by default, off removes it, anything else is refused", () => {
  assert.equal(loadConfig({}).console, true);
  assert.equal(loadConfig({ REFSTORE_CONSOLE: "on" }).console, true);
  assert.equal(loadConfig({ REFSTORE_CONSOLE: "off" }).console, false);
  assert.throws(() => loadConfig({ REFSTORE_CONSOLE: "no" }), /REFSTORE_CONSOLE must be on or off, got "no"/);
});

test("/console/ serves the built page: index.html no-cache, hashed assets immutable, /console redirects", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());

  const index = await fetch(`${server.url}/console/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get("content-type") ?? "", /^text\/html/);
  assert.equal(index.headers.get("cache-control"), "no-cache");
  assert.equal(index.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
  assert.match(CONTENT_SECURITY_POLICY, /connect-src 'self'/);
  const html = await index.text();
  assert.equal(html, readFileSync(join(DEFAULT_CONSOLE_ROOT, "index.html"), "utf8"));

  // every asset the page names is served, immutable, under /console/assets/
  const named = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(named.some((a) => a.endsWith(".js")), `index.html names a script: ${html}`);
  for (const asset of named) {
    const res = await fetch(`${server.url}/console/${asset}`);
    assert.equal(res.status, 200, asset);
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable", asset);
    const onDisk = readFileSync(join(DEFAULT_CONSOLE_ROOT, asset));
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), onDisk, asset);
  }
  // the lazily loaded chunks are there too (igv.js)
  assert.ok(readdirSync(join(DEFAULT_CONSOLE_ROOT, "assets")).some((f) => /^igv-.*\.js$/.test(f)));

  const bare = await fetch(`${server.url}/console`, { redirect: "manual" });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get("location"), "/console/");

  const missing = await fetch(`${server.url}/console/assets/nope.js`);
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /Not found: \/console\/assets\/nope\.js/);
  // the console does not shadow the API: an unsigned API call still gets the AWS answer
  const api = await fetch(`${server.url}/referencestores`, { method: "POST" });
  assert.equal(api.status, 403);
  assert.ok(api.headers.get("x-amzn-errortype"));
});

test("REFSTORE_CONSOLE=off: no console routes; /console/ gets the root's AWS-style 404", async (t) => {
  const server = await startTestServer({ env: { REFSTORE_CONSOLE: "off" } });
  t.after(() => server.stop());
  const res = await fetch(`${server.url}/console/`);
  assert.notEqual(res.status, 200);
  assert.ok(res.headers.get("x-amzn-errortype"), "answered by the AWS API's not-found handler");
  assert.doesNotMatch(await res.text(), /<html/i);
});

test("a worker-only process serves no console (it serves the ops routes only)", async (t) => {
  const server = await startTestServer({ overrides: { role: "worker" } });
  t.after(() => server.stop());
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
  const res = await fetch(`${server.url}/console/`);
  assert.equal(res.status, 404);
  assert.doesNotMatch(await res.text(), /<html/i);
});
