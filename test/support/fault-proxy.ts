// An HTTP proxy on loopback in front of an S3 server that injects faults a test scripts: an
// answer of its own (500/503 with an HTML body, as a load balancer in front of S3 gives), a
// connection reset, a stall (the request is never answered), or a response body held after some
// bytes until the test releases it. Deterministic: `plan` sees every request with its ordinal
// and decides; nothing depends on timing. Headers pass unchanged (the client signed the Host it
// sent, so SigV4 still verifies behind the proxy).

import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export type Fault =
  | { kind: "answer"; status: number; body: string; contentType?: string }
  | { kind: "reset" }
  | { kind: "stall" }
  /** forward, but hold the response body after `afterBytes` until `until` resolves (then go on) */
  | { kind: "hold"; afterBytes: number; until: Promise<unknown> }
  /** forward, but reset the connection after `afterBytes` of the response body */
  | { kind: "cut"; afterBytes: number };

export interface ProxiedRequest {
  method: string;
  /** path and query, as sent */
  url: string;
  /** 1 for the first request the proxy saw */
  n: number;
}

export interface FaultProxy {
  endpoint: string;
  port: number;
  /** every request seen, with the fault applied (if any) */
  log: { method: string; url: string; fault?: Fault["kind"] }[];
  setPlan(plan: (r: ProxiedRequest) => Fault | undefined): void;
  close(): Promise<void>;
}

export const HTML_500 = `<html><head><title>500 Internal Server Error</title></head><body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>`;
export const HTML_503 = `<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>`;

export async function startFaultProxy(targetHost: string, targetPort: number): Promise<FaultProxy> {
  let plan: (r: ProxiedRequest) => Fault | undefined = () => undefined;
  let n = 0;
  const log: FaultProxy["log"] = [];
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, fault?: Fault) => {
    const up = request(
      { host: targetHost, port: targetPort, method: req.method, path: req.url, headers: req.headers },
      async (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (!fault) {
          upRes.pipe(res);
          return;
        }
        let sent = 0;
        let held = false;
        const limit = fault.kind === "hold" || fault.kind === "cut" ? fault.afterBytes : Infinity;
        upRes.on("data", (chunk: Buffer) => {
          if (held) return;
          if (sent + chunk.length <= limit) {
            sent += chunk.length;
            res.write(chunk);
            return;
          }
          const head = chunk.subarray(0, limit - sent);
          const rest = chunk.subarray(limit - sent);
          sent = limit;
          if (head.length) res.write(head);
          if (fault.kind === "cut") {
            upRes.destroy();
            req.socket.resetAndDestroy();
            return;
          }
          held = true;
          upRes.pause();
          void (fault as { until: Promise<unknown> }).until.then(() => {
            held = false;
            if (rest.length) res.write(rest);
            upRes.removeAllListeners("data");
            upRes.pipe(res);
            upRes.resume();
          });
        });
        upRes.on("end", () => {
          if (!held) res.end();
        });
      },
    );
    up.on("error", () => req.socket.destroy());
    req.pipe(up);
  };

  const server: Server = createServer((req, res) => {
    const r = { method: req.method ?? "GET", url: req.url ?? "/", n: ++n };
    const fault = plan(r);
    log.push({ method: r.method, url: r.url, fault: fault?.kind });
    if (!fault || fault.kind === "hold" || fault.kind === "cut") return forward(req, res, fault);
    // drain the request body first (a client may still be sending a part)
    req.resume();
    req.on("end", () => {
      if (fault.kind === "reset") req.socket.resetAndDestroy();
      else if (fault.kind === "answer") {
        res.writeHead(fault.status, { "content-type": fault.contentType ?? "text/html", connection: "close" });
        res.end(fault.body);
      }
      // "stall": never answer (the socket is destroyed by close())
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    log,
    setPlan(p) {
      plan = p;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
