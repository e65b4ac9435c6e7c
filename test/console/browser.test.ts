// The console in a real browser: Debian's chromium driven by playwright-core against a real
// server (SQLite + disk, bucket mounts for the sources). Each step does what a person does —
// sign in, create a store, import, watch, filter, page, open, download, cancel — and the whole
// run fails on any uncaught page error or console error except the few this test provokes on
// purpose (the browser logs every 4xx answer, e.g. the store deletion that the API refuses).
//
// REFSTORE_SCREENSHOTS=<dir> also writes the screenshots used in docs/console.md.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteReferenceStoreCommand,
  GetReferenceImportJobCommand,
  ListReferenceImportJobsCommand,
  StartReferenceImportJobCommand,
  CreateReferenceStoreCommand,
  type ImportReferenceJobItem,
  type OmicsClient,
} from "@aws-sdk/client-omics";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { GENOMES_DIR, genome, manifest } from "../support/fixtures.js";
import { startTestServer, TEST_CREDENTIALS, waitForJob } from "../support/refstore.js";
import { seqcolDigests } from "../../src/fasta/seqcol.js";
import { bgzfOf } from "../support/fasta-gen.js";

const CHROMIUM = "/usr/bin/chromium";
const ROLE = "arn:aws:iam::111111111111:role/import";
const A = TEST_CREDENTIALS[0];
const TERMINAL = ["COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"];
const SHOTS = process.env.REFSTORE_SCREENSHOTS;
const WAIT = { timeout: 30_000 };

async function listAllJobs(omics: OmicsClient, store: string, filter?: object): Promise<ImportReferenceJobItem[]> {
  const out: ImportReferenceJobItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await omics.send(new ListReferenceImportJobsCommand({ referenceStoreId: store, nextToken, maxResults: 100, ...(filter ? { filter } : {}) }));
    out.push(...(page.importJobs ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** the job ids of the jobs table as the page shows them */
async function shownJobIds(page: Page): Promise<string[]> {
  return page.locator("table.jobs tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-job")!));
}

/**
 * Open the genome view, wait until igv.js shows `locus` and has read bases of `fasta` by Range
 * (beyond its one-byte probe); then, given `then`, go there the same way. Answers the paths
 * igv.js fetched (what it read the reference from).
 */
async function genomeView(page: Page, base: string, fasta: string, locus: string, then?: string): Promise<string[]> {
  const fetched: string[] = [];
  const path = (url: string) => url.replace(base, "").replace(/\?.*$/, "");
  const seen = (r: { url(): string }) => fetched.push(path(r.url()));
  const basesRead = () => page.waitForResponse((r) => path(r.url()) === fasta && r.request().headers()["range"] !== "bytes=0-0", WAIT);
  page.on("request", seen);
  try {
    assert.match(await page.getByTestId("igv-source").innerText(), /whole-file \/files URLs/);
    let bases = basesRead();
    await page.getByRole("button", { name: "Open the genome view (igv.js)" }).click();
    await page.locator(".igv .igv-navbar").waitFor(WAIT);
    await page.locator(".igv canvas").first().waitFor(WAIT);
    // igv.js draws in a shadow root: playwright's locators reach into it
    const input = page.locator(".igv input.igv-search-input");
    await input.waitFor(WAIT);
    for (const want of then ? [locus, then] : [locus]) {
      if (want !== locus) {
        bases = basesRead();
        await input.fill(want);
        await input.press("Enter");
      }
      const deadline = Date.now() + 30_000;
      while ((await input.inputValue()).replace(/,/g, "") !== want) {
        assert.ok(Date.now() < deadline, `igv.js shows ${want}, not ${await input.inputValue()}`);
        await page.waitForTimeout(100);
      }
      assert.equal((await bases).status(), 206);
    }
    for (const spinner of await page.locator(".igv .igv-loading-spinner-container").all()) await spinner.waitFor({ state: "hidden", ...WAIT });
    return [...new Set(fetched)];
  } finally {
    page.off("request", seen);
  }
}

/** the datetime-local value (UTC, seconds) for a Date */
const utcField = (d: Date) => d.toISOString().slice(0, 19);

test("the console in chromium: stores, imports, jobs, references, cancel, errors", { timeout: 600_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    const why = `${CHROMIUM} is missing (apt-get install chromium): the console's browser test is skipped`;
    console.log(`# skipped: ${why}`);
    t.skip(why);
    return;
  }

  // a scratch bucket beside the fixtures: a bad FASTA and a named pipe (a source that is read
  // only as fast as this test writes it, so an import stays IN_PROGRESS until cancelled)
  const scratch = mkdtempSync(join(tmpdir(), "refstore-console-"));
  writeFileSync(join(scratch, "bad.fa"), ">chr1\nACGT\n>\nACGT\n");
  execFileSync("mkfifo", [join(scratch, "slow.fa")]);

  const server = await startTestServer({ env: { REFSTORE_BUCKET_MOUNTS: `genomes=${GENOMES_DIR},scratch=${scratch}` } });
  const omics = server.client();
  const profile = mkdtempSync(join(tmpdir(), "refstore-chromium-"));
  let context: BrowserContext | undefined;
  t.after(async () => {
    await context?.close();
    await server.stop();
    rmSync(profile, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 860 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());

  // every page error and console error fails the test, except those a step expects
  const unexpected: string[] = [];
  let allowed: RegExp[] = [];
  page.on("pageerror", (err) => unexpected.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = msg.text();
    if (allowed.some((re) => re.test(text))) return;
    unexpected.push(`console error: ${text}${/Failed to load resource/.test(text) ? ` (${failedUrls.join(", ")})` : ""}`);
  });
  // which request a "Failed to load resource" was about (chromium's message does not say)
  const failedUrls: string[] = [];
  page.on("response", (r) => {
    if (r.status() < 400) return;
    failedUrls.push(`${r.status()} ${r.request().method()} ${r.url().replace(server.url, "")}`);
    if (failedUrls.length > 3) failedUrls.shift();
  });
  const step = async (name: string, fn: () => Promise<void>) =>
    t.test(name, async () => {
      try {
        await fn();
      } finally {
        allowed = [];
      }
      assert.deepEqual(unexpected.splice(0), [], "page errors / console errors");
    });
  const shot = async (name: string, fullPage = true) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  };

  let storeId = "";
  let phixRef = "";

  await step("a wrong secret is refused with the API's words; the right one signs in", async () => {
    await page.goto(`${server.url}/console/`);
    await page.getByLabel("Access key ID").fill(A.accessKeyId);
    await page.getByLabel("Secret access key").fill("not-the-secret");
    allowed = [/status of 403/];
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "InvalidSignatureException" }).waitFor(WAIT);
    assert.match(await page.getByRole("alert").innerText(), /Sign-in failed: InvalidSignatureException: The request signature we calculated does not match/);
    await shot("signin");
    await page.getByLabel("Secret access key").fill(A.secretAccessKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Reference stores" }).waitFor(WAIT);
    // kept in this tab's sessionStorage only
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.match(await page.evaluate(() => Object.values(sessionStorage).join()), /secret-a/);
  });

  await step("create a store (keyboard only)", async () => {
    await page.getByLabel("Name", { exact: true }).focus();
    await page.keyboard.type("genomes");
    await page.keyboard.press("Tab");
    await page.keyboard.type("made in the browser test");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Import jobs" }).waitFor(WAIT);
    storeId = decodeURIComponent(new URL(page.url()).hash.split("/")[2]);
    assert.match(storeId, /^\d{10}$/);
  });

  await step("start an import of two mounted-bucket sources and watch it reach COMPLETED", async () => {
    await page.getByRole("link", { name: "Start an import" }).click();
    await page.getByRole("heading", { name: "Start an import" }).waitFor(WAIT);
    // a role ARN in the store's account is proposed (once GetReferenceStore has answered)
    await page.waitForFunction(() => /^arn:aws:iam::111111111111:role\//.test(document.querySelector<HTMLInputElement>("#roleArn")?.value ?? ""), undefined, WAIT);
    // local files wait for the upload route (issue 11): offered, but disabled with the reason
    const local = page.getByRole("radio", { name: /Local file/ });
    assert.equal(await local.isDisabled(), true);
    await page.locator("#src-1").waitFor();
    await page.getByLabel("S3 URI").fill("s3://genomes/phix.fa");
    await page.getByLabel("Tags (optional, key=value, comma-separated)").fill("team=genomics, build=1");
    await page.getByRole("button", { name: "Add another source" }).click();
    const second = page.locator("fieldset").nth(1);
    await second.getByLabel("S3 URI").fill("s3://genomes/multi.fa");
    await second.getByLabel("Reference name").fill("multi");
    await second.getByLabel("Description (optional)").fill("three records");
    await shot("import");
    await page.getByRole("button", { name: "Start import (2 sources)" }).click();
    await page.getByRole("heading", { name: /Import job/ }).waitFor(WAIT);
    const jobId = decodeURIComponent(new URL(page.url()).hash.split("/")[4]);
    // the page follows the job by itself (no reload) until it ends
    await page.locator(".facts .status", { hasText: /^COMPLETED$/ }).waitFor(WAIT);
    const api = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: storeId, id: jobId }));
    assert.equal(api.status, "COMPLETED");
    assert.deepEqual(api.sources!.map((s) => s.tags), [{ team: "genomics", build: "1" }, undefined]);
    const rows = page.locator("tr[data-source]");
    assert.equal(await rows.count(), 2);
    for (let i = 0; i < 2; i++) {
      const row = rows.nth(i);
      assert.equal(await row.locator(".status").innerText(), "FINISHED");
      assert.equal(await row.locator("progress").getAttribute("value"), "1");
      assert.match(await row.locator(".progress-text").innerText(), /100%/);
      assert.equal(await row.getByRole("link").innerText(), api.sources![i].referenceId);
    }
    assert.match(await page.locator(".facts").innerText(), new RegExp(`Completed\\s+${api.completionTime!.toISOString().slice(0, 19).replace("T", " ")}`));
    await shot("job");
    phixRef = api.sources![0].referenceId!;
  });

  await step("open a reference: metadata, files, sequences; download its parts", async () => {
    await page.locator("tr[data-source='1']").getByRole("link").click();
    await page.getByRole("heading", { name: /Reference multi/ }).waitFor(WAIT);
    const multi = manifest.files.find((f) => f.file === "multi.fa")!;
    await page.locator("table.sequences").waitFor(WAIT);
    // each sequence's MD5 and SQ. digest: the fixtures' truth (samtools, md5sum, openssl)
    const seqs = await page.locator("table.sequences tbody tr").evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent!.trim())),
    );
    assert.deepEqual(seqs, multi.sequences.map((s) => [s.name, s.length.toLocaleString("en"), s.md5, s.ga4gh, "bases · metadata"]));
    const facts = await page.locator(".facts").first().innerText();
    assert.match(facts, new RegExp(multi.md5));
    assert.match(facts, /three records/);
    // the seqcol digest: the collection the seqcol route serves under it is this file's
    const digest = await page.getByTestId("seqcol-digest").innerText();
    assert.equal(digest, seqcolDigests(multi.sequences).digest);
    const collection = await (await fetch(`${server.url}/ga4gh/seqcol/v1/collection/${digest}`)).json();
    assert.deepEqual([collection.names, collection.lengths, collection.sequences], [multi.sequences.map((s) => s.name), multi.sequences.map((s) => s.length), multi.sequences.map((s) => s.ga4gh)]);
    // the GA4GH links: /files SOURCE, .fai, .dict and the collection, each answering
    const links = await page.locator("a[data-ga4gh]").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    assert.equal(links.length, 4);
    assert.deepEqual((await Promise.all(links.map((l) => fetch(l).then((r) => r.status)))), [200, 200, 200, 200]);
    assert.deepEqual(Buffer.from(await (await fetch(links[0])).arrayBuffer()), genome("multi.fa"));
    const refget = page.locator(`tr[data-sequence='${multi.sequences[1].name}'] a`, { hasText: "metadata" });
    const meta = (await (await fetch(await refget.evaluate((a) => (a as HTMLAnchorElement).href))).json()).metadata;
    assert.deepEqual([meta.md5, meta.ga4gh, meta.length], [multi.sequences[1].md5, multi.sequences[1].ga4gh, multi.sequences[1].length]);

    await page.goto(`${server.url}/console/#/stores/${storeId}/references/${phixRef}`);
    await page.getByRole("heading", { name: /Reference phix/ }).waitFor(WAIT);
    const phix = manifest.files.find((f) => f.file === "phix.fa")!;
    assert.match(await page.locator("tr[data-file='SOURCE']").innerText(), /SOURCE\s+5\.\d+ KiB\s+100\.0 MiB\s+1/);
    for (const [file, name, want] of [
      ["SOURCE", "phix.fa", genome("phix.fa")],
      ["INDEX", "phix.fa.fai", Buffer.from(phix.fai)],
    ] as const) {
      const link = page.locator(`a[data-part='${file}-1']`);
      await link.waitFor(WAIT);
      const [download] = await Promise.all([page.waitForEvent("download", WAIT), link.click()]);
      assert.equal(download.suggestedFilename(), name);
      const path = await download.path();
      assert.deepEqual(readFileSync(path), want, `${file} part 1 as downloaded`);
    }
    // the genome view reads the whole-file /files URLs with Range
    const read = await genomeView(page, server.url, `/files/${storeId}/${phixRef}/phix.fa`, "phix:1-200");
    assert.ok(read.includes(`/files/${storeId}/${phixRef}/phix.fa`) && read.includes(`/files/${storeId}/${phixRef}/phix.fa.fai`), read.join(", "));
    await page.waitForTimeout(300); // the canvas paints after the data is in (for the screenshot only)
    await shot("reference");
  });

  await step("references: filter by name and by MD5", async () => {
    await page.getByRole("link", { name: "References", exact: true }).click();
    await page.locator("tr[data-reference]").first().waitFor(WAIT);
    assert.equal(await page.locator("tr[data-reference]").count(), 2);
    await page.getByLabel("Name").fill("multi");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/name=multi/);
    await page.locator("tr[data-reference]").first().waitFor(WAIT);
    await page.waitForFunction(() => document.querySelectorAll("tr[data-reference]").length === 1, undefined, WAIT);
    assert.match(await page.locator("tr[data-reference]").innerText(), /multi/);
    const phixMd5 = manifest.files.find((f) => f.file === "phix.fa")!.md5;
    await page.getByLabel("Name").fill("");
    await page.getByLabel("MD5").fill(phixMd5);
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/md5=/);
    await page.waitForFunction((id) => {
      const rows = document.querySelectorAll("tr[data-reference]");
      return rows.length === 1 && rows[0].getAttribute("data-reference") === id;
    }, phixRef, WAIT);
    await shot("references");
  });

  await step("a BGZF reference of several blocks: digests, and the genome view through /files and its .gzi", async () => {
    // yeast chrI (230 kbp) as bgzip writes it: 4 blocks; its own store, as the references step counts this one's
    writeFileSync(join(scratch, "yeast-chrI.fa.gz"), bgzfOf(genome("yeast-chrI.fa")));
    const bgzfStore = (await omics.send(new CreateReferenceStoreCommand({ name: "bgzf" }))).id!;
    const { id } = await omics.send(
      new StartReferenceImportJobCommand({
        referenceStoreId: bgzfStore,
        roleArn: ROLE,
        sources: [
          { sourceFile: "s3://scratch/yeast-chrI.fa.gz", name: "yeast-chrI" },
          { sourceFile: "s3://genomes/vcholerae-h1.fa.gz", name: "vcholerae-h1" },
        ],
      }),
    );
    const job = await waitForJob(omics, bgzfStore, id!);
    assert.equal(job.status, "COMPLETED", JSON.stringify(job.sources));
    const ref = job.sources![0].referenceId!;
    const yeast = manifest.files.find((f) => f.file === "yeast-chrI.fa")!;
    await page.goto(`${server.url}/console/#/stores/${bgzfStore}/references/${ref}`);
    await page.getByRole("heading", { name: /Reference yeast-chrI/ }).waitFor(WAIT);
    await page.locator("table.sequences").waitFor(WAIT);
    const seqs = await page.locator("table.sequences tbody tr").evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll("td")].slice(0, 4).map((td) => td.textContent!.trim())),
    );
    assert.deepEqual(seqs, yeast.sequences.map((s) => [s.name, s.length.toLocaleString("en"), s.md5, s.ga4gh]));
    assert.equal(await page.getByTestId("seqcol-digest").innerText(), seqcolDigests(yeast.sequences).digest);
    assert.equal(await page.locator("a[data-ga4gh]").count(), 5, "SOURCE, .fai, .gzi, .dict, seqcol");
    // then bases in the third block, found through the .gzi (not the last block: igv.js 3.8.10
    // reads nothing from a BGZF file's last block)
    const read = await genomeView(page, server.url, `/files/${bgzfStore}/${ref}/yeast-chrI.fa.gz`, "chrI:1-200", "chrI:140001-140200");
    for (const f of ["yeast-chrI.fa.gz", "yeast-chrI.fa.gz.fai", "yeast-chrI.fa.gz.gzi"])
      assert.ok(read.includes(`/files/${bgzfStore}/${ref}/${f}`), `${f} read: ${read.join(", ")}`);
    assert.ok(!read.some((p) => p.startsWith("/referencestore/")), `igv.js read no presigned part: ${read.join(", ")}`);
    await page.waitForTimeout(300); // the canvas paints after the data is in (for the screenshot only)
    await shot("reference-bgzf");

    // NCBI gi|…| names: igv.js 3.8.10 fails on them (its alias table), and the page says so
    await page.goto(`${server.url}/console/#/stores/${bgzfStore}/references/${job.sources![1].referenceId}`);
    await page.getByRole("heading", { name: /Reference vcholerae-h1/ }).waitFor(WAIT);
    await page.getByText(/No genome view: igv.js \(3.8\) cannot load sequence names of NCBI's gi\|…\| form/).waitFor(WAIT);
  });

  await step("a bad FASTA: the source's message as the API wrote it", async () => {
    await page.goto(`${server.url}/console/#/stores/${storeId}/import`);
    await page.getByLabel("S3 URI").fill("s3://scratch/bad.fa");
    await page.getByRole("button", { name: /Start import/ }).click();
    await page.getByRole("heading", { name: /Import job/ }).waitFor(WAIT);
    const jobId = decodeURIComponent(new URL(page.url()).hash.split("/")[4]);
    await page.locator(".facts .status", { hasText: /^FAILED$/ }).waitFor(WAIT);
    const api = await omics.send(new GetReferenceImportJobCommand({ referenceStoreId: storeId, id: jobId }));
    const message = api.sources![0].statusMessage!;
    assert.match(message, /line 3/);
    assert.equal(await page.locator("tr[data-source='0'] td.message").innerText(), message);
    await shot("job-failed");
  });

  await step("cancel a running import", async () => {
    await page.goto(`${server.url}/console/#/stores/${storeId}/import`);
    await page.getByLabel("S3 URI").fill("s3://scratch/slow.fa");
    await page.getByRole("button", { name: /Start import/ }).click();
    await page.getByRole("heading", { name: /Import job/ }).waitFor(WAIT);
    const writer = createWriteStream(join(scratch, "slow.fa"));
    writer.on("error", () => {}); // EPIPE once the import stops reading
    await new Promise<void>((r) => writer.write(">slow\nACGT\n", () => r()));
    try {
      await page.locator("tr[data-source='0'] .status", { hasText: "IN_PROGRESS" }).waitFor(WAIT);
      await page.getByRole("button", { name: "Cancel this import" }).click();
      await page.locator(".facts .status", { hasText: /^CANCELLED$/ }).waitFor(WAIT);
    } finally {
      writer.destroy();
    }
    assert.match(await page.locator("tr[data-source='0'] td.message").innerText(), /cancel/);
    assert.equal(await page.getByRole("button", { name: "Cancel this import" }).count(), 0);
  });

  await step("stores: deleting a store that holds references shows the API's refusal; an empty one goes", async () => {
    let refusal = "";
    try {
      await omics.send(new DeleteReferenceStoreCommand({ id: storeId }));
    } catch (err) {
      refusal = `${(err as Error).name}: ${(err as Error).message}`;
    }
    assert.ok(refusal, "the API refuses to delete a store with references");
    const empty = await omics.send(new CreateReferenceStoreCommand({ name: "empty" }));
    await page.getByRole("link", { name: "Reference stores" }).first().click();
    await page.locator(`tr[data-store='${empty.id}']`).waitFor(WAIT);
    const row = page.locator(`tr[data-store='${storeId}']`);
    await row.getByRole("button", { name: "Delete genomes" }).click();
    allowed = [/status of 409/];
    await row.getByRole("button", { name: "Confirm delete genomes" }).click();
    await row.getByRole("alert").waitFor(WAIT);
    assert.equal(await row.getByRole("alert").innerText(), `Deleting genomes failed: ${refusal}`);
    await shot("stores");
    const gone = page.locator(`tr[data-store='${empty.id}']`);
    await gone.getByRole("button", { name: "Delete empty" }).click();
    await gone.getByRole("button", { name: "Confirm delete empty" }).click();
    await gone.waitFor({ state: "detached", ...WAIT });
  });

  await step("jobs: 250 jobs filtered by status and by date, paged with nextToken", async () => {
    const many = (await omics.send(new CreateReferenceStoreCommand({ name: "many" }))).id!;
    const start = (i: number) =>
      omics.send(
        new StartReferenceImportJobCommand({
          referenceStoreId: many,
          roleArn: ROLE,
          // every 10th imports phix; the others fail at once (no such object)
          sources: [{ sourceFile: i % 10 === 0 ? "s3://genomes/phix.fa" : `s3://genomes/absent-${i}.fa`, name: `job-${i}` }],
        }),
      );
    const early: string[] = [];
    for (let i = 0; i < 130; i++) early.push((await start(i)).id!);
    // a second boundary between the two batches, so a created-before/after filter splits them
    await new Promise((r) => setTimeout(r, 1100));
    const boundary = new Date(Math.ceil(Date.now() / 1000) * 1000);
    await new Promise((r) => setTimeout(r, boundary.getTime() - Date.now() + 100));
    const late: string[] = [];
    for (let i = 130; i < 250; i++) late.push((await start(i)).id!);
    for (const id of [...early, ...late].filter((_, i) => i % 10 === 0)) await waitForJob(omics, many, id);
    for (const id of [early.at(-1)!, late.at(-1)!]) await waitForJob(omics, many, id);
    const deadline = Date.now() + 60_000;
    while ((await listAllJobs(omics, many)).some((j) => !TERMINAL.includes(j.status!))) {
      assert.ok(Date.now() < deadline, "the 250 jobs end");
      await new Promise((r) => setTimeout(r, 200));
    }

    // every page of 100, forward and back, as the API pages them
    const apiOrder = (await listAllJobs(omics, many)).map((j) => j.id!);
    assert.equal(apiOrder.length, 250);
    await page.goto(`${server.url}/console/#/stores/${many}/jobs?size=100`);
    const pageShows = async (ids: string[]) =>
      page.waitForFunction((want) => {
        const got = [...document.querySelectorAll("table.jobs tbody tr")].map((r) => r.getAttribute("data-job"));
        return got.length === want.length && got.every((g, i) => g === want[i]);
      }, ids, WAIT);
    await pageShows(apiOrder.slice(0, 100));
    await shot("jobs", false);
    const next = page.getByRole("button", { name: "Next →" });
    const previous = page.getByRole("button", { name: "← Previous" });
    assert.equal(await previous.isDisabled(), true);
    await next.click();
    await pageShows(apiOrder.slice(100, 200));
    await next.click();
    await pageShows(apiOrder.slice(200, 250));
    await page.locator(".page-no", { hasText: "Page 3" }).waitFor(WAIT);
    await page.waitForFunction(() => [...document.querySelectorAll("button")].some((b) => b.textContent === "Next →" && b.disabled), undefined, WAIT);
    await previous.click();
    await pageShows(apiOrder.slice(100, 200));

    // status filter (from the form, into the URL)
    await page.getByLabel("Status").selectOption("COMPLETED");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/status=COMPLETED/);
    const completed = (await listAllJobs(omics, many, { status: "COMPLETED" })).map((j) => j.id!);
    assert.equal(completed.length, 25);
    await pageShows(completed);
    assert.deepEqual(new Set(await page.locator("table.jobs tbody tr .status").allInnerTexts()), new Set(["COMPLETED"]));
    await shot("jobs-filtered", false);

    // created after / before the boundary, each paged
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Created after (UTC)").fill(utcField(boundary));
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/after=/);
    const after = (await listAllJobs(omics, many, { createdAfter: boundary })).map((j) => j.id!);
    assert.deepEqual(new Set(after), new Set(late));
    await pageShows(after.slice(0, 100));
    await next.click();
    await pageShows(after.slice(100));
    assert.equal(await next.isDisabled(), true);

    await page.getByLabel("Created after (UTC)").fill("");
    await page.getByLabel("Created before (UTC)").fill(utcField(boundary));
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/before=/);
    const before = (await listAllJobs(omics, many, { createdBefore: boundary })).map((j) => j.id!);
    assert.deepEqual(new Set(before), new Set(early));
    await pageShows(before.slice(0, 100));
    await next.click();
    await pageShows(before.slice(100));

    // a filtered page is a URL: opened afresh it shows the same jobs
    await page.reload();
    await pageShows(before.slice(0, 100));
    assert.equal(await page.getByLabel("Created before (UTC)").inputValue(), utcField(boundary));
  });

  await step("a new job appears on the jobs page without a reload", async () => {
    await page.goto(`${server.url}/console/#/stores/${storeId}/jobs`);
    await page.locator("table.jobs tbody tr").first().waitFor(WAIT);
    const before = await shownJobIds(page);
    const job = await omics.send(
      new StartReferenceImportJobCommand({ referenceStoreId: storeId, roleArn: ROLE, sources: [{ sourceFile: "s3://genomes/lambda.fa", name: "lambda" }] }),
    );
    await page.locator(`tr[data-job='${job.id}']`).waitFor(WAIT);
    await page.locator(`tr[data-job='${job.id}'] .status`, { hasText: /^COMPLETED$/ }).waitFor(WAIT);
    assert.ok(!before.includes(job.id!));
  });
});
