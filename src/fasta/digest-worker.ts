// Worker thread of an import's digests (digests.ts), over the import's shared memory: "md5"
// runs both MD5 streams (the file's and the sequences': md5x2 kernel or node:crypto), "sha512"
// the sequences' SHA-512. Each message names segments by offset; the answer gives back the
// segments this thread is done with (so that they can be reused) and the digests completed.
import { parentPort, workerData } from "node:worker_threads";
import { md5Pair, ShaRunner, type FromWorker, type ToWorker, type WorkerData } from "./digests.js";

const data = workerData as WorkerData;
const port = parentPort!;
if (data.role === "md5") {
  const pair = md5Pair(data.memory, data.module);
  port.on("message", (m: ToWorker) => {
    if (m.file) pair.file(m.file);
    if (m.norm) pair.norm(m.norm);
    if (m.end) pair.finish();
    else pair.run();
    const out: FromWorker = { released: pair.released.splice(0), done: pair.md5s.splice(0), fileMd5: pair.fileMd5 };
    port.postMessage(out);
  });
} else {
  const sha = new ShaRunner(new Uint8Array(data.memory as SharedArrayBuffer));
  port.on("message", (m: ToWorker) => {
    const out: FromWorker = { released: [m.norm!.id], done: sha.segment(m.norm!) };
    port.postMessage(out);
  });
}
