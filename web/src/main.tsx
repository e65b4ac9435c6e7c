import { render } from "preact";
import { useErrorBoundary, useState } from "preact/hooks";
import { ErrorBox } from "./ui.js";
import { clearSession, loadSession, type Session } from "./session.js";
import { href, useRoute } from "./router.js";
import { SignIn } from "./pages/signin.js";
import { Stores } from "./pages/stores.js";
import { Jobs } from "./pages/jobs.js";
import { Job } from "./pages/job.js";
import { StartImport } from "./pages/import.js";
import { References } from "./pages/references.js";
import { Reference } from "./pages/reference.js";
import "./style.css";

/** A bug in a page shows its message (and a way out), never a blank page. */
function Guarded({ session }: { session: Session }) {
  const [error, reset] = useErrorBoundary();
  if (error)
    return (
      <main id="main" tabIndex={-1}>
        <h1>Something went wrong on this page</h1>
        <ErrorBox error={error} />
        <p>
          <button type="button" onClick={reset}>
            Try again
          </button>{" "}
          <a href={href(["stores"])}>Go to the reference stores</a>
        </p>
      </main>
    );
  return <Page session={session} />;
}

function Page({ session }: { session: Session }) {
  const route = useRoute();
  const [first, storeId, section, id] = route.parts;
  if (first === "stores" && !storeId) return <Stores session={session} />;
  if (first === "stores" && storeId) {
    if (section === "jobs" && id) return <Job session={session} storeId={storeId} jobId={id} />;
    if (section === "jobs" || !section) return <Jobs session={session} storeId={storeId} query={route.query} />;
    if (section === "import") return <StartImport session={session} storeId={storeId} />;
    if (section === "references" && id) return <Reference session={session} storeId={storeId} referenceId={id} />;
    if (section === "references") return <References session={session} storeId={storeId} query={route.query} />;
  }
  return (
    <main id="main">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{location.hash}</code>. <a href={href(["stores"])}>Go to the reference stores</a>.
      </p>
    </main>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href(["stores"])}>
          refstore <span>console</span>
        </a>
        {session ? (
          <span class="who">
            <span title="access key id">{session.accessKeyId}</span> · {session.region}
            <button
              type="button"
              class="link"
              onClick={() => {
                clearSession();
                setSession(null);
              }}
            >
              Sign out
            </button>
          </span>
        ) : null}
      </header>
      {session ? <Guarded session={session} /> : <SignIn onSignedIn={setSession} />}
    </>
  );
}

render(<App />, document.getElementById("app")!);
