/**
 * Bearer tokens per realm/service/scope/identity, kept until shortly before they expire, with one fetch in flight per
 * key, and the refresh tokens token servers hand back to identity tokens (distribution's `tokenHandler`).
 */
import type { HttpClient } from "./http-types.ts";
import type { Credentials } from "./credentials.ts";
import type { Authorization, Identity } from "./auth-states.ts";
import type { Challenge } from "./www-authenticate.ts";
import { parseRealm, readTokenResponse, tokenRequest, type TokenGrant } from "./auth-token.ts";

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface TokenCacheOptions {
  /** OAuth2 client id sent with refresh-token requests. */
  clientId: string;
  /** HTTP client for token requests; else the client of the request being authorized. */
  tokenClient: HttpClient | undefined;
  /** Clock, in ms since the epoch. */
  now: () => number;
}

/** Tokens are renewed this long before they expire, so a request never arrives with an expired token. */
const EXPIRY_MARGIN_MS = 5_000;

export class TokenCache {
  readonly #opts: TokenCacheOptions;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();
  /** Refresh tokens handed back by token servers, per realm+service. */
  readonly #refreshTokens = new Map<string, string>();
  #fetches = 0;

  constructor(opts: TokenCacheOptions) {
    this.#opts = opts;
  }

  get fetches(): number {
    return this.#fetches;
  }

  get size(): number {
    return this.#tokens.size;
  }

  /** Forgets one token (refused by the server) or all of them. */
  drop(cacheKey?: string): void {
    if (cacheKey === undefined) this.#tokens.clear();
    else this.#tokens.delete(cacheKey);
  }

  /** `Bearer <token>` for `challenge` and `scope` as `used`: from the cache while fresh, else fetched (once per key). */
  async authorize(client: HttpClient, challenge: Challenge, scope: string | undefined, creds: Credentials | undefined, used: Identity): Promise<Authorization> {
    const realm = challenge.params["realm"] ?? "";
    const service = challenge.params["service"] ?? "";
    const cacheKey = `${realm}\n${service}\n${scope ?? ""}\n${used}`;
    const cached = this.#tokens.get(cacheKey);
    if (cached !== undefined && cached.expiresAt - EXPIRY_MARGIN_MS > this.#opts.now()) {
      return { header: `Bearer ${cached.token}`, fromCache: true, used, cacheKey };
    }
    let p = this.#inflight.get(cacheKey);
    if (p === undefined) {
      p = this.#fetch(client, realm, service, scope, creds).finally(() => this.#inflight.delete(cacheKey));
      this.#inflight.set(cacheKey, p);
    }
    const tok = await p;
    this.#tokens.set(cacheKey, tok);
    return { header: `Bearer ${tok.token}`, fromCache: false, used, cacheKey };
  }

  /** Asks the realm for a token (auth-token.ts) and keeps a refresh token the server hands back to identity tokens. */
  async #fetch(client: HttpClient, realm: string, service: string, scope: string | undefined, creds: Credentials | undefined): Promise<CachedToken> {
    const realmUrl = parseRealm(realm);
    const http = this.#opts.tokenClient ?? client;
    const started = this.#opts.now();
    const refreshKey = `${realm}\n${service}`;
    const grant: TokenGrant = {
      service,
      scope,
      creds,
      refreshToken: creds?.kind === "identityToken" ? (this.#refreshTokens.get(refreshKey) ?? creds.identityToken) : undefined,
      clientId: this.#opts.clientId,
    };
    const { request, secrets } = tokenRequest(realmUrl, grant);
    const res = await http.request(request);
    this.#fetches++;
    const issued = readTokenResponse(res, realmUrl, grant, secrets);
    if (issued.refreshToken !== undefined && creds?.kind === "identityToken") this.#refreshTokens.set(refreshKey, issued.refreshToken);
    return { token: issued.token, expiresAt: started + issued.expiresIn * 1000 };
  }
}
