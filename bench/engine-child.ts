// node dist/bench/engine-child.js <file> [storeDir]
//
// benchEngine (bench/import-engine.ts) in a fresh process, for bench/import.ts: prints one JSON
// line with its timing, the process's VmHWM and CPU split (main thread vs the digest threads).
// A file rather than `node -e`: the digest worker threads inherit the parent's execArgv, and
// `--input-type` breaks them.

import { benchEngine } from "./import-engine.js";
import { cpuTimes, procStatusMb } from "./support.js";

const file = process.argv[2];
if (!file) throw new Error("usage: engine-child.js <file> [storeDir]");
const r = await benchEngine(file, process.argv[3]);
console.log(JSON.stringify({ ...r, vmHwmMb: procStatusMb(process.pid, "VmHWM"), cpu: cpuTimes(process.pid) }));
