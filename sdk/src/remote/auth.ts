/**
 * Docker registry / notary-server authentication (distribution's `registry/client/auth` protocol): an `Authenticator`
 * answers `401` challenges: `Bearer` (token from the realm: `GET ?service&scope[&account]` with Basic auth, or the
 * OAuth2 `refresh_token` POST for identity tokens) and `Basic`. Tokens are cached per realm/service/scope/identity
 * until they expire (at least 60 s), with one fetch in flight per key, and the challenge is remembered per origin so
 * later requests carry a token from the start. Reads (`pull` only) go anonymous first and switch to the credentials
 * after a `401`, as notary's `authRoundTripper` does; writes use the credentials straight away.
 *
 * Credentials come from credentials.ts, challenges are parsed by www-authenticate.ts. Passwords, identity tokens and
 * bearer tokens never appear in error messages or details.
 */
import { NotaryError, isNotaryError } from "../errors.ts";
import { fromUtf8, toBase64, utf8 } from "../encoding.ts";
import type { HttpClient, HttpRequest, HttpResponse } from "./http.ts";
import { describeCredentials, type Credentials, type CredentialsProvider } from "./credentials.ts";
import { parseWwwAuthenticate, type Challenge } from "./www-authenticate.ts";

export * from "./credentials.ts";
export * from "./www-authenticate.ts";

// ---------------------------------------------------------------------------------------------------------------------
// Scopes

/** What a request needs: a raw scope (`registry:catalog:*`) or a repository and its actions (`pull`, `push,pull`, `*`). */
export type ScopeSpec = string | { repository: string; actions: string | readonly string[] };

/** `repository:<name>:<actions>` as notary and docker build it. */
export function repositoryScope(repository: string, actions: string | readonly string[]): string {
  const a = typeof actions === "string" ? actions : actions.join(",");
  return `repository:${repository}:${a}`;
}

function scopeString(spec: ScopeSpec | undefined): string | undefined {
  if (spec === undefined) return undefined;
  return typeof spec === "string" ? spec : repositoryScope(spec.repository, spec.actions);
}

/** True when every action of the scope is `pull` (the actions are after the last colon). */
function isReadOnlyScope(scope: string): boolean {
  const actions = scope.slice(scope.lastIndexOf(":") + 1).split(",").map((a) => a.trim());
  return actions.length > 0 && actions.every((a) => a === "pull");
}

// ---------------------------------------------------------------------------------------------------------------------
// Authenticator

export interface AuthenticatorOptions {
  /** Credentials, or a provider resolved once on first need (so anonymous reads never run a credential helper). */
  credentials?: Credentials | CredentialsProvider;
  /** Try reads (`pull`-only scopes) anonymously first, as notary does. Default true. */
  anonymousReads?: boolean;
  /** OAuth2 client id sent with refresh-token requests. Default "docker". */
  clientId?: string;
  /** HTTP client for token requests. Default: the client passed to each `request`. */
  tokenClient?: HttpClient;
  /** Clock, in ms since the epoch. */
  now?: () => number;
}

export interface AuthenticatorStats {
  tokenFetches: number;
  cachedTokens: number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

type Identity = "anonymous" | "credentials";

/** What one attempt sent: no header means anonymous Basic (nothing to send). */
interface Authorization {
  header?: string;
  fromCache: boolean;
  used: Identity;
  cacheKey?: string;
}

/** Per-request options of `Authenticator.request` / `authedRequest`. */
export interface AuthRequestOptions {
  /**
   * The access the request needs. Repositories use `{ repository: gun, actions: "pull" | "push,pull" | "*" }`.
   * Without it, the scope the server names in its challenge is used.
   */
  scope?: ScopeSpec;
}

const MIN_TOKEN_LIFETIME_S = 60;
/** Tokens are renewed this long before they expire, so a request never arrives with an expired token. */
const EXPIRY_MARGIN_MS = 5_000;

function pingUrl(url: URL): string | undefined {
  const v2 = url.pathname.indexOf("/v2/");
  if (v2 === -1) return undefined;
  return `${url.origin}${url.pathname.slice(0, v2 + 4)}`;
}

function errorSummary(res: HttpResponse): string {
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

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 1) out = out.split(s).join("***");
  return out;
}

/**
 * Answers auth challenges for many requests. Reuse one instance per server (and credential set): it holds the token
 * cache, the challenges seen per origin and which scopes needed credentials.
 */
export class Authenticator {
  readonly #opts: AuthenticatorOptions;
  #creds: Promise<Credentials | undefined> | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();
  /** Challenge per ping URL (origin + path up to /v2/) or origin; null when the server answered the ping without one. */
  readonly #challenges = new Map<string, Challenge | null>();
  readonly #pinging = new Map<string, Promise<void>>();
  /** Scopes for which anonymous access was refused, so reads start with credentials. */
  readonly #needsCredentials = new Set<string>();
  /** Refresh tokens handed back by token servers, per realm+service. */
  readonly #refreshTokens = new Map<string, string>();
  #tokenFetches = 0;

  constructor(opts: AuthenticatorOptions = {}) {
    this.#opts = opts;
    if (opts.credentials !== undefined && typeof opts.credentials !== "function") {
      this.#creds = Promise.resolve(opts.credentials);
    }
  }

  /** The credentials, resolved once. */
  credentials(): Promise<Credentials | undefined> {
    if (this.#creds === undefined) {
      const provider = this.#opts.credentials;
      this.#creds = typeof provider === "function" ? provider() : Promise.resolve(undefined);
      // A failed resolution is not cached: the next request tries again.
      this.#creds.catch(() => {
        this.#creds = undefined;
      });
    }
    return this.#creds;
  }

  stats(): AuthenticatorStats {
    return { tokenFetches: this.#tokenFetches, cachedTokens: this.#tokens.size };
  }

  /** Forgets cached tokens and challenges (credentials stay). */
  clear(): void {
    this.#tokens.clear();
    this.#challenges.clear();
    this.#needsCredentials.clear();
  }

  #now(): number {
    return (this.#opts.now ?? Date.now)();
  }

  #challengeKey(url: URL): string {
    return pingUrl(url) ?? url.origin;
  }

  /**
   * Learns the server's challenge with `GET <base>/v2/` (what notary and docker do before talking to a server), so
   * that the first real request already carries a token. Called automatically before non-GET requests.
   */
  async ping(client: HttpClient, url: string): Promise<void> {
    const u = new URL(url);
    const key = this.#challengeKey(u);
    if (this.#challenges.has(key)) return;
    let p = this.#pinging.get(key);
    if (p === undefined) {
      const target = pingUrl(u) ?? `${u.origin}/v2/`;
      p = (async () => {
        try {
          const res = await client.request({ method: "GET", url: target, maxBytes: 64 * 1024, retries: 0 });
          const ch = res.status === 401 ? this.#pick(res) : undefined;
          this.#challenges.set(key, ch ?? null);
        } catch {
          /* the real request will report the problem */
        } finally {
          this.#pinging.delete(key);
        }
      })();
      this.#pinging.set(key, p);
    }
    await p;
  }

  #pick(res: HttpResponse): Challenge | undefined {
    const header = res.headers["www-authenticate"];
    if (header === undefined) return undefined;
    const all = parseWwwAuthenticate(header);
    return all.find((c) => c.scheme === "bearer" && c.params["realm"]) ?? all.find((c) => c.scheme === "basic");
  }

  /**
   * Sends `req` through `client`, answering auth challenges. Non-401 responses are returned as they are (the caller
   * maps them); an authentication problem throws `HTTP_UNAUTHORIZED` (no credentials) or `AUTH_FAILED` (credentials
   * rejected or not granted the scope).
   */
  async request(client: HttpClient, req: HttpRequest, opts: AuthRequestOptions = {}): Promise<HttpResponse> {
    const url = new URL(req.url);
    const key = this.#challengeKey(url);
    const method = req.method.toUpperCase();
    const requested = scopeString(opts.scope);
    if (!this.#challenges.has(key) && method !== "GET" && method !== "HEAD") await this.ping(client, req.url);

    let challenge = this.#challenges.get(key) ?? undefined;
    const readOnly = requested !== undefined ? isReadOnlyScope(requested) : method === "GET" || method === "HEAD";
    let identity: Identity =
      readOnly && this.#opts.anonymousReads !== false && !this.#needsCredentials.has(`${key}|${requested ?? ""}`)
        ? "anonymous"
        : "credentials";
    let lastScope: string | undefined;

    for (let round = 0; round < 5; round++) {
      let authorization: Authorization | undefined;
      if (challenge !== undefined) {
        const scope = requested ?? challenge.params["scope"];
        lastScope = scope;
        try {
          authorization = await this.#authorize(client, challenge, scope, identity);
        } catch (e) {
          // The token server refused anonymous access: switch to the credentials, if there are any.
          if (identity === "anonymous" && isNotaryError(e, "HTTP_UNAUTHORIZED") && (await this.credentials()) !== undefined) {
            identity = "credentials";
            this.#needsCredentials.add(`${key}|${requested ?? ""}`);
            continue;
          }
          throw e;
        }
      }
      const headers = { ...(req.headers ?? {}) };
      for (const h of Object.keys(headers)) if (h.toLowerCase() === "authorization") delete headers[h];
      if (authorization?.header !== undefined) headers["Authorization"] = authorization.header;
      const res = await client.request({ ...req, headers });
      if (res.status !== 401) return res;

      const next = this.#pick(res);
      if (next === undefined) {
        throw new NotaryError("HTTP_UNAUTHORIZED", `${method} ${url.origin}${url.pathname} was refused (401) without a supported authentication challenge${suffix(res)}`, {
          details: { status: 401, url: `${url.origin}${url.pathname}` },
        });
      }
      this.#challenges.set(key, next);
      challenge = next;
      if (authorization === undefined) continue; // first challenge: authorize and retry
      if (authorization.fromCache && authorization.cacheKey !== undefined) {
        this.#tokens.delete(authorization.cacheKey); // stale or revoked: fetch a fresh one
        continue;
      }
      if (authorization.used === "anonymous") {
        const creds = await this.credentials();
        if (creds !== undefined && identity === "anonymous") {
          identity = "credentials";
          this.#needsCredentials.add(`${key}|${requested ?? ""}`);
          continue;
        }
        throw new NotaryError(
          "HTTP_UNAUTHORIZED",
          `${url.host} requires authentication for ${lastScope ?? "this request"} and no credentials were found ` +
            `(set NOTARY_AUTH, log in with docker, or pass a username and password)${suffix(res)}`,
          { details: { status: 401, url: `${url.origin}${url.pathname}`, scope: lastScope } },
        );
      }
      const creds = await this.credentials();
      throw new NotaryError(
        "AUTH_FAILED",
        `${url.host} refused ${creds ? describeCredentials(creds) : "the credentials"} for ${lastScope ?? "this request"}: ` +
          `the credentials were not granted that access${suffix(res)}`,
        { details: { status: 401, url: `${url.origin}${url.pathname}`, scope: lastScope } },
      );
    }
    throw new NotaryError("AUTH_FAILED", `${method} ${url.origin}${url.pathname}: authentication did not converge`, {
      details: { url: `${url.origin}${url.pathname}` },
    });
  }

  async #authorize(
    client: HttpClient,
    challenge: Challenge,
    scope: string | undefined,
    identity: Identity,
  ): Promise<Authorization> {
    const creds = identity === "credentials" ? await this.credentials() : undefined;
    const used: Identity = creds === undefined ? "anonymous" : "credentials";
    if (challenge.scheme === "basic") {
      if (creds === undefined) return { fromCache: false, used };
      if (creds.kind !== "basic") {
        throw new NotaryError("AUTH_FAILED", `the server asks for Basic authentication but ${describeCredentials(creds)} is an identity token`);
      }
      return { header: `Basic ${toBase64(utf8(`${creds.username}:${creds.password}`))}`, fromCache: false, used };
    }
    const realm = challenge.params["realm"] ?? "";
    const service = challenge.params["service"] ?? "";
    const cacheKey = `${realm}\n${service}\n${scope ?? ""}\n${used}`;
    const cached = this.#tokens.get(cacheKey);
    if (cached !== undefined && cached.expiresAt - EXPIRY_MARGIN_MS > this.#now()) {
      return { header: `Bearer ${cached.token}`, fromCache: true, used, cacheKey };
    }
    let p = this.#inflight.get(cacheKey);
    if (p === undefined) {
      p = this.#fetchToken(client, realm, service, scope, creds).finally(() => this.#inflight.delete(cacheKey));
      this.#inflight.set(cacheKey, p);
    }
    const tok = await p;
    this.#tokens.set(cacheKey, tok);
    return { header: `Bearer ${tok.token}`, fromCache: false, used, cacheKey };
  }

  async #fetchToken(
    client: HttpClient,
    realm: string,
    service: string,
    scope: string | undefined,
    creds: Credentials | undefined,
  ): Promise<CachedToken> {
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new NotaryError("AUTH_FAILED", `the server's token realm ${JSON.stringify(realm.slice(0, 200))} is not a URL`);
    }
    if (realmUrl.protocol !== "https:" && realmUrl.protocol !== "http:") {
      throw new NotaryError("AUTH_FAILED", `the server's token realm uses ${realmUrl.protocol}, not http(s)`);
    }
    const http = this.#opts.tokenClient ?? client;
    const started = this.#now();
    const where = `${realmUrl.origin}${realmUrl.pathname}`;
    const secrets: string[] = [];
    const refreshKey = `${realm}\n${service}`;
    let res: HttpResponse;
    const refresh =
      creds?.kind === "identityToken" ? (this.#refreshTokens.get(refreshKey) ?? creds.identityToken) : undefined;
    if (refresh !== undefined) {
      secrets.push(refresh);
      const form = new URLSearchParams();
      if (scope !== undefined) form.set("scope", scope);
      form.set("service", service);
      form.set("client_id", this.#opts.clientId ?? "docker");
      form.set("grant_type", "refresh_token");
      form.set("refresh_token", refresh);
      res = await http.request({
        method: "POST",
        url: realmUrl.toString(),
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: form.toString(),
        maxBytes: 1024 * 1024,
      });
    } else {
      const u = new URL(realmUrl);
      if (service !== "") u.searchParams.append("service", service);
      if (scope !== undefined && scope !== "") u.searchParams.append("scope", scope);
      const headers: Record<string, string> = { Accept: "application/json" };
      if (creds?.kind === "basic") {
        secrets.push(creds.password);
        u.searchParams.append("account", creds.username);
        headers["Authorization"] = `Basic ${toBase64(utf8(`${creds.username}:${creds.password}`))}`;
      }
      res = await http.request({ method: "GET", url: u.toString(), headers, maxBytes: 1024 * 1024 });
    }
    this.#tokenFetches++;
    const who = creds === undefined ? "anonymous access" : describeCredentials(creds);
    if (res.status !== 200) {
      const summary = redact(errorSummary(res), secrets);
      const rejected = res.status === 401 || res.status === 403;
      if (rejected && creds === undefined) {
        throw new NotaryError(
          "HTTP_UNAUTHORIZED",
          `token server ${where} refused anonymous access for ${scope ?? service} (HTTP ${res.status}) and no credentials were found` +
            ` (set NOTARY_AUTH, log in with docker, or pass a username and password)${summary ? `: ${summary}` : ""}`,
          { details: { status: res.status, realm: where, scope } },
        );
      }
      throw new NotaryError(
        "AUTH_FAILED",
        rejected
          ? `token server ${where} rejected ${who} for ${scope ?? service} (HTTP ${res.status}): wrong username or password?${summary ? ` Server said: ${summary}` : ""}`
          : `token server ${where} answered HTTP ${res.status} for ${who}${summary ? `: ${summary}` : ""}`,
        { details: { status: res.status, realm: where, scope } },
      );
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
    try {
      body = JSON.parse(fromUtf8(res.body)) as typeof body;
    } catch {
      throw new NotaryError("AUTH_FAILED", `token server ${where} did not answer with JSON`, { details: { realm: where } });
    }
    const token =
      typeof body.access_token === "string" && body.access_token !== ""
        ? body.access_token
        : typeof body.token === "string"
          ? body.token
          : "";
    if (token === "") {
      throw new NotaryError("AUTH_FAILED", `token server ${where} answered without a token`, { details: { realm: where } });
    }
    if (typeof body.refresh_token === "string" && body.refresh_token !== "" && creds?.kind === "identityToken") {
      this.#refreshTokens.set(refreshKey, body.refresh_token);
    }
    const expiresIn =
      typeof body.expires_in === "number" && Number.isFinite(body.expires_in) ? Math.max(body.expires_in, MIN_TOKEN_LIFETIME_S) : MIN_TOKEN_LIFETIME_S;
    return { token, expiresAt: started + expiresIn * 1000 };
  }
}

function suffix(res: HttpResponse): string {
  const s = errorSummary(res);
  return s ? ` (server said: ${s})` : "";
}

/**
 * @example
 * const http = createHttpClient({ ca: "/etc/notary/ca.crt" });
 * const auth = createAuthenticator({ credentials: () => resolveCredentials({ serverUrl }) });
 * const res = await authedRequest(http, auth, { method: "GET", url: `${serverUrl}/v2/${gun}/_trust/tuf/root.json` },
 *   { scope: { repository: gun, actions: "pull" } });
 */
export function createAuthenticator(opts: AuthenticatorOptions = {}): Authenticator {
  return new Authenticator(opts);
}

/**
 * `auth.request(client, req, opts)` as a function: sends `req`, answering 401 challenges with tokens cached in `auth`.
 * Without an authenticator the request is sent as is.
 */
export function authedRequest(
  client: HttpClient,
  auth: Authenticator | undefined,
  req: HttpRequest,
  opts: AuthRequestOptions = {},
): Promise<HttpResponse> {
  if (auth === undefined) return client.request(req);
  return auth.request(client, req, opts);
}
