// Small shared pieces: error box, times, sizes, status badges, progress bars, a poller.

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "./api.js";
import { fraction, type SourceProgress } from "./progress.js";

export function ErrorBox({ error, label }: { error: unknown; label?: string }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      {label ? <strong>{label}: </strong> : null}
      {errorText(error)}
    </div>
  );
}

/** Times in UTC, as the filters take them. */
export function fmtTime(d: Date | string | undefined): string {
  if (!d) return "—";
  const date = typeof d === "string" ? new Date(d) : d;
  if (Number.isNaN(date.getTime())) return String(d);
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export function Time({ value }: { value: Date | string | undefined }) {
  if (!value) return <span>—</span>;
  const date = typeof value === "string" ? new Date(value) : value;
  return <time dateTime={date.toISOString()}>{fmtTime(date)}</time>;
}

export function fmtBytes(n: number | undefined): string {
  if (n === undefined) return "—";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function Status({ value }: { value: string | undefined }) {
  const s = value ?? "UNKNOWN";
  return <span class={`status status-${s.toLowerCase()}`}>{s}</span>;
}

export function ProgressBar({ progress, label }: { progress: SourceProgress; label: string }) {
  const f = fraction(progress);
  const bytes =
    progress.bytesRead !== undefined
      ? `${fmtBytes(progress.bytesRead)}${progress.totalBytes ? ` of ${fmtBytes(progress.totalBytes)}` : ""}`
      : "";
  const failed = progress.status === "FAILED";
  return (
    <span class={`progress${failed ? " progress-failed" : ""}`}>
      <progress aria-label={label} max={1} value={failed ? 1 : f} />
      <span class="progress-text">
        {f !== undefined && !failed ? `${Math.round(f * 100)}%` : progress.status}
        {bytes ? ` · ${bytes}` : ""}
      </span>
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/**
 * Run `fn` now, then again `intervalMs` after each run ends while `active()` says so (no
 * overlapping requests when the server is slow). Restarts when `deps` change or on reload().
 */
export function usePoll<T>(fn: () => Promise<T>, deps: unknown[], intervalMs: number, active: (last: T | undefined) => boolean) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const activeRef = useRef(active);
  activeRef.current = active;
  const lastDeps = useRef<unknown[] | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // other inputs: other data; a reload() keeps showing the old data until the new arrives
    if (!lastDeps.current || deps.some((d, i) => d !== lastDeps.current![i])) {
      setLoading(true);
      setData(undefined);
    }
    lastDeps.current = deps;
    const run = async () => {
      let last: T | undefined;
      try {
        last = await fnRef.current();
        if (stopped) return;
        setData(last);
        setError(null);
      } catch (err) {
        if (stopped) return;
        setError(err);
      } finally {
        if (!stopped) setLoading(false);
      }
      if (!stopped && activeRef.current(last)) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}
