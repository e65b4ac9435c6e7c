// The slow suite's set-up, once: a refstore (startRefstore, in process) on S3 blobs in bucket
// `blobs` under the prefix `refstore/`, sources in bucket `src`, optionally through a proxy
// in front of S3 and on a PostgreSQL catalog; a signed Omics client and one reference store.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateReferenceStoreCommand,
  GetReferenceCommand,
  OmicsClient,
  StartReferenceImportJobCommand,
  type GetReferenceImportJobCommandOutput,
} from "@aws-sdk/client-omics";
import pino from "pino";
import { startRefstore, type Refstore } from "../../src/app/start.js";
import { loadConfig } from "../../src/config.js";
import { TEST_CREDENTIALS } from "./refstore.js";
import type { TestS3 } from "./s3.js";
import { waitForJob } from "./wait.js";

export const RIG_ROLE = "arn:aws:iam::111111111111:role/import";

export interface Rig {
  refstore: Refstore;
  omics: OmicsClient;
  storeId: string;
  dir: string;
  /** Import s3://src/`key` as one job and wait until it is terminal. */
  importOne(key: string, timeoutMs?: number): Promise<GetReferenceImportJobCommandOutput>;
  /** Start importing s3://src/`key`; the job id. */
  startImport(key: string): Promise<string>;
  /** SOURCE of a reference, part 1 (the slow suite's genomes fit in one). */
  getSource(referenceId: string): Promise<Buffer>;
  /** Close the client and refstore and remove the data dir (not the S3 server or database). */
  close(): Promise<void>;
}

export async function startRig(opts: {
  s3: TestS3;
  /** where refstore reaches S3 (a proxy's endpoint); default the server itself */
  s3Endpoint?: string;
  /** REFSTORE_DATABASE_URL; default a SQLite catalog in the data dir */
  databaseUrl?: string;
  env?: Record<string, string>;
}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), "refstore-rig-"));
  let refstore: Refstore | undefined;
  let omics: OmicsClient | undefined;
  try {
    const creds = join(dir, "credentials.json");
    writeFileSync(creds, JSON.stringify(TEST_CREDENTIALS));
    refstore = await startRefstore(
      loadConfig({
        ...opts.s3.env,
        ...(opts.s3Endpoint && { REFSTORE_S3_ENDPOINT: opts.s3Endpoint }),
        ...(opts.databaseUrl && { REFSTORE_DATABASE_URL: opts.databaseUrl }),
        REFSTORE_DATA_DIR: dir,
        REFSTORE_BLOB_URL: "s3://blobs/refstore",
        REFSTORE_CREDENTIALS_FILE: creds,
        REFSTORE_PORT: "0",
        REFSTORE_POLL_MS: "50",
        ...opts.env,
      }),
      pino({ level: "silent" }),
    );
    const client = new OmicsClient({
      region: "us-east-1",
      endpoint: refstore.url,
      disableHostPrefix: true,
      credentials: TEST_CREDENTIALS[0],
      maxAttempts: 1,
    });
    omics = client;
    const storeId = (await client.send(new CreateReferenceStoreCommand({ name: "rig" }))).id!;
    const started = refstore;
    const startImport = async (key: string) =>
      (
        await client.send(
          new StartReferenceImportJobCommand({
            referenceStoreId: storeId,
            roleArn: RIG_ROLE,
            sources: [{ sourceFile: `s3://src/${key}`, name: key.replace(/\W/g, "_") }],
          }),
        )
      ).id!;
    return {
      refstore: started,
      omics: client,
      storeId,
      dir,
      startImport,
      importOne: async (key, timeoutMs = 180_000) => waitForJob(client, storeId, await startImport(key), timeoutMs),
      getSource: async (referenceId) => {
        const got = await client.send(new GetReferenceCommand({ referenceStoreId: storeId, id: referenceId, partNumber: 1 }));
        return Buffer.from(await got.payload!.transformToByteArray());
      },
      close: async () => {
        client.destroy();
        await started.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    omics?.destroy();
    await refstore?.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
