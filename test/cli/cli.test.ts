// The `refstore` command line, run as a subprocess against a real server on the embedded backend
// and on PostgreSQL + S3: stores, imports (S3 and bucket-mount sources) with --wait, jobs and
// their filters against the API's own answers, cancel, pull by parts, errors and exit statuses.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { constants as fsc, createWriteStream, mkdirSync, openSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetReferenceImportJobCommand,
  ListReferenceImportJobsCommand,
  ListReferenceStoresCommand,
  ListReferencesCommand,
  type OmicsClient,
} from "@aws-sdk/client-omics";
import { backends, startTestServer, TEST_CREDENTIALS, waitForJob, type TestServer } from "../support/refstore.js";
import { genome, manifest } from "../support/fixtures.js";
import { startFaultProxy } from "../support/fault-proxy.js";
import { signedSend } from "../support/http.js";
import { newId } from "../../src/catalog/ids.js";
import { CLI, cleanEnv, runCli, spawnCli, type CliResult } from "./run.js";

const ROLE = "arn:aws:iam::111111111111:role/x";

/** One line on stderr, no stack trace. */
function assertOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit status (stdout: ${r.stdout}, stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.match(lines[0], pattern);
  assert.ok(!/^\s+at /m.test(r.stderr), `no stack trace: ${r.stderr}`);
  assert.ok(lines.length <= 2, `one line (and at most a usage hint): ${r.stderr}`);
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const chosen = backends().filter((b) => b === "sqlite+disk" || b === "postgres+s3");

for (const backend of chosen) {
  describe(`refstore CLI [${backend}]`, () => {
    let server: TestServer;
    let omics: OmicsClient;
    let env: Record<string, string>;
    let mount: string;
    let work: string;
    const bucket = `cli-${backend.replace(/\W/g, "")}-${process.pid}`;
    const cli = (...args: string[]) => runCli(args, env);
    let store: string;

    before(async () => {
      mount = mkdtempSync(join(tmpdir(), "refstore-cli-mount-"));
      work = mkdtempSync(join(tmpdir(), "refstore-cli-out-"));
      // small parts: pull fetches phix (5,469 bytes) in 6 parts
      server = await startTestServer({ backend, overrides: { partSize: 1000, bucketMounts: `mnt=${mount}` } });
      omics = server.client();
      await server.s3.createBucket(bucket);
      await server.s3.putObject(bucket, "genomes/phix.fa", genome("phix.fa"));
      writeFileSync(join(mount, "vcholerae-h1.fa.gz"), genome("vcholerae-h1.fa.gz"));
      writeFileSync(join(mount, "bad.fa"), ">chr1\nACGT\n>chr1\nACGT\n");
      env = cleanEnv({
        REFSTORE_ENDPOINT: server.url,
        REFSTORE_ACCESS_KEY_ID: TEST_CREDENTIALS[0].accessKeyId,
        REFSTORE_SECRET_ACCESS_KEY: TEST_CREDENTIALS[0].secretAccessKey,
      });
    });
    after(async () => {
      await server.stop();
      rmSync(mount, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    });

    test("stores create prints the id; stores lists it; --json is the API's answer", async () => {
      const created = await cli("stores", "create", "genomes", "--description", "from the CLI");
      assert.equal(created.code, 0, created.stderr);
      assert.equal(created.stderr, "", "nothing on stderr (no SDK warnings)");
      store = created.stdout.trim();
      assert.match(store, /^[0-9]{10}$/);
      const listed = await cli("stores");
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`^${store}\\s+genomes\\s+.*from the CLI$`, "m"));
      const json = JSON.parse((await cli("stores", "--json")).stdout);
      const api = await omics.send(new ListReferenceStoresCommand({}));
      assert.deepEqual(
        json.referenceStores.map((s: any) => [s.id, s.name, s.description, s.arn, s.creationTime]),
        api.referenceStores!.map((s) => [s.id, s.name, s.description, s.arn, s.creationTime!.toISOString()]),
      );
    });

    test("import --wait of an S3 object and a mounted BGZF file: exit 0, references listed; --json is the final job", async () => {
      const r = await cli("import", store, `s3://${bucket}/genomes/phix.fa`, "s3://mnt/vcholerae-h1.fa.gz", "--wait");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, /COMPLETED/);
      assert.match(r.stdout, /phix: reference [0-9]{10}/);
      assert.match(r.stdout, /vcholerae-h1: reference [0-9]{10}/);

      const j = await cli("import", store, `s3://${bucket}/genomes/phix.fa`, "--name", "phix-again", "--wait", "--json");
      assert.equal(j.code, 0, j.stderr);
      const job = JSON.parse(j.stdout);
      assert.equal(job.status, "COMPLETED");
      assert.equal(job.sources[0].name, "phix-again");
      const api = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: store, id: job.id }));
      assert.equal(job.completionTime, api.completionTime!.toISOString());
      assert.equal(job.sources[0].referenceId, api.sources![0].referenceId);

      const refs = await cli("refs", store, "--name", "phix-again", "--json");
      assert.deepEqual(
        JSON.parse(refs.stdout).references.map((x: any) => x.id),
        [api.sources![0].referenceId],
      );
      const table = await cli("refs", store);
      assert.match(table.stdout, /phix\s+ACTIVE\s+609d81cffe325578efb7f5e65df94b24/);
      const byMd5 = JSON.parse((await cli("refs", store, "--md5", "901BBA0152E143260447606A03FBBADA", "--json")).stdout);
      assert.deepEqual(byMd5.references.map((x: any) => x.name), ["vcholerae-h1"]);
    });

    test("ref shows metadata and the sequences of the .fai; pull fetches SOURCE and INDEX by parts, MD5 checked", async () => {
      const refs = (await omics.send(new ListReferencesCommand({ referenceStoreId: store }))).references!;
      const phix = refs.find((x) => x.name === "phix")!;
      const vc = refs.find((x) => x.name === "vcholerae-h1")!;
      const shown = await cli("ref", store, phix.id!);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /md5\s+609d81cffe325578efb7f5e65df94b24/);
      assert.match(shown.stdout, /source\s+.*5469 bytes\) in 6 part\(s\)/);
      const meta = JSON.parse((await cli("ref", store, phix.id!, "--json")).stdout);
      assert.deepEqual(meta.files.source, { contentLength: 5469, partSize: 1000, totalParts: 6 });

      const out = join(work, "pull");
      mkdirSync(out);
      const p = await cli("pull", store, phix.id!, "--out", out, "--threads", "4");
      assert.equal(p.code, 0, p.stdout + p.stderr);
      assert.equal(p.stderr, "");
      assert.deepEqual(readFileSync(join(out, "phix.fa")), genome("phix.fa"));
      assert.deepEqual(readFileSync(join(out, "phix.fa.fai")), genome("phix.fa.fai"));
      assert.match(p.stdout, /md5 ok/);
      // BGZF keeps its compressed bytes and gets .gz, as the Transfer Manager names it
      const g = await cli("pull", store, vc.id!, "--out", out, "--json");
      assert.equal(g.code, 0, g.stderr);
      const pulled = JSON.parse(g.stdout);
      assert.deepEqual(pulled.files.map((f: any) => f.path), [join(out, "vcholerae-h1.fa.gz"), join(out, "vcholerae-h1.fa.gz.fai")]);
      assert.deepEqual(readFileSync(join(out, "vcholerae-h1.fa.gz")), genome("vcholerae-h1.fa.gz"));
      assert.deepEqual(readFileSync(join(out, "vcholerae-h1.fa.gz.fai")), genome("vcholerae-h1.fa.gz.fai"));
      // an existing file is kept unless --force; --no-index writes the FASTA only
      assertOneLineError(await cli("pull", store, phix.id!, "--out", out), 1, /phix\.fa exists: remove it or pass --force/);
      const solo = join(work, "solo");
      mkdirSync(solo);
      assert.equal((await cli("pull", store, phix.id!, "--out", solo, "--no-index")).code, 0);
      assert.deepEqual(execFileSync("ls", ["-A", solo]).toString().split("\n").filter(Boolean), ["phix.fa"]);
    });

    test("ref: each sequence's MD5 and SQ. digest, the seqcol digest and full GA4GH URLs; --json adds the extension's answer", async () => {
      const refs = (await omics.send(new ListReferencesCommand({ referenceStoreId: store }))).references!;
      for (const [name, file] of [["phix", "phix.fa"], ["vcholerae-h1", "vcholerae-h1.fa.gz"]]) {
        const ref = refs.find((x) => x.name === name)!;
        const truth = manifest.files.find((f) => f.file === file)!;
        const shown = await cli("ref", store, ref.id!);
        assert.equal(shown.code, 0, shown.stderr);
        assert.equal(shown.stderr, "");
        for (const s of truth.sequences)
          assert.match(shown.stdout, new RegExp(`^${s.name}\\s+${s.length.toLocaleString("en-US")}\\s+${s.md5}\\s+${s.ga4gh.replace(/[.]/g, "\\.")}$`, "m"));
        const json = JSON.parse((await cli("ref", store, ref.id!, "--json")).stdout);
        const api = await signedSend(server.url, "GET", `/referencestore/${store}/reference/${ref.id}/identifiers`, TEST_CREDENTIALS[0]);
        assert.deepEqual(json.identifiers, api.json(), "the extension's answer as it came");
        assert.equal(json.md5, truth.md5);
        assert.deepEqual(json.identifiers.sequences.map((s: any) => ({ name: s.name, length: s.length, md5: s.md5, ga4gh: s.ga4gh })), truth.sequences);
        const ids = json.identifiers;
        assert.match(shown.stdout, new RegExp(`^  seqcol\\s+${ids.seqcolDigest}$`, "m"));
        // full URLs, and each one answers
        const urls = Object.fromEntries(
          [...shown.stdout.matchAll(/^  (fasta|fai|gzi|dict|seqcol|refget)\s+(http\S+)/gm)].map((m) => [m[1], m[2]]),
        );
        const want: Record<string, string> = { fasta: ids.paths.source, fai: ids.paths.index, dict: ids.paths.dict, seqcol: ids.paths.seqcol, refget: ids.sequences[0].refget };
        if (truth.compression === "bgzf") want.gzi = ids.paths.gzi;
        assert.deepEqual(urls, Object.fromEntries(Object.entries(want).map(([k, v]) => [k, server.url + v])));
        for (const u of Object.values(urls)) {
          const r = await fetch(u);
          assert.equal(r.status, 200, u);
          await r.arrayBuffer();
        }
        assert.deepEqual(Buffer.from(await (await fetch(urls.fasta)).arrayBuffer()), genome(file));
      }
    });

    test("ref against a server without the identifiers extension: metadata and the .fai, and one line saying so", async () => {
      const url = new URL(server.url);
      const proxy = await startFaultProxy(url.hostname, Number(url.port));
      try {
        // what an older refstore answers for a route it does not know
        proxy.setPlan((r) => (r.url.endsWith("/identifiers") ? { kind: "answer", status: 404, body: "{}", contentType: "application/json" } : undefined));
        const phix = (await omics.send(new ListReferencesCommand({ referenceStoreId: store, filter: { name: "phix" } }))).references![0];
        const old = (...args: string[]) => runCli(args, { ...env, REFSTORE_ENDPOINT: proxy.endpoint });
        const shown = await old("ref", store, phix.id!);
        assert.equal(shown.code, 0, shown.stderr);
        assert.match(shown.stdout, /md5\s+609d81cffe325578efb7f5e65df94b24/);
        assert.match(shown.stdout, /^phix\s+5,386$/m);
        const notes = shown.stdout.split("\n").filter((l) => /GetReferenceIdentifiers/.test(l));
        assert.deepEqual(notes, [`no sequence digests, seqcol digest or GA4GH URLs: GetReferenceIdentifiers is a refstore extension: the server at ${proxy.endpoint} does not have it`]);
        assert.ok(!/seqcol|http:/.test(shown.stdout.replace(notes[0], "")), "no digests or URLs");
        const json = JSON.parse((await old("ref", store, phix.id!, "--json")).stdout);
        assert.equal(json.identifiers, undefined);
        assert.equal(json.md5, "609d81cffe325578efb7f5e65df94b24");
      } finally {
        await proxy.close();
      }
    });

    test("progress: bars on a terminal (script's pseudo-terminal), a line per file otherwise, nothing extra with --json", async () => {
      const onTty = (...args: string[]) =>
        runCli(["-qefc", [process.execPath, CLI, ...args].join(" "), "/dev/null"], env, { command: "script" });
      const bars = await onTty("import", store, `s3://${bucket}/genomes/phix.fa`, "--name", "phix-tty", "--wait");
      assert.equal(bars.code, 0, bars.stdout + bars.stderr);
      // cli-progress redraws the line in place: carriage returns / cursor moves, a bar, the bytes
      assert.match(bars.stdout, /\x1b\[/);
      assert.match(bars.stdout, /phix-tty [█░]+ 100% 5\.3 KiB\/5\.3 KiB .* done/);
      const out = join(work, "tty");
      mkdirSync(out);
      const ref = /phix-tty: reference ([0-9]{10})/.exec(bars.stdout)![1];
      const pulled = await onTty("pull", store, ref, "--out", out);
      assert.equal(pulled.code, 0, pulled.stdout);
      // (a line is cut at the terminal's width: the note after "done" may not fit)
      assert.match(pulled.stdout, /phix-tty source [█░]+ 100% 5\.3 KiB\/5\.3 KiB .* done/);
      assert.match(pulled.stdout, /phix-tty index  [█░]+ 100% 18 B\/18 B .* done/);

      const lines = await cli("import", store, `s3://${bucket}/genomes/phix.fa`, "--name", "phix-lines", "--wait");
      assert.equal(lines.code, 0);
      assert.ok(!lines.stdout.includes("\x1b"), "no escapes when stdout is not a terminal");
      assert.match(lines.stdout, /^phix-lines: done, 5\.3 KiB in [0-9.]+ s$/m);

      const json = await onTty("import", store, `s3://${bucket}/genomes/phix.fa`, "--name", "phix-json", "--wait", "--json");
      assert.equal(json.code, 0);
      assert.equal(JSON.parse(json.stdout).status, "COMPLETED", "only the JSON, even on a terminal");
    });

    test("a bad FASTA: import --wait exits 1 and shows the source's message", async () => {
      const r = await cli("import", store, "s3://mnt/bad.fa", "--wait");
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /FAILED/);
      assert.match(r.stdout, /duplicate sequence name/i);
      const id = /job ([0-9]{10})/.exec(r.stdout)![1];
      const job = await cli("job", store, id);
      assert.equal(job.code, 0);
      assert.match(job.stdout, /^1\s+FAILED\s+bad\s+s3:\/\/mnt\/bad\.fa\s+-\s+.*duplicate/im);
    });

    test("jobs lists every page, and each filter gives what the API gives", async () => {
      const t0 = new Date();
      await new Promise((r) => setTimeout(r, 20));
      const failed = await cli("import", store, "s3://mnt/missing.fa", "--wait");
      assert.equal(failed.code, 1);
      const apiIds = async (filter?: any) => {
        const ids: string[] = [];
        let nextToken: string | undefined;
        do {
          const page = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: store, filter, nextToken }));
          ids.push(...page.importJobs!.map((j) => j.id!));
          nextToken = page.nextToken;
        } while (nextToken);
        return ids;
      };
      const cliIds = async (...args: string[]) => {
        const r = await cli("jobs", store, "--json", ...args);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout).importJobs.map((j: any) => j.id) as string[];
      };
      assert.deepEqual(await cliIds(), await apiIds());
      assert.deepEqual(await cliIds("--status", "COMPLETED"), await apiIds({ status: "COMPLETED" }));
      assert.deepEqual(await cliIds("--status", "failed"), await apiIds({ status: "FAILED" }));
      assert.equal((await cliIds("--status", "FAILED")).length, 2);
      assert.deepEqual(await cliIds("--since", t0.toISOString()), await apiIds({ createdAfter: t0 }));
      assert.equal((await cliIds("--since", t0.toISOString())).length, 1);
      assert.deepEqual(await cliIds("--until", t0.toISOString()), await apiIds({ createdBefore: t0 }));
      assert.deepEqual(await cliIds("--since", "1h"), await apiIds());
      assert.deepEqual(await cliIds("--until", "1h"), []);
      assert.deepEqual(await cliIds("--since", "1d", "--status", "FAILED"), await apiIds({ status: "FAILED" }));
      const table = await cli("jobs", store, "--status", "FAILED");
      assert.match(table.stdout, /^ID\s+STATUS\s+CREATED\s+COMPLETED$/m);
      assert.match(table.stdout, /FAILED\s+(\d+ seconds? ago|now)/);

      // more than one page (100 per page): a store of 105 jobs, written to the catalog as ended
      // ones (queued jobs would keep the worker busy for the tests after this one)
      const many = (await cli("stores", "create", "many")).stdout.trim();
      const now = Date.now();
      await server.refstore.catalog.insertJobs(
        Array.from({ length: 105 }, (_, i) => ({
          id: newId(),
          storeId: many,
          roleArn: ROLE,
          status: "CANCELLED" as const,
          creationTime: now - 1000 + i,
          completionTime: now,
          sources: [{ index: 0, sourceFile: "s3://mnt/x.fa", name: `job-${i}`, status: "FAILED" as const, statusMessage: "cancelled" }],
        })),
      );
      const all = JSON.parse((await cli("jobs", many, "--json")).stdout).importJobs;
      assert.equal(all.length, 105);
      assert.equal(new Set(all.map((j: any) => j.id)).size, 105);
    });

    test("cancel of a running import: import --wait ends CANCELLED with exit 1", async () => {
      const fifo = join(mount, `slow-${Date.now()}.fa`);
      execFileSync("mkfifo", [fifo]);
      const waiting = spawnCli(["import", store, `s3://mnt/${fifo.split("/").pop()}`, "--wait"], env);
      try {
        const jobId = await until("a running job", async () => {
          const jobs = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: store, filter: { status: "IN_PROGRESS" } }));
          return jobs.importJobs![0]?.id;
        });
        // opened read-write, the pipe never blocks this process (a writer alone would wait for a reader)
        const w = createWriteStream("", { fd: openSync(fifo, fsc.O_RDWR | fsc.O_NONBLOCK) });
        w.on("error", () => {});
        await new Promise<void>((r) => w.write(">chr1\nACGT\n", () => r()));
        const c = await cli("cancel", store, jobId);
        assert.equal(c.code, 0, c.stderr);
        assert.match(c.stdout, new RegExp(`job ${jobId}: (CANCELLING|CANCELLED)`));
        const r = await waiting.done;
        w.destroy();
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /CANCELLED/);
        assert.equal((await waitForJob(omics, store, jobId)).status, "CANCELLED");
      } finally {
        waiting.child.kill(); // after a failure midway, a CLI still waiting would keep the run alive
      }
    });

    test("errors: the service's type and message in one line, exit 1", async () => {
      assertOneLineError(await cli("jobs", "1111111111"), 1, /^error: ResourceNotFoundException: Reference store 1111111111 not found/);
      assertOneLineError(await cli("refs", "1111111111"), 1, /ResourceNotFoundException/);
      assertOneLineError(await cli("cancel", store, "1000000000"), 1, /ResourceNotFoundException: Import job 1000000000 not found/);
      assertOneLineError(await cli("stores", "rm", store), 1, /ConflictException: .*still holds references/);
      assertOneLineError(await cli("jobs", "not-an-id"), 1, /ValidationException/);
      // a wrong key: the service's own error type
      const wrong = await runCli(["stores"], { ...env, REFSTORE_SECRET_ACCESS_KEY: "wrong" });
      assertOneLineError(wrong, 1, /InvalidSignatureException/);
    });

    test("presign follows REFSTORE_HOST/REFSTORE_PORT when no endpoint is given", async () => {
      const ref = (await omics.send(new ListReferencesCommand({ referenceStoreId: store, filter: { name: "phix" } }))).references![0];
      const u = new URL(server.url);
      const { REFSTORE_ENDPOINT: _, ...rest } = env;
      const r = await runCli(["presign", store, ref.id!, "--file", "INDEX"], {
        ...rest,
        REFSTORE_HOST: u.hostname,
        REFSTORE_PORT: u.port,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.startsWith(`${server.url}/referencestore/${store}/reference/${ref.id}?`), r.stdout);
      const res = await fetch(r.stdout.trim());
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), genome("phix.fa.fai"));
    });
  });
}

describe("refstore CLI without a server", () => {
  const env = cleanEnv({ REFSTORE_ENDPOINT: "http://127.0.0.1:9" });
  const cli = (...args: string[]) => runCli(args, env);

  test("bad arguments exit 2 with one line; --help and --version exit 0", async () => {
    assertOneLineError(await cli("jobs"), 2, /missing required argument 'store'/);
    assertOneLineError(await cli("jobs", "1234567890", "--since", "yesterday"), 2, /--since: expected an ISO-8601 time/);
    assertOneLineError(await cli("jobs", "1234567890", "--status", "DONE"), 2, /--status: one of SUBMITTED/);
    assertOneLineError(await cli("pull", "1234567890", "1", "--threads", "0"), 2, /--threads/);
    assertOneLineError(await cli("import", "1234567890", "./no/such/file.fa"), 2, /no such file/);
    assertOneLineError(await cli("import", "1234567890", "s3://a/b", "s3://a/c", "--name", "x"), 2, /--name/);
    assertOneLineError(await cli("frobnicate"), 2, /unknown command 'frobnicate'/);
    assertOneLineError(await cli("jobs", "1234567890", "--endpoint", "ftp://x"), 2, /--endpoint/);
    // nobody listening
    const down = await cli("stores");
    assertOneLineError(down, 1, /cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
    // refstore-only features against AWS say so in one line, without a request
    const aws = await runCli(["cancel", "1234567890", "1000000000", "--endpoint", "aws"], env);
    assertOneLineError(aws, 1, /cancel is a refstore extension: AWS HealthOmics has no such operation/);
    const help = await cli("pull", "--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--threads <n>/);
    assert.equal((await cli("--version")).stdout.trim(), JSON.parse(readFileSync("package.json", "utf8")).version);
  });
});
