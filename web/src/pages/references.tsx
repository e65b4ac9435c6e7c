import { ListReferencesCommand } from "@aws-sdk/client-omics";
import { useState } from "preact/hooks";
import { omics } from "../api.js";
import { href, navigate } from "../router.js";
import type { Session } from "../session.js";
import { ErrorBox, Loading, Status, Time, usePoll } from "../ui.js";
import { StoreNav } from "./store-nav.js";

const PAGE = 50;

interface Props {
  session: Session;
  storeId: string;
  query: URLSearchParams;
}

/** A new filter is a new list: its page tokens belong to the old filter (the API refuses them). */
export function References(props: Props) {
  return <ReferencesPage key={`${props.storeId}?${props.query}`} {...props} />;
}

function ReferencesPage({ session, storeId, query }: Props) {
  const name = query.get("name") ?? "";
  const md5 = query.get("md5") ?? "";
  const filterKey = [storeId, name, md5].join("|");
  // tokens[i] is the nextToken that fetched page i (page 0: none)
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const [pageIndex, setPageIndex] = useState(0);
  const token = tokens[pageIndex];

  const page = usePoll(
    async () => {
      const filter = { ...(name ? { name } : {}), ...(md5 ? { md5 } : {}) };
      return omics(session).send(
        new ListReferencesCommand({ referenceStoreId: storeId, maxResults: PAGE, nextToken: token, ...(name || md5 ? { filter } : {}) }),
      );
    },
    [session, filterKey, token],
    0,
    () => false,
  );

  const applyFilter = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    navigate(href(["stores", storeId, "references"], { name: String(form.get("name") ?? "").trim(), md5: String(form.get("md5") ?? "").trim() }));
  };

  const refs = page.data?.references;
  return (
    <main id="main" tabIndex={-1}>
      <StoreNav session={session} storeId={storeId} current="references" />
      <h1>References</h1>
      <form class="filters" onSubmit={applyFilter} key={filterKey} aria-label="Filter references">
        <div>
          <label for="f-name">Name</label>
          <input id="f-name" name="name" value={name} />
        </div>
        <div>
          <label for="f-md5">MD5</label>
          <input id="f-md5" name="md5" value={md5} size={34} />
        </div>
        <button type="submit">Apply filters</button>
        <a href={href(["stores", storeId, "references"])}>Clear</a>
      </form>
      <ErrorBox error={page.error} label="Listing references failed" />
      {page.loading && !refs ? <Loading what="references" /> : null}
      {refs ? (
        refs.length === 0 ? (
          <p class="empty">No references{name || md5 ? " match these filters" : " yet"}.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">ID</th>
                <th scope="col">Status</th>
                <th scope="col">MD5</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {refs.map((r) => (
                <tr key={r.id} data-reference={r.id}>
                  <td>
                    <a href={href(["stores", storeId, "references", r.id!])}>{r.name}</a>
                  </td>
                  <td>
                    <code>{r.id}</code>
                  </td>
                  <td>
                    <Status value={r.status} />
                  </td>
                  <td>
                    <code>{r.md5}</code>
                  </td>
                  <td>
                    <Time value={r.creationTime} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      <nav class="pager" aria-label="Pages of references">
        <button type="button" disabled={pageIndex === 0} onClick={() => setPageIndex((i) => Math.max(0, i - 1))}>
          ← Previous
        </button>
        <span class="page-no">Page {pageIndex + 1}</span>
        <button
          type="button"
          disabled={!page.data?.nextToken}
          onClick={() => {
            const t = page.data?.nextToken;
            if (!t) return;
            setTokens((ts) => [...ts.slice(0, pageIndex + 1), t]);
            setPageIndex((i) => i + 1);
          }}
        >
          Next →
        </button>
      </nav>
    </main>
  );
}
