/**
 * What went wrong with an HTTP exchange, as coded errors: time-outs, transient network errors (retried for
 * idempotent requests), TLS problems and a plain-HTTP server on a TLS port. URLs in errors lose their credentials and
 * query, and no header ever reaches a message, so `Authorization` values cannot leak through errors.
 */
import { NotaryError, isNotaryError } from "../errors.ts";

/** undici's and Node's codes for a time-out. */
const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);

/** Network errors worth a retry: the next attempt may reach the server. */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

/** Origin and path only: no user, password or query. */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = "";
    url.password = "";
    return `${url.origin}${url.pathname}`;
  } catch {
    return "<invalid url>";
  }
}

/** The first string `code` along the `cause` chain (undici wraps Node's socket errors). */
function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    cur = cur.cause;
  }
  return undefined;
}

/** How one exchange was sent, to name it in an error. */
export interface ExchangeSignals {
  method: string;
  url: string;
  /** The time-out of this attempt, in ms. */
  budget: number;
  timeoutSignal: AbortSignal;
  userSignal: AbortSignal | undefined;
}

/** An exception from undici (or our own error, passed through) as HTTP_TIMEOUT, HTTP_SCHEME_MISMATCH or HTTP_ERROR. */
export function mapError(e: unknown, x: ExchangeSignals): NotaryError {
  if (isNotaryError(e)) return e;
  const code = errorCode(e);
  const where = `${x.method} ${redactUrl(x.url)}`;
  const url = redactUrl(x.url);
  if (x.timeoutSignal.aborted && !(x.userSignal?.aborted ?? false)) {
    return new NotaryError("HTTP_TIMEOUT", `${where} did not complete within ${x.budget} ms`, { cause: e, details: { url, timeoutMs: x.budget } });
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new NotaryError("HTTP_TIMEOUT", `${where} timed out (${code}) within ${x.budget} ms`, {
      cause: e,
      details: { url, timeoutMs: x.budget, errorCode: code },
    });
  }
  if (x.userSignal?.aborted) return new NotaryError("HTTP_ERROR", `${where} was aborted`, { cause: e, details: { url } });
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" && x.url.startsWith("https:")) return schemeMismatch(e, where, url, code);
  const message = e instanceof Error ? e.message : String(e);
  const transient = code !== undefined && TRANSIENT_CODES.has(code);
  const tls = code !== undefined && /CERT|SSL|TLS|SELF_SIGNED|ERR_OSSL|HOSTNAME|UNABLE_TO/.test(code);
  const hint = tls ? " (TLS verification failed: pass the server's CA with `ca`, or a client certificate if it wants one)" : "";
  return new NotaryError("HTTP_ERROR", `${where} failed: ${message}${code ? ` [${code}]` : ""}${hint}`, {
    cause: e,
    details: { url, errorCode: code, transient },
  });
}

/** The TLS handshake met a plain-HTTP server ("wrong version number"): no certificate could help. */
function schemeMismatch(e: unknown, where: string, url: string, code: string): NotaryError {
  const plain = url.replace(/^https:/, "http:").replace(/^(http:\/\/[^/]+).*$/, "$1");
  return new NotaryError(
    "HTTP_SCHEME_MISMATCH",
    `${where} failed: the server does not speak TLS on this port (it answered the TLS handshake as plain HTTP): use ${plain} ` +
      `if it is meant to serve plain HTTP, or the server's TLS port`,
    { cause: e, details: { url, errorCode: code, suggestedUrl: plain, transient: false } },
  );
}

/** A retry (of an idempotent request) may succeed: the network failed on the way. */
export function isTransient(e: unknown): boolean {
  return isNotaryError(e) && e.code === "HTTP_ERROR" && e.details?.["transient"] === true;
}
