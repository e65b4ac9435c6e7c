// `refstore serve`'s own output: JSON lines when stdout is not a terminal, pretty lines on a
// pseudo-terminal (util-linux `script`), REFSTORE_LOG_FORMAT to choose; bucket mounts listed at
// start, a missing mount directory a warning; process warnings (the AWS SDK's multi-line
// NodeVersionSupportWarning on Node 20) as one log line.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedS3, type S3Server } from "../support/refstore.js";
import { CLI, cleanEnv } from "./run.js";

/** Runs `command` until its output matches `done`, then SIGTERM; answers stdout and stderr. */
function runUntil(cmd: string, args: string[], env: Record<string, string>, done: RegExp): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no ${done} in time; stdout: ${stdout} stderr: ${stderr}`));
    }, 30_000);
    child.stdout.setEncoding("utf8").on("data", (d) => {
      stdout += d;
      if (done.test(stdout)) child.kill("SIGTERM");
    });
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
  });
}

describe("refstore serve: start-up log", () => {
  let dir: string;
  let s3: S3Server;
  let env: Record<string, string>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "refstore-serve-"));
    mkdirSync(join(dir, "genomes"));
    s3 = await sharedS3();
    const bucket = `serve-${process.pid}`;
    await s3.createBucket(bucket);
    env = cleanEnv({
      REFSTORE_DATA_DIR: join(dir, "data"),
      REFSTORE_PORT: "0",
      REFSTORE_BUCKET_MOUNTS: `genomes=${join(dir, "genomes")},elsewhere=${join(dir, "missing")}`,
      // S3 blobs: an AWS SDK client exists from the start (and with it, on Node 20, the SDK's warning)
      REFSTORE_BLOB_URL: `s3://${bucket}/blobs`,
      ...s3.env,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("not a terminal: one JSON object per line, mounts listed, a missing mount warned about", async () => {
    const { stdout, stderr } = await runUntil(process.execPath, [CLI, "serve"], env, /refstore listening/);
    assert.equal(stderr, "", "nothing on stderr: warnings go through the log");
    const lines = stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    const mounts = lines.find((l) => l.bucketMounts);
    assert.deepEqual(mounts.bucketMounts, { genomes: join(dir, "genomes"), elsewhere: join(dir, "missing") });
    const missing = lines.find((l) => l.level === 40 && l.bucket === "elsewhere");
    assert.match(missing.msg, /bucket mount elsewhere: .*missing is not a directory/);
    assert.ok(!lines.some((l) => l.level === 40 && l.bucket === "genomes"));
    if (Number(process.versions.node.split(".")[0]) < 22) {
      const w = lines.find((l) => l.warning === "NodeVersionSupportWarning");
      assert.ok(w, `the SDK's warning as a log line: ${stdout}`);
      assert.match(w.msg, /require node >=22/);
    }
  });

  test("on a terminal: pretty lines; REFSTORE_LOG_FORMAT=json keeps JSON there too", async () => {
    const command = `${process.execPath} ${CLI} serve`;
    const pretty = await runUntil("script", ["-qefc", command, "/dev/null"], env, /refstore listening/);
    assert.match(pretty.stdout, /INFO.*refstore listening/);
    assert.match(pretty.stdout, /WARN.*bucket mount elsewhere/);
    assert.ok(!/"level":/.test(pretty.stdout), pretty.stdout);
    const json = await runUntil("script", ["-qefc", command, "/dev/null"], { ...env, REFSTORE_LOG_FORMAT: "json" }, /refstore listening/);
    const line = json.stdout.split(/\r?\n/).find((l) => l.includes("refstore listening"))!;
    assert.equal(JSON.parse(line.slice(line.indexOf("{"))).msg, "refstore listening");
  });

  test("a bad REFSTORE_LOG_FORMAT is refused in one line, exit 2", async () => {
    const child = spawn(process.execPath, [CLI, "serve"], { env: { ...env, REFSTORE_LOG_FORMAT: "xml" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const code = await new Promise((r) => child.on("close", r));
    assert.equal(code, 2);
    assert.match(stderr, /^error: REFSTORE_LOG_FORMAT must be json or pretty, got "xml"\n$/);
  });
});
