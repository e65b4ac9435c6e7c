import {
  GetReferenceImportJobCommand,
  ListReferenceImportJobsCommand,
  type GetReferenceImportJobResponse,
  type ImportReferenceJobItem,
  type ReferenceImportJobStatus,
} from "@aws-sdk/client-omics";
import { useState } from "preact/hooks";
import { JOB_STATUSES, TERMINAL, omics } from "../api.js";
import { sourceProgress, type SourceProgress } from "../progress.js";
import { href, navigate } from "../router.js";
import type { Session } from "../session.js";
import { ErrorBox, Loading, ProgressBar, Status, Time, usePoll } from "../ui.js";
import { StoreNav } from "./store-nav.js";

const PAGE_SIZES = ["10", "25", "50", "100"];

/** details of jobs that reached an end state (they cannot change again) */
const finished = new Map<string, GetReferenceImportJobResponse>();

/** "2026-12-01T10:00" typed in a datetime-local field, read as UTC (the page shows UTC). */
export function parseUtcInput(v: string): Date | undefined {
  if (!v) return undefined;
  const d = new Date(/Z$|[+-]\d\d:\d\d$/.test(v) ? v : v + "Z");
  return Number.isNaN(d.getTime()) ? undefined : d;
}
export function toUtcInput(v: string | null): string {
  const d = v ? parseUtcInput(v) : undefined;
  return d ? d.toISOString().slice(0, 19) : "";
}

interface Row {
  job: ImportReferenceJobItem;
  detail?: GetReferenceImportJobResponse;
  progress?: SourceProgress[];
}

interface Props {
  session: Session;
  storeId: string;
  query: URLSearchParams;
}

/** A new filter is a new list: its page tokens belong to the old filter (the API refuses them). */
export function Jobs(props: Props) {
  return <JobsPage key={`${props.storeId}?${props.query}`} {...props} />;
}

function JobsPage({ session, storeId, query }: Props) {
  const status = query.get("status") ?? "";
  const after = query.get("after") ?? "";
  const before = query.get("before") ?? "";
  const size = PAGE_SIZES.includes(query.get("size") ?? "") ? query.get("size")! : "50";
  const filterKey = [storeId, status, after, before, size].join("|");

  // tokens[i] is the nextToken that fetched page i (page 0: none)
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const [pageIndex, setPageIndex] = useState(0);
  const token = tokens[pageIndex];

  const page = usePoll(
    async () => {
      const filter = {
        ...(status ? { status: status as ReferenceImportJobStatus } : {}),
        ...(after ? { createdAfter: parseUtcInput(after) } : {}),
        ...(before ? { createdBefore: parseUtcInput(before) } : {}),
      };
      const out = await omics(session).send(
        new ListReferenceImportJobsCommand({
          referenceStoreId: storeId,
          maxResults: Number(size),
          nextToken: token,
          ...(Object.keys(filter).length ? { filter } : {}),
        }),
      );
      const jobs = out.importJobs ?? [];
      // every job's sources; a finished job's never change, so each is read once
      const rows: Row[] = await Promise.all(
        jobs.map(async (job): Promise<Row> => {
          const key = `${storeId}/${job.id}`;
          let detail = finished.get(key);
          if (!detail) {
            detail = await omics(session).send(new GetReferenceImportJobCommand({ referenceStoreId: storeId, id: job.id! }));
            if (TERMINAL.has(detail.status ?? "")) finished.set(key, detail);
          }
          const progress = TERMINAL.has(detail.status ?? "") ? undefined : await sourceProgress(session, storeId, job.id!, detail.sources ?? []);
          return { job: { ...job, status: detail.status, completionTime: detail.completionTime }, detail, progress };
        }),
      );
      return { rows, nextToken: out.nextToken };
    },
    [session, filterKey, token],
    1000,
    () => true,
  );

  const applyFilter = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const get = (k: string) => String(form.get(k) ?? "");
    navigate(href(["stores", storeId, "jobs"], { status: get("status"), after: get("after"), before: get("before"), size: get("size") === "50" ? "" : get("size") }));
  };

  const next = () => {
    const t = page.data?.nextToken;
    if (!t) return;
    setTokens((ts) => [...ts.slice(0, pageIndex + 1), t]);
    setPageIndex((i) => i + 1);
  };

  return (
    <main id="main" tabIndex={-1}>
      <StoreNav session={session} storeId={storeId} current="jobs" />
      <h1>Import jobs</h1>
      <form class="filters" onSubmit={applyFilter} key={filterKey} aria-label="Filter import jobs">
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" name="status" value={status}>
            <option value="">Any status</option>
            {JOB_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-after">Created after (UTC)</label>
          <input id="f-after" name="after" type="datetime-local" step={1} value={toUtcInput(after)} />
        </div>
        <div>
          <label for="f-before">Created before (UTC)</label>
          <input id="f-before" name="before" type="datetime-local" step={1} value={toUtcInput(before)} />
        </div>
        <div>
          <label for="f-size">Per page</label>
          <select id="f-size" name="size" value={size}>
            {PAGE_SIZES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <button type="submit">Apply filters</button>
        <a href={href(["stores", storeId, "jobs"])}>Clear</a>
      </form>
      <ErrorBox error={page.error} label="Listing import jobs failed" />
      {page.loading && !page.data ? <Loading what="import jobs" /> : null}
      {page.data ? (
        page.data.rows.length === 0 ? (
          <p class="empty">No import jobs{status || after || before ? " match these filters" : " yet"}.</p>
        ) : (
          <table class="jobs">
            <caption class="sr">Import jobs, page {pageIndex + 1}</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Completed</th>
                <th scope="col">Sources</th>
              </tr>
            </thead>
            <tbody>
              {page.data.rows.map(({ job, detail, progress }) => (
                <tr key={job.id} data-job={job.id}>
                  <td>
                    <a href={href(["stores", storeId, "jobs", job.id!])}>
                      <code>{job.id}</code>
                    </a>
                  </td>
                  <td>
                    <Status value={job.status} />
                  </td>
                  <td>
                    <Time value={job.creationTime} />
                  </td>
                  <td>
                    <Time value={job.completionTime} />
                  </td>
                  <td class="sources">
                    {detail?.sources?.map((s, i) => (
                      <div class="source-line">
                        <span class="source-name">{s.name ?? s.sourceFile}</span>
                        <ProgressBar label={`Progress of ${s.name ?? s.sourceFile}`} progress={progress?.[i] ?? { status: s.status ?? "NOT_STARTED" }} />
                      </div>
                    )) ?? <span class="muted">—</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      <nav class="pager" aria-label="Pages of import jobs">
        <button type="button" disabled={pageIndex === 0} onClick={() => setPageIndex((i) => Math.max(0, i - 1))}>
          ← Previous
        </button>
        <span aria-live="polite" class="page-no">
          Page {pageIndex + 1}
        </span>
        <button type="button" disabled={!page.data?.nextToken} onClick={next}>
          Next →
        </button>
      </nav>
      <p class="hint">Updated every second, in the order the API lists jobs (oldest first: new jobs appear on the last page).</p>
    </main>
  );
}
