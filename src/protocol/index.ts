// Barrel for the protocol layer: routing, request parsing/validation, response/error
// serialization and SigV4 verification. Knows nothing about genomes.
export { ServiceError, ERROR_STATUS, validation, notFound, conflict, type ErrorCode } from "./errors.js";
export { route, splitUrl, routeTable, type RouteMatch } from "./router.js";
export {
  parseRequest,
  validateInput,
  parseByteRange,
  parseRfc3339,
  compilePattern,
  translatePattern,
  codePointLength,
  type ByteRange,
  type Input,
} from "./parse.js";
export { serializeOutput, serializeError, formatTimestamp, type SerializedResponse, type ResponseBody } from "./serialize.js";
export {
  verifySigV4,
  presignUrl,
  parseAmzDate,
  formatAmzDate,
  type SigV4Request,
  type CredentialRecord,
  type CredentialLookup,
  type VerifiedCaller,
  type VerifyOptions,
  type PresignOptions,
} from "./sigv4.js";
