// Who is signed in: the access key and secret the person typed, kept in sessionStorage only
// (gone when the tab closes; never sent to the server except as SigV4 signatures).

export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

const KEY = "refstore.console.session";

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.accessKeyId === "string" && typeof s.secretAccessKey === "string" && typeof s.region === "string")
      return { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, region: s.region };
  } catch {
    // unreadable: treat as signed out
  }
  return null;
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
