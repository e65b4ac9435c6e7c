// The process's logger: pino JSON lines (one object per line, for log collectors), or pretty,
// coloured lines for a person at a terminal (pino-pretty). REFSTORE_LOG_FORMAT=json|pretty
// chooses; by default pretty when stdout is a terminal.

import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export function createLogger(
  config: { logLevel: string; logFormat?: "json" | "pretty" },
  stdout: { isTTY?: boolean } = process.stdout,
): Logger {
  const format = config.logFormat ?? (stdout.isTTY ? "pretty" : "json");
  if (format === "json") return pino({ level: config.logLevel });
  return pino(
    { level: config.logLevel },
    // sync: lines appear in order with anything else the process prints, and none is lost at exit
    pretty({ colorize: Boolean(stdout.isTTY), sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }),
  );
}

/**
 * Process warnings (the AWS SDK's multi-line NodeVersionSupportWarning on Node 20, deprecations)
 * as one log line each, instead of Node's own text on stderr, which would break a JSON log.
 */
export function routeProcessWarnings(log: Logger): void {
  // Node prints warnings through its own 'warning' listener; without it, only ours remains
  process.removeAllListeners("warning");
  process.on("warning", (w: Error & { code?: string }) => {
    const text = w.message.replace(/\s+/g, " ").trim();
    const m = /^(\w+Warning): (.*)$/.exec(text);
    log.warn({ warning: m ? m[1] : w.name, code: w.code }, m ? m[2] : text);
  });
}
