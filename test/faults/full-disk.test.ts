// Full disks (issue 13, point 3), on a real small tmpfs (root only: skipped with the reason
// otherwise; always unmounted): a blob store that runs out of space fails the source with
// `no space left on the blob store (…)`; a catalog that cannot grow answers with a message that
// says so; once space returns, imports and requests work again without a restart.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, unlinkSync, openSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateReferenceStoreCommand,
  StartReferenceImportJobCommand,
  OmicsClient,
} from "@aws-sdk/client-omics";
import pino from "pino";
import { loadConfig } from "../../src/config.js";
import { startRefstore } from "../../src/app/start.js";
import { TEST_CREDENTIALS, waitForJob } from "../support/refstore.js";
import { fastaOf } from "../support/fasta-gen.js";

const MiB = 1024 * 1024;

function whyNoTmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  return undefined;
}

test("a full blob store fails the source in words; a full catalog says so; both recover when space returns", async (t) => {
  const why = whyNoTmpfs();
  if (why) {
    console.log(`# skipping the tmpfs test: ${why}`);
    return t.skip(why);
  }
  const base = mkdtempSync(join(tmpdir(), "refstore-full-"));
  const data = join(base, "data");
  const mount = join(base, "mnt");
  execFileSync("mkdir", ["-p", data, mount]);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", data]);
  } catch (err) {
    rmSync(base, { recursive: true, force: true });
    console.log(`# skipping the tmpfs test: mount failed (${(err as Error).message.split("\n")[0]})`);
    return t.skip("mount failed");
  }
  let refstore: Awaited<ReturnType<typeof startRefstore>> | undefined;
  let omics: OmicsClient | undefined;
  try {
    writeFileSync(join(mount, "big.fa"), fastaOf(20 * MiB));
    writeFileSync(join(mount, "small.fa"), ">s\nACGTACGT\n");
    const creds = join(base, "credentials.json");
    writeFileSync(creds, JSON.stringify(TEST_CREDENTIALS));
    refstore = await startRefstore(
      loadConfig({
        REFSTORE_DATA_DIR: data,
        REFSTORE_BUCKET_MOUNTS: `mnt=${mount}`,
        REFSTORE_CREDENTIALS_FILE: creds,
        REFSTORE_PORT: "0",
        REFSTORE_POLL_MS: "50",
      }),
      pino({ level: "silent" }),
    );
    omics = new OmicsClient({
      region: "us-east-1",
      endpoint: refstore.url,
      disableHostPrefix: true,
      credentials: TEST_CREDENTIALS[0],
      maxAttempts: 1,
    });
    const storeId = (await omics.send(new CreateReferenceStoreCommand({ name: "full" }))).id!;
    const importOne = async (key: string) => {
      const j = await omics!.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: storeId,
          roleArn: "arn:aws:iam::111111111111:role/import",
          sources: [{ sourceFile: `s3://mnt/${key}`, name: `ref-${key.replace(/\W/g, "_")}` }],
        }),
      );
      return waitForJob(omics!, storeId, j.id!, 120_000);
    };

    // 1. the blob store fills up during the import
    const failed = await importOne("big.fa");
    assert.equal(failed.status, "FAILED");
    assert.equal(failed.sources![0].statusMessage, `no space left on the blob store (${join(data, "blobs")})`);

    // 2. the catalog cannot grow: fill what is left
    const filler = join(data, "filler");
    const fd = openSync(filler, "w");
    const chunk = Buffer.alloc(64 * 1024);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, "ENOSPC");
    } finally {
      closeSync(fd);
    }
    let answered: { name?: string; message?: string; status?: number } | undefined;
    for (let i = 0; i < 200 && !answered; i++) {
      // each store row is small: SQLite may find room in free pages for a few
      try {
        await omics.send(new CreateReferenceStoreCommand({ name: `s${i}`, description: "x".repeat(200) }));
      } catch (err) {
        const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        answered = { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
      }
    }
    assert.ok(answered, "the catalog kept growing on a full disk");
    assert.equal(answered.name, "InternalServerException");
    assert.equal(answered.status, 500);
    assert.match(answered.message!, /catalog cannot grow: no space left/);

    // 3. space returns: everything works again, no restart
    unlinkSync(filler);
    await omics.send(new CreateReferenceStoreCommand({ name: "after" }));
    const ok = await importOne("small.fa");
    assert.equal(ok.status, "COMPLETED", JSON.stringify(ok.sources));
  } finally {
    omics?.destroy();
    await refstore?.close().catch(() => {});
    execFileSync("umount", [data]);
    rmSync(base, { recursive: true, force: true });
  }
});
