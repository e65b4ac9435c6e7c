import { GetReferenceImportJobCommand } from "@aws-sdk/client-omics";
import { useState } from "preact/hooks";
import { TERMINAL, cancelImportJob, omics } from "../api.js";
import { sourceProgress } from "../progress.js";
import { href } from "../router.js";
import type { Session } from "../session.js";
import { ErrorBox, Loading, ProgressBar, Status, Time, usePoll } from "../ui.js";
import { StoreNav } from "./store-nav.js";

const CANCELLABLE = new Set(["SUBMITTED", "IN_PROGRESS"]);

export function Job({ session, storeId, jobId }: { session: Session; storeId: string; jobId: string }) {
  const job = usePoll(
    async () => {
      const detail = await omics(session).send(new GetReferenceImportJobCommand({ referenceStoreId: storeId, id: jobId }));
      return { detail, progress: await sourceProgress(session, storeId, jobId, detail.sources ?? []) };
    },
    [session, storeId, jobId],
    1000,
    // polls until the job ends (a failed read keeps polling: it may be a passing fault)
    (last) => !last || !TERMINAL.has(last.detail.status ?? ""),
  );
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [cancelling, setCancelling] = useState(false);

  const cancel = async () => {
    setCancelling(true);
    setCancelError(null);
    try {
      await cancelImportJob(session, storeId, jobId);
      job.reload();
    } catch (err) {
      setCancelError(err);
    } finally {
      setCancelling(false);
    }
  };

  const d = job.data?.detail;
  return (
    <main id="main" tabIndex={-1}>
      <StoreNav session={session} storeId={storeId} current="jobs" trail={`Job ${jobId}`} />
      <h1>
        Import job <code>{jobId}</code>
      </h1>
      <ErrorBox error={job.error} label="Reading the job failed" />
      {job.loading && !d ? <Loading what="the job" /> : null}
      {d ? (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd aria-live="polite">
              <Status value={d.status} />
              {d.statusMessage ? <span class="message"> {d.statusMessage}</span> : null}
            </dd>
            <dt>Created</dt>
            <dd>
              <Time value={d.creationTime} />
            </dd>
            <dt>Completed</dt>
            <dd>
              <Time value={d.completionTime} />
            </dd>
            <dt>Role ARN</dt>
            <dd>
              <code>{d.roleArn}</code>
            </dd>
          </dl>
          {CANCELLABLE.has(d.status ?? "") ? (
            <p>
              <button type="button" class="danger" disabled={cancelling} onClick={cancel}>
                {cancelling ? "Cancelling…" : "Cancel this import"}
              </button>
            </p>
          ) : null}
          <ErrorBox error={cancelError} label="Cancelling failed" />
          <h2>Sources</h2>
          <table class="sources-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Source file</th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Message</th>
                <th scope="col">Reference</th>
              </tr>
            </thead>
            <tbody>
              {(d.sources ?? []).map((s, i) => (
                <tr key={i} data-source={i}>
                  <td>{i + 1}</td>
                  <td>
                    <code>{s.sourceFile}</code>
                  </td>
                  <td>{s.name}</td>
                  <td>
                    <Status value={s.status} />
                  </td>
                  <td>
                    <ProgressBar label={`Progress of ${s.name ?? s.sourceFile}`} progress={job.data?.progress[i] ?? { status: s.status ?? "NOT_STARTED" }} />
                  </td>
                  <td class="message">{s.statusMessage ?? ""}</td>
                  <td>
                    {s.referenceId ? (
                      <a href={href(["stores", storeId, "references", s.referenceId])}>
                        <code>{s.referenceId}</code>
                      </a>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {!TERMINAL.has(d.status ?? "") ? <p class="hint">Updated every second until the job ends.</p> : null}
        </>
      ) : null}
    </main>
  );
}
