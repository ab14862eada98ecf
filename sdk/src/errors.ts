/**
 * Coded errors. Every public function of the SDK throws a `NotaryError` (never a bare `Error`), whose `code` says
 * what went wrong in a way a program can branch on and whose message says what to do about it.
 *
 * Messages never contain private key material or passphrases.
 */

/** Every error code the SDK produces, grouped by area. */
export type NotaryErrorCode =
  // encoding
  | "CANONICAL_JSON_UNSUPPORTED"
  | "ENCODING_INVALID"
  // metadata
  | "METADATA_MALFORMED"
  | "METADATA_EXPIRED"
  | "METADATA_ROLLBACK"
  | "METADATA_HASH_MISMATCH"
  | "METADATA_TOO_LARGE"
  | "METADATA_NOT_FOUND"
  | "METADATA_INVALID_CHANGE"
  | "ROLE_NAME_INVALID"
  | "ROLE_NOT_FOUND"
  | "TARGET_NOT_ALLOWED"
  | "GUN_INVALID"
  // signatures and trust
  | "SIGNATURE_THRESHOLD_NOT_MET"
  | "SIGNATURE_KEY_ID_MISMATCH"
  | "SIGNATURE_UNSUPPORTED_METHOD"
  | "SIGNING_KEY_MISSING"
  | "TRUST_ROOT_MISMATCH"
  | "TRUST_ROOT_ROTATION_FAILED"
  | "TRUST_NO_ANCHOR"
  | "VERIFICATION_FAILED"
  // keys and files
  | "KEY_UNSUPPORTED"
  | "KEY_INVALID"
  | "KEY_PASSPHRASE_REQUIRED"
  | "KEY_PASSPHRASE_INCORRECT"
  | "KEY_FILE_INVALID"
  | "X509_INVALID"
  // remote
  | "HTTP_ERROR"
  | "HTTP_NOT_FOUND"
  | "HTTP_UNAUTHORIZED"
  | "HTTP_TIMEOUT"
  | "HTTP_RESPONSE_TOO_LARGE"
  | "HTTP_SCHEME_MISMATCH"
  | "SERVER_REJECTED"
  | "SERVER_UNAVAILABLE"
  | "SERVER_CANNOT_SIGN"
  | "SERVER_VERSION_CONFLICT"
  | "PUBLISH_CONFLICT"
  | "AUTH_FAILED"
  | "CREDENTIALS_UNAVAILABLE"
  | "REGISTRY_ERROR"
  | "REGISTRY_DIGEST_MISMATCH"
  | "REFERENCE_INVALID"
  | "INPUT_INVALID";

/** Base class of every error thrown by the SDK. */
export class NotaryError<Code extends NotaryErrorCode = NotaryErrorCode> extends Error {
  readonly code: Code;
  /** Structured, non-secret details (role names, key IDs, HTTP status). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: Code, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** True when `e` is a NotaryError, optionally of the given code. */
export function isNotaryError(e: unknown, code?: NotaryErrorCode): e is NotaryError {
  // Compared by shape, not instanceof: the provider host may load the SDK twice (source and built copy). The name
  // keeps out Node's and undici's errors, which also carry a string `code` (ENOENT, ECONNRESET, UND_ERR_…).
  if (!(e instanceof Error) || e.name !== "NotaryError" || typeof (e as { code?: unknown }).code !== "string") return false;
  return code === undefined || (e as NotaryError).code === code;
}
