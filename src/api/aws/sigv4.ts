// SigV4 for the AWS API: the protocol-neutral verifier of src/api/auth/sigv4.ts, its failures
// turned into the modelled AWS error codes (all 403).

import { verifySigV4 as verify, SigV4Failure, type SigV4FailureReason, type VerifiedCaller } from "../auth/sigv4.js";
import { AwsError } from "./errors.js";

export {
  formatAmzDate,
  parseAmzDate,
  presignUrl,
  type CredentialLookup,
  type CredentialRecord,
  type PresignOptions,
  type SigV4Request,
  type VerifiedCaller,
  type VerifyOptions,
} from "../auth/sigv4.js";

const CODE: Record<SigV4FailureReason, ConstructorParameters<typeof AwsError>[0]> = {
  missing: "MissingAuthenticationTokenException",
  malformed: "IncompleteSignatureException",
  "unknown-key": "UnrecognizedClientException",
  mismatch: "InvalidSignatureException",
  expired: "AccessDeniedException",
};

/** verifySigV4 of src/api/auth/sigv4.ts, throwing AwsError. */
export async function verifySigV4(...args: Parameters<typeof verify>): Promise<VerifiedCaller> {
  try {
    return await verify(...args);
  } catch (err) {
    if (err instanceof SigV4Failure) throw new AwsError(CODE[err.reason], err.message);
    throw err;
  }
}
