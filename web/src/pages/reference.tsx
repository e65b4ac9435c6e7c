import { GetReferenceCommand, GetReferenceMetadataCommand, type FileInformation, type GetReferenceMetadataResponse } from "@aws-sdk/client-omics";
import { useEffect, useRef, useState } from "preact/hooks";
import { omics, presignPart } from "../api.js";
import { filesUrls, ga4ghFacts, type SequenceFacts } from "../extensions.js";
import { parseFai } from "../fai.js";
import { href } from "../router.js";
import type { Session } from "../session.js";
import { ErrorBox, Loading, Status, Time, fmtBytes, usePoll } from "../ui.js";
import { StoreNav } from "./store-nav.js";

/** the .fai is read for the sequence table only up to this size (a draft assembly's can be huge) */
const MAX_INDEX_BYTES = 8 * 1024 * 1024;
const SHOWN_SEQUENCES = 500;

type FileKind = "SOURCE" | "INDEX";

interface Facts {
  meta: GetReferenceMetadataResponse;
  gzip: boolean;
  sequences?: SequenceFacts[];
  sequencesNote?: string;
  seqcolDigest?: string;
}

async function readAll(session: Session, storeId: string, id: string, file: FileKind, parts: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let partNumber = 1; partNumber <= parts; partNumber++) {
    const out = await omics(session).send(new GetReferenceCommand({ referenceStoreId: storeId, id, partNumber, file }));
    chunks.push(await out.payload!.transformToByteArray());
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.length) - c.length);
  return all;
}

async function loadFacts(session: Session, storeId: string, id: string): Promise<Facts> {
  const meta = await omics(session).send(new GetReferenceMetadataCommand({ referenceStoreId: storeId, id }));
  // the first two bytes tell a gzip/BGZF source (file name and igv.js need to know)
  const head = await omics(session).send(new GetReferenceCommand({ referenceStoreId: storeId, id, partNumber: 1, file: "SOURCE", range: "bytes=0-1" }));
  const magic = await head.payload!.transformToByteArray();
  const facts: Facts = { meta, gzip: magic[0] === 0x1f && magic[1] === 0x8b };
  const fromServer = await ga4ghFacts(session, storeId, id);
  if (fromServer) {
    facts.sequences = fromServer.sequences;
    facts.seqcolDigest = fromServer.seqcolDigest;
    return facts;
  }
  const index = meta.files?.index;
  if (index?.contentLength !== undefined && index.contentLength <= MAX_INDEX_BYTES) {
    const bytes = await readAll(session, storeId, id, "INDEX", index.totalParts ?? 1);
    facts.sequences = parseFai(new TextDecoder().decode(bytes));
  } else if (index) {
    facts.sequencesNote = `The index is ${fmtBytes(index.contentLength)}: download it below to see every sequence.`;
  }
  return facts;
}

function fileName(name: string, file: FileKind, gzip: boolean): string {
  const base = name.replace(/[^\w.+-]+/g, "_") + (gzip ? ".fa.gz" : ".fa");
  return file === "INDEX" ? base + ".fai" : base;
}

function PartLinks({ session, storeId, id, file, info, name }: { session: Session; storeId: string; id: string; file: FileKind; info: FileInformation; name: string }) {
  const [urls, setUrls] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const parts = info.totalParts ?? 1;
    Promise.all(Array.from({ length: parts }, (_, i) => presignPart(session, storeId, id, file, i + 1)))
      .then(setUrls)
      .catch(setError);
  }, [session, storeId, id, file, info.totalParts]);
  if (error) return <ErrorBox error={error} label="Presigning failed" />;
  if (!urls) return <span>…</span>;
  return (
    <ul class="parts">
      {urls.map((u, i) => (
        <li>
          <a href={u} download={urls.length === 1 ? name : `${name}.part${i + 1}`} data-part={`${file}-${i + 1}`}>
            {urls.length === 1 ? `Download ${name}` : `Part ${i + 1} of ${urls.length}`}
          </a>
        </li>
      ))}
    </ul>
  );
}

function GenomeView({ session, storeId, facts }: { session: Session; storeId: string; facts: Facts }) {
  const div = useRef<HTMLDivElement>(null);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const meta = facts.meta;
  const source = meta.files?.source;
  const whole = filesUrls(storeId, meta.id!, fileName(meta.name ?? meta.id!, "SOURCE", facts.gzip));
  // Without /files, igv.js can read only what one GetReference part holds (Range is per part),
  // and a compressed source needs a .gzi that the AWS API does not serve.
  const why = whole
    ? undefined
    : facts.gzip
      ? "a compressed reference needs the server's /files route (its .gzi), which this server lacks"
      : (source?.totalParts ?? 1) > 1
        ? "a reference of more than one part needs the server's /files route (whole-file ranges), which this server lacks"
        : undefined;

  useEffect(() => {
    if (!open || !div.current) return;
    let browser: unknown;
    let remove: ((b: never) => void) | undefined;
    let gone = false;
    (async () => {
      const urls = whole ?? {
        fasta: await presignPart(session, storeId, meta.id!, "SOURCE", 1),
        index: await presignPart(session, storeId, meta.id!, "INDEX", 1),
      };
      const igv = (await import("igv")).default;
      if (gone || !div.current) return;
      remove = igv.removeBrowser as (b: never) => void;
      const first = facts.sequences?.[0];
      // loadDefaultGenomes is a real option that igv.d.ts does not list
      const options = {
        reference: { id: meta.id!, name: meta.name ?? meta.id!, fastaURL: urls.fasta, indexURL: urls.index },
        ...(first ? { locus: `${first.name}:1-${Math.min(first.length, 200)}` } : {}),
        showNavigation: true,
        // igv.js would fetch its genome list from igv.org: this page talks to its own server only
        loadDefaultGenomes: false,
        tracks: [],
      };
      browser = await igv.createBrowser(div.current, options as Parameters<typeof igv.createBrowser>[1]);
    })().catch((err) => !gone && setError(err));
    return () => {
      gone = true;
      if (browser && remove) remove(browser as never);
      if (div.current) div.current.innerHTML = "";
    };
  }, [open]);

  if (why) return <p class="hint">No genome view: {why}.</p>;
  return (
    <>
      {!open ? (
        <button type="button" onClick={() => setOpen(true)}>
          Open the genome view (igv.js)
        </button>
      ) : (
        <button type="button" onClick={() => setOpen(false)}>
          Close the genome view
        </button>
      )}
      <ErrorBox error={error} label="The genome view failed" />
      {open ? <div ref={div} class="igv" data-testid="igv" /> : null}
    </>
  );
}

export function Reference({ session, storeId, referenceId }: { session: Session; storeId: string; referenceId: string }) {
  const r = usePoll(() => loadFacts(session, storeId, referenceId), [session, storeId, referenceId], 0, () => false);
  const facts = r.data;
  const meta = facts?.meta;
  const name = meta?.name ?? referenceId;
  // per-sequence digests come with the GA4GH routes (extensions.ts ga4ghFacts); the .fai has none
  const digests = facts?.sequences?.some((s) => s.md5 || s.ga4gh) ?? false;
  return (
    <main id="main" tabIndex={-1}>
      <StoreNav session={session} storeId={storeId} current="references" trail={`Reference ${name}`} />
      <h1>
        Reference {name} <code class="small">{referenceId}</code>
      </h1>
      <ErrorBox error={r.error} label="Reading the reference failed" />
      {r.loading && !facts ? <Loading what="the reference" /> : null}
      {meta && facts ? (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <Status value={meta.status} />
            </dd>
            <dt>MD5</dt>
            <dd>
              <code>{meta.md5}</code>
            </dd>
            {facts.seqcolDigest ? (
              <>
                <dt>seqcol digest</dt>
                <dd>
                  <code>{facts.seqcolDigest}</code>
                </dd>
              </>
            ) : null}
            <dt>Description</dt>
            <dd>{meta.description ?? "—"}</dd>
            <dt>ARN</dt>
            <dd>
              <code>{meta.arn}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <Time value={meta.creationTime} />
            </dd>
            <dt>Updated</dt>
            <dd>
              <Time value={meta.updateTime} />
            </dd>
            <dt>Created by</dt>
            <dd>
              {meta.creationType ?? "—"}
              {meta.creationJobId ? (
                <>
                  {" "}
                  job <a href={href(["stores", storeId, "jobs", meta.creationJobId])}>{meta.creationJobId}</a>
                </>
              ) : null}
            </dd>
          </dl>

          <h2>Files</h2>
          <table class="files">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Size</th>
                <th scope="col">Part size</th>
                <th scope="col">Parts</th>
                <th scope="col">Download (presigned, 1 hour)</th>
              </tr>
            </thead>
            <tbody>
              {(
                [
                  ["SOURCE", meta.files?.source],
                  ["INDEX", meta.files?.index],
                ] as const
              ).map(([file, info]) =>
                info ? (
                  <tr data-file={file}>
                    <th scope="row">{file}</th>
                    <td title={`${info.contentLength} bytes`}>{fmtBytes(info.contentLength)}</td>
                    <td>{fmtBytes(info.partSize)}</td>
                    <td>{info.totalParts}</td>
                    <td>
                      {meta.status === "ACTIVE" ? (
                        <PartLinks session={session} storeId={storeId} id={referenceId} file={file} info={info} name={fileName(name, file, facts.gzip)} />
                      ) : (
                        "—"
                      )}
                    </td>
                  </tr>
                ) : null,
              )}
            </tbody>
          </table>

          <h2>Sequences</h2>
          {facts.sequencesNote ? <p class="hint">{facts.sequencesNote}</p> : null}
          {facts.sequences ? (
            <>
              <p>
                {facts.sequences.length} sequence{facts.sequences.length === 1 ? "" : "s"}
                {facts.sequences.length > SHOWN_SEQUENCES ? `, the first ${SHOWN_SEQUENCES} shown` : ""}.
              </p>
              <table class="sequences">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Length</th>
                    {digests ? <th scope="col">MD5</th> : null}
                    {digests ? <th scope="col">SQ. digest</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {facts.sequences.slice(0, SHOWN_SEQUENCES).map((s) => (
                    <tr data-sequence={s.name}>
                      <td>
                        <code>{s.name}</code>
                      </td>
                      <td class="num">{s.length.toLocaleString("en")}</td>
                      {digests ? <td>{s.md5 ? <code>{s.md5}</code> : "—"}</td> : null}
                      {digests ? <td>{s.ga4gh ? <code>{s.ga4gh}</code> : "—"}</td> : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}

          <h2>Genome view</h2>
          {meta.status === "ACTIVE" ? <GenomeView session={session} storeId={storeId} facts={facts} /> : <p class="hint">The reference is not active.</p>}
        </>
      ) : null}
    </main>
  );
}
