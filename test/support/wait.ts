// Bounded polling for tests: one copy of "wait until the job is IN_PROGRESS / terminal" and of
// the generic poll the tests wrote each for themselves. A test's own wait, never a timed
// assertion: every loop has a deadline and says what it waited for when it gives up.

import { GetReferenceImportJobCommand, type GetReferenceImportJobCommandOutput, type OmicsClient } from "@aws-sdk/client-omics";

export const TERMINAL_JOB_STATUSES: ReadonlySet<string> = new Set(["COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"]);

/**
 * Poll `f` every 50 ms until it gives a value: undefined, null and false mean "not yet", and so
 * does an error (a server restarting, PostgreSQL away; the last one is named on time-out).
 * `abort` explains an early failure (a child process that died).
 */
export async function until<T>(
  what: string,
  f: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  abort?: () => string | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const why = abort?.();
    if (why) throw new Error(`${what}: ${why}`);
    let v: T | undefined | null | false;
    try {
      v = await f();
    } catch (err) {
      lastError = err;
      v = undefined;
    }
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) {
      const last = lastError === undefined ? "" : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GetReferenceImportJob polled until `done(job)`; errors count as "not yet". */
export function waitForJobState(
  client: OmicsClient,
  referenceStoreId: string,
  id: string,
  what: string,
  done: (job: GetReferenceImportJobCommandOutput) => boolean,
  timeoutMs = 60_000,
): Promise<GetReferenceImportJobCommandOutput> {
  return until(
    `job ${id} ${what}`,
    async () => {
      const job = await client.send(new GetReferenceImportJobCommand({ referenceStoreId, id }));
      return done(job) ? job : undefined;
    },
    timeoutMs,
  );
}

/** Until the job is terminal (COMPLETED, COMPLETED_WITH_FAILURES, FAILED or CANCELLED). */
export function waitForJob(
  client: OmicsClient,
  referenceStoreId: string,
  id: string,
  timeoutMs = 60_000,
): Promise<GetReferenceImportJobCommandOutput> {
  return waitForJobState(client, referenceStoreId, id, "terminal", (j) => TERMINAL_JOB_STATUSES.has(j.status!), timeoutMs);
}

/** Until source `index` of the job is IN_PROGRESS (it is being read). */
export function waitForSourceInProgress(
  client: OmicsClient,
  referenceStoreId: string,
  id: string,
  index = 0,
  timeoutMs = 30_000,
): Promise<GetReferenceImportJobCommandOutput> {
  return waitForJobState(client, referenceStoreId, id, `source ${index} IN_PROGRESS`, (j) => j.sources?.[index]?.status === "IN_PROGRESS", timeoutMs);
}
