import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createHttpClient } from "../../sdk/src/remote/http.ts";
import {
  authedRequest,
  createAuthenticator,
  dockerConfigKey,
  parseWwwAuthenticate,
  repositoryScope,
  resolveCredentials,
} from "../../sdk/src/remote/auth.ts";
import type { Credentials } from "../../sdk/src/remote/auth.ts";
import { isNotaryError } from "../../sdk/src/errors.ts";

const PASSWORD = "s3cret-pa55";

interface TokenCall {
  method: string;
  query: URLSearchParams;
  form: URLSearchParams | undefined;
  user: string | undefined;
}

/**
 * A token issuer plus a resource server in one node:http server. Tokens are opaque strings naming the granted scope;
 * anonymous callers get `pull` only (nothing for `private/…`, a 401 for `locked/…`), `alice`/PASSWORD gets
 * everything, refresh token "rt-1" (and its successor "rt-2") too.
 */
async function fakeStack(opts: { expiresIn?: number; basic?: boolean } = {}) {
  const tokenCalls: TokenCall[] = [];
  const resourceCalls: Array<{ method: string; path: string; auth: string | undefined }> = [];
  const valid = new Set<string>();
  let n = 0;
  let base = "";
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const u = new URL(req.url ?? "/", "http://x");
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
      if (u.pathname === "/token") {
        const form = req.method === "POST" ? new URLSearchParams(Buffer.concat(chunks).toString()) : undefined;
        let user: string | undefined;
        if (req.headers.authorization === undefined && /:locked\//.test(u.searchParams.get("scope") ?? "")) {
          tokenCalls.push({ method: req.method ?? "", query: u.searchParams, form: undefined, user: undefined });
          return json(401, { details: "anonymous access denied" });
        }
        const m = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
        if (m) {
          const [u2, p] = Buffer.from(m[1]!, "base64").toString().split(":");
          if (p !== PASSWORD) {
            tokenCalls.push({ method: req.method ?? "", query: u.searchParams, form, user: u2 });
            return json(401, { details: `incorrect username or password for ${u2}` });
          }
          user = u2;
        }
        tokenCalls.push({ method: req.method ?? "", query: u.searchParams, form, user });
        let scope = u.searchParams.get("scope") ?? "";
        let refresh: string | undefined;
        if (form) {
          if (form.get("grant_type") !== "refresh_token") return json(400, { error: "unsupported_grant_type" });
          const rt = form.get("refresh_token");
          if (rt !== "rt-1" && rt !== "rt-2") return json(401, { error: "invalid_grant" });
          user = "alice";
          scope = form.get("scope") ?? "";
          refresh = "rt-2";
        }
        const actions = scope.slice(scope.lastIndexOf(":") + 1);
        const granted = user
          ? scope
          : actions.split(",").includes("pull") && !scope.includes(":private/")
            ? `${scope.slice(0, scope.lastIndexOf(":"))}:pull`
            : `${scope.slice(0, scope.lastIndexOf(":"))}:`;
        const token = `tok-${++n}|${granted}`;
        valid.add(token);
        const body: Record<string, unknown> = form ? { access_token: token } : { token };
        if (opts.expiresIn !== undefined) body["expires_in"] = opts.expiresIn;
        if (refresh) body["refresh_token"] = refresh;
        return json(200, body);
      }
      // resource server: /v2/ needs catalog, /v2/<repo>/read needs pull, POST /v2/<repo>/write needs push,pull
      resourceCalls.push({ method: req.method ?? "", path: u.pathname, auth: req.headers.authorization });
      const mm = /^\/v2\/(.+)\/(read|write)$/.exec(u.pathname);
      const repo = mm?.[1] ?? "";
      const need = u.pathname === "/v2/" ? "registry:catalog:*" : mm?.[2] === "write" ? `repository:${repo}:push,pull` : `repository:${repo}:pull`;
      const authz = req.headers.authorization ?? "";
      if (opts.basic) {
        if (authz === `Basic ${Buffer.from(`alice:${PASSWORD}`).toString("base64")}`) return json(200, { ok: true });
        return json(401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }, { "www-authenticate": 'Basic realm="fake"' });
      }
      const token = authz.startsWith("Bearer ") ? authz.slice(7) : "";
      const granted = valid.has(token) ? token.slice(token.indexOf("|") + 1) : "";
      const grantedActions = granted.slice(granted.lastIndexOf(":") + 1).split(",");
      const sameResource = granted.slice(0, granted.lastIndexOf(":")) === need.slice(0, need.lastIndexOf(":"));
      const ok = granted === need || (need.endsWith(":pull") && sameResource && grantedActions.includes("pull"));
      if (ok) return json(200, { ok: true, path: u.pathname });
      const err = token === "" ? "" : valid.has(token) ? ',error="insufficient_scope"' : ',error="invalid_token"';
      return json(401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }, {
        "www-authenticate": `Bearer realm="${base}/token",service="fake-svc",scope="${need}"${err}`,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    tokenCalls,
    resourceCalls,
    revokeAll: () => valid.clear(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const alice: Credentials = { kind: "basic", username: "alice", password: PASSWORD, source: "test" };

test("parseWwwAuthenticate: bearer params, quoting, several challenges", () => {
  assert.deepEqual(
    parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'),
    [{ scheme: "bearer", params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:a/b:pull,push" } }],
  );
  assert.deepEqual(parseWwwAuthenticate('Basic realm="x \\"y\\"", Bearer realm=http://t/token, service=s'), [
    { scheme: "basic", params: { realm: 'x "y"' } },
    { scheme: "bearer", params: { realm: "http://t/token", service: "s" } },
  ]);
  assert.deepEqual(parseWwwAuthenticate("Basic"), [{ scheme: "basic", params: {} }]);
  assert.deepEqual(parseWwwAuthenticate(""), []);
});

test("repositoryScope and dockerConfigKey", () => {
  assert.equal(repositoryScope("127.0.0.1:5000/a/b", ["push", "pull"]), "repository:127.0.0.1:5000/a/b:push,pull");
  assert.equal(repositoryScope("x", "*"), "repository:x:*");
  assert.equal(dockerConfigKey("docker.io"), "https://index.docker.io/v1/");
  assert.equal(dockerConfigKey("127.0.0.1:5000"), "127.0.0.1:5000");
});

test("anonymous read: one token fetch, then the challenge and token are reused without a 401", async (t) => {
  const s = await fakeStack();
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  let providerCalls = 0;
  const auth = createAuthenticator({
    credentials: async () => {
      providerCalls++;
      return alice;
    },
  });
  const scope = { repository: "example.com/app", actions: "pull" };
  const r1 = await authedRequest(client, auth, { method: "GET", url: `${s.base}/v2/example.com/app/read` }, { scope });
  assert.equal(r1.status, 200);
  const r2 = await authedRequest(client, auth, { method: "GET", url: `${s.base}/v2/example.com/app/read` }, { scope });
  assert.equal(r2.status, 200);
  assert.equal(s.tokenCalls.length, 1);
  assert.equal(s.tokenCalls[0]!.user, undefined);
  assert.equal(s.tokenCalls[0]!.query.get("scope"), "repository:example.com/app:pull");
  assert.equal(s.tokenCalls[0]!.query.get("service"), "fake-svc");
  assert.equal(s.tokenCalls[0]!.query.get("account"), null);
  assert.deepEqual(
    s.resourceCalls.map((c) => c.auth === undefined),
    [true, false, false],
  );
  assert.equal(providerCalls, 0, "credentials are not resolved for anonymous reads");
});

test("write: pings /v2/ first, then fetches a push,pull token with Basic auth and account", async (t) => {
  const s = await fakeStack();
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator({ credentials: alice });
  const res = await auth.request(
    client,
    { method: "POST", url: `${s.base}/v2/example.com/app/write`, body: "data" },
    { scope: { repository: "example.com/app", actions: "push,pull" } },
  );
  assert.equal(res.status, 200);
  assert.deepEqual(
    s.resourceCalls.map((c) => `${c.method} ${c.path} ${c.auth ? "auth" : "-"}`),
    ["GET /v2/ -", "POST /v2/example.com/app/write auth"],
  );
  assert.equal(s.tokenCalls.length, 1);
  assert.equal(s.tokenCalls[0]!.user, "alice");
  assert.equal(s.tokenCalls[0]!.query.get("account"), "alice");
  assert.equal(s.tokenCalls[0]!.query.get("scope"), "repository:example.com/app:push,pull");
});

test("read of a private repository: anonymous token first, credentials after the 401; later reads start with credentials", async (t) => {
  const s = await fakeStack();
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator({ credentials: alice });
  const scope = { repository: "private/app", actions: "pull" };
  const get = () => auth.request(client, { method: "GET", url: `${s.base}/v2/private/app/read` }, { scope });
  assert.equal((await get()).status, 200);
  assert.equal(s.tokenCalls.map((c) => c.user ?? "anon").join(","), "anon,alice");
  assert.deepEqual(s.resourceCalls.map((c) => c.auth === undefined ? "-" : "bearer"), ["-", "bearer", "bearer"]);
  s.resourceCalls.length = 0;
  assert.equal((await get()).status, 200);
  assert.deepEqual(s.resourceCalls.map((c) => c.auth === undefined ? "-" : "bearer"), ["bearer"]);
  assert.equal(s.tokenCalls.length, 2);
  // without credentials the same read is HTTP_UNAUTHORIZED
  const anon = createAuthenticator();
  await assert.rejects(
    anon.request(client, { method: "GET", url: `${s.base}/v2/private/app/read` }, { scope }),
    (e) => isNotaryError(e, "HTTP_UNAUTHORIZED") && /no credentials/.test((e as Error).message),
  );
});

test("reads escalate to credentials when the token server refuses anonymous access", async (t) => {
  const s = await fakeStack();
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator({ credentials: alice });
  const scope = { repository: "locked/app", actions: "pull" };
  const res = await auth.request(client, { method: "GET", url: `${s.base}/v2/locked/app/read` }, { scope });
  assert.equal(res.status, 200);
  assert.equal(s.tokenCalls.map((c) => c.user ?? "anon").join(","), "anon,alice");
});

test("credentials that are not granted the scope → AUTH_FAILED", async (t) => {
  const s = await fakeStack();
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator({ credentials: alice });
  // the caller under-states the scope (pull) for a route that needs push,pull
  const err = await auth
    .request(client, { method: "GET", url: `${s.base}/v2/example.com/app/write` }, { scope: { repository: "example.com/app", actions: "pull" } })
    .catch((e: unknown) => e);
  assert.ok(isNotaryError(err, "AUTH_FAILED"), String(err));
  assert.match((err as Error).message, /"alice".*repository:example\.com\/app:pull/);
  assert.equal(s.tokenCalls.map((c) => c.user ?? "anon").join(","), "anon,alice");
  // without a stated scope, the one in the challenge is used
  const ok = await auth.request(client, { method: "GET", url: `${s.base}/v2/example.com/app/write` });
  assert.equal(ok.status, 200);
});

test("no credentials for a write → HTTP_UNAUTHORIZED that says how to give some", async (t) => {
  const s = await fakeStack();
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator({ credentials: async () => undefined });
  await assert.rejects(
    auth.request(client, { method: "POST", url: `${s.base}/v2/example.com/app/write`, body: "x" }, { scope: { repository: "example.com/app", actions: "push,pull" } }),
    (e) => isNotaryError(e, "HTTP_UNAUTHORIZED") && /NOTARY_AUTH/.test((e as Error).message),
  );
});

test("wrong password → AUTH_FAILED naming user and source, never the password", async (t) => {
  const s = await fakeStack();
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const wrong = "wrong-horse-battery";
  const auth = createAuthenticator({ credentials: { kind: "basic", username: "alice", password: wrong, source: "NOTARY_AUTH" } });
  const err = await auth
    .request(client, { method: "POST", url: `${s.base}/v2/example.com/app/write`, body: "x" }, { scope: { repository: "example.com/app", actions: "push,pull" } })
    .catch((e: unknown) => e);
  assert.ok(isNotaryError(err, "AUTH_FAILED"), String(err));
  const text = `${(err as Error).message} ${JSON.stringify((err as { details?: unknown }).details)}`;
  assert.match(text, /"alice"/);
  assert.match(text, /NOTARY_AUTH/);
  assert.match(text, /401/);
  assert.ok(!text.includes(wrong));
  assert.ok(!text.includes(Buffer.from(`alice:${wrong}`).toString("base64")));
});

test("concurrent requests share one token fetch per scope", async (t) => {
  const s = await fakeStack();
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator();
  // learn the challenge first (one 401), then 20 parallel requests
  await auth.ping(client, `${s.base}/v2/example.com/app/read`);
  const scope = { repository: "example.com/app", actions: "pull" };
  const results = await Promise.all(
    Array.from({ length: 20 }, () => auth.request(client, { method: "GET", url: `${s.base}/v2/example.com/app/read` }, { scope })),
  );
  assert.ok(results.every((r) => r.status === 200));
  assert.equal(s.tokenCalls.length, 1);
  assert.equal(auth.stats().tokenFetches, 1);
  // a different scope gets its own token
  await auth.request(client, { method: "GET", url: `${s.base}/v2/other/read` }, { scope: { repository: "other", actions: "pull" } });
  assert.equal(s.tokenCalls.length, 2);
});

test("tokens live at least 60 s and are refetched after expiry", async (t) => {
  const s = await fakeStack({ expiresIn: 5 });
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  let now = 1_000_000;
  const auth = createAuthenticator({ now: () => now });
  const scope = { repository: "r", actions: "pull" };
  const get = () => auth.request(client, { method: "GET", url: `${s.base}/v2/r/read` }, { scope });
  await get();
  now += 30_000; // the server said 5 s, but the minimum is 60 s
  await get();
  assert.equal(s.tokenCalls.length, 1);
  now += 40_000;
  await get();
  assert.equal(s.tokenCalls.length, 2);
});

test("a cached token the server no longer accepts is replaced", async (t) => {
  const s = await fakeStack();
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator();
  const scope = { repository: "r", actions: "pull" };
  await auth.request(client, { method: "GET", url: `${s.base}/v2/r/read` }, { scope });
  s.revokeAll();
  const res = await auth.request(client, { method: "GET", url: `${s.base}/v2/r/read` }, { scope });
  assert.equal(res.status, 200);
  assert.equal(s.tokenCalls.length, 2);
});

test("identity token: POST grant_type=refresh_token with client_id docker; a new refresh token replaces it", async (t) => {
  const s = await fakeStack({ expiresIn: 60 });
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator({ credentials: { kind: "identityToken", identityToken: "rt-1", source: "test helper" } });
  const w = (repo: string) =>
    auth.request(client, { method: "POST", url: `${s.base}/v2/${repo}/write`, body: "x" }, { scope: { repository: repo, actions: "push,pull" } });
  assert.equal((await w("a")).status, 200);
  assert.equal((await w("b")).status, 200);
  assert.equal(s.tokenCalls.length, 2);
  const [first, second] = s.tokenCalls;
  assert.equal(first!.method, "POST");
  assert.equal(first!.form?.get("grant_type"), "refresh_token");
  assert.equal(first!.form?.get("client_id"), "docker");
  assert.equal(first!.form?.get("service"), "fake-svc");
  assert.equal(first!.form?.get("scope"), "repository:a:push,pull");
  assert.equal(first!.form?.get("refresh_token"), "rt-1");
  assert.equal(second!.form?.get("refresh_token"), "rt-2");
});

test("Basic challenge: anonymous first for reads, then Basic credentials", async (t) => {
  const s = await fakeStack({ basic: true });
  t.after(() => s.close());
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator({ credentials: alice });
  const res = await auth.request(client, { method: "GET", url: `${s.base}/v2/r/read` }, { scope: { repository: "r", actions: "pull" } });
  assert.equal(res.status, 200);
  assert.deepEqual(s.resourceCalls.map((c) => (c.auth ?? "-").split(" ")[0]), ["-", "-", "Basic"]);
  const noCreds = createAuthenticator();
  await assert.rejects(
    noCreds.request(client, { method: "GET", url: `${s.base}/v2/r/read` }, { scope: { repository: "r", actions: "pull" } }),
    (e) => isNotaryError(e, "HTTP_UNAUTHORIZED"),
  );
});

test("a 401 without a usable challenge is HTTP_UNAUTHORIZED; other statuses pass through", async (t) => {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === "/v2/nochallenge" ? 401 : 404, { "content-type": "application/json" });
    res.end('{"errors":[{"code":"X","message":"nope"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = createHttpClient();
  t.after(() => client.close());
  const auth = createAuthenticator();
  await assert.rejects(auth.request(client, { method: "GET", url: `${base}/v2/nochallenge` }), (e) => isNotaryError(e, "HTTP_UNAUTHORIZED"));
  const res = await auth.request(client, { method: "GET", url: `${base}/v2/missing` });
  assert.equal(res.status, 404);
  const plain = await authedRequest(client, undefined, { method: "GET", url: `${base}/v2/missing` });
  assert.equal(plain.status, 404);
});

test("resolveCredentials: explicit, NOTARY_AUTH, docker config auths (auth, username/password, identitytoken)", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "auth-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const env = { HOME: dir };
  assert.deepEqual(await resolveCredentials({ serverUrl: "https://notary.example:4443", username: "u", password: "p", env }), {
    kind: "basic",
    username: "u",
    password: "p",
    source: "explicit credentials",
  });
  const na = await resolveCredentials({ serverUrl: "https://notary.example:4443", env: { ...env, NOTARY_AUTH: Buffer.from("bob:pw:with:colons").toString("base64") } });
  assert.deepEqual(na, { kind: "basic", username: "bob", password: "pw:with:colons", source: "NOTARY_AUTH" });
  await assert.rejects(
    resolveCredentials({ serverUrl: "https://n", env: { NOTARY_AUTH: Buffer.from("nocolon").toString("base64") } }),
    (e) => isNotaryError(e, "CREDENTIALS_UNAVAILABLE") && !(e as Error).message.includes("nocolon"),
  );
  // no config at all → anonymous
  assert.equal(await resolveCredentials({ serverUrl: "https://notary.example:4443", env }), undefined);

  const cfgDir = join(dir, "dockercfg");
  await import("node:fs/promises").then((fs) => fs.mkdir(cfgDir));
  await writeFile(
    join(cfgDir, "config.json"),
    JSON.stringify({
      auths: {
        "notary.example:4443": { auth: Buffer.from("carol:pw1").toString("base64") },
        "https://reg.example/v1/": { username: "dave", password: "pw2" },
        "https://index.docker.io/v1/": { auth: Buffer.from("erin:pw3").toString("base64") },
        "tok.example": { auth: Buffer.from("frank:").toString("base64"), identitytoken: "refresh-xyz" },
      },
    }),
  );
  const envD = { HOME: dir, DOCKER_CONFIG: cfgDir };
  const c1 = await resolveCredentials({ serverUrl: "https://notary.example:4443", env: envD });
  assert.equal(c1?.kind === "basic" && `${c1.username}:${c1.password}`, "carol:pw1");
  assert.match(c1!.source, /config\.json auths\["notary\.example:4443"\]/);
  const c2 = await resolveCredentials({ serverUrl: "https://notary.example:4443", registryHost: "reg.example", env: envD });
  assert.equal(c2?.kind === "basic" && `${c2.username}:${c2.password}`, "dave:pw2");
  const c3 = await resolveCredentials({ serverUrl: "https://notary.docker.io", registryHost: "docker.io", env: envD });
  assert.equal(c3?.kind === "basic" && c3.username, "erin");
  const c4 = await resolveCredentials({ serverUrl: "https://tok.example", dockerConfigDir: cfgDir, env: { HOME: dir } });
  assert.deepEqual(c4 && { ...c4, source: "" }, { kind: "identityToken", identityToken: "refresh-xyz", username: "frank", source: "" });
  // NOTARY_AUTH wins over the docker config unless skipped (docker semantics)
  const c5 = await resolveCredentials({ serverUrl: "https://notary.example:4443", env: { ...envD, NOTARY_AUTH: Buffer.from("x:y").toString("base64") } });
  assert.equal(c5?.source, "NOTARY_AUTH");
  const c6 = await resolveCredentials({ serverUrl: "https://notary.example:4443", skipNotaryAuth: true, env: { ...envD, NOTARY_AUTH: Buffer.from("x:y").toString("base64") } });
  assert.equal(c6?.kind === "basic" && c6.username, "carol");
  // unknown host → anonymous
  assert.equal(await resolveCredentials({ serverUrl: "https://other.example", env: envD }), undefined);
  // broken JSON → CREDENTIALS_UNAVAILABLE without echoing content
  await writeFile(join(cfgDir, "config.json"), '{"auths": {"h": {"auth": "c2VjcmV0"}');
  await assert.rejects(
    resolveCredentials({ serverUrl: "https://h", env: envD }),
    (e) => isNotaryError(e, "CREDENTIALS_UNAVAILABLE") && !(e as Error).message.includes("c2VjcmV0"),
  );
});
