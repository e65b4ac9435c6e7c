// Worker thread: one running digest (md5 or sha512t24u) over the normalised sequences.
// Receives blocks in a SharedArrayBuffer slot with the positions where sequences end, answers
// with the slot id (so that it can be reused) and the digests completed in that block.
import { parentPort, workerData } from "node:worker_threads";
import { DigestRunner, type Algo, type BlockMessage } from "./digests.js";

const runner = new DigestRunner(workerData.algo as Algo);
parentPort!.on("message", (m: BlockMessage) => {
  const view = new Uint8Array(m.sab, 0, m.len);
  const done = runner.block(view, m.ends);
  parentPort!.postMessage({ slot: m.slot, done });
});
