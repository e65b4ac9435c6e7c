// What operators probe, on every process whatever its role: /health (the process is up),
// /ready (catalog reachable and migrated, blob store reachable: 200, or 503 with the reasons),
// /metrics (Prometheus text). The checks and the metrics come from app/: this plugin only
// answers.

import type { FastifyPluginAsync } from "fastify";
import "../request-info.js";

export interface OpsOptions {
  /** name → a check that resolves when that part is ready, or rejects with the reason */
  checks: Record<string, () => Promise<void>>;
  /** Prometheus exposition; absent when REFSTORE_METRICS=off */
  metrics?: { contentType: string; text(): Promise<string> };
}

export const opsApi: FastifyPluginAsync<OpsOptions> = async (app, opts) => {
  app.addHook("onRequest", async (req) => {
    req.info = { api: "ops", operation: req.routeOptions.url };
  });
  app.setErrorHandler((err, _req, reply) => {
    reply.log.error({ err }, "ops route failed");
    return reply.code(500).type("application/json").send({ status: "error", message: "internal error" });
  });

  app.get("/health", async (_req, reply) => reply.header("cache-control", "no-store").send({ status: "ok" }));

  app.get("/ready", async (_req, reply) => {
    const names = Object.keys(opts.checks);
    const results = await Promise.allSettled(names.map((n) => opts.checks[n]()));
    const checks: Record<string, string> = {};
    let ready = true;
    results.forEach((r, i) => {
      if (r.status === "fulfilled") checks[names[i]] = "ok";
      else {
        ready = false;
        const e = r.reason as { message?: string; code?: string } | undefined;
        checks[names[i]] = String(e?.message || e?.code || e).slice(0, 300);
      }
    });
    return reply
      .code(ready ? 200 : 503)
      .header("cache-control", "no-store")
      .send({ status: ready ? "ready" : "not ready", checks });
  });

  const metrics = opts.metrics;
  if (metrics)
    app.get("/metrics", async (_req, reply) => reply.header("content-type", metrics.contentType).send(await metrics.text()));
};
