// node dist/bench/s3-server.js [bucket…]
//
// s3rver (test/support/s3.ts) in a process of its own, so that the S3 server's work (it is a Node
// process writing files) does not run on the benchmark's event loop. Prints one JSON line
// {endpoint, env, dir} once it listens; stops (and deletes its data) when stdin ends — which also
// happens when the parent dies — or on SIGTERM/SIGINT.

import { startS3 } from "../test/support/s3.js";

const s3 = await startS3({ buckets: process.argv.slice(2) });
process.stdout.write(JSON.stringify({ endpoint: s3.endpoint, env: s3.env, dir: s3.dir }) + "\n");

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await s3.stop().catch(() => {});
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.on("error", stop);
process.stdin.resume();
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => void stop());
