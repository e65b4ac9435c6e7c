// Errors as the AWS wire has them: status + `x-amzn-ErrorType: <code>` + `{"message": ...}`.
// Codes that are shapes in the model take their HTTP status from the model's
// `error.httpStatusCode`; the others (authentication, as in every AWS service, and routing) are
// listed here. The domain's errors (service/errors.ts) map onto modelled codes in toAwsError.

import { CATALOG_FULL_MESSAGE, isCatalogFull } from "../../catalog/errors.js";
import { DomainError } from "../../service/errors.js";
import { model } from "./model.js";

/** Codes of the model's error shapes. */
type ModelledCode =
  | "ValidationException"
  | "ServiceQuotaExceededException"
  | "AccessDeniedException"
  | "ResourceNotFoundException"
  | "RequestTimeoutException"
  | "ConflictException"
  | "RangeNotSatisfiableException"
  | "ThrottlingException"
  | "InternalServerException";

const UNMODELLED = {
  MissingAuthenticationTokenException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  IncompleteSignatureException: 403,
  UnknownOperationException: 404,
  PayloadTooLargeException: 413,
} as const;

export type ErrorCode = ModelledCode | keyof typeof UNMODELLED;

function statusOf(code: ErrorCode): number {
  if (Object.prototype.hasOwnProperty.call(UNMODELLED, code)) return UNMODELLED[code as keyof typeof UNMODELLED];
  const status = model.shapes[code]?.error?.httpStatusCode;
  if (status === undefined) throw new Error(`error code ${code} is neither in the model nor listed as unmodelled`);
  return status;
}

export class AwsError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
    this.status = statusOf(code);
  }
}
export const validation = (message: string) => new AwsError("ValidationException", message);

const DOMAIN_CODES: Record<DomainError["kind"], ModelledCode> = {
  "not-found": "ResourceNotFoundException",
  conflict: "ConflictException",
  invalid: "ValidationException",
  "quota-exceeded": "ServiceQuotaExceededException",
  "range-not-satisfiable": "RangeNotSatisfiableException",
};

/**
 * The AWS error for a domain error; a catalog that cannot grow is a 500 InternalServerException
 * that says so (docs/api-decisions.md); anything else is passed through (a 500 when serialised).
 */
export function toAwsError(err: unknown): unknown {
  if (err instanceof DomainError) return new AwsError(DOMAIN_CODES[err.kind], err.message);
  if (isCatalogFull(err)) return new AwsError("InternalServerException", CATALOG_FULL_MESSAGE);
  return err;
}
