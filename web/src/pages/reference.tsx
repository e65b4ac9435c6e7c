import { GetReferenceCommand, GetReferenceMetadataCommand, type FileInformation, type GetReferenceMetadataResponse } from "@aws-sdk/client-omics";
import { useEffect, useRef, useState } from "preact/hooks";
import { omics, presignPart } from "../api.js";
import { filesUrls, ga4ghFacts, type ReferenceIdentifiers } from "../extensions.js";
import { href } from "../router.js";
import type { Session } from "../session.js";
import { ErrorBox, Loading, Status, Time, fmtBytes, usePoll } from "../ui.js";
import { StoreNav } from "./store-nav.js";

const SHOWN_SEQUENCES = 500;

type FileKind = "SOURCE" | "INDEX";

interface Facts {
  meta: GetReferenceMetadataResponse;
  gzip: boolean;
  ids: ReferenceIdentifiers;
}

async function loadFacts(session: Session, storeId: string, id: string): Promise<Facts> {
  const [meta, ids] = await Promise.all([
    omics(session).send(new GetReferenceMetadataCommand({ referenceStoreId: storeId, id })),
    ga4ghFacts(session, storeId, id),
  ]);
  // the first two bytes tell a gzip/BGZF source (file name and igv.js need to know)
  const head = await omics(session).send(new GetReferenceCommand({ referenceStoreId: storeId, id, partNumber: 1, file: "SOURCE", range: "bytes=0-1" }));
  const magic = await head.payload!.transformToByteArray();
  return { meta, ids, gzip: magic[0] === 0x1f && magic[1] === 0x8b };
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
  const whole = filesUrls(facts.ids);
  // Without /files, igv.js can read only what one GetReference part holds (Range is per part),
  // and a compressed source needs a .gzi that the AWS API does not serve.
  const lacking =
    facts.ids.ga4ghAccess === "off"
      ? "the server's /files route, which is off on this server (REFSTORE_GA4GH_ACCESS=off)"
      : "the server's /files route, which wants a bearer token this page does not hold (REFSTORE_GA4GH_ACCESS=signed)";
  // igv.js 3.8.10's alias table throws on NCBI names with a version (`gi|…|gb|X.1|`): a bug in
  // ChromAliasDefaults.update (`const alias = alias.substring(…)`), not in the files
  const igvTrap = facts.ids.sequences.find((s) => s.name.startsWith("gi|") && s.name.includes("."));
  const why = igvTrap
    ? `igv.js (3.8) cannot load sequence names of NCBI's gi|…| form with a version, such as ${igvTrap.name}`
    : whole
      ? undefined
      : facts.gzip
        ? `a compressed reference needs its .gzi from ${lacking}`
        : (source?.totalParts ?? 1) > 1
          ? `a reference of more than one part needs whole-file ranges from ${lacking}`
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
      const first = facts.ids.sequences[0];
      const gzi = whole?.gzi;
      // loadDefaultGenomes is a real option that igv.d.ts does not list
      const options = {
        reference: { id: meta.id!, name: meta.name ?? meta.id!, fastaURL: urls.fasta, indexURL: urls.index, ...(gzi ? { compressedIndexURL: gzi } : {}) },
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
      <p class="hint" data-testid="igv-source">
        igv.js reads {whole ? "the whole-file /files URLs (Range)" : "presigned GetReference URLs of part 1 (the /files route is not open to this page)"}.
      </p>
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

/** Where the genomics tools find the reference: /files (samtools, igv.js, GATK), seqcol, refget. */
function Ga4ghLinks({ ids }: { ids: ReferenceIdentifiers }) {
  const p = ids.paths;
  if (!p)
    return (
      <p class="hint">
        {ids.ga4ghAccess === "off" ? "The GA4GH routes are off on this server (REFSTORE_GA4GH_ACCESS=off)." : "The GA4GH routes serve active references only."}
      </p>
    );
  const url = (path: string) => new URL(path, location.origin).href;
  const rows: [string, string][] = [
    ["FASTA (samtools faidx, igv.js)", p.source],
    ["index (.fai)", p.index],
    ...(p.gzi ? ([["BGZF index (.gzi)", p.gzi]] as [string, string][]) : []),
    ["sequence dictionary (.dict, for GATK)", p.dict],
    ["sequence collection (seqcol)", p.seqcol],
  ];
  return (
    <>
      {ids.ga4ghAccess === "signed" ? <p class="hint">These routes want <code>Authorization: Bearer &lt;token&gt;</code> (REFSTORE_GA4GH_ACCESS=signed).</p> : null}
      <dl class="facts ga4gh">
        {rows.map(([label, path]) => (
          <>
            <dt>{label}</dt>
            <dd>
              <a href={path} data-ga4gh={label}>
                <code>{url(path)}</code>
              </a>
            </dd>
          </>
        ))}
      </dl>
    </>
  );
}

export function Reference({ session, storeId, referenceId }: { session: Session; storeId: string; referenceId: string }) {
  const r = usePoll(() => loadFacts(session, storeId, referenceId), [session, storeId, referenceId], 0, () => false);
  const facts = r.data;
  const meta = facts?.meta;
  const name = meta?.name ?? referenceId;
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
            <dt>seqcol digest</dt>
            <dd>
              <code data-testid="seqcol-digest">{facts.ids.seqcolDigest}</code>
            </dd>
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
          <p>
            {facts.ids.sequences.length} sequence{facts.ids.sequences.length === 1 ? "" : "s"}
            {facts.ids.sequences.length > SHOWN_SEQUENCES ? `, the first ${SHOWN_SEQUENCES} shown` : ""}.
          </p>
          <table class="sequences">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Length</th>
                <th scope="col">MD5</th>
                <th scope="col">SQ. digest</th>
                {facts.ids.paths ? <th scope="col">refget</th> : null}
              </tr>
            </thead>
            <tbody>
              {facts.ids.sequences.slice(0, SHOWN_SEQUENCES).map((s) => (
                <tr data-sequence={s.name}>
                  <td>
                    <code>{s.name}</code>
                  </td>
                  <td class="num">{s.length.toLocaleString("en")}</td>
                  <td>
                    <code>{s.md5}</code>
                  </td>
                  <td>
                    <code>{s.ga4gh}</code>
                  </td>
                  {facts.ids.paths ? <td>{s.refget ? (
                        <>
                          <a href={s.refget}>bases</a> · <a href={`${s.refget}/metadata`}>metadata</a>
                        </>
                      ) : (
                        "—"
                      )}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>

          <h2>GA4GH</h2>
          <Ga4ghLinks ids={facts.ids} />

          <h2>Genome view</h2>
          {meta.status === "ACTIVE" ? <GenomeView session={session} storeId={storeId} facts={facts} /> : <p class="hint">The reference is not active.</p>}
        </>
      ) : null}
    </main>
  );
}
