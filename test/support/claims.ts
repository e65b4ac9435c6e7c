// claimJob's answers, for tests: the job it handed out or gave up on, failing on any other kind.

import assert from "node:assert/strict";
import type { Claim, JobRecord } from "../../src/catalog/types.js";

export const NOTHING_TO_CLAIM: Claim = { kind: "none" };

/** The job a claim handed out to run. */
export function claimedJob(claim: Claim): JobRecord {
  assert.equal(claim.kind, "claimed", `expected a claimed job, got ${JSON.stringify(claim)}`);
  return (claim as Extract<Claim, { kind: "claimed" }>).job;
}

/** The job a claim ended instead of handing it out (its attempts were used up). */
export function givenUpJob(claim: Claim): JobRecord {
  assert.equal(claim.kind, "given-up", `expected a given-up job, got ${JSON.stringify(claim)}`);
  return (claim as Extract<Claim, { kind: "given-up" }>).job;
}
