// Build step (`npm run build`, after tsc): assembles the WAT of md5x2-wat.ts into md5x2.wasm next
// to the compiled md5x2.js, with wabt's wat2wasm (a devDependency: only the build needs it).
// The .wat is written beside it for reading.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";
import { md5x2Wat } from "./md5x2-wat.js";

const wat = md5x2Wat();
const wabt = await wabtInit();
const features = { threads: true }; // a shared memory
const mod = wabt.parseWat("md5x2.wat", wat, features);
try {
  // (wabt's typings omit validate's features argument; without it, shared memories are refused)
  (mod.validate as (f: typeof features) => void)(features);
  const { buffer } = mod.toBinary({});
  writeFileSync(fileURLToPath(new URL("./md5x2.wat", import.meta.url)), wat);
  writeFileSync(fileURLToPath(new URL("./md5x2.wasm", import.meta.url)), buffer);
} finally {
  mod.destroy();
}
