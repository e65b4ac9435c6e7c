import {
  CreateReferenceStoreCommand,
  DeleteReferenceStoreCommand,
  ListReferenceStoresCommand,
  type ReferenceStoreDetail,
} from "@aws-sdk/client-omics";
import { useState } from "preact/hooks";
import { omics } from "../api.js";
import { href, navigate } from "../router.js";
import type { Session } from "../session.js";
import { ErrorBox, Loading, Time, usePoll } from "../ui.js";

async function allStores(session: Session): Promise<ReferenceStoreDetail[]> {
  const out: ReferenceStoreDetail[] = [];
  let nextToken: string | undefined;
  do {
    const page = await omics(session).send(new ListReferenceStoresCommand({ nextToken, maxResults: 100 }));
    out.push(...(page.referenceStores ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

export function Stores({ session }: { session: Session }) {
  const list = usePoll(() => allStores(session), [session], 0, () => false);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [createError, setCreateError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [deleteError, setDeleteError] = useState<{ id: string; error: unknown } | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setCreateError(null);
    try {
      const out = await omics(session).send(
        new CreateReferenceStoreCommand({ name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) }),
      );
      setName("");
      setDescription("");
      navigate(href(["stores", out.id!, "jobs"]));
    } catch (err) {
      setCreateError(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (id: string) => {
    setDeleteError(null);
    try {
      await omics(session).send(new DeleteReferenceStoreCommand({ id }));
      setConfirming(null);
      list.reload();
    } catch (error) {
      setConfirming(null);
      setDeleteError({ id, error });
    }
  };

  return (
    <main id="main" tabIndex={-1}>
      <h1>Reference stores</h1>
      <ErrorBox error={list.error} label="Listing stores failed" />
      {list.loading && !list.data ? <Loading what="stores" /> : null}
      {list.data ? (
        list.data.length === 0 ? (
          <p>No reference stores yet: create one below.</p>
        ) : (
          <table>
            <caption class="sr">Reference stores of this account</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">ID</th>
                <th scope="col">Description</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="sr">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((s) => (
                <tr key={s.id} data-store={s.id}>
                  <td>
                    <a href={href(["stores", s.id!, "jobs"])}>{s.name}</a>
                  </td>
                  <td>
                    <code>{s.id}</code>
                  </td>
                  <td>{s.description ?? ""}</td>
                  <td>
                    <Time value={s.creationTime} />
                  </td>
                  <td class="actions">
                    <a href={href(["stores", s.id!, "references"])}>References</a>
                    {confirming === s.id ? (
                      <>
                        <button type="button" class="danger" onClick={() => remove(s.id!)}>
                          Confirm delete {s.name}
                        </button>
                        <button type="button" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <button type="button" aria-label={`Delete ${s.name}`} onClick={() => setConfirming(s.id!)}>
                        Delete
                      </button>
                    )}
                    {deleteError && deleteError.id === s.id ? <ErrorBox error={deleteError.error} label={`Deleting ${s.name} failed`} /> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}

      <h2>Create a reference store</h2>
      <form onSubmit={create} class="inline-form">
        <div>
          <label for="store-name">Name</label>
          <input id="store-name" required maxLength={127} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div>
          <label for="store-description">Description (optional)</label>
          <input id="store-description" maxLength={255} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={busy}>
          Create store
        </button>
      </form>
      <ErrorBox error={createError} label="Creating the store failed" />
    </main>
  );
}
