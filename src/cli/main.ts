#!/usr/bin/env node
// refstore's command line (docs/cli.md): stores, imports, jobs, references and pull for people,
// over @aws-sdk/client-omics so that it talks to any server of this API (refstore, or AWS
// HealthOmics); `serve` runs the server itself.

import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { connect, resolveEndpoint, type Connection, type ConnectionOptions } from "./client.js";
import { CliError, errorLine, printError } from "./output.js";
import { registerCommands } from "./commands.js";

const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command();
program
  .name("refstore")
  .description("A reference-genome store speaking the AWS HealthOmics reference-store API: its server, and a command line for it")
  .version(version, "-V, --version")
  .option("--endpoint <url>", 'server URL, or "aws" for AWS HealthOmics (REFSTORE_ENDPOINT; default http://REFSTORE_HOST:REFSTORE_PORT)')
  .option("--region <region>", "signing region (REFSTORE_REGION, AWS_REGION; default us-east-1)")
  .option("--profile <name>", "AWS profile for credentials (when REFSTORE_ACCESS_KEY_ID is not set)")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

let endpointForErrors: string | undefined;
let connection: Connection | undefined;
const connectFrom = (cmd: Command): Connection => {
  const g = cmd.optsWithGlobals() as ConnectionOptions;
  connection ??= connect({ endpoint: g.endpoint, region: g.region, profile: g.profile });
  endpointForErrors = connection.endpoint ?? "AWS HealthOmics";
  return connection;
};

registerCommands(program, connectFrom, { version, Option });

function fail(err: unknown): never {
  if (err instanceof CommanderError) {
    // --help and --version end here with code 0; commander has already printed its message
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (err instanceof CliError) {
    printError(err.message);
    process.exit(err.exitCode);
  }
  if (endpointForErrors === undefined) {
    try {
      endpointForErrors = resolveEndpoint(program.opts().endpoint);
    } catch {
      // reported below anyway
    }
  }
  printError(errorLine(err, endpointForErrors));
  process.exit(1);
}

program
  .parseAsync()
  .then(() => connection?.client.destroy())
  .catch(fail);
