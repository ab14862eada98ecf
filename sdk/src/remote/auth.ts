/**
 * Docker registry / notary-server authentication (distribution's `registry/client/auth` protocol).
 *
 * - `resolveCredentials()` finds credentials the way notary and docker do: explicit values, `NOTARY_AUTH`, then the
 *   docker `config.json` (`credHelpers[host]`, `credsStore`, `auths[host]`), running `docker-credential-<name> get`.
 * - an `Authenticator` answers `401` challenges: `Bearer` (token from the realm: `GET ?service&scope[&account]` with
 *   Basic auth, or the OAuth2 `refresh_token` POST for identity tokens) and `Basic`. Tokens are cached per
 *   realm/service/scope/identity until they expire (at least 60 s), with one fetch in flight per key, and the challenge
 *   is remembered per origin so later requests carry a token from the start.
 * - reads (`pull` only) go anonymous first and switch to the credentials after a `401`, as notary's
 *   `authRoundTripper` does; writes use the credentials straight away.
 *
 * Passwords, identity tokens and bearer tokens never appear in error messages or details.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { NotaryError, isNotaryError } from "../errors.ts";
import { fromUtf8, toBase64, utf8 } from "../encoding.ts";
import type { HttpClient, HttpRequest, HttpResponse } from "./http.ts";

// ---------------------------------------------------------------------------------------------------------------------
// Credentials

/** Credentials for one server. `source` says where they came from, for messages (never the secret itself). */
export type Credentials =
  | { kind: "basic"; username: string; password: string; source: string }
  | { kind: "identityToken"; identityToken: string; username?: string; source: string };

/** Lazily resolved credentials: called at most once per Authenticator, and only when a server asks for them. */
export type CredentialsProvider = () => Promise<Credentials | undefined>;

export interface ResolveCredentialsOptions {
  /** The notary server (or registry) URL the credentials are for. */
  serverUrl: string;
  /**
   * Docker semantics: the image's registry host (`docker.io`, `127.0.0.1:5000`), whose docker credentials are
   * used even when talking to the notary server. Defaults to the host of `serverUrl`.
   */
  registryHost?: string;
  username?: string;
  password?: string;
  /** An explicit identity (refresh) token. */
  identityToken?: string;
  /** Environment to read `NOTARY_AUTH`, `DOCKER_CONFIG`, `HOME` and `PATH` from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Directory holding docker's `config.json`. Default `$DOCKER_CONFIG`, else `~/.docker`. */
  dockerConfigDir?: string;
  /** Ignore `NOTARY_AUTH` (docker does not read it). Default false. */
  skipNotaryAuth?: boolean;
  /** Ignore the docker config. Default false. */
  skipDockerConfig?: boolean;
  /** Time limit for a credential helper. Default 15 000 ms. */
  helperTimeoutMs?: number;
}

const DOCKER_HUB_KEY = "https://index.docker.io/v1/";
const TOKEN_USERNAME = "<token>";

/** Key docker uses for a registry in `config.json` and credential helpers. */
export function dockerConfigKey(host: string): string {
  const h = host.toLowerCase();
  if (h === "docker.io" || h === "index.docker.io" || h === "registry-1.docker.io" || h === DOCKER_HUB_KEY) {
    return DOCKER_HUB_KEY;
  }
  return host;
}

/** docker/cli `ConvertToHostname`: strip the scheme and any path. */
function convertToHostname(s: string): string {
  let h = s;
  if (h.startsWith("http://")) h = h.slice(7);
  else if (h.startsWith("https://")) h = h.slice(8);
  const slash = h.indexOf("/");
  return slash === -1 ? h : h.slice(0, slash);
}

function hostOf(serverUrl: string): string {
  try {
    return new URL(serverUrl).host;
  } catch {
    return convertToHostname(serverUrl);
  }
}

function decodeUserPass(b64: string, what: string): { username: string; password: string } {
  let text: string;
  try {
    text = fromUtf8(new Uint8Array(Buffer.from(b64.trim(), "base64")));
  } catch {
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${what} is not base64 of "user:password"`, { details: { what } });
  }
  const colon = text.indexOf(":");
  if (colon <= 0) throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${what} is not base64 of "user:password"`, { details: { what } });
  return { username: text.slice(0, colon), password: text.slice(colon + 1).replace(/\0+$/, "") };
}

interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, DockerAuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

async function readDockerConfig(dir: string): Promise<{ path: string; config: DockerConfigFile } | undefined> {
  const path = join(dir, "config.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `cannot read docker config ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (text.trim() === "") return undefined;
  try {
    const config = JSON.parse(text) as unknown;
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw new Error("not a JSON object");
    return { path, config: config as DockerConfigFile };
  } catch (e) {
    // JSON.parse messages quote input fragments, which may hold secrets: do not pass them on.
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `docker config ${path} is not valid JSON`, { details: { path } });
  }
}

function findAuthEntry(auths: Record<string, DockerAuthEntry> | undefined, key: string): [string, DockerAuthEntry] | undefined {
  if (auths === undefined || typeof auths !== "object") return undefined;
  const exact = auths[key];
  if (exact !== undefined) return [key, exact];
  const wanted = convertToHostname(key);
  for (const [k, v] of Object.entries(auths)) {
    if (convertToHostname(k) === wanted) return [k, v];
  }
  return undefined;
}

function entryCredentials(entry: DockerAuthEntry, source: string): Credentials | undefined {
  let username = typeof entry.username === "string" ? entry.username : "";
  let password = typeof entry.password === "string" ? entry.password : "";
  if (typeof entry.auth === "string" && entry.auth !== "") {
    ({ username, password } = decodeUserPass(entry.auth, `"auth" in ${source}`));
  }
  if (typeof entry.identitytoken === "string" && entry.identitytoken !== "") {
    return username === ""
      ? { kind: "identityToken", identityToken: entry.identitytoken, source }
      : { kind: "identityToken", identityToken: entry.identitytoken, username, source };
  }
  if (username !== "" && password !== "") return { kind: "basic", username, password, source };
  return undefined;
}

/**
 * Runs `docker-credential-<helper> get` with the server key on stdin. Returns undefined when the helper says it has
 * no credentials for that server.
 */
export async function runCredentialHelper(
  helper: string,
  serverKey: string,
  opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `invalid credential helper name ${JSON.stringify(helper)}`);
  }
  const program = `docker-credential-${helper}`;
  const env = Object.fromEntries(
    Object.entries(opts.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const result = await new Promise<{ stdout: string; stderr: string; error: (Error & { code?: unknown; killed?: boolean }) | null }>(
    (resolve) => {
      const child = execFile(
        program,
        ["get"],
        { env, timeout: opts.timeoutMs ?? 15_000, maxBuffer: 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => resolve({ stdout, stderr, error }),
      );
      child.stdin?.on("error", () => {});
      child.stdin?.end(serverKey);
    },
  );
  const source = `credential helper ${program}`;
  if (result.error !== null) {
    const e = result.error;
    if (e.code === "ENOENT") {
      throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${program} was not found on PATH (named by the docker config)`, {
        details: { helper: program },
      });
    }
    const said = `${result.stdout}\n${result.stderr}`.trim();
    if (/credentials not found/i.test(said)) return undefined;
    const why = e.killed ? "timed out" : `failed (${typeof e.code === "number" ? `exit ${e.code}` : String(e.code)})`;
    // The helper's own error text is shown (shortened); helpers print errors, never the secret, on failure.
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${program} get ${why}: ${said.slice(0, 200)}`, {
      details: { helper: program },
    });
  }
  let parsed: { ServerURL?: unknown; Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    throw new NotaryError("CREDENTIALS_UNAVAILABLE", `${program} get did not print JSON`, { details: { helper: program } });
  }
  const username = typeof parsed.Username === "string" ? parsed.Username : "";
  const secret = typeof parsed.Secret === "string" ? parsed.Secret : "";
  if (secret === "") return undefined;
  if (username === TOKEN_USERNAME) return { kind: "identityToken", identityToken: secret, source };
  if (username === "") return undefined;
  return { kind: "basic", username, password: secret, source };
}

/**
 * Finds credentials for a server, in this order: explicit `username`/`password` (or `identityToken`); `NOTARY_AUTH`
 * (base64 of `user:pass`); docker's `config.json`: `credHelpers[host]`, else `credsStore`, else `auths[host]`
 * (`auth`, `username`/`password`, `identitytoken`). Returns undefined when there are none (anonymous access).
 * The host is `registryHost` when given (docker uses the image registry's credentials for its notary server), else
 * the host of `serverUrl`; `docker.io` is looked up as `https://index.docker.io/v1/`.
 *
 * @example
 * const auth = createAuthenticator({ credentials: () => resolveCredentials({ serverUrl: "https://notary.example:4443" }) });
 */
export async function resolveCredentials(opts: ResolveCredentialsOptions): Promise<Credentials | undefined> {
  const env = opts.env ?? process.env;
  if (opts.identityToken !== undefined && opts.identityToken !== "") {
    return opts.username
      ? { kind: "identityToken", identityToken: opts.identityToken, username: opts.username, source: "explicit identity token" }
      : { kind: "identityToken", identityToken: opts.identityToken, source: "explicit identity token" };
  }
  if (opts.username !== undefined || opts.password !== undefined) {
    if (!opts.username || !opts.password) {
      throw new NotaryError("CREDENTIALS_UNAVAILABLE", "both a username and a password are needed for explicit credentials");
    }
    return { kind: "basic", username: opts.username, password: opts.password, source: "explicit credentials" };
  }
  const notaryAuth = env["NOTARY_AUTH"];
  if (!opts.skipNotaryAuth && notaryAuth !== undefined && notaryAuth !== "") {
    const { username, password } = decodeUserPass(notaryAuth, "NOTARY_AUTH");
    return { kind: "basic", username, password, source: "NOTARY_AUTH" };
  }
  if (opts.skipDockerConfig) return undefined;
  const dir =
    opts.dockerConfigDir ?? (env["DOCKER_CONFIG"] || join(env["HOME"] || homedir(), ".docker"));
  const file = await readDockerConfig(dir);
  if (file === undefined) return undefined;
  const key = dockerConfigKey(opts.registryHost ?? hostOf(opts.serverUrl));
  const { config, path } = file;
  const helperOpts = { env, ...(opts.helperTimeoutMs === undefined ? {} : { timeoutMs: opts.helperTimeoutMs }) };
  const helpers = config.credHelpers;
  if (helpers !== undefined && typeof helpers === "object") {
    const helper = helpers[key] ?? Object.entries(helpers).find(([k]) => convertToHostname(k) === convertToHostname(key))?.[1];
    if (typeof helper === "string" && helper !== "") return runCredentialHelper(helper, key, helperOpts);
  }
  if (typeof config.credsStore === "string" && config.credsStore !== "") {
    // As docker's native store: the helper's answer is final, `auths` entries are only placeholders then.
    return runCredentialHelper(config.credsStore, key, helperOpts);
  }
  const entry = findAuthEntry(config.auths, key);
  if (entry === undefined) return undefined;
  return entryCredentials(entry[1], `${path} auths[${JSON.stringify(entry[0])}]`);
}

/** "user "alice" (from NOTARY_AUTH)": safe for messages. */
export function describeCredentials(c: Credentials): string {
  if (c.kind === "basic") return `user ${JSON.stringify(c.username)} (from ${c.source})`;
  return `identity token${c.username ? ` of user ${JSON.stringify(c.username)}` : ""} (from ${c.source})`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Challenges

export interface Challenge {
  /** Lower-case scheme: "bearer", "basic", … */
  scheme: string;
  /** Lower-case parameter names. */
  params: Record<string, string>;
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Parses a `WWW-Authenticate` value (RFC 7235; several challenges may be comma-separated). */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let cur: Challenge | undefined;
  const s = header;
  const n = s.length;
  let i = 0;
  const isWs = (c: string | undefined) => c === " " || c === "\t";
  while (i < n) {
    while (i < n && (isWs(s[i]) || s[i] === ",")) i++;
    const start = i;
    while (i < n && TCHAR.test(s[i]!)) i++;
    const tok = s.slice(start, i);
    if (tok === "") {
      i++;
      continue;
    }
    let j = i;
    while (j < n && isWs(s[j])) j++;
    if (s[j] === "=" && cur !== undefined) {
      i = j + 1;
      while (i < n && isWs(s[i])) i++;
      let val = "";
      if (s[i] === '"') {
        i++;
        while (i < n && s[i] !== '"') {
          if (s[i] === "\\" && i + 1 < n) i++;
          val += s[i];
          i++;
        }
        i++;
      } else {
        const vs = i;
        while (i < n && s[i] !== "," && !isWs(s[i])) i++;
        val = s.slice(vs, i);
      }
      cur.params[tok.toLowerCase()] = val;
    } else {
      cur = { scheme: tok.toLowerCase(), params: {} };
      out.push(cur);
      i = j;
    }
  }
  return out;
}

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
