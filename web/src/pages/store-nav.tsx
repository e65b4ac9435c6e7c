import { GetReferenceStoreCommand, type GetReferenceStoreResponse } from "@aws-sdk/client-omics";
import { useEffect, useState } from "preact/hooks";
import { omics } from "../api.js";
import { href } from "../router.js";
import type { Session } from "../session.js";
import { ErrorBox } from "../ui.js";

const cache = new Map<string, GetReferenceStoreResponse>();

/** The store's name, breadcrumbs and its tabs; `current` marks the tab of this page. */
export function StoreNav({ session, storeId, current, trail }: { session: Session; storeId: string; current?: string; trail?: string }) {
  const [store, setStore] = useState(cache.get(storeId));
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (cache.has(storeId)) return setStore(cache.get(storeId));
    let gone = false;
    omics(session)
      .send(new GetReferenceStoreCommand({ id: storeId }))
      .then((s) => {
        cache.set(storeId, s);
        if (!gone) setStore(s);
      })
      .catch((err) => !gone && setError(err));
    return () => {
      gone = true;
    };
  }, [session, storeId]);
  const tab = (name: string, label: string) => (
    <a href={href(["stores", storeId, name])} aria-current={current === name ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={href(["stores"])}>Reference stores</a> › <a href={href(["stores", storeId, "jobs"])}>{store?.name ?? storeId}</a>
        {trail ? <> › {trail}</> : null}
      </nav>
      <ErrorBox error={error} label="Reading the store failed" />
      <nav aria-label="Store" class="tabs">
        {tab("jobs", "Import jobs")}
        {tab("import", "Start an import")}
        {tab("references", "References")}
      </nav>
    </>
  );
}
