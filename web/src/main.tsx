import { render } from "preact";
import { useState } from "preact/hooks";
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
      {session ? <Page session={session} /> : <SignIn onSignedIn={setSession} />}
    </>
  );
}

render(<App />, document.getElementById("app")!);
