// The web console: static files only. The page is an API client like any other (it signs its
// requests in the browser), so this plugin imports no API and knows no credentials; it serves
// what `npm run build` put in dist/web (Vite's output) under its prefix.
//
// Cache headers: Vite names every asset after its content (assets/index-3f2a1c.js), so those are
// immutable; index.html names the current assets and must be revalidated on every load.

import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync } from "fastify";
import "../request-info.js";

export interface ConsoleOptions {
  /** the built page; default dist/web beside the compiled sources */
  root?: string;
}

/** dist/src/api/console/plugin.js → dist/web */
export const DEFAULT_CONSOLE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../web");

const IMMUTABLE = "public, max-age=31536000, immutable";

// The page holds a secret key in sessionStorage: it may talk to its own origin only, and run only
// its own scripts (igv.js injects <style> elements, hence the inline styles).
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const consoleUi: FastifyPluginAsync<ConsoleOptions> = async (app, opts) => {
  const root = opts.root ?? DEFAULT_CONSOLE_ROOT;

  app.addHook("onRequest", async (req) => {
    req.info = { api: "console" };
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).type("text/plain; charset=utf-8").header("cache-control", "no-cache");
    return reply.send(`Not found: ${req.url}\n`);
  });
  app.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, "console error");
    return reply.code(status).type("text/plain; charset=utf-8").send(status >= 500 ? "Internal error\n" : `${err.message}\n`);
  });

  if (!existsSync(join(root, "index.html"))) {
    // a checkout where only tsc ran: say what to do instead of a bare 404
    app.log.warn({ root }, "console not built (npm run build); /console/ answers 503");
    app.get("/*", async (_req, reply) =>
      reply.code(503).type("text/plain; charset=utf-8").send("The console is not built: run npm run build.\n"),
    );
    return;
  }

  // "/console" → "/console/", so the page's relative asset URLs resolve under the prefix
  app.route({
    method: ["GET", "HEAD"],
    url: "",
    prefixTrailingSlash: "no-slash",
    handler: (_req, reply) => reply.redirect(`${app.prefix}/`, 301),
  });

  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    // our own cache-control below; ETag/Last-Modified still let index.html revalidate cheaply
    cacheControl: false,
    redirect: true,
    index: ["index.html"],
    setHeaders(res, path) {
      const rel = path.slice(root.length).replace(/\\/g, "/");
      res.setHeader("cache-control", rel.startsWith("/assets/") ? IMMUTABLE : "no-cache");
      res.setHeader("x-content-type-options", "nosniff");
      if (rel.endsWith(".html")) {
        res.setHeader("content-security-policy", CONTENT_SECURITY_POLICY);
        res.setHeader("referrer-policy", "no-referrer");
      }
    },
  });
};
