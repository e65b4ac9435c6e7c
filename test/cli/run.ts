// The `refstore` command run as a subprocess (the compiled dist/src/cli/main.js), as a person runs
// it: its stdout, stderr and exit status. Asynchronous, since the server under test runs in this
// very process.

import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/test/cli → dist/src/cli/main.js */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a person's shell: none of the variables of the test process that would steer the CLI. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("REFSTORE_") && !k.startsWith("AWS_") && k !== "NODE_OPTIONS" && k !== "FORCE_COLOR") env[k] = v;
  // no ~/.aws of whoever runs the tests
  env.AWS_CONFIG_FILE = "/nonexistent/aws-config";
  env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/aws-credentials";
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
    else env[k] = v;
  return env;
}

/** `opts.command`: run that instead of the CLI, with `args` as they are (`script` for a pseudo-terminal). */
export function runCli(args: string[], env: Record<string, string>, opts: { timeoutMs?: number; command?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = opts.command
      ? spawn(opts.command, args, { env, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Start the CLI and give back the running process (for `import --wait` while the test acts). */
export function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}
