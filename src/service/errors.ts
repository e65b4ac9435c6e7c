// The domain's errors, in no protocol's words. Each API maps them to its own wire (api/aws:
// ResourceNotFoundException, ConflictException, …; api/ga4gh: 404, 400, 416 …). Anything else a
// service call throws is a fault of refstore's, not of the caller's.

export abstract class DomainError extends Error {
  abstract readonly kind: "not-found" | "conflict" | "invalid" | "quota-exceeded" | "range-not-satisfiable";
}

/** The thing asked for does not exist, or belongs to another account (the same answer, on purpose). */
export class NotFound extends DomainError {
  readonly kind = "not-found";
}

/** The request contradicts the state (a store that still holds references, a reused clientToken). */
export class Conflict extends DomainError {
  readonly kind = "conflict";
}

/** A value the caller gave is wrong; `field` names it as the caller spelled it. */
export class Invalid extends DomainError {
  readonly kind = "invalid";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** An account limit (REFSTORE_MAX_STORES_PER_ACCOUNT) is reached. */
export class QuotaExceeded extends DomainError {
  readonly kind = "quota-exceeded";
}

/** A byte range that starts past the end of what it ranges over. */
export class RangeNotSatisfiable extends DomainError {
  readonly kind = "range-not-satisfiable";
}
