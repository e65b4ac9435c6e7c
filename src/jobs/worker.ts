// The import worker: claims jobs from the catalog, holds a lease renewed by heartbeats, runs each
// source through importSource, records per-source progress, honours cancellation, and gives up a
// job at once if its lease was lost (another worker has taken it over after we stalled).
//
// Crash safety: a job whose worker died keeps status IN_PROGRESS (or CANCELLING) with an expired
// lease; claimJob hands it to the next worker, which first deletes the blobs the dead worker
// had registered as pending, then runs every source that is not yet FINISHED or FAILED from the
// start. A source's reference is committed together with its FINISHED status (finishSource), so
// each source is imported exactly once as far as users can see.
//
// Poison jobs: a source that kills every worker taking it up would be claimed again forever.
// claimJob counts claims; once a job's lease has expired after maxAttempts of them, claimJob ends
// the job (FAILED, COMPLETED_WITH_FAILURES, or CANCELLED if it was being cancelled) instead of
// handing it out, and the worker only deletes the blobs its attempts left. A graceful stop gives
// the job back with releaseJob, which does not count as an attempt.

import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { tagKey } from "../catalog/ids.js";
import { outcome, statusText } from "../catalog/outcome.js";
import type { Claim, JobRecord, JobStatus } from "../catalog/types.js";
import { SourceError, StorageError } from "../blobs/types.js";
import { FastaError } from "../fasta/types.js";
import { deleteKeys, importSourceRetrying, type ImportDeps } from "./import-source.js";
import { discardUpload } from "./upload-source.js";

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  /** claims of a job whose worker died before it is given up instead (REFSTORE_MAX_ATTEMPTS) */
  maxAttempts: number;
  log: Logger;
}

/** Why a source failed, in few enough words to be a metric label. */
export type FailureReason = "fasta" | "source" | "storage" | "internal";

/**
 * What a worker tells whoever listens (metrics in app/metrics.ts; logs stay in the worker for
 * now). Emitted after the catalog has recorded the fact.
 */
export interface WorkerEvents {
  "job-finished": [{ jobId: string; status: JobStatus }];
  "source-finished": [{ jobId: string; referenceId: string; bytes: number }];
  "source-failed": [{ jobId: string; reason: FailureReason }];
  "lease-lost": [{ jobId: string }];
}

class LeaseLost extends Error {}

/**
 * Where a job this worker runs stands: running (its sources), stopping (the worker stops: give
 * the job back), cancelling (a cancel was requested: wind it up as CANCELLED), lease-lost
 * (another worker has it now: write nothing more). A job only moves rightwards in this list: a
 * cancel beats a stop (the user asked for the job to end; a stop only hands it on), and once the
 * lease is lost nothing else matters.
 */
type JobState = "running" | "stopping" | "cancelling" | "lease-lost";
const RANK: Record<JobState, number> = { running: 0, stopping: 1, cancelling: 2, "lease-lost": 3 };

/** One job this worker runs: its state, and the controller that aborts its import when that changes. */
class RunningJob {
  readonly controller = new AbortController();
  constructor(public state: JobState) {}

  /** Move to `next` (unless the job is already further along) and abort the running import. */
  to(next: Exclude<JobState, "running">, reason: Error): void {
    if (RANK[next] <= RANK[this.state]) return;
    this.state = next;
    this.controller.abort(reason);
  }
}

// "at least once a second": written twice a second while a source is read
const PROGRESS_INTERVAL_MS = 500;

export class ImportWorker {
  readonly id = `worker-${randomUUID()}`;
  readonly events = new EventEmitter<WorkerEvents>();
  private running = 0;
  /** imports this worker is running now */
  get runningImports(): number {
    return this.running;
  }
  /** set by stop() once the grace period is over: running imports are aborted and given back */
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly active = new Set<Promise<void>>();
  private readonly runningJobs = new Set<RunningJob>();
  /** set by stop(): no more claims, running imports may finish */
  private draining = false;

  constructor(
    private readonly deps: ImportDeps,
    private readonly opts: WorkerOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.deps.catalog.onJobAvailable(() => this.wake?.());
    this.loop = this.sweepOrphans().then(() => this.run());
  }

  /**
   * At start: delete blobs that were being written for jobs that have since ended or vanished
   * (a worker that gave a job up, or whose store was deleted, and died before cleaning up).
   * Jobs still running keep theirs: their next claim cleans them.
   */
  private async sweepOrphans(): Promise<void> {
    try {
      for (let round = 0; round < 100 && !this.draining; round++) {
        const keys = await this.deps.catalog.orphanedPendingBlobs(1000);
        if (keys.length === 0) return;
        this.opts.log.info({ keys: keys.length }, "deleting blobs left by ended or deleted import jobs");
        await deleteKeys(this.deps, keys);
      }
    } catch (err) {
      this.opts.log.error({ err }, "deleting blobs left by ended import jobs failed");
    }
    await this.sweepUploads();
  }

  /**
   * Delete the staged uploads nobody will import: their job has ended (or vanished with its
   * store), or no job took them within the upload timeout. At start and after each job.
   */
  private async sweepUploads(): Promise<void> {
    try {
      const idleBefore = Date.now() - (this.deps.uploadTimeoutMs ?? 10 * 60_000);
      for (let round = 0; round < 100 && !this.draining; round++) {
        const stale = await this.deps.catalog.staleUploads(idleBefore, 100);
        if (stale.length === 0) return;
        this.opts.log.info({ uploads: stale.length }, "deleting uploads no import job will read");
        for (const u of stale) await discardUpload(this.deps, u);
      }
    } catch (err) {
      this.opts.log.error({ err }, "deleting stale uploads failed");
    }
  }

  /** A job has ended: the uploads it did not turn into references are deleted. */
  private async discardUploadsOf(jobId: string, log: Logger): Promise<void> {
    try {
      for (const u of await this.deps.catalog.uploadsOfJob(jobId)) await discardUpload(this.deps, u);
    } catch (err) {
      log.error({ err }, "deleting the uploads of an ended job failed");
    }
    await this.sweepUploads();
  }

  /**
   * Stop claiming; give running imports up to `graceMs` to finish (REFSTORE_STOP_GRACE_SECONDS),
   * then abort the rest: their jobs are given back and taken up again by the next worker.
   */
  async stop(graceMs = 0): Promise<void> {
    this.draining = true;
    this.wake?.();
    if (graceMs > 0 && this.active.size > 0) {
      this.opts.log.info({ running: this.active.size, graceMs }, "waiting for running imports to finish");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.active]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    this.stopped = true;
    this.unsubscribe?.();
    this.wake?.();
    for (const run of this.runningJobs) run.to("stopping", new Error("worker stopping"));
    await this.loop;
    await Promise.allSettled([...this.active]);
  }

  private async run(): Promise<void> {
    // stop() sets draining first: the loop ends, running imports go on until stop() aborts them
    while (!this.draining) {
      if (this.running < this.opts.concurrency) {
        let claim: Claim = { kind: "none" };
        try {
          claim = await this.deps.catalog.claimJob(this.id, this.opts.leaseMs, Date.now(), this.opts.maxAttempts);
        } catch (err) {
          this.opts.log.error({ err }, "claiming a job failed");
        }
        if (claim.kind === "given-up") {
          await this.cleanUpGivenUp(claim.job);
          continue; // the claim ended that job instead: look for another
        }
        if (claim.kind === "claimed") {
          const job = claim.job;
          this.running++;
          const p = this.runJob(job)
            .catch((err) => this.opts.log.error({ err, jobId: job.id }, "import job failed unexpectedly"))
            .finally(() => {
              this.running--;
              this.active.delete(p);
              this.wake?.();
            });
          this.active.add(p);
          continue; // look for more work at once
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** A job claimJob gave up on: delete the blobs its interrupted attempts had registered. */
  private async cleanUpGivenUp(job: JobRecord): Promise<void> {
    const log = this.opts.log.child({ jobId: job.id, storeId: job.storeId });
    log.warn(
      { status: job.status, attempts: job.attempts, statusMessage: job.statusMessage },
      "import job given up: its attempts ended without finishing too often",
    );
    try {
      await this.deleteLeftovers(job.id, log);
    } catch (err) {
      log.error({ err }, "deleting the blobs of a job given up failed");
    }
    await this.discardUploadsOf(job.id, log);
  }

  /** Delete the blobs that attempts of a job interrupted by a crash had registered as pending. */
  private async deleteLeftovers(jobId: string, log: Logger): Promise<void> {
    const stale = await this.deps.catalog.pendingBlobsOfJob(jobId);
    if (stale.length === 0) return;
    log.info({ keys: stale.length }, "deleting blobs left by an interrupted attempt");
    await deleteKeys(this.deps, stale);
  }

  /**
   * Live progress of one source: the latest count is written to the catalog every
   * PROGRESS_INTERVAL_MS while it changes (any API process answers from there), and once more at
   * the end. A failed write is logged, never fatal: progress is advisory.
   */
  private progressRecorder(jobId: string, index: number, log: Logger) {
    const { catalog } = this.deps;
    let read = -1;
    let total: number | undefined;
    let written = -1;
    let inFlight: Promise<void> | undefined;
    const flush = () => {
      if (inFlight || read < 0 || read === written) return inFlight;
      const value = read;
      inFlight = catalog
        .recordProgress(jobId, this.id, index, value, total, Date.now())
        .then(() => {
          written = value;
        })
        .catch((err) => log.warn({ err }, "could not record import progress"))
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    };
    const timer = setInterval(flush, PROGRESS_INTERVAL_MS);
    return {
      update: (bytesRead: number, bytesTotal: number | undefined) => {
        const first = read < 0;
        read = bytesRead;
        total = bytesTotal;
        if (first) void flush(); // the size, as soon as the source is open
      },
      stop: async () => {
        clearInterval(timer);
        await inFlight;
        await flush();
      },
    };
  }

  private async runJob(job: JobRecord): Promise<void> {
    const { catalog } = this.deps;
    const log = this.opts.log.child({ jobId: job.id, storeId: job.storeId });
    if (job.attempts !== undefined && job.attempts > 1)
      log.info({ attempt: job.attempts, maxAttempts: this.opts.maxAttempts }, "taking up an interrupted import job");
    // claimed while stop() was beginning: give it straight back
    const run = new RunningJob(job.status === "CANCELLING" ? "cancelling" : this.stopped ? "stopping" : "running");
    this.runningJobs.add(run);

    // Heartbeat: renew the lease, and notice a cancellation request.
    const heartbeat = setInterval(async () => {
      try {
        if (!(await catalog.renewLease(job.id, this.id, this.opts.leaseMs, Date.now())))
          return run.to("lease-lost", new LeaseLost("lease lost"));
        if (RANK[run.state] < RANK.cancelling && (await catalog.getJobStatus(job.id)) === "CANCELLING")
          run.to("cancelling", new Error("cancelled"));
      } catch (err) {
        log.warn({ err }, "heartbeat failed");
      }
    }, Math.max(50, Math.min(this.opts.leaseMs / 3, 1000)));

    const must = (ok: boolean) => {
      if (!ok) {
        run.to("lease-lost", new LeaseLost("lease lost"));
        throw new LeaseLost("lease lost");
      }
    };

    try {
      await this.deleteLeftovers(job.id, log);

      for (const source of job.sources) {
        if (source.status === "FINISHED" || source.status === "FAILED") continue;
        if (run.state !== "running") break;
        must(await catalog.updateSource(job.id, this.id, source.index, { status: "IN_PROGRESS", statusMessage: null }));
        const progress = this.progressRecorder(job.id, source.index, log);
        try {
          const { reference, keys } = await importSourceRetrying(
            this.deps,
            job,
            source,
            run.controller.signal,
            (r) => log.warn({ source: source.sourceFile, ...r }, "storage fault: reading the source again"),
            progress.update,
          );
          await progress.stop();
          if (source.tags && Object.keys(source.tags).length)
            await catalog.putTags(tagKey({ storeId: job.storeId, referenceId: reference.id }), source.tags);
          if (!(await catalog.finishSource(job.id, this.id, source.index, reference))) {
            await deleteKeys(this.deps, keys);
            must(false);
          }
          // finishSource forgot the reference's own keys as pending in its transaction; this forgets
          // the keys reserved but not used (a .gzi for a plain FASTA), which hold no blob
          await catalog.removePendingBlobs(keys);
          source.status = "FINISHED";
          source.referenceId = reference.id;
          log.info({ source: source.sourceFile, referenceId: reference.id }, "source imported");
          this.events.emit("source-finished", { jobId: job.id, referenceId: reference.id, bytes: reference.source.contentLength });
        } catch (err) {
          await progress.stop();
          if (err instanceof LeaseLost) throw err;
          // stopped, cancelled or lease lost meanwhile: the failure is that, not the source's
          if (run.state !== "running") break;
          const message = failureMessage(err);
          if (!(err instanceof FastaError || err instanceof SourceError || err instanceof StorageError))
            log.error({ err, source: source.sourceFile }, "source failed with an unexpected error");
          else log.info({ source: source.sourceFile, message }, "source failed");
          must(await catalog.updateSource(job.id, this.id, source.index, { status: "FAILED", statusMessage: message }));
          source.status = "FAILED";
          source.statusMessage = message;
          const reason = err instanceof FastaError ? "fasta" : err instanceof SourceError ? "source" : err instanceof StorageError ? "storage" : "internal";
          this.events.emit("source-failed", { jobId: job.id, reason });
        }
      }

      switch (run.state) {
        case "lease-lost":
          throw new LeaseLost("lease lost");
        case "stopping":
          // Give the job back at once so a restarted worker need not wait for the lease; being
          // stopped is not the job's fault, so this claim does not count as an attempt.
          await catalog.releaseJob(job.id, this.id).catch(() => false);
          return;
        case "cancelling":
          must(await catalog.finishCancelled(job.id, this.id, Date.now()));
          await this.discardUploadsOf(job.id, log);
          log.info("import job cancelled");
          this.events.emit("job-finished", { jobId: job.id, status: "CANCELLED" });
          return;
        case "running": {
          const { status, message } = outcome(job.sources);
          must(await catalog.finishJob(job.id, this.id, status, message, Date.now()));
          await this.discardUploadsOf(job.id, log);
          log.info({ status }, "import job finished");
          this.events.emit("job-finished", { jobId: job.id, status });
        }
      }
    } catch (err) {
      if (err instanceof LeaseLost || run.state === "lease-lost") {
        log.warn("lease lost: another worker took this job over");
        this.events.emit("lease-lost", { jobId: job.id });
      }
      else throw err;
    } finally {
      clearInterval(heartbeat);
      this.runningJobs.delete(run);
    }
  }
}

function failureMessage(err: unknown): string {
  const text =
    err instanceof FastaError || err instanceof SourceError || err instanceof StorageError
      ? err.message
      : `internal error: ${err instanceof Error ? err.message : String(err)}`;
  return statusText(text);
}
