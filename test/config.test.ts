// Settings that a deployment gets wrong must stop the start with a message, not run insecurely.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../src/config.js";

test("defaults: development credentials, port 8470, S3 region us-east-1, 3 attempts", () => {
  const c = loadConfig({});
  assert.equal(c.usingDevCredentials, true);
  assert.equal(c.port, 8470);
  assert.equal(c.s3.region, "us-east-1");
  assert.equal(c.maxAttempts, 3);
  assert.equal(c.databasePoolSize, 10);
  assert.equal(c.stopGraceSeconds, 0, "a stop aborts running imports unless a grace period is set");
  assert.equal(loadConfig({ REFSTORE_STOP_GRACE_SECONDS: "60" }).stopGraceSeconds, 60);
});

test("an empty REFSTORE_TOKEN_SECRET is refused (it would make nextTokens forgeable)", () => {
  assert.throws(() => loadConfig({ REFSTORE_TOKEN_SECRET: "" }), /REFSTORE_TOKEN_SECRET is set but empty/);
  assert.throws(() => loadConfig({ REFSTORE_TOKEN_SECRET: "  " }), /REFSTORE_TOKEN_SECRET is set but empty/);
  assert.equal(loadConfig({ REFSTORE_TOKEN_SECRET: "s3cret" }).tokenSecret, "s3cret");
});

test("without REFSTORE_TOKEN_SECRET, processes with the same credentials derive the same key", () => {
  const env = { REFSTORE_ACCESS_KEY_ID: "AKIDA", REFSTORE_SECRET_ACCESS_KEY: "secret-a" };
  assert.equal(loadConfig(env).tokenSecret, loadConfig({ ...env }).tokenSecret);
  assert.notEqual(loadConfig(env).tokenSecret, loadConfig({ ...env, REFSTORE_SECRET_ACCESS_KEY: "other" }).tokenSecret);
});

test("S3 keys: both or neither; a session token goes with them", () => {
  assert.throws(() => loadConfig({ REFSTORE_S3_ACCESS_KEY_ID: "AKID" }), /set both REFSTORE_S3_ACCESS_KEY_ID and REFSTORE_S3_SECRET_ACCESS_KEY/);
  assert.throws(() => loadConfig({ REFSTORE_S3_SECRET_ACCESS_KEY: "x" }), /set both/);
  assert.throws(() => loadConfig({ REFSTORE_S3_SESSION_TOKEN: "t" }), /REFSTORE_S3_SESSION_TOKEN needs/);
  const c = loadConfig({
    REFSTORE_S3_ACCESS_KEY_ID: "AKID",
    REFSTORE_S3_SECRET_ACCESS_KEY: "x",
    REFSTORE_S3_SESSION_TOKEN: "t",
    REFSTORE_S3_REGION: "eu-west-1",
  });
  assert.deepEqual([c.s3.accessKeyId, c.s3.secretAccessKey, c.s3.sessionToken, c.s3.region], ["AKID", "x", "t", "eu-west-1"]);
});

test("numeric settings reject non-integers and values below their minimum", () => {
  assert.throws(() => loadConfig({ REFSTORE_MAX_ATTEMPTS: "0" }), /REFSTORE_MAX_ATTEMPTS must be an integer >= 1/);
  assert.throws(() => loadConfig({ REFSTORE_PORT: "http" }), /REFSTORE_PORT must be an integer/);
  assert.throws(() => loadConfig({ REFSTORE_ROLE: "both" }), /REFSTORE_ROLE must be api, worker or all/);
});
