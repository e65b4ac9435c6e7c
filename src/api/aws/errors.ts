// Errors that reach the wire. The protocol layer turns a ServiceError into
// status + `x-amzn-ErrorType: <code>` + `{"message": ...}`. Codes that are shapes in the model
// take their HTTP status from the model's `error.httpStatusCode`; the authentication codes
// (not modelled, as in every AWS service) are 403.

export type ErrorCode =
  | "ValidationException"
  | "ServiceQuotaExceededException"
  | "AccessDeniedException"
  | "ResourceNotFoundException"
  | "RequestTimeoutException"
  | "ConflictException"
  | "RangeNotSatisfiableException"
  | "ThrottlingException"
  | "InternalServerException"
  // authentication failures, not in the model (the codes AWS services use)
  | "MissingAuthenticationTokenException"
  | "InvalidSignatureException"
  | "UnrecognizedClientException"
  | "IncompleteSignatureException"
  // routing
  | "UnknownOperationException"
  | "PayloadTooLargeException";

export const ERROR_STATUS: Record<ErrorCode, number> = {
  ValidationException: 400,
  ServiceQuotaExceededException: 402,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  RequestTimeoutException: 408,
  ConflictException: 409,
  RangeNotSatisfiableException: 416,
  ThrottlingException: 429,
  InternalServerException: 500,
  MissingAuthenticationTokenException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  IncompleteSignatureException: 403,
  UnknownOperationException: 404,
  PayloadTooLargeException: 413,
};

export class ServiceError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
    this.status = ERROR_STATUS[code];
  }
}

export const validation = (message: string) => new ServiceError("ValidationException", message);
export const notFound = (message: string) => new ServiceError("ResourceNotFoundException", message);
export const conflict = (message: string) => new ServiceError("ConflictException", message);
