/**
 * Token requests to a Bearer challenge's realm (distribution's `registry/client/auth/session.go`): the OAuth2
 * `refresh_token` POST for identity tokens, else `GET ?service&scope[&account]`, with Basic auth when there is a
 * username. The request is built and the answer read here, without I/O; auth.ts sends it and caches the token.
 */
import { NotaryError } from "../errors.ts";
import { fromUtf8, toBase64, utf8 } from "../encoding.ts";
import type { HttpRequest, HttpResponse } from "./http-types.ts";
import { describeCredentials, type Credentials } from "./credentials.ts";
import { errorSummary, redact } from "./auth-errors.ts";

/** distribution's `minimumTokenLifetimeSeconds`. */
const MIN_TOKEN_LIFETIME_S = 60;
/** Token answers are small JSON documents. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

export interface TokenGrant {
  service: string;
  scope: string | undefined;
  creds: Credentials | undefined;
  /** For identity-token credentials: the last refresh token the server handed back, else the identity token. */
  refreshToken: string | undefined;
  /** OAuth2 client id of refresh-token requests. */
  clientId: string;
}

export interface IssuedToken {
  token: string;
  /** Seconds, at least MIN_TOKEN_LIFETIME_S. */
  expiresIn: number;
  /** A new refresh token, when the server handed one back. */
  refreshToken?: string;
}

/** RFC 7617 `Basic base64(user:password)`. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${toBase64(utf8(`${username}:${password}`))}`;
}

/** The realm of a Bearer challenge, which must be an http(s) URL. */
export function parseRealm(realm: string): URL {
  let realmUrl: URL;
  try {
    realmUrl = new URL(realm);
  } catch {
    throw new NotaryError("AUTH_FAILED", `the server's token realm ${JSON.stringify(realm.slice(0, 200))} is not a URL`);
  }
  if (realmUrl.protocol !== "https:" && realmUrl.protocol !== "http:") {
    throw new NotaryError("AUTH_FAILED", `the server's token realm uses ${realmUrl.protocol}, not http(s)`);
  }
  return realmUrl;
}

/** The request that asks `realmUrl` for a token, and the secrets it carries (kept out of error messages). */
export function tokenRequest(realmUrl: URL, g: TokenGrant): { request: HttpRequest; secrets: string[] } {
  return g.refreshToken !== undefined ? refreshTokenRequest(realmUrl, g, g.refreshToken) : tokenGetRequest(realmUrl, g);
}

/** OAuth2 `grant_type=refresh_token` POST (docker's identity tokens). */
function refreshTokenRequest(realmUrl: URL, g: TokenGrant, refresh: string): { request: HttpRequest; secrets: string[] } {
  const form = new URLSearchParams();
  if (g.scope !== undefined) form.set("scope", g.scope);
  form.set("service", g.service);
  form.set("client_id", g.clientId);
  form.set("grant_type", "refresh_token");
  form.set("refresh_token", refresh);
  const request: HttpRequest = {
    method: "POST",
    url: realmUrl.toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: form.toString(),
    maxBytes: MAX_TOKEN_RESPONSE_BYTES,
  };
  return { request, secrets: [refresh] };
}

/** `GET realm?service&scope`, anonymous or with Basic auth and `account` (docker's token GET). */
function tokenGetRequest(realmUrl: URL, g: TokenGrant): { request: HttpRequest; secrets: string[] } {
  const u = new URL(realmUrl);
  if (g.service !== "") u.searchParams.append("service", g.service);
  if (g.scope !== undefined && g.scope !== "") u.searchParams.append("scope", g.scope);
  const headers: Record<string, string> = { Accept: "application/json" };
  const secrets: string[] = [];
  if (g.creds?.kind === "basic") {
    secrets.push(g.creds.password);
    u.searchParams.append("account", g.creds.username);
    headers["Authorization"] = basicAuthorization(g.creds.username, g.creds.password);
  }
  return { request: { method: "GET", url: u.toString(), headers, maxBytes: MAX_TOKEN_RESPONSE_BYTES }, secrets };
}

/** The token in the token server's answer; its refusals become HTTP_UNAUTHORIZED (anonymous) or AUTH_FAILED. */
export function readTokenResponse(res: HttpResponse, realmUrl: URL, g: TokenGrant, secrets: readonly string[]): IssuedToken {
  const where = `${realmUrl.origin}${realmUrl.pathname}`;
  if (res.status !== 200) throw tokenRefused(res, where, g, secrets);
  let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
  try {
    body = JSON.parse(fromUtf8(res.body)) as typeof body;
  } catch {
    throw new NotaryError("AUTH_FAILED", `token server ${where} did not answer with JSON`, { details: { realm: where } });
  }
  // OAuth2 servers answer access_token, docker's token servers token (distribution's getToken).
  const token =
    typeof body.access_token === "string" && body.access_token !== "" ? body.access_token : typeof body.token === "string" ? body.token : "";
  if (token === "") {
    throw new NotaryError("AUTH_FAILED", `token server ${where} answered without a token`, { details: { realm: where } });
  }
  const expiresIn =
    typeof body.expires_in === "number" && Number.isFinite(body.expires_in) ? Math.max(body.expires_in, MIN_TOKEN_LIFETIME_S) : MIN_TOKEN_LIFETIME_S;
  const refreshToken = typeof body.refresh_token === "string" && body.refresh_token !== "" ? body.refresh_token : undefined;
  return { token, expiresIn, ...(refreshToken === undefined ? {} : { refreshToken }) };
}

function tokenRefused(res: HttpResponse, where: string, g: TokenGrant, secrets: readonly string[]): NotaryError {
  const summary = redact(errorSummary(res), secrets);
  const rejected = res.status === 401 || res.status === 403;
  const details = { status: res.status, realm: where, scope: g.scope };
  if (rejected && g.creds === undefined) {
    return new NotaryError(
      "HTTP_UNAUTHORIZED",
      `token server ${where} refused anonymous access for ${g.scope ?? g.service} (HTTP ${res.status}) and no credentials were found` +
        ` (set NOTARY_AUTH, log in with docker, or pass a username and password)${summary ? `: ${summary}` : ""}`,
      { details },
    );
  }
  const who = g.creds === undefined ? "anonymous access" : describeCredentials(g.creds);
  return new NotaryError(
    "AUTH_FAILED",
    rejected
      ? `token server ${where} rejected ${who} for ${g.scope ?? g.service} (HTTP ${res.status}): wrong username or password?${summary ? ` Server said: ${summary}` : ""}`
      : `token server ${where} answered HTTP ${res.status} for ${who}${summary ? `: ${summary}` : ""}`,
    { details },
  );
}
