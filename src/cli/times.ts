// `--since` / `--until`: ISO-8601 (`2026-12-01`, `2026-12-01T10:00:00Z`) or a time ago
// (`90s`, `15m`, `2h`, `3d`, `1w`).

import { CliError } from "./output.js";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseTime(flag: string, value: string, now = Date.now()): Date {
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value.trim());
  if (rel) return new Date(now - Number(rel[1]) * UNIT_MS[rel[2].toLowerCase()]);
  // ISO-8601 only: Date.parse also takes forms like "March 7" that mean different things per engine
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(value.trim())) {
    const t = Date.parse(value.trim().replace(" ", "T"));
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new CliError(`${flag}: expected an ISO-8601 time (2026-12-01T10:00:00Z) or a time ago (30m, 2h, 3d), got "${value}"`, 2);
}
