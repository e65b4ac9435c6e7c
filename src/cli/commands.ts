// The commands of `refstore` (docs/cli.md). Each prints a table for people, or with --json exactly
// what the API answered (list commands: the items of every page merged, as the AWS CLI does).

import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type { Command, Option as OptionCtor } from "commander";
import {
  CreateReferenceStoreCommand,
  DeleteReferenceCommand,
  DeleteReferenceStoreCommand,
  GetReferenceCommand,
  GetReferenceImportJobCommand,
  GetReferenceMetadataCommand,
  ListReferenceImportJobsCommand,
  ListReferencesCommand,
  ListReferenceStoresCommand,
  StartReferenceImportJobCommand,
} from "@aws-sdk/client-omics";
import type { Role } from "../config.js";
import { presignUrl } from "../api/aws/sigv4.js";
import { ExtensionUnavailable, extensionRequest, sendRaw, type Connection } from "./client.js";
import { bytes, CliError, print, printJson, relativeTime, statusColour, table } from "./output.js";
import { createProgress, progressMode, type ProgressItem } from "./progress.js";
import { pull } from "./pull.js";
import { parseTime } from "./times.js";

type ConnectFrom = (cmd: Command) => Connection;

const TERMINAL = new Set(["COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"]);
const JOB_STATUSES = ["SUBMITTED", "IN_PROGRESS", "CANCELLING", "CANCELLED", "FAILED", "COMPLETED", "COMPLETED_WITH_FAILURES"];
// refstore does not assume roles; AWS needs a real one (--role-arn / REFSTORE_ROLE_ARN)
const PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/refstore-import";

/** Every page of a List operation, merged under the list member (as the AWS CLI prints it). */
async function listAll(conn: Connection, make: (token?: string) => any, member: string): Promise<any> {
  const items: any[] = [];
  let token: string | undefined;
  do {
    const { raw } = await sendRaw<any>(conn.client, make(token));
    items.push(...(raw[member] ?? []));
    token = raw.nextToken;
  } while (token);
  return { [member]: items };
}

/**
 * A List filter: the command's own members and `--since` / `--until` as createdAfter /
 * createdBefore; undefined when nothing is set (the request then carries no filter at all).
 */
function listFilter<T extends object>(own: T, times: { since?: string; until?: string }): (T & { createdAfter?: Date; createdBefore?: Date }) | undefined {
  const filter = {
    ...own,
    createdAfter: times.since !== undefined ? parseTime("--since", times.since) : undefined,
    createdBefore: times.until !== undefined ? parseTime("--until", times.until) : undefined,
  };
  return Object.values(filter).some((v) => v !== undefined) ? filter : undefined;
}

function positiveInt(flag: string, v: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new CliError(`${flag}: expected a whole number from 1 to ${max}, got "${v}"`, 2);
  return n;
}

/** Default reference name of a source: its file name without .fa/.fasta/.fna and .gz. */
export function nameOf(source: string): string {
  const n = basename(source.replace(/\/+$/, "")).replace(/\.(gz|bgz)$/i, "").replace(/\.(fa|fasta|fna|fas)$/i, "");
  const name = n.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
  // the API wants 3 characters at least
  return name.length >= 3 ? name : `${name || "reference"}${name ? "-ref" : ""}`;
}

export function registerCommands(program: Command, connectFrom: ConnectFrom, ctx: { version: string; Option: typeof OptionCtor }) {
  const { Option } = ctx;

  // --- stores -------------------------------------------------------------------------------
  const stores = program.command("stores").description("reference stores: list (default), create, rm");
  stores
    .command("list", { isDefault: true })
    .description("list the reference stores (every page)")
    .option("--json", "print the API's answer (ListReferenceStores, pages merged)")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const conn = connectFrom(cmd);
      const all = await listAll(conn, (nextToken) => new ListReferenceStoresCommand({ nextToken }), "referenceStores");
      if (opts.json) return printJson(all);
      if (all.referenceStores.length === 0) return print("no reference stores (create one: refstore stores create NAME)");
      print(
        table(
          ["ID", "NAME", "CREATED", "DESCRIPTION"],
          all.referenceStores.map((s: any) => [s.id, s.name ?? "", relativeTime(s.creationTime), s.description ?? ""]),
        ),
      );
    });
  stores
    .command("create")
    .description("create a reference store and print its id")
    .argument("<name>", "store name")
    .option("--description <text>", "description")
    .option("--json", "print the API's answer (CreateReferenceStore)")
    .action(async (name: string, opts: { description?: string; json?: boolean }, cmd: Command) => {
      const conn = connectFrom(cmd);
      const { raw } = await sendRaw<any>(conn.client, new CreateReferenceStoreCommand({ name, description: opts.description }));
      if (opts.json) return printJson(raw);
      print(raw.id);
    });
  stores
    .command("rm")
    .description("delete an empty reference store")
    .argument("<store>", "store id")
    .action(async (store: string, _opts: unknown, cmd: Command) => {
      const conn = connectFrom(cmd);
      await conn.client.send(new DeleteReferenceStoreCommand({ id: store }));
      print(`deleted reference store ${store}`);
    });

  // --- import -------------------------------------------------------------------------------
  program
    .command("import")
    .description("start an import job: s3://bucket/key sources, or local FASTA files (refstore only)")
    .argument("<store>", "store id")
    .argument("<source...>", "s3://bucket/key, or a local file path")
    .option("--name <name>", "reference name (one source only; default: the file name without .fa/.gz)")
    .option("--description <text>", "description of each reference")
    .option("--role-arn <arn>", "the job's service role (REFSTORE_ROLE_ARN; needed by AWS, ignored by refstore)")
    .option("--wait", "wait for the job to end; exit 0 only if it COMPLETED")
    .option("--json", "print the API's answer (StartReferenceImportJob; with --wait the final GetReferenceImportJob)")
    .action(async (store: string, sources: string[], opts: { name?: string; description?: string; roleArn?: string; wait?: boolean; json?: boolean }, cmd: Command) => {
      const conn = connectFrom(cmd);
      if (opts.name !== undefined && sources.length > 1) throw new CliError("--name: give it with one source only", 2);
      const roleArn = opts.roleArn ?? process.env.REFSTORE_ROLE_ARN ?? (conn.endpoint !== undefined ? PLACEHOLDER_ROLE : undefined);
      if (!roleArn) throw new CliError("--role-arn: AWS HealthOmics needs the ARN of a role it can assume to read the sources", 2);
      const items = [];
      for (const s of sources) {
        if (/^s3:\/\//i.test(s)) {
          items.push({ sourceFile: s, name: opts.name ?? nameOf(s), description: opts.description });
          continue;
        }
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) throw new CliError(`${s}: a source is s3://bucket/key or a local file`, 2);
        const st = await stat(resolve(s)).catch(() => undefined);
        if (!st?.isFile()) throw new CliError(`${s}: no such file (a source is s3://bucket/key or a local file)`, 2);
        throw new CliError(`${s}: importing local files needs refstore's upload extension, which this version does not have yet; put the file in a bucket (or REFSTORE_BUCKET_MOUNTS) and import s3://…`);
      }
      const { raw: started } = await sendRaw<any>(
        conn.client,
        new StartReferenceImportJobCommand({ referenceStoreId: store, roleArn, sources: items }),
      );
      if (!opts.wait) {
        if (opts.json) return printJson(started);
        return print(started.id);
      }
      const job = await waitForJob(conn, store, started.id, Boolean(opts.json));
      if (opts.json) printJson(job);
      else {
        print(`job ${job.id}: ${statusColour(job.status)}${job.statusMessage ? ` (${job.statusMessage})` : ""}`);
        for (const s of job.sources ?? [])
          if (s.referenceId) print(`  ${s.name ?? s.sourceFile}: reference ${s.referenceId}`);
      }
      if (job.status !== "COMPLETED") process.exitCode = 1;
    });

  // --- jobs / job / cancel -------------------------------------------------------------------
  program
    .command("jobs")
    .description("list a store's import jobs (every page)")
    .argument("<store>", "store id")
    .addOption(new Option("--status <status>", "only jobs with this status").argParser((v) => v.toUpperCase()))
    .option("--since <time>", "created at or after: ISO-8601, or a time ago (30m, 2h, 3d)")
    .option("--until <time>", "created at or before: ISO-8601, or a time ago")
    .option("--json", "print the API's answer (ListReferenceImportJobs, pages merged)")
    .action(async (store: string, opts: { status?: string; since?: string; until?: string; json?: boolean }, cmd: Command) => {
      if (opts.status !== undefined && !JOB_STATUSES.includes(opts.status))
        throw new CliError(`--status: one of ${JOB_STATUSES.join(", ")}, got "${opts.status}"`, 2);
      const filter = listFilter({ status: opts.status as any }, opts);
      const conn = connectFrom(cmd);
      const all = await listAll(conn, (nextToken) => new ListReferenceImportJobsCommand({ referenceStoreId: store, nextToken, filter }), "importJobs");
      if (opts.json) return printJson(all);
      if (all.importJobs.length === 0) return print("no import jobs");
      print(
        table(
          ["ID", "STATUS", "CREATED", "COMPLETED"],
          all.importJobs.map((j: any) => [j.id, statusColour(j.status), relativeTime(j.creationTime), relativeTime(j.completionTime)]),
        ),
      );
    });

  program
    .command("job")
    .description("one import job, with each source's status and message")
    .argument("<store>", "store id")
    .argument("<job>", "job id")
    .option("--json", "print the API's answer (GetReferenceImportJob)")
    .action(async (store: string, id: string, opts: { json?: boolean }, cmd: Command) => {
      const conn = connectFrom(cmd);
      const { raw: job } = await sendRaw<any>(conn.client, new GetReferenceImportJobCommand({ referenceStoreId: store, id }));
      if (opts.json) return printJson(job);
      printJob(job);
    });

  program
    .command("cancel")
    .description("cancel an import job (a refstore extension)")
    .argument("<store>", "store id")
    .argument("<job>", "job id")
    .option("--json", "print the API's answer (like GetReferenceImportJob)")
    .action(async (store: string, id: string, opts: { json?: boolean }, cmd: Command) => {
      const conn = connectFrom(cmd);
      const job = await extensionRequest(conn, "cancel", "POST", `/referencestore/${encodeURIComponent(store)}/importjob/${encodeURIComponent(id)}/cancel`);
      if (opts.json) return printJson(job);
      print(`job ${job.id}: ${statusColour(job.status)}`);
    });

  // --- refs / ref / rm / pull / presign -------------------------------------------------------
  program
    .command("refs")
    .description("list a store's references (every page)")
    .argument("<store>", "store id")
    .option("--name <name>", "only references with this name")
    .option("--md5 <md5>", "only references with this MD5")
    .option("--since <time>", "created at or after: ISO-8601, or a time ago (30m, 2h, 3d)")
    .option("--until <time>", "created at or before: ISO-8601, or a time ago")
    .option("--json", "print the API's answer (ListReferences, pages merged)")
    .action(async (store: string, opts: { name?: string; md5?: string; since?: string; until?: string; json?: boolean }, cmd: Command) => {
      const filter = listFilter({ name: opts.name, md5: opts.md5 }, opts);
      const conn = connectFrom(cmd);
      const all = await listAll(conn, (nextToken) => new ListReferencesCommand({ referenceStoreId: store, nextToken, filter }), "references");
      if (opts.json) return printJson(all);
      if (all.references.length === 0) return print("no references");
      print(
        table(
          ["ID", "NAME", "STATUS", "MD5", "CREATED"],
          all.references.map((r: any) => [r.id, r.name ?? "", statusColour(r.status), r.md5, relativeTime(r.creationTime)]),
        ),
      );
    });

  program
    .command("ref")
    .description("one reference: metadata, files, sequences with their digests, seqcol digest, GA4GH URLs")
    .argument("<store>", "store id")
    .argument("<ref>", "reference id")
    .option("--json", "print GetReferenceMetadata's answer, with GetReferenceIdentifiers' under \"identifiers\" (refstore only)")
    .action(async (store: string, id: string, opts: { json?: boolean }, cmd: Command) => {
      const conn = connectFrom(cmd);
      const { raw: meta } = await sendRaw<any>(conn.client, new GetReferenceMetadataCommand({ referenceStoreId: store, id }));
      let ids: any;
      let missing: string | undefined;
      try {
        ids = await extensionRequest(conn, "GetReferenceIdentifiers", "GET", `/referencestore/${encodeURIComponent(store)}/reference/${encodeURIComponent(id)}/identifiers`);
      } catch (err) {
        if (!(err instanceof ExtensionUnavailable)) throw err;
        missing = err.message; // AWS, or an older refstore: the AWS API's facts only
      }
      if (opts.json) return printJson(ids ? { ...meta, identifiers: ids } : meta);
      const file = (f: any) => (f ? `${bytes(f.contentLength)} (${f.contentLength} bytes) in ${f.totalParts} part(s) of ${bytes(f.partSize)}` : "-");
      print(`reference ${meta.id}  ${meta.name ?? ""}  ${statusColour(meta.status)}`);
      print(`  arn      ${meta.arn}`);
      print(`  md5      ${meta.md5}`);
      if (ids) print(`  seqcol   ${ids.seqcolDigest}`);
      print(`  created  ${meta.creationTime} (${relativeTime(meta.creationTime)})${meta.creationJobId ? ` by job ${meta.creationJobId}` : ""}`);
      print(`  source   ${file(meta.files?.source)}`);
      print(`  index    ${file(meta.files?.index)}`);
      if (ids) return printIdentifiers(conn, ids);
      await printFaiSequences(conn, store, id, meta.files?.index);
      print();
      print(`no sequence digests, seqcol digest or GA4GH URLs: ${missing}`);
    });

  program
    .command("rm")
    .description("delete a reference")
    .argument("<store>", "store id")
    .argument("<ref>", "reference id")
    .action(async (store: string, id: string, _opts: unknown, cmd: Command) => {
      const conn = connectFrom(cmd);
      await conn.client.send(new DeleteReferenceCommand({ referenceStoreId: store, id }));
      print(`deleted reference ${id}`);
    });

  program
    .command("pull")
    .description("download a reference (SOURCE and INDEX, parts in parallel, MD5 verified) as NAME.fa(.gz) and NAME.fa(.gz).fai")
    .argument("<store>", "store id")
    .argument("<ref>", "reference id")
    .option("--out <dir>", "directory to write into", ".")
    .option("--threads <n>", "parts fetched at once", "10")
    .option("--no-index", "the FASTA only, without its .fai")
    .option("--force", "overwrite existing files")
    .option("--json", "print what was written as JSON (no progress)")
    .action(async (store: string, id: string, opts: { out: string; threads: string; index: boolean; force?: boolean; json?: boolean }, cmd: Command) => {
      const threads = positiveInt("--threads", opts.threads, 64);
      const outDir = resolve(opts.out);
      const st = await stat(outDir).catch(() => undefined);
      if (!st?.isDirectory()) throw new CliError(`--out: ${opts.out} is not a directory`, 2);
      const conn = connectFrom(cmd);
      const progress = createProgress(progressMode(Boolean(opts.json)));
      try {
        const files = await pull(conn, store, id, { outDir, threads, index: opts.index, force: Boolean(opts.force), progress });
        progress.stop();
        if (opts.json) return printJson({ files });
        for (const f of files) print(f.path);
      } finally {
        progress.stop();
      }
    });

  program
    .command("presign")
    .description("print a presigned GetReference URL (for curl), signed with the CLI's credentials")
    .argument("[store]", "store id")
    .argument("[ref]", "reference id")
    .addOption(new Option("--store <id>", "store id (as an option)").hideHelp())
    .addOption(new Option("--reference <id>", "reference id (as an option)").hideHelp())
    .option("--part <n>", "part number", "1")
    .addOption(new Option("--file <file>", "which file").choices(["SOURCE", "INDEX"]).default("SOURCE"))
    .option("--expires <seconds>", "validity in seconds (at most 604800)", "3600")
    .action(async (storeArg: string | undefined, refArg: string | undefined, opts: { store?: string; reference?: string; part: string; file: string; expires: string }, cmd: Command) => {
      const store = storeArg ?? opts.store;
      const ref = refArg ?? opts.reference;
      if (!store || !ref) throw new CliError("presign: give STORE and REF", 2);
      const part = positiveInt("--part", opts.part, 10_000);
      const expiresIn = positiveInt("--expires", opts.expires, 604_800);
      const conn = connectFrom(cmd);
      if (conn.endpoint === undefined) throw new CliError("presign: GetReference URLs for AWS HealthOmics are not supported; use refstore pull");
      const cred = await conn.credentials();
      const url = await presignUrl({
        endpoint: conn.endpoint,
        path: `/referencestore/${encodeURIComponent(store)}/reference/${encodeURIComponent(ref)}`,
        query: { partNumber: part, file: opts.file },
        accessKeyId: cred.accessKeyId,
        secretAccessKey: cred.secretAccessKey,
        sessionToken: cred.sessionToken,
        region: conn.region,
        expiresIn,
      });
      print(url);
    });

  // --- serve --------------------------------------------------------------------------------
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
      // loaded here: the other commands need none of the server's modules (start-up time)
      const { loadConfig } = await import("../config.js");
      const { startRefstore } = await import("../app/start.js");
      const { createLogger, routeProcessWarnings } = await import("../app/log.js");
      let config;
      try {
        config = loadConfig(env);
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
      const log = createLogger(config);
      // before the first AWS SDK client exists: its Node-version warning becomes one log line
      routeProcessWarnings(log);
      const refstore = await startRefstore(config, log);
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
}

const SHOWN_SEQUENCES = 50;
const more = (rows: unknown[]) =>
  rows.length > SHOWN_SEQUENCES ? `… and ${rows.length - SHOWN_SEQUENCES} more (refstore ref STORE REF --json lists them all)` : undefined;

/** The sequences' digests and the GA4GH URLs (the server gives paths: the endpoint is ours). */
function printIdentifiers(conn: Connection, ids: any): void {
  const seqs: any[] = ids.sequences ?? [];
  print();
  print(table(["SEQUENCE", "LENGTH", "MD5", "SQ. DIGEST"], seqs.slice(0, SHOWN_SEQUENCES).map((s) => [s.name, s.length.toLocaleString("en-US"), s.md5, s.ga4gh])));
  const rest = more(seqs);
  if (rest) print(rest);
  print();
  const p = ids.paths;
  if (!p) {
    print(ids.ga4ghAccess === "off" ? "GA4GH URLs: none, the server's GA4GH routes are off (REFSTORE_GA4GH_ACCESS=off)" : `GA4GH URLs: none, the GA4GH routes serve ACTIVE references only`);
    return;
  }
  const url = (path: string) => conn.endpoint + path;
  print(ids.ga4ghAccess === "signed" ? "GA4GH URLs (send Authorization: Bearer <token>; REFSTORE_GA4GH_ACCESS=signed):" : "GA4GH URLs:");
  const rows = [
    ["fasta", url(p.source)],
    ["fai", url(p.index)],
    ...(p.gzi ? [["gzi", url(p.gzi)]] : []),
    ["dict", url(p.dict)],
    ["seqcol", url(p.seqcol)],
  ];
  if (seqs[0]?.refget)
    rows.push(["refget", `${url(seqs[0].refget)}${seqs.length > 1 ? `  (${seqs[0].name}; each sequence likewise by its SQ. digest or MD5)` : ""}`]);
  for (const [k, v] of rows) print(`  ${k.padEnd(7)}  ${v}`);
}

/** Name and length of each sequence from the stored .fai (what the AWS API alone tells), when small. */
async function printFaiSequences(conn: Connection, store: string, id: string, index: any): Promise<void> {
  if (!index || index.totalParts !== 1 || index.contentLength > 8 * 1024 * 1024) return;
  const res = await conn.client.send(new GetReferenceCommand({ referenceStoreId: store, id, partNumber: 1, file: "INDEX" }));
  const text = await (res.payload as any).transformToString();
  const rows = text
    .split("\n")
    .filter((l: string) => l !== "")
    .map((l: string) => l.split("\t"))
    .map((c: string[]) => [c[0], Number(c[1]).toLocaleString("en-US")]);
  print();
  print(table(["SEQUENCE", "LENGTH"], rows.slice(0, SHOWN_SEQUENCES)));
  const rest = more(rows);
  if (rest) print(rest);
}

function printJob(job: any): void {
  print(`job ${job.id}  ${statusColour(job.status)}${job.statusMessage ? `  ${job.statusMessage}` : ""}`);
  print(`  store    ${job.referenceStoreId}`);
  print(`  created  ${job.creationTime} (${relativeTime(job.creationTime)})`);
  if (job.completionTime) print(`  ended    ${job.completionTime} (${relativeTime(job.completionTime)})`);
  print();
  print(
    table(
      ["#", "STATUS", "NAME", "SOURCE", "REFERENCE", "MESSAGE"],
      (job.sources ?? []).map((s: any, i: number) => [String(i + 1), statusColour(s.status), s.name ?? "", s.sourceFile, s.referenceId ?? "-", s.statusMessage ?? ""]),
    ),
  );
}

/**
 * Poll GetReferenceImportJob until the job ends, with each source's bytes from refstore's
 * progress extension (GetReferenceImportJobProgress) where the server has it; answers the last
 * GetReferenceImportJob as the API gave it.
 */
async function waitForJob(conn: Connection, store: string, id: string, json: boolean): Promise<any> {
  const progress = createProgress(progressMode(json));
  const items = new Map<number, ProgressItem>();
  const ended = new Set<number>();
  let live = conn.endpoint !== undefined;
  const path = `/referencestore/${encodeURIComponent(store)}/importjob/${encodeURIComponent(id)}/progress`;
  try {
    for (let delay = 250; ; delay = Math.min(delay * 2, 1000)) {
      const { raw: job } = await sendRaw<any>(conn.client, new GetReferenceImportJobCommand({ referenceStoreId: store, id }));
      let bytes: any;
      // also once the job has ended: a source that finished between two polls gets its real count
      if (live) {
        try {
          bytes = await extensionRequest(conn, "progress", "GET", path);
        } catch (err) {
          if (!(err instanceof ExtensionUnavailable)) throw err;
          live = false; // AWS, or an older refstore: statuses only
        }
      }
      (job.sources ?? []).forEach((s: any, i: number) => {
        if (s.status === "NOT_STARTED" || ended.has(i)) return;
        const p = bytes?.sources?.[i];
        let item = items.get(i);
        if (!item) items.set(i, (item = progress.item(s.name ?? s.sourceFile, p?.bytesTotal)));
        if (p) item.update(p.bytesRead, p.bytesTotal);
        if (s.status === "FINISHED" || s.status === "FAILED") {
          ended.add(i);
          item.end(s.status === "FINISHED" ? "ok" : "FAILED", s.status === "FAILED" ? s.statusMessage : undefined);
        }
      });
      if (TERMINAL.has(job.status)) return job;
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    progress.stop();
  }
}
