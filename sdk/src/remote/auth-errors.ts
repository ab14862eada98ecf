/**
 * The errors of registry / notary-server authentication, with what the server said. Passwords, identity tokens and
 * bearer tokens never appear in them: bodies are summarised and known secrets redacted.
 */
import { NotaryError } from "../errors.ts";
import { fromUtf8 } from "../encoding.ts";
import type { HttpResponse } from "./http-types.ts";
import { describeCredentials, type Credentials } from "./credentials.ts";

/** A short summary of an error body: distribution's `errors[]`, OAuth2's `error`/`error_description`, else its text. */
export function errorSummary(res: HttpResponse): string {
  let text: string;
  try {
    text = fromUtf8(res.body.subarray(0, 2048));
  } catch {
    return "";
  }
  try {
    const j = JSON.parse(text) as { errors?: Array<{ message?: unknown; code?: unknown }>; details?: unknown; error?: unknown; error_description?: unknown };
    const parts: string[] = [];
    if (Array.isArray(j.errors)) {
      for (const e of j.errors) {
        if (typeof e.message === "string") parts.push(typeof e.code === "string" ? `${e.code}: ${e.message}` : e.message);
      }
    }
    for (const v of [j.details, j.error, j.error_description]) if (typeof v === "string") parts.push(v);
    if (parts.length > 0) return parts.join("; ").slice(0, 300);
  } catch {
    /* not JSON */
  }
  return text.replace(/\s+/g, " ").trim().slice(0, 200);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 1) out = out.split(s).join("***");
  return out;
}

function suffix(res: HttpResponse): string {
  const s = errorSummary(res);
  return s ? ` (server said: ${s})` : "";
}

const where = (url: URL): string => `${url.origin}${url.pathname}`;

/** A 401 whose `WWW-Authenticate` names neither a Bearer realm nor Basic. */
export function noSupportedChallenge(method: string, url: URL, res: HttpResponse): NotaryError {
  return new NotaryError("HTTP_UNAUTHORIZED", `${method} ${where(url)} was refused (401) without a supported authentication challenge${suffix(res)}`, {
    details: { status: 401, url: where(url) },
  });
}

/** Anonymous access was refused and there are no credentials to try. */
export function noCredentials(url: URL, scope: string | undefined, res: HttpResponse): NotaryError {
  return new NotaryError(
    "HTTP_UNAUTHORIZED",
    `${url.host} requires authentication for ${scope ?? "this request"} and no credentials were found ` +
      `(set NOTARY_AUTH, log in with docker, or pass a username and password)${suffix(res)}`,
    { details: { status: 401, url: where(url), scope } },
  );
}

/** The resource server refused what the credentials obtained. */
export function credentialsRefused(url: URL, creds: Credentials | undefined, scope: string | undefined, res: HttpResponse): NotaryError {
  return new NotaryError(
    "AUTH_FAILED",
    `${url.host} refused ${creds ? describeCredentials(creds) : "the credentials"} for ${scope ?? "this request"}: ` +
      `the credentials were not granted that access${suffix(res)}`,
    { details: { status: 401, url: where(url), scope } },
  );
}

export function didNotConverge(method: string, url: URL): NotaryError {
  return new NotaryError("AUTH_FAILED", `${method} ${where(url)}: authentication did not converge`, {
    details: { url: where(url) },
  });
}
