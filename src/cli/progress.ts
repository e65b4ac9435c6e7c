// Progress of transfers (pull) and imports (import --wait): a bar per file on a terminal
// (cli-progress: bytes, rate, ETA), plain lines when stdout is not a terminal, nothing at all when
// the output is JSON.

import cliProgress from "cli-progress";
import { bytes } from "./output.js";

export interface ProgressItem {
  /** bytes so far and, when known, in all */
  update(done: number, total?: number): void;
  /** the item ended: `ok` or a short word (FAILED, …) and an optional note */
  end(outcome: string, note?: string): void;
}

export interface Progress {
  item(label: string, total?: number): ProgressItem;
  /** a line of its own (above the bars on a terminal) */
  log(line: string): void;
  stop(): void;
}

export type ProgressMode = "bars" | "lines" | "none";

export function progressMode(json: boolean, stream: NodeJS.WriteStream = process.stdout): ProgressMode {
  if (json) return "none";
  return stream.isTTY ? "bars" : "lines";
}

export function createProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stdout): Progress {
  if (mode === "bars") return new Bars(stream);
  if (mode === "lines") return new Lines(stream);
  return { item: () => ({ update() {}, end() {} }), log() {}, stop() {} };
}

/** Bytes per second over the last few seconds (a plain average would lag behind a change). */
class Rate {
  private samples: [number, number][] = [];
  add(done: number, t = Date.now()): void {
    this.samples.push([t, done]);
    while (this.samples.length > 2 && t - this.samples[0][0] > 5000) this.samples.shift();
  }
  get(): number {
    if (this.samples.length < 2) return 0;
    const [t0, d0] = this.samples[0];
    const [t1, d1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? ((d1 - d0) * 1000) / (t1 - t0) : 0;
  }
}

/** 42s, 3m05s, 1h02m */
function duration(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

class Bars implements Progress {
  private readonly multi: cliProgress.MultiBar;
  constructor(stream: NodeJS.WriteStream) {
    this.multi = new cliProgress.MultiBar(
      {
        stream,
        // no colour codes inside the line: cli-progress cuts lines at the terminal's width
        // counting escape bytes as characters, and a cut escape garbles the terminal
        format: `{label} {bar} {percentage}% {done}/{size} {rate} ETA {left}{note}`,
        barsize: 12,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        fps: 10,
        autopadding: true,
        formatValue: (v, _o, type) => (type === "percentage" ? String(v).padStart(3) : String(v)),
      },
      cliProgress.Presets.shades_grey,
    );
  }
  item(label: string, total?: number): ProgressItem {
    const rate = new Rate();
    const payload = (done: number, size: number | undefined, note = "") => ({
      label,
      done: bytes(done),
      size: size === undefined ? "?" : bytes(size),
      rate: `${bytes(Math.round(rate.get()))}/s`,
      left: size === undefined || rate.get() <= 0 ? "--" : duration((size - done) / rate.get()),
      note,
    });
    let known = total;
    const bar = this.multi.create(Math.max(1, total ?? 1), 0, payload(0, total));
    return {
      update(done, t) {
        if (t !== undefined) known = t;
        rate.add(done);
        if (known !== undefined) bar.setTotal(Math.max(1, known));
        bar.update(known === undefined ? 0 : done, payload(done, known));
      },
      end(outcome, note) {
        const done = known ?? 0;
        const word = outcome === "ok" ? " done" : ` ${outcome}`;
        bar.update(outcome === "ok" ? Math.max(1, done) : bar.getProgress() * bar.getTotal(), payload(done, known, word + (note ? ` ${note}` : "")));
        bar.stop();
      },
    };
  }
  log(line: string): void {
    this.multi.log(line + "\n");
  }
  stop(): void {
    this.multi.stop();
  }
}

class Lines implements Progress {
  constructor(private readonly stream: NodeJS.WriteStream) {}
  item(label: string, total?: number): ProgressItem {
    const stream = this.stream;
    let known = total;
    let last = Date.now();
    const rate = new Rate();
    const started = Date.now();
    return {
      update(done, t) {
        if (t !== undefined) known = t;
        rate.add(done);
        // a line every 10 s for long transfers; logs of short ones stay at one line per file
        if (Date.now() - last >= 10_000) {
          last = Date.now();
          const pct = known ? ` (${Math.floor((done / known) * 100)}%)` : "";
          stream.write(`${label}: ${bytes(done)}${known !== undefined ? ` of ${bytes(known)}` : ""}${pct}, ${bytes(Math.round(rate.get()))}/s\n`);
        }
      },
      end(outcome, note) {
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        const size = known !== undefined ? `${bytes(known)} ` : "";
        stream.write(`${label}: ${outcome === "ok" ? "done" : outcome}${outcome === "ok" ? `, ${size}in ${secs} s` : ""}${note ? `, ${note}` : ""}\n`);
      },
    };
  }
  log(line: string): void {
    this.stream.write(line + "\n");
  }
  stop(): void {}
}
