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
  file?: File;
  name: string;
  description: string;
  tags: string;
}

let nextKey = 1;
const emptyRow = (): SourceRow => ({ key: nextKey++, kind: "s3", sourceFile: "", name: "", description: "", tags: "" });

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
    try {
      const sources: StartReferenceImportJobSourceItem[] = [];
      for (const [i, r] of rows.entries()) {
        const what = `Source ${i + 1}`;
        let sourceFile = r.sourceFile.trim();
        if (r.kind === "file") {
          if (!r.file) throw new Error(`${what}: choose a file`);
          sourceFile = await uploadLocalFile(session, storeId, r.file);
        }
        const tags = parseTags(r.tags, `${what} tags`);
        sources.push({
          sourceFile,
          name: r.name.trim() || nameFromPath(sourceFile),
          ...(r.description.trim() ? { description: r.description.trim() } : {}),
          ...(tags ? { tags } : {}),
        });
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
                Local file{UPLOAD_AVAILABLE ? "" : " (needs the server's upload route, not in this version)"}
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
                <label for={`file-${r.key}`}>File</label>
                <input id={`file-${r.key}`} type="file" required onChange={(e) => update(r.key, { file: e.currentTarget.files?.[0] })} />
              </>
            )}
            <label for={`name-${r.key}`}>Reference name</label>
            <input
              id={`name-${r.key}`}
              placeholder={nameFromPath(r.kind === "file" ? (r.file?.name ?? "") : r.sourceFile) || "from the file name"}
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
        <ErrorBox error={error} label="Starting the import failed" />
        <button type="submit" disabled={busy}>
          {busy ? "Starting…" : `Start import (${rows.length} source${rows.length === 1 ? "" : "s"})`}
        </button>
      </form>
    </main>
  );
}
