/**
 * Docker registry / notary-server authentication (distribution's `registry/client/auth` protocol): an `Authenticator`
 * answers `401` challenges: `Bearer` (a token from the realm, auth-token.ts) and `Basic`. Tokens are cached per
 * realm/service/scope/identity until they expire (at least 60 s), with one fetch in flight per key, and the challenge
 * is remembered per origin so later requests carry a token from the start. Each request walks the state machine of
 * auth-states.ts: reads (`pull` only) go anonymous first and switch to the credentials after a `401`, as notary's
 * `authRoundTripper` does; writes use the credentials straight away.
 *
 * Credentials come from credentials.ts, challenges are parsed by www-authenticate.ts. Passwords, identity tokens and
 * bearer tokens never appear in error messages or details.
 */
import { NotaryError, isNotaryError } from "../errors.ts";
import type { HttpClient, HttpRequest, HttpResponse } from "./http-types.ts";
import { describeCredentials, type Credentials, type CredentialsProvider } from "./credentials.ts";
import { pickChallenge, type Challenge } from "./www-authenticate.ts";
import { isReadOnlyScope, scopeString, type ScopeSpec } from "./auth-scope.ts";
import { identityOf, nextState, refusedAnonymous, startState } from "./auth-states.ts";
import type { AuthEvent, AuthState, Authorization, Identity } from "./auth-states.ts";
import { credentialsRefused, didNotConverge, noCredentials, noSupportedChallenge } from "./auth-errors.ts";
import { basicAuthorization } from "./auth-token.ts";
import { TokenCache } from "./token-cache.ts";

export { repositoryScope } from "./auth-scope.ts";
export type { ScopeSpec } from "./auth-scope.ts";
export { dockerConfigKey, runCredentialHelper, resolveCredentials, describeCredentials } from "./credentials.ts";
export type { Credentials, CredentialsProvider, ResolveCredentialsOptions } from "./credentials.ts";
export { parseWwwAuthenticate } from "./www-authenticate.ts";
export type { Challenge } from "./www-authenticate.ts";

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

/** Per-request options of `Authenticator.request` / `authedRequest`. */
export interface AuthRequestOptions {
  /**
   * The access the request needs. Repositories use `{ repository: gun, actions: "pull" | "push,pull" | "*" }`.
   * Without it, the scope the server names in its challenge is used.
   */
  scope?: ScopeSpec;
}

/** One request as its attempts see it: the URL parsed, the method upper-case, the scope asked for. */
interface Target {
  req: HttpRequest;
  url: URL;
  method: string;
  requested: string | undefined;
}

/** A refused attempt: the 401 it got, or the token server's refusal of anonymous access. */
type Refused = { event: AuthEvent; scope: string | undefined } & ({ res: HttpResponse } | { error: unknown });
/** One attempt's outcome: a response to hand back, or a refusal for the state machine. */
type Attempt = { response: HttpResponse } | Refused;

/** Attempts per request: enough for challenge → anonymous → credentials → refresh, and a bound on a confused server. */
const MAX_ATTEMPTS = 5;

function pingUrl(url: URL): string | undefined {
  const v2 = url.pathname.indexOf("/v2/");
  if (v2 === -1) return undefined;
  return `${url.origin}${url.pathname.slice(0, v2 + 4)}`;
}

const isRead = (method: string): boolean => method === "GET" || method === "HEAD";

/** The request's headers with `authorization` (any case) replaced by `header`, or removed. */
function withAuthorization(headers: Record<string, string> | undefined, header: string | undefined): Record<string, string> {
  const out = { ...(headers ?? {}) };
  for (const h of Object.keys(out)) if (h.toLowerCase() === "authorization") delete out[h];
  if (header !== undefined) out["Authorization"] = header;
  return out;
}

/**
 * Answers auth challenges for many requests. Reuse one instance per server (and credential set): it holds the token
 * cache, the challenges seen per origin and which scopes needed credentials.
 */
export class Authenticator {
  readonly #opts: AuthenticatorOptions;
  #creds: Promise<Credentials | undefined> | undefined;
  readonly #tokens: TokenCache;
  /** Challenge per ping URL (origin + path up to /v2/) or origin; null when the server answered the ping without one. */
  readonly #challenges = new Map<string, Challenge | null>();
  readonly #pinging = new Map<string, Promise<void>>();
  /** Scopes for which anonymous access was refused, so reads start with credentials. */
  readonly #needsCredentials = new Set<string>();

  constructor(opts: AuthenticatorOptions = {}) {
    this.#opts = opts;
    this.#tokens = new TokenCache({ clientId: opts.clientId ?? "docker", tokenClient: opts.tokenClient, now: () => this.#now() });
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
    return { tokenFetches: this.#tokens.fetches, cachedTokens: this.#tokens.size };
  }

  /** Forgets cached tokens and challenges (credentials stay). */
  clear(): void {
    this.#tokens.drop();
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
          const ch = res.status === 401 ? pickChallenge(res.headers["www-authenticate"]) : undefined;
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

  /**
   * Sends `req` through `client`, answering auth challenges. Non-401 responses are returned as they are (the caller
   * maps them); an authentication problem throws `HTTP_UNAUTHORIZED` (no credentials) or `AUTH_FAILED` (credentials
   * rejected or not granted the scope).
   */
  async request(client: HttpClient, req: HttpRequest, opts: AuthRequestOptions = {}): Promise<HttpResponse> {
    const target: Target = { req, url: new URL(req.url), method: req.method.toUpperCase(), requested: scopeString(opts.scope) };
    const { url, method, requested } = target;
    const key = this.#challengeKey(url);
    if (!this.#challenges.has(key) && !isRead(method)) await this.ping(client, req.url);
    const needsKey = `${key}|${requested ?? ""}`;
    let state = startState({
      readOnly: requested !== undefined ? isReadOnlyScope(requested) : isRead(method),
      anonymousReads: this.#opts.anonymousReads !== false,
      neededCredentials: this.#needsCredentials.has(needsKey),
      challenge: this.#challenges.get(key) ?? undefined,
    });
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const outcome = await this.#attempt(client, target, state);
      if ("response" in outcome) return outcome.response;
      const { event } = outcome;
      if (event.type === "unauthorized") this.#challenges.set(key, event.challenge);
      const hasCredentials = refusedAnonymous(event) && identityOf(state) === "anonymous" && (await this.credentials()) !== undefined;
      const t = nextState(state, event, hasCredentials);
      if ("fail" in t) throw await this.#failure(t.fail, outcome, url);
      if (t.dropToken !== undefined) this.#tokens.drop(t.dropToken);
      if (t.rememberNeedsCredentials) this.#needsCredentials.add(needsKey);
      state = t.to;
    }
    throw didNotConverge(method, url);
  }

  /** One try in `state`: authorize for its challenge (if one is known), send, and read a 401's challenge. */
  async #attempt(client: HttpClient, target: Target, state: AuthState): Promise<Attempt> {
    let sent: Authorization | undefined;
    let scope: string | undefined;
    if (state.challenge !== undefined) {
      scope = target.requested ?? state.challenge.params["scope"];
      try {
        sent = await this.#authorize(client, state.challenge, scope, identityOf(state));
      } catch (e) {
        if (identityOf(state) === "anonymous" && isNotaryError(e, "HTTP_UNAUTHORIZED")) {
          return { event: { type: "tokenRefusedAnonymous" }, scope, error: e };
        }
        throw e;
      }
    }
    const res = await client.request({ ...target.req, headers: withAuthorization(target.req.headers, sent?.header) });
    if (res.status !== 401) return { response: res };
    const challenge = pickChallenge(res.headers["www-authenticate"]);
    if (challenge === undefined) throw noSupportedChallenge(target.method, target.url, res);
    return { event: { type: "unauthorized", challenge, sent }, scope, res };
  }

  /** The error of a state machine that has nothing left to try. */
  async #failure(fail: "noCredentials" | "credentialsRefused", outcome: Refused, url: URL): Promise<unknown> {
    // The token server's own refusal says more than a generic one.
    if (!("res" in outcome)) return outcome.error;
    if (fail === "noCredentials") return noCredentials(url, outcome.scope, outcome.res);
    return credentialsRefused(url, await this.credentials(), outcome.scope, outcome.res);
  }

  /** The Authorization header answering `challenge` as `identity`: Basic, or a Bearer token (token-cache.ts). */
  async #authorize(client: HttpClient, challenge: Challenge, scope: string | undefined, identity: Identity): Promise<Authorization> {
    const creds = identity === "credentials" ? await this.credentials() : undefined;
    const used: Identity = creds === undefined ? "anonymous" : "credentials";
    if (challenge.scheme !== "basic") return this.#tokens.authorize(client, challenge, scope, creds, used);
    if (creds === undefined) return { fromCache: false, used };
    if (creds.kind !== "basic") {
      throw new NotaryError("AUTH_FAILED", `the server asks for Basic authentication but ${describeCredentials(creds)} is an identity token`);
    }
    return { header: basicAuthorization(creds.username, creds.password), fromCache: false, used };
  }
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
