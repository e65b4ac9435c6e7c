// Prometheus metrics of one process (prom-client). They hang off events — the HTTP root's
// "request", the worker's typed events — and off the catalog's job counts read at each scrape,
// never off log lines.

import client from "prom-client";
import type { Catalog } from "../catalog/types.js";
import type { ImportWorker } from "../jobs/worker.js";
import type { RequestDone } from "./http.js";

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<"api" | "operation" | "status">;
  private readonly latency: client.Histogram<"api" | "operation">;
  private readonly importedBytes: client.Counter;
  private readonly sources: client.Counter<"outcome" | "reason">;
  private readonly jobsEnded: client.Counter<"status">;
  private readonly leasesLost: client.Counter;
  private readonly workers: ImportWorker[] = [];

  constructor(catalog: Catalog) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    this.requests = new client.Counter({
      name: "refstore_http_requests_total",
      help: "HTTP requests answered, by API, operation (or route) and status",
      labelNames: ["api", "operation", "status"],
      registers,
    });
    this.latency = new client.Histogram({
      name: "refstore_http_request_duration_seconds",
      help: "Time from request to response, by API and operation (or route)",
      labelNames: ["api", "operation"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    new client.Gauge({
      name: "refstore_import_jobs",
      help: "Import jobs of every store by status (from the catalog; the same on every process)",
      labelNames: ["status"],
      registers,
      async collect() {
        try {
          const counts = await catalog.jobCounts();
          this.reset();
          for (const [status, n] of Object.entries(counts)) this.set({ status }, n ?? 0);
        } catch {
          this.reset(); // catalog unreachable: /ready says why; the scrape still answers
        }
      },
    });
    this.importedBytes = new client.Counter({
      name: "refstore_imported_bytes_total",
      help: "Bytes of SOURCE files stored by this process's imports",
      registers,
    });
    this.sources = new client.Counter({
      name: "refstore_import_sources_total",
      help: "Import sources this process ended, by outcome (finished, failed) and failure reason (fasta, source, storage, internal)",
      labelNames: ["outcome", "reason"],
      registers,
    });
    this.jobsEnded = new client.Counter({
      name: "refstore_import_jobs_ended_total",
      help: "Import jobs this process's worker brought to an end, by final status",
      labelNames: ["status"],
      registers,
    });
    this.leasesLost = new client.Counter({
      name: "refstore_leases_lost_total",
      help: "Import jobs this process's worker lost the lease of (another worker took them over)",
      registers,
    });
    const workers = this.workers;
    new client.Gauge({
      name: "refstore_imports_running",
      help: "Imports running now in this process's worker",
      labelNames: ["worker"],
      registers,
      collect() {
        this.reset();
        for (const w of workers) this.set({ worker: w.id }, w.runningImports);
      },
    });
  }

  // prom-client hashes a label set on every inc/observe; a request's few label sets are looked up once
  private readonly perRequest = new Map<string, { count: client.Counter.Internal; latency: client.Histogram.Internal<string> }>();

  observeRequest(e: RequestDone): void {
    const operation = e.operation ?? "unknown";
    const key = `${e.api}\0${operation}\0${e.status}`;
    let m = this.perRequest.get(key);
    if (!m) {
      m = {
        count: this.requests.labels({ api: e.api, operation, status: String(e.status) }),
        latency: this.latency.labels({ api: e.api, operation }),
      };
      this.perRequest.set(key, m);
    }
    m.count.inc();
    m.latency.observe(e.seconds);
  }

  watchWorker(worker: ImportWorker): void {
    this.workers.push(worker);
    worker.events.on("source-finished", (e) => {
      this.importedBytes.inc(e.bytes);
      this.sources.inc({ outcome: "finished", reason: "" });
    });
    worker.events.on("source-failed", (e) => this.sources.inc({ outcome: "failed", reason: e.reason }));
    worker.events.on("job-finished", (e) => this.jobsEnded.inc({ status: e.status }));
    worker.events.on("lease-lost", () => this.leasesLost.inc());
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
