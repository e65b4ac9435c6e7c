import { GetReferenceStoreCommand, StartReferenceImportJobCommand, type StartReferenceImportJobSourceItem } from "@aws-sdk/client-omics";
import { useEffect, useState } from "preact/hooks";
import { omics } from "../api.js";
import { UPLOAD_AVAILABLE, uploadLocalFile } from "../extensions.js";
import { href, navigate } from "../router.js";
import type { Session } from "../session.js";
import { ErrorBox } from "../ui.js";
import { StoreNav } from "./store-nav.js";

interface SourceRow {
  key: number;
  kind: "s3" | "file";
  sourceFile: string;
  /** local files: each becomes a source of its own */
  files: File[];
  name: string;
  description: string;
  tags: string;
}

let nextKey = 1;
const emptyRow = (): SourceRow => ({ key: nextKey++, kind: "s3", sourceFile: "", files: [], name: "", description: "", tags: "" });

/** How far each local file's upload has got, by file name (shown under the form while it runs). */
type Uploads = { name: string; sent: number; total: number; done: boolean }[];

/** "genomes/GRCh38.fa.gz" → "GRCh38" */
export function nameFromPath(p: string): string {
  const base = p.split(/[/\\]/).pop() ?? "";
  return base.replace(/\.(gz|bgz)$/i, "").replace(/\.(fa|fasta|fna|fas)$/i, "");
}

/** "team=genomics, build=38" → { team: "genomics", build: "38" }; throws naming the bad item */
export function parseTags(text: string, what: string): Record<string, string> | undefined {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new Error(`${what}: "${item}" is not key=value`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

export function StartImport({ session, storeId }: { session: Session; storeId: string }) {
  const [rows, setRows] = useState<SourceRow[]>([emptyRow()]);
  const [roleArn, setRoleArn] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [uploads, setUploads] = useState<Uploads>([]);

  // a plausible role in the store's account (refstore reads no role; AWS requires one)
  useEffect(() => {
    omics(session)
      .send(new GetReferenceStoreCommand({ id: storeId }))
      .then((s) => {
        const account = s.arn?.split(":")[4];
        if (account) setRoleArn((r) => r || `arn:aws:iam::${account}:role/refstore-import`);
      })
      .catch(() => undefined); // StoreNav shows the error
  }, [session, storeId]);

  const update = (key: number, patch: Partial<SourceRow>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setUploads([]);
    try {
      const sources: StartReferenceImportJobSourceItem[] = [];
      // every file's upload is listed first, so that the bars show what is still to come
      const files = rows.flatMap((r) => (r.kind === "file" ? r.files : []));
      let board: Uploads = files.map((f) => ({ name: f.name, sent: 0, total: f.size, done: false }));
      const tick = (i: number, patch: Partial<Uploads[number]>) => {
        board = board.map((u, j) => (j === i ? { ...u, ...patch } : u));
        setUploads(board);
      };
      setUploads(board);
      let fileIndex = 0;
      for (const [i, r] of rows.entries()) {
        const what = `Source ${i + 1}`;
        const tags = parseTags(r.tags, `${what} tags`);
        const item = (sourceFile: string, fallbackName: string) => ({
          sourceFile,
          // one name for several files would repeat: each file is named after itself then
          name: (r.kind === "file" && r.files.length > 1 ? "" : r.name.trim()) || nameFromPath(fallbackName),
          ...(r.description.trim() ? { description: r.description.trim() } : {}),
          ...(tags ? { tags } : {}),
        });
        if (r.kind === "file") {
          if (r.files.length === 0) throw new Error(`${what}: choose a file`);
          for (const file of r.files) {
            const n = fileIndex++;
            const sourceFile = await uploadLocalFile(session, storeId, file, (sent, total) => tick(n, { sent, total }));
            tick(n, { sent: file.size, done: true });
            sources.push(item(sourceFile, file.name));
          }
        } else sources.push(item(r.sourceFile.trim(), r.sourceFile.trim()));
      }
      const out = await omics(session).send(new StartReferenceImportJobCommand({ referenceStoreId: storeId, roleArn: roleArn.trim(), sources }));
      navigate(href(["stores", storeId, "jobs", out.id!]));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" tabIndex={-1}>
      <StoreNav session={session} storeId={storeId} current="import" />
      <h1>Start an import</h1>
      <form onSubmit={submit} class="import-form">
        <label for="roleArn">Role ARN</label>
        <input id="roleArn" required value={roleArn} onInput={(e) => setRoleArn(e.currentTarget.value)} />
        {rows.map((r, i) => (
          <fieldset key={r.key} data-source-row={i}>
            <legend>Source {i + 1}</legend>
            <div class="kind" role="radiogroup" aria-label={`Source ${i + 1} kind`}>
              <label>
                <input type="radio" name={`kind-${r.key}`} checked={r.kind === "s3"} onChange={() => update(r.key, { kind: "s3" })} /> From S3
              </label>
              <label class={UPLOAD_AVAILABLE ? "" : "unavailable"}>
                <input
                  type="radio"
                  name={`kind-${r.key}`}
                  disabled={!UPLOAD_AVAILABLE}
                  checked={r.kind === "file"}
                  onChange={() => update(r.key, { kind: "file" })}
                />{" "}
                Local files{UPLOAD_AVAILABLE ? "" : " (needs the server's upload route, not in this version)"}
              </label>
            </div>
            {r.kind === "s3" ? (
              <>
                <label for={`src-${r.key}`}>S3 URI</label>
                <input
                  id={`src-${r.key}`}
                  required
                  placeholder="s3://bucket/genome.fa"
                  value={r.sourceFile}
                  onInput={(e) => update(r.key, { sourceFile: e.currentTarget.value })}
                />
              </>
            ) : (
              <>
                <label for={`file-${r.key}`}>Files (each is imported as a reference of its own)</label>
                <input
                  id={`file-${r.key}`}
                  type="file"
                  multiple
                  required
                  onChange={(e) => update(r.key, { files: [...(e.currentTarget.files ?? [])] })}
                />
              </>
            )}
            <label for={`name-${r.key}`}>Reference name</label>
            <input
              id={`name-${r.key}`}
              placeholder={nameFromPath(r.kind === "file" ? (r.files[0]?.name ?? "") : r.sourceFile) || "from the file name"}
              value={r.name}
              onInput={(e) => update(r.key, { name: e.currentTarget.value })}
            />
            <label for={`desc-${r.key}`}>Description (optional)</label>
            <input id={`desc-${r.key}`} value={r.description} onInput={(e) => update(r.key, { description: e.currentTarget.value })} />
            <label for={`tags-${r.key}`}>Tags (optional, key=value, comma-separated)</label>
            <input id={`tags-${r.key}`} placeholder="team=genomics, build=38" value={r.tags} onInput={(e) => update(r.key, { tags: e.currentTarget.value })} />
            {rows.length > 1 ? (
              <button type="button" onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}>
                Remove source {i + 1}
              </button>
            ) : null}
          </fieldset>
        ))}
        <p>
          <button type="button" onClick={() => setRows((rs) => [...rs, emptyRow()])} disabled={rows.length >= 100}>
            Add another source
          </button>
        </p>
        {uploads.length > 0 ? (
          <ul class="uploads" aria-label="Uploads">
            {uploads.map((u, i) => (
              <li key={i} data-upload={u.name}>
                <label>
                  {u.name}{" "}
                  <progress max={Math.max(1, u.total)} value={u.sent} aria-label={`Upload of ${u.name}`} />{" "}
                  {u.done ? "uploaded" : `${Math.floor((u.sent / Math.max(1, u.total)) * 100)}%`}
                </label>
              </li>
            ))}
          </ul>
        ) : null}
        <ErrorBox error={error} label="Starting the import failed" />
        <button type="submit" disabled={busy}>
          {busy ? (uploads.some((u) => !u.done) ? "Uploading…" : "Starting…") : `Start import (${rows.length} source${rows.length === 1 ? "" : "s"})`}
        </button>
      </form>
    </main>
  );
}
