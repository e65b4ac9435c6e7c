// Settings that a deployment gets wrong must stop the start with a message, not run insecurely.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig, parseBucketMounts } from "../src/config.js";

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

test("REFSTORE_S3_*: read (trimmed) into config.s3, region us-east-1 unless set", () => {
  const c = loadConfig({ REFSTORE_S3_ENDPOINT: "http://h:1", REFSTORE_S3_ACCESS_KEY_ID: "a", REFSTORE_S3_SECRET_ACCESS_KEY: " s " });
  assert.deepEqual(c.s3, { endpoint: "http://h:1", accessKeyId: "a", secretAccessKey: "s", sessionToken: undefined, region: "us-east-1" });
});

test("REFSTORE_DATABASE_URL: SQLite in the data dir by default, postgres:// and sqlite:<path>, anything else refused", () => {
  assert.deepEqual(loadConfig({ REFSTORE_DATA_DIR: "/srv/rs" }).database, { kind: "sqlite", path: "/srv/rs/catalog.sqlite" });
  assert.deepEqual(loadConfig({ REFSTORE_DATA_DIR: "/srv/rs", REFSTORE_DATABASE_URL: "" }).database, { kind: "sqlite", path: "/srv/rs/catalog.sqlite" });
  assert.deepEqual(loadConfig({}, { dataDir: "/elsewhere" }).database, { kind: "sqlite", path: "/elsewhere/catalog.sqlite" });
  for (const url of ["postgres://u:p@db:5432/rs", "postgresql://db/rs"])
    assert.deepEqual(loadConfig({ REFSTORE_DATABASE_URL: url }).database, { kind: "postgres", url });
  assert.deepEqual(loadConfig({ REFSTORE_DATABASE_URL: "sqlite:///var/lib/rs.sqlite" }).database, { kind: "sqlite", path: "/var/lib/rs.sqlite" });
  assert.deepEqual(loadConfig({ REFSTORE_DATABASE_URL: "sqlite:rel/rs.sqlite" }).database, { kind: "sqlite", path: "rel/rs.sqlite" });
  for (const bad of ["mysql://u:secret@db/rs", "sqlite:", "db.internal:5432", "postgres:/db"])
    assert.throws(() => loadConfig({ REFSTORE_DATABASE_URL: bad }), /^Error: REFSTORE_DATABASE_URL must be postgres:\/\/…, postgresql:\/\/… or sqlite:<path>/, bad);
  assert.throws(
    () => loadConfig({ REFSTORE_DATABASE_URL: "mysql://u:secret@db/rs" }),
    (e: Error) => !e.message.includes("secret"),
    "the password in a bad URL is not repeated",
  );
});

test("REFSTORE_BLOB_URL: <data dir>/blobs by default, s3://bucket[/prefix] and file:///dir, anything else refused", () => {
  assert.deepEqual(loadConfig({ REFSTORE_DATA_DIR: "/srv/rs" }).blobs, { kind: "disk", dir: "/srv/rs/blobs" });
  assert.deepEqual(loadConfig({}, { dataDir: "/elsewhere" }).blobs, { kind: "disk", dir: "/elsewhere/blobs" });
  assert.deepEqual(loadConfig({ REFSTORE_BLOB_URL: "s3://bucket/some/prefix/" }).blobs, { kind: "s3", bucket: "bucket", prefix: "some/prefix/" });
  assert.deepEqual(loadConfig({ REFSTORE_BLOB_URL: " s3://bucket " }).blobs, { kind: "s3", bucket: "bucket", prefix: "" });
  assert.deepEqual(loadConfig({ REFSTORE_BLOB_URL: "file:///srv/my%20blobs" }).blobs, { kind: "disk", dir: "/srv/my blobs" });
  for (const bad of ["http://x/y", "s3://", "s3:///prefix", "/srv/blobs", "bucket/prefix"])
    assert.throws(() => loadConfig({ REFSTORE_BLOB_URL: bad }), /^Error: REFSTORE_BLOB_URL must be s3:\/\/bucket\/prefix or file:\/\/\/dir/, bad);
  for (const bad of ["file://", "file:///"])
    assert.throws(() => loadConfig({ REFSTORE_BLOB_URL: bad }), /^Error: REFSTORE_BLOB_URL: .* names no directory/, bad);
});

test("REFSTORE_BUCKET_MOUNTS: parsed into bucket → directory, trimmed, empty items skipped", () => {
  assert.deepEqual([...loadConfig({ REFSTORE_BUCKET_MOUNTS: " refs=/data/refs , other=/mnt/x/,," }).bucketMounts], [
    ["refs", "/data/refs"],
    ["other", "/mnt/x"],
  ]);
  assert.equal(loadConfig({}).bucketMounts.size, 0);
  assert.equal(parseBucketMounts(undefined).size, 0);
  assert.equal(parseBucketMounts("").size, 0);
});

test("REFSTORE_BUCKET_MOUNTS: malformed values stop the start, naming the variable", () => {
  for (const bad of ["refs", "=/x", "refs=", "refs=relative/dir", "a=/x,a=/y", "a/b=/x"]) {
    assert.throws(() => loadConfig({ REFSTORE_BUCKET_MOUNTS: bad }), /^Error: REFSTORE_BUCKET_MOUNTS: /, bad);
  }
});
