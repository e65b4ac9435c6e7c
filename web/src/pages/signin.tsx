import { ListReferenceStoresCommand } from "@aws-sdk/client-omics";
import { useState } from "preact/hooks";
import { omics } from "../api.js";
import { saveSession, type Session } from "../session.js";
import { ErrorBox } from "../ui.js";

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [accessKeyId, setKey] = useState("");
  const [secretAccessKey, setSecret] = useState("");
  const [region, setRegion] = useState("us-east-1");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const session: Session = { accessKeyId: accessKeyId.trim(), secretAccessKey, region: region.trim() };
    try {
      // a cheap signed call proves the key before anything is kept
      await omics(session).send(new ListReferenceStoresCommand({ maxResults: 1 }));
      saveSession(session);
      onSignedIn(session);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Sign in</h1>
      <p class="hint">
        The console signs each request in this browser with your key (AWS Signature Version 4). The key stays in this
        tab's session storage and is never sent to the server.
      </p>
      <form onSubmit={submit}>
        <label for="accessKeyId">Access key ID</label>
        <input id="accessKeyId" name="accessKeyId" autoComplete="username" required value={accessKeyId} onInput={(e) => setKey(e.currentTarget.value)} />
        <label for="secretAccessKey">Secret access key</label>
        <input
          id="secretAccessKey"
          name="secretAccessKey"
          type="password"
          autoComplete="current-password"
          required
          value={secretAccessKey}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
        <label for="region">Region</label>
        <input id="region" name="region" required value={region} onInput={(e) => setRegion(e.currentTarget.value)} />
        <ErrorBox error={error} label="Sign-in failed" />
        <button type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
