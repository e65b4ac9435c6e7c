// The start-up sweep's one rule, shared by both stores: a leftover (an S3 multipart upload, a
// disk temporary file) whose key the catalog holds as pending is never touched; one that no
// pending key explains is removed once refstore has seen it for `graceMs`, counted by refstore's
// own clock from the first sweep that saw it. The storage's timestamps are never trusted: some
// S3-compatible servers report one fixed `Initiated` time for every upload (moto: 2010-11-10),
// and a shared filesystem's mtimes come from another host's clock.

/** leftover id → when a sweep first saw it (epoch ms, refstore's clock). */
export type Sightings = Record<string, number>;

export interface SweepPlan<T> {
  leftovers: T[];
  id(t: T): string;
  /** whether a pending key of the catalog explains it */
  explained(t: T): boolean;
  graceMs: number;
  now: number;
  /** the sightings the last sweep saved ({} if none or unreadable) */
  load(): Promise<Sightings>;
  save(s: Sightings): Promise<void>;
  remove(t: T): Promise<void>;
}

export async function sweepLeftovers<T>(plan: SweepPlan<T>): Promise<void> {
  const unexplained = plan.leftovers.filter((t) => !plan.explained(t));
  if (plan.graceMs <= 0) {
    for (const t of unexplained) await plan.remove(t);
    return;
  }
  const seen = await plan.load().catch(() => ({}) as Sightings);
  const next: Sightings = {};
  for (const t of unexplained) {
    const id = plan.id(t);
    const first = typeof seen[id] === "number" && seen[id] <= plan.now ? seen[id] : plan.now;
    if (plan.now - first >= plan.graceMs) await plan.remove(t);
    else next[id] = first;
  }
  // leftovers gone since (committed, aborted, removed) drop out of the record
  if (Object.keys(next).length > 0 || Object.keys(seen).length > 0) await plan.save(next);
}

export function parseSightings(text: string): Sightings {
  const v: unknown = JSON.parse(text);
  const out: Sightings = {};
  if (typeof v === "object" && v !== null && !Array.isArray(v))
    for (const [k, t] of Object.entries(v)) if (typeof t === "number" && Number.isFinite(t)) out[k] = t;
  return out;
}
