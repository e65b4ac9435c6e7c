#!/usr/bin/env node
// refstore's command line: `refstore serve [--role api|worker|all]`, and `refstore presign` to
// hand a GetReference URL to curl.

import { Command, Option } from "commander";
import { loadConfig, type Role } from "../config.js";
import { startRefstore } from "../app/start.js";
import { presignUrl } from "../api/aws/sigv4.js";

const program = new Command();
program.name("refstore").description("A self-hosted reference-genome store speaking the AWS HealthOmics reference-store API");

program
  .command("serve")
  .description("run the API server and/or the import worker (settings: REFSTORE_* environment variables)")
  .addOption(new Option("--role <role>", "which parts to run").choices(["api", "worker", "all"]))
  .option("--port <port>", "port to listen on (REFSTORE_PORT, default 8470)")
  .option("--host <host>", "address to listen on (REFSTORE_HOST, default 127.0.0.1)")
  .action(async (opts: { role?: Role; port?: string; host?: string }) => {
    const env = { ...process.env };
    if (opts.role) env.REFSTORE_ROLE = opts.role;
    if (opts.port) env.REFSTORE_PORT = opts.port;
    if (opts.host) env.REFSTORE_HOST = opts.host;
    const config = loadConfig(env);
    const refstore = await startRefstore(config);
    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      refstore.log.info({ signal }, "shutting down");
      await refstore.close();
      process.exit(0);
    };
    process.on("SIGINT", () => void shutdown("SIGINT"));
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
  });

program
  .command("presign")
  .description("print a presigned GetReference URL (for curl), signed with REFSTORE_ACCESS_KEY_ID/SECRET")
  .requiredOption("--store <id>", "reference store id")
  .requiredOption("--reference <id>", "reference id")
  .option("--part <n>", "part number", "1")
  .option("--file <file>", "SOURCE or INDEX", "SOURCE")
  .option("--endpoint <url>", "server URL", "http://127.0.0.1:8470")
  .option("--expires <seconds>", "validity in seconds", "3600")
  .action(async (opts: { store: string; reference: string; part: string; file: string; endpoint: string; expires: string }) => {
    const config = loadConfig();
    const cred = config.credentials[0];
    const url = await presignUrl({
      endpoint: opts.endpoint,
      path: `/referencestore/${opts.store}/reference/${opts.reference}`,
      query: { partNumber: opts.part, file: opts.file },
      accessKeyId: cred.accessKeyId,
      secretAccessKey: cred.secretAccessKey,
      region: config.region,
      expiresIn: Number(opts.expires),
    });
    process.stdout.write(url + "\n");
  });

program.parseAsync().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
