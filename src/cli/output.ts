// What the CLI prints: tables, times, sizes, colours (only on a terminal), and errors as one line.
// Exit status: 0 success; 1 the operation failed (a service error, a job that did not complete,
// a checksum mismatch); 2 the command line was wrong.

import pc from "picocolors";

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Colours on stdout only when it is a terminal (picocolors also honours NO_COLOR/FORCE_COLOR). */
export const colour = pc.createColors(Boolean(process.stdout.isTTY) && pc.isColorSupported);
const errColour = pc.createColors(Boolean(process.stderr.isTTY) && pc.isColorSupported);

export function print(line = ""): void {
  process.stdout.write(line + "\n");
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** Left-aligned columns, two spaces apart; the header dimmed. */
export function table(header: string[], rows: string[][]): string {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(Math.max(0, width[i] - visible(c).length))))
      .join("  ")
      .trimEnd();
  return [colour.dim(line(header)), ...rows.map(line)].join("\n");
}

const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86400],
  ["month", 30 * 86400],
  ["week", 7 * 86400],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "3 minutes ago", "yesterday", "now". */
export function relativeTime(d: Date | string | undefined, now = Date.now()): string {
  if (d === undefined) return "-";
  const t = typeof d === "string" ? Date.parse(d) : d.getTime();
  const s = (t - now) / 1000;
  for (const [unit, size] of UNITS) if (Math.abs(s) >= size || unit === "second") return rtf.format(Math.round(s / size), unit);
  return "-";
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return "-";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function statusColour(status: string | undefined): string {
  const s = status ?? "-";
  if (s === "COMPLETED" || s === "FINISHED" || s === "ACTIVE") return colour.green(s);
  if (s === "FAILED" || s === "CANCELLED" || s === "COMPLETED_WITH_FAILURES") return colour.red(s);
  if (s === "IN_PROGRESS" || s === "IMPORTING" || s === "CANCELLING") return colour.yellow(s);
  return s;
}

/** The one line an error is reported in: the service's error type and message, never a stack. */
export function errorLine(err: unknown, endpoint?: string): string {
  if (err instanceof CliError) return err.message;
  const e = err as any;
  if (e && typeof e === "object") {
    if (e.$metadata !== undefined && e.name && e.$fault !== undefined) {
      const message = String(e.message ?? "").split("\n")[0];
      const hint =
        e.name === "UnrecognizedClientException" || e.name === "InvalidSignatureException"
          ? " (check REFSTORE_ACCESS_KEY_ID / REFSTORE_SECRET_ACCESS_KEY, or the AWS credentials in use)"
          : "";
      if (e.name === "UnknownError" || message === "UnknownError")
        return `HTTP ${e.$metadata.httpStatusCode ?? "error"} from ${endpoint ?? "the service"}`;
      return `${e.name}: ${message}${hint}`;
    }
    const code = e.code ?? e.cause?.code ?? e.errors?.[0]?.code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ECONNRESET")
      return `cannot reach ${endpoint ?? "the service"} (${code})${endpoint ? ": is refstore running there? (refstore serve, or set --endpoint / REFSTORE_ENDPOINT)" : ""}`;
    if (e.name === "CredentialsProviderError")
      return `no credentials: set REFSTORE_ACCESS_KEY_ID and REFSTORE_SECRET_ACCESS_KEY, or AWS credentials (AWS_*, --profile)`;
    if (e.name === "TimeoutError") return `${endpoint ?? "the service"} did not answer in time`;
    if (e instanceof Error) return `${e.name === "Error" ? "error" : e.name}: ${e.message.split("\n")[0]}`;
  }
  return String(err);
}

export function printError(line: string): void {
  process.stderr.write(`${errColour.red("error:")} ${line}\n`);
}
