/**
 * Token auth as a state machine (remote/auth-states.ts), the token requests and answers (remote/auth-token.ts), and
 * the Authenticator walking the machine over a fake HTTP client (no sockets).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  identityOf,
  nextState,
  refusedAnonymous,
  startState,
  type AuthEvent,
  type AuthState,
  type Authorization,
} from "../../../sdk/src/remote/auth-states.ts";
import { parseRealm, readTokenResponse, tokenRequest, type TokenGrant } from "../../../sdk/src/remote/auth-token.ts";
import { createAuthenticator, type Credentials } from "../../../sdk/src/remote/auth.ts";
import type { HttpClient, HttpRequest, HttpResponse } from "../../../sdk/src/remote/http.ts";

const challenge = { scheme: "bearer", params: { realm: "https://auth.example/token", service: "reg" } };
const other = { scheme: "bearer", params: { realm: "https://auth.example/token", service: "reg", error: "invalid_token" } };
const PASSWORD = "pw-never-shown-42";
const alice: Credentials = { kind: "basic", username: "alice", password: PASSWORD, source: "test" };

const anonymous: AuthState = { name: "anonymous", challenge };
const credentials: AuthState = { name: "credentials", challenge };
const sentAs = (used: "anonymous" | "credentials", fromCache = false): Authorization => ({ header: "Bearer t", fromCache, used, cacheKey: "k" });
const refused = (sent: Authorization | undefined): AuthEvent => ({ type: "unauthorized", challenge: other, sent });

test("startState: reads start anonymous unless told otherwise; writes start with credentials", () => {
  const base = { readOnly: true, anonymousReads: true, neededCredentials: false, challenge: undefined };
  assert.deepEqual(startState(base), { name: "anonymous", challenge: undefined });
  assert.equal(startState({ ...base, readOnly: false }).name, "credentials");
  assert.equal(startState({ ...base, anonymousReads: false }).name, "credentials");
  assert.equal(startState({ ...base, neededCredentials: true }).name, "credentials");
  assert.deepEqual(startState({ ...base, challenge }).challenge, challenge);
});

test("transitions: the table of (state, event) → next state or failure", () => {
  const rows: Array<[what: string, state: AuthState, event: AuthEvent, hasCredentials: boolean, want: unknown]> = [
    ["first challenge: same identity, now answering it", { name: "anonymous", challenge: undefined }, refused(undefined), false, { to: { name: "anonymous", challenge: other } }],
    ["first challenge for a write", { name: "credentials", challenge: undefined }, refused(undefined), true, { to: { name: "credentials", challenge: other } }],
    ["cached anonymous token refused → refresh", anonymous, refused(sentAs("anonymous", true)), true, { to: { name: "refresh", identity: "anonymous", challenge: other }, dropToken: "k" }],
    ["cached credentials token refused → refresh", credentials, refused(sentAs("credentials", true)), true, { to: { name: "refresh", identity: "credentials", challenge: other }, dropToken: "k" }],
    ["anonymous refused, credentials known → credentials", anonymous, refused(sentAs("anonymous")), true, { to: { name: "credentials", challenge: other }, rememberNeedsCredentials: true }],
    ["anonymous refused, no credentials → fail", anonymous, refused(sentAs("anonymous")), false, { fail: "noCredentials" }],
    ["credentials state with none to send, refused → fail", credentials, refused(sentAs("anonymous")), true, { fail: "noCredentials" }],
    ["credentials refused → fail", credentials, refused(sentAs("credentials")), true, { fail: "credentialsRefused" }],
    ["refresh as anonymous, refused again → credentials", { name: "refresh", identity: "anonymous", challenge }, refused(sentAs("anonymous")), true, { to: { name: "credentials", challenge: other }, rememberNeedsCredentials: true }],
    ["refresh as credentials, refused again → fail", { name: "refresh", identity: "credentials", challenge }, refused(sentAs("credentials")), true, { fail: "credentialsRefused" }],
    ["token server refused anonymous access, credentials known → credentials, same challenge", anonymous, { type: "tokenRefusedAnonymous" }, true, { to: { name: "credentials", challenge }, rememberNeedsCredentials: true }],
    ["token server refused anonymous access, no credentials → fail", anonymous, { type: "tokenRefusedAnonymous" }, false, { fail: "noCredentials" }],
  ];
  for (const [what, state, event, hasCredentials, want] of rows) assert.deepEqual(nextState(state, event, hasCredentials), want, what);
});

test("refusedAnonymous and identityOf: when the Authenticator must look for credentials", () => {
  assert.equal(refusedAnonymous({ type: "tokenRefusedAnonymous" }), true);
  assert.equal(refusedAnonymous(refused(sentAs("anonymous"))), true);
  assert.equal(refusedAnonymous(refused(sentAs("anonymous", true))), false, "a stale token is refreshed first");
  assert.equal(refusedAnonymous(refused(sentAs("credentials"))), false);
  assert.equal(refusedAnonymous(refused(undefined)), false);
  assert.equal(identityOf({ name: "refresh", identity: "credentials", challenge }), "credentials");
  assert.equal(identityOf(anonymous), "anonymous");
});

// ---------------------------------------------------------------------------------------------------------------------
// Token requests and answers

const grant = (g: Partial<TokenGrant> = {}): TokenGrant => ({ service: "reg", scope: "repository:a/b:pull", creds: undefined, refreshToken: undefined, clientId: "docker", ...g });
const res = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: {},
  body: new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body)),
  url: "https://auth.example/token",
});
const realm = new URL("https://auth.example/token?x=1");

test("tokenRequest: anonymous GET, Basic GET with account, refresh_token POST", () => {
  const anon = tokenRequest(realm, grant());
  assert.equal(anon.request.method, "GET");
  assert.equal(anon.request.url, "https://auth.example/token?x=1&service=reg&scope=repository%3Aa%2Fb%3Apull");
  assert.deepEqual(anon.request.headers, { Accept: "application/json" });
  assert.deepEqual(anon.secrets, []);

  const basic = tokenRequest(realm, grant({ creds: alice, service: "", scope: "" }));
  assert.equal(basic.request.url, "https://auth.example/token?x=1&account=alice");
  assert.equal(basic.request.headers?.["Authorization"], `Basic ${Buffer.from(`alice:${PASSWORD}`).toString("base64")}`);
  assert.deepEqual(basic.secrets, [PASSWORD]);

  const refresh = tokenRequest(realm, grant({ creds: { kind: "identityToken", identityToken: "it", source: "t" }, refreshToken: "rt-9" }));
  assert.equal(refresh.request.method, "POST");
  assert.equal(refresh.request.url, realm.toString());
  assert.equal(refresh.request.body, "scope=repository%3Aa%2Fb%3Apull&service=reg&client_id=docker&grant_type=refresh_token&refresh_token=rt-9");
  assert.deepEqual(refresh.secrets, ["rt-9"]);
});

test("readTokenResponse: access_token before token, a lifetime of at least 60 s, a new refresh token", () => {
  assert.deepEqual(readTokenResponse(res(200, { token: "t1" }), realm, grant(), []), { token: "t1", expiresIn: 60 });
  assert.deepEqual(readTokenResponse(res(200, { token: "t1", access_token: "a1", expires_in: 3600 }), realm, grant(), []), { token: "a1", expiresIn: 3600 });
  assert.deepEqual(readTokenResponse(res(200, { access_token: "a1", expires_in: 5, refresh_token: "rt-2" }), realm, grant(), []), {
    token: "a1",
    expiresIn: 60,
    refreshToken: "rt-2",
  });
});

test("readTokenResponse: refusals are coded and never show the secrets sent", () => {
  const cases: Array<[HttpResponse, TokenGrant, string, RegExp]> = [
    [res(401, { details: "denied" }), grant(), "HTTP_UNAUTHORIZED", /refused anonymous access for repository:a\/b:pull \(HTTP 401\).*: denied$/],
    [res(401, { details: `bad password ${PASSWORD}` }), grant({ creds: alice }), "AUTH_FAILED", /rejected user "alice" \(from test\) for repository:a\/b:pull \(HTTP 401\): wrong username or password\? Server said: bad password \*\*\*$/],
    [res(500, "oops"), grant(), "AUTH_FAILED", /answered HTTP 500 for anonymous access: oops$/],
    [res(200, "<html>"), grant(), "AUTH_FAILED", /did not answer with JSON/],
    [res(200, { token: "" }), grant(), "AUTH_FAILED", /answered without a token/],
  ];
  for (const [r, g, code, message] of cases) {
    assert.throws(() => readTokenResponse(r, realm, g, g.creds?.kind === "basic" ? [PASSWORD] : []), (e: Error & { code?: string }) => {
      assert.equal(e.code, code);
      assert.match(e.message, message);
      assert.ok(!JSON.stringify({ m: e.message, d: (e as { details?: unknown }).details }).includes(PASSWORD));
      return true;
    });
  }
});

test("parseRealm: only http(s) URLs", () => {
  assert.equal(parseRealm("http://t/token").href, "http://t/token");
  assert.throws(() => parseRealm("not a url"), { code: "AUTH_FAILED", message: /"not a url" is not a URL/ });
  assert.throws(() => parseRealm("ftp://t/token"), { code: "AUTH_FAILED", message: /uses ftp:/ });
});

// ---------------------------------------------------------------------------------------------------------------------
// The Authenticator walking the machine

/** A registry whose `private/` repository needs alice; its token server gives anonymous callers tokens anyway. */
function fakeRegistry(): { client: HttpClient; log: string[] } {
  const log: string[] = [];
  const reply = (status: number, headers: Record<string, string>, body: unknown): HttpResponse => ({
    status,
    headers,
    body: new TextEncoder().encode(JSON.stringify(body)),
    url: "",
  });
  const client: HttpClient = {
    async request(req: HttpRequest) {
      const u = new URL(req.url);
      const auth = req.headers?.["Authorization"];
      log.push(`${req.method} ${u.pathname}${auth ? ` ${auth.split(" ")[0]}` : ""}${u.searchParams.has("account") ? " account" : ""}`);
      if (u.hostname === "auth.example") return reply(200, {}, { token: auth ? "tok-alice" : "tok-anon" });
      if (auth === "Bearer tok-alice") return reply(200, {}, { ok: true });
      const hdr = 'Bearer realm="https://auth.example/token",service="reg",scope="repository:private/app:pull"';
      return reply(401, { "www-authenticate": hdr }, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] });
    },
    stats: () => ({ requests: 0, bytesSent: 0, bytesReceived: 0, connections: 0, retries: 0 }),
    close: async () => {},
  };
  return { client, log };
}

test("Authenticator: a private read walks anonymous → credentials, and later reads start with credentials", async () => {
  const { client, log } = fakeRegistry();
  let resolved = 0;
  const auth = createAuthenticator({ credentials: async () => (resolved++, alice) });
  const url = "https://reg.example/v2/private/app/manifests/v1";
  const scope = { repository: "private/app", actions: "pull" };
  assert.equal((await auth.request(client, { method: "GET", url }, { scope })).status, 200);
  assert.deepEqual(log, [
    "GET /v2/private/app/manifests/v1", // no challenge known yet
    "GET /token", // anonymous token
    "GET /v2/private/app/manifests/v1 Bearer",
    "GET /token Basic account", // anonymous refused: alice's token
    "GET /v2/private/app/manifests/v1 Bearer",
  ]);
  log.length = 0;
  assert.equal((await auth.request(client, { method: "GET", url }, { scope })).status, 200);
  assert.deepEqual(log, ["GET /v2/private/app/manifests/v1 Bearer"], "the credentials' token is reused");
  assert.equal(resolved, 1);
  assert.deepEqual(auth.stats(), { tokenFetches: 2, cachedTokens: 2 });
});

test("Authenticator: without credentials the refusal is HTTP_UNAUTHORIZED naming the scope", async () => {
  const { client } = fakeRegistry();
  const auth = createAuthenticator({ credentials: async () => undefined });
  await assert.rejects(
    auth.request(client, { method: "GET", url: "https://reg.example/v2/private/app/manifests/v1" }, { scope: { repository: "private/app", actions: "pull" } }),
    { code: "HTTP_UNAUTHORIZED", message: /reg\.example requires authentication for repository:private\/app:pull and no credentials were found/ },
  );
});
