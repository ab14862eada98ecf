/**
 * Registry resolution against Debian's docker-registry, and the auth / TLS client against the real notary-server with
 * token auth (reference §10, §11).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import { createHash } from "node:crypto";
import path from "node:path";
import type { AddressInfo } from "node:net";
import {
  TOKEN_PASSWORD,
  REGISTRY_SERVICE,
  freePort,
  makeTempDir,
  makeTlsMaterial,
  pushOciImage,
  startNotaryServer,
  startRegistry,
  startTokenServer,
  writeDockerAuth,
} from "../support/stack.ts";
import type { NotaryServer, PushedImage, Registry, TokenServer } from "../support/stack.ts";
import { createHttpClient } from "../../sdk/src/remote/http.ts";
import type { HttpClient } from "../../sdk/src/remote/http.ts";
import { authedRequest, createAuthenticator, resolveCredentials } from "../../sdk/src/remote/auth.ts";
import { resolveImage } from "../../sdk/src/remote/registry.ts";
import { isNotaryError } from "../../sdk/src/errors.ts";

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const b64 = (s: string) => Buffer.from(s).toString("base64");

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: 30_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr}`)) : resolve()));
  });
}

// ---------------------------------------------------------------------------------------------------------------------

describe("resolveImage against docker-registry", () => {
  let reg: Registry;
  let http1: HttpClient;
  const images: Record<string, PushedImage> = {};

  before(async () => {
    reg = await startRegistry();
    http1 = createHttpClient();
    images["ociIndex"] = await pushOciImage(reg.host, "team/oci-multi", "v1", { multiArch: true });
    images["ociManifest"] = await pushOciImage(reg.host, "team/oci-single", "v1", { multiArch: false });
    images["dockerList"] = await pushOciImage(reg.host, "team/docker-multi", "v1", { multiArch: true, format: "docker" });
    images["dockerManifest"] = await pushOciImage(reg.host, "team/docker-single", "v1", { multiArch: false, format: "docker" });
  });
  after(async () => {
    await http1?.close();
    await reg?.stop();
  });

  const expected: Record<string, string> = {
    ociIndex: "application/vnd.oci.image.index.v1+json",
    ociManifest: "application/vnd.oci.image.manifest.v1+json",
    dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
    dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  };

  for (const kind of Object.keys(expected)) {
    test(`${kind}: by tag, by digest, and tag@digest`, async () => {
      const img = images[kind]!;
      const name = `${reg.host}/${img.repo}`;
      const byTag = await resolveImage(`${name}:v1`, { http: http1 });
      assert.equal(byTag.name, name);
      assert.equal(byTag.registry, reg.host);
      assert.equal(byTag.repository, img.repo);
      assert.equal(byTag.tag, "v1");
      assert.equal(byTag.digest, img.digest);
      assert.equal(byTag.size, img.size);
      assert.equal(byTag.mediaType, expected[kind]);
      assert.deepEqual(Buffer.from(byTag.manifestBytes!), img.bytes);

      const byDigest = await resolveImage(`${name}@${img.digest}`, { http: http1 });
      assert.equal(byDigest.digest, img.digest);
      assert.equal(byDigest.tag, undefined);
      assert.equal(byDigest.mediaType, expected[kind]);
      assert.equal(byDigest.size, img.size);

      const both = await resolveImage(`${name}:v1@${img.digest}`, { http: http1 });
      assert.equal(both.digest, img.digest);
      assert.equal(both.tag, "v1");

      const head = await resolveImage(`${name}:v1`, { http: http1, method: "HEAD" });
      assert.equal(head.digest, img.digest);
      assert.equal(head.size, img.size);
      assert.equal(head.mediaType, expected[kind]);
    });
  }

  test("platform manifests of an index resolve by digest", async () => {
    const img = images["ociIndex"]!;
    for (const m of img.manifests) {
      const r = await resolveImage(`${reg.host}/${img.repo}@${m.digest}`, { http: http1 });
      assert.equal(r.digest, m.digest);
      assert.equal(r.mediaType, m.mediaType);
    }
  });

  test("unknown tag → HTTP_NOT_FOUND; unknown digest → HTTP_NOT_FOUND", async () => {
    await assert.rejects(resolveImage(`${reg.host}/team/oci-single:nope`, { http: http1 }), (e) => isNotaryError(e, "HTTP_NOT_FOUND"));
    await assert.rejects(
      resolveImage(`${reg.host}/team/oci-single@sha256:${"0".repeat(64)}`, { http: http1 }),
      (e) => isNotaryError(e, "HTTP_NOT_FOUND"),
    );
  });

  test("keep-alive: many resolutions share a few connections", async () => {
    const client = createHttpClient();
    try {
      const img = images["ociManifest"]!;
      for (let i = 0; i < 10; i++) await resolveImage(`${reg.host}/${img.repo}:v1`, { http: client });
      const s = client.stats();
      assert.equal(s.requests, 10);
      assert.equal(s.connections, 1);
    } finally {
      await client.close();
    }
  });
});

test("a registry serving bytes that do not match the digest → REGISTRY_DIGEST_MISMATCH", async (t) => {
  const good = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: {}, layers: [] }));
  const evil = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: {}, layers: [], x: 1 }));
  const server = http.createServer((_req, res) => {
    // claims the good digest, serves other bytes (both for tags and for digests)
    res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "docker-content-digest": sha(good) });
    res.end(evil);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const ref of [`${host}/evil/app:v1`, `${host}/evil/app@${sha(good)}`]) {
    const err = await resolveImage(ref, {}).catch((e: unknown) => e);
    assert.ok(isNotaryError(err, "REGISTRY_DIGEST_MISMATCH"), `${ref}: ${String(err)}`);
    assert.match((err as Error).message, new RegExp(sha(evil).slice(7)));
  }
});

test("token-auth registry: scope repository:<repo>:pull, credentials from docker config, none → HTTP_UNAUTHORIZED", async (t) => {
  // anonymous callers get nothing here, so credentials are needed even to pull
  const tokens = await startTokenServer({ service: REGISTRY_SERVICE, grant: ({ user, access }) => (user ? access.actions : []) });
  t.after(() => tokens.stop());
  const reg = await startRegistry({ auth: tokens });
  t.after(() => reg.stop());
  const img = await pushOciImage(reg.host, "private/app", "v1", { multiArch: true, credentials: { user: "pusher", password: TOKEN_PASSWORD } });
  const configDir = await makeTempDir("dockercfg");
  await writeDockerAuth(configDir, reg.host, "puller");
  tokens.clearRequests();

  const r = await resolveImage(`${reg.host}/private/app:v1`, { dockerConfigDir: configDir, env: {} });
  assert.equal(r.digest, img.digest);
  const users = tokens.requests.map((q) => `${q.user ?? "anon"} ${q.service} ${q.scopes.join(" ")}`);
  assert.deepEqual(users, [`anon ${REGISTRY_SERVICE} repository:private/app:pull`, `puller ${REGISTRY_SERVICE} repository:private/app:pull`]);

  await assert.rejects(
    resolveImage(`${reg.host}/private/app:v1`, { env: { HOME: configDir } }),
    (e) => isNotaryError(e, "HTTP_UNAUTHORIZED"),
  );
});

// ---------------------------------------------------------------------------------------------------------------------

describe("notary-server with token auth", () => {
  let server: NotaryServer;
  let tokens: TokenServer;
  let client: HttpClient;
  let work: string;
  const gun = "example.com/auth/app";
  const tuf = (name: string) => `${server.url}/v2/${gun}/_trust/tuf/${name}`;
  const pushPull = { repository: gun, actions: "push,pull" };

  before(async () => {
    server = await startNotaryServer({ auth: true });
    tokens = server.tokens!;
    client = createHttpClient();
    work = await makeTempDir("auth-it");
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  test("anonymous pull works (a 404 for a GUN with no data, not a 401)", async () => {
    tokens.clearRequests();
    const auth = createAuthenticator({ credentials: () => resolveCredentials({ serverUrl: server.url, env: { HOME: work } }) });
    const res = await authedRequest(client, auth, { method: "GET", url: tuf("root.json") }, { scope: { repository: gun, actions: "pull" } });
    assert.equal(res.status, 404);
    assert.match(Buffer.from(res.body).toString(), /METADATA_NOT_FOUND/);
    assert.deepEqual(
      tokens.requests.map((r) => [r.user, r.scopes.join(" "), r.service]),
      [[undefined, `repository:${gun}:pull`, tokens.service]],
    );
    // the token is reused
    const again = await authedRequest(client, auth, { method: "GET", url: tuf("targets.json") }, { scope: { repository: gun, actions: "pull" } });
    assert.equal(again.status, 404);
    assert.equal(tokens.requests.length, 1);
  });

  test("push,pull without credentials → HTTP_UNAUTHORIZED", async () => {
    const auth = createAuthenticator({ credentials: () => resolveCredentials({ serverUrl: server.url, env: { HOME: work } }) });
    await assert.rejects(
      authedRequest(client, auth, { method: "GET", url: tuf("timestamp.key") }, { scope: pushPull }),
      (e) => isNotaryError(e, "HTTP_UNAUTHORIZED") && /no credentials/.test((e as Error).message),
    );
  });

  test("push,pull with credentials from a docker config.json", async () => {
    const configDir = path.join(work, "docker-plain");
    await writeDockerAuth(configDir, server.host, "bob");
    tokens.clearRequests();
    const auth = createAuthenticator({ credentials: () => resolveCredentials({ serverUrl: server.url, env: { DOCKER_CONFIG: configDir } }) });
    const res = await authedRequest(client, auth, { method: "GET", url: tuf("timestamp.key") }, { scope: pushPull });
    assert.equal(res.status, 200, Buffer.from(res.body).toString());
    assert.match(Buffer.from(res.body).toString(), /"keytype":"ed25519"/);
    const withCreds = tokens.requests.filter((r) => r.user !== undefined);
    assert.deepEqual(withCreds.map((r) => [r.user, r.account, r.scopes.join(" ")]), [["bob", "bob", `repository:${gun}:push,pull`]]);
  });

  test("credentials from a docker-credential-testhelper on PATH (credHelpers and credsStore)", async () => {
    const bin = path.join(work, "bin");
    await mkdir(bin, { recursive: true });
    const log = path.join(work, "helper.log");
    const helper = path.join(bin, "docker-credential-testhelper");
    await writeFile(
      helper,
      [
        "#!/bin/sh",
        `[ "$1" = "get" ] || { echo "unsupported $1" >&2; exit 2; }`,
        "server=$(cat)",
        `printf '%s\\n' "$server" >> ${JSON.stringify(log)}`,
        `if [ "$server" = ${JSON.stringify(server.host)} ]; then`,
        `  printf '{"ServerURL":"%s","Username":"helperuser","Secret":"%s"}\\n' "$server" ${JSON.stringify(TOKEN_PASSWORD)}`,
        "  exit 0",
        "fi",
        'echo "credentials not found in native keychain"',
        "exit 1",
        "",
      ].join("\n"),
    );
    await chmod(helper, 0o755);
    const env = { PATH: `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}` };

    for (const [label, config] of [
      ["credHelpers", { credHelpers: { [server.host]: "testhelper" } }],
      ["credsStore", { credsStore: "testhelper", auths: { [server.host]: {} } }],
    ] as const) {
      const configDir = path.join(work, `docker-${label}`);
      await mkdir(configDir, { recursive: true });
      await writeFile(path.join(configDir, "config.json"), JSON.stringify(config));
      tokens.clearRequests();
      const creds = await resolveCredentials({ serverUrl: server.url, env: { ...env, DOCKER_CONFIG: configDir } });
      assert.deepEqual(creds && { ...creds, password: "…" }, {
        kind: "basic",
        username: "helperuser",
        password: "…",
        source: "credential helper docker-credential-testhelper",
      }, label);
      const auth = createAuthenticator({ credentials: creds! });
      const res = await authedRequest(client, auth, { method: "GET", url: tuf("snapshot.key") }, { scope: pushPull });
      assert.equal(res.status, 200, label);
      assert.deepEqual(tokens.requests.map((r) => r.user), ["helperuser"], label);
    }
    assert.deepEqual((await readFile(log, "utf8")).trim().split("\n"), [server.host, server.host]);
    // "credentials not found" → anonymous (credsStore falls back to auths, which has nothing for this host)
    const configDir = path.join(work, "docker-credsStore");
    assert.equal(await resolveCredentials({ serverUrl: "https://other.example:4443", env: { ...env, DOCKER_CONFIG: configDir } }), undefined);
    // a helper that is missing is CREDENTIALS_UNAVAILABLE
    await writeFile(path.join(configDir, "config.json"), JSON.stringify({ credsStore: "does-not-exist" }));
    await assert.rejects(
      resolveCredentials({ serverUrl: server.url, env: { ...env, DOCKER_CONFIG: configDir } }),
      (e) => isNotaryError(e, "CREDENTIALS_UNAVAILABLE") && /docker-credential-does-not-exist/.test((e as Error).message),
    );
  });

  test("credentials from NOTARY_AUTH; admin (*) scope for DELETE", async () => {
    tokens.clearRequests();
    const env = { NOTARY_AUTH: b64(`carol:${TOKEN_PASSWORD}`), HOME: work };
    const auth = createAuthenticator({ credentials: () => resolveCredentials({ serverUrl: server.url, env }) });
    const res = await authedRequest(client, auth, { method: "GET", url: tuf("timestamp.key") }, { scope: pushPull });
    assert.equal(res.status, 200);
    const del = await authedRequest(client, auth, { method: "DELETE", url: tuf("") }, { scope: { repository: gun, actions: "*" } });
    assert.equal(del.status, 200, Buffer.from(del.body).toString());
    const asked = tokens.requests.filter((r) => r.user === "carol").map((r) => r.scopes.join(" "));
    assert.deepEqual(asked, [`repository:${gun}:push,pull`, `repository:${gun}:*`]);
  });

  test("wrong password → AUTH_FAILED with a clear message and no password in it", async () => {
    const wrong = "hunter2-wrong";
    const env = { NOTARY_AUTH: b64(`dave:${wrong}`), HOME: work };
    const auth = createAuthenticator({ credentials: () => resolveCredentials({ serverUrl: server.url, env }) });
    const err = await authedRequest(client, auth, { method: "GET", url: tuf("timestamp.key") }, { scope: pushPull }).catch((e: unknown) => e);
    assert.ok(isNotaryError(err, "AUTH_FAILED"), String(err));
    const text = `${(err as Error).message} ${JSON.stringify((err as { details?: unknown }).details)} ${String((err as Error).stack)}`;
    assert.match((err as Error).message, /rejected user "dave" \(from NOTARY_AUTH\)/);
    assert.ok(!text.includes(wrong), text);
    assert.ok(!text.includes(b64(`dave:${wrong}`)), text);
    // anonymous read with the same (bad) credentials still works: credentials are only used after a 401
    const read = await authedRequest(client, auth, { method: "GET", url: tuf("root.json") }, { scope: { repository: gun, actions: "pull" } });
    assert.equal(read.status, 404);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe("TLS", () => {
  test("custom CA: verified with `ca`, refused without, accepted with insecureSkipVerify", async (t) => {
    const server = await startNotaryServer({ tls: true });
    t.after(() => server.stop());
    const url = `${server.url}/_notary_server/health`;
    const withCa = createHttpClient({ ca: server.caFile! });
    t.after(() => withCa.close());
    assert.equal((await withCa.request({ method: "GET", url })).status, 200);
    const withPem = createHttpClient({ ca: [server.caPem!] });
    t.after(() => withPem.close());
    assert.equal((await withPem.request({ method: "GET", url })).status, 200);
    const plain = createHttpClient();
    t.after(() => plain.close());
    await assert.rejects(plain.request({ method: "GET", url }), (e) => isNotaryError(e, "HTTP_ERROR") && /TLS|certificate/i.test((e as Error).message));
    const skip = createHttpClient({ insecureSkipVerify: true });
    t.after(() => skip.close());
    assert.equal((await skip.request({ method: "GET", url })).status, 200);
  });

  test("mutual TLS: notary-server with server.client_ca_file needs the client certificate", async (t) => {
    const dir = await makeTempDir("mtls");
    const tls = await makeTlsMaterial(dir);
    const p = (n: string) => path.join(dir, n);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    await run("openssl", ["req", "-x509", ...ec, "-keyout", p("client-ca.key"), "-out", p("client-ca.crt"), "-days", "30", "-subj", "/CN=Test Client CA"], dir);
    await run("openssl", ["req", ...ec, "-keyout", p("client.key"), "-out", p("client.csr"), "-subj", "/CN=test-client"], dir);
    await writeFile(p("client-ext.cnf"), "extendedKeyUsage=clientAuth\n");
    await run(
      "openssl",
      ["x509", "-req", "-in", p("client.csr"), "-CA", p("client-ca.crt"), "-CAkey", p("client-ca.key"), "-CAcreateserial", "-out", p("client.crt"), "-days", "30", "-extfile", p("client-ext.cnf")],
      dir,
    );
    const port = await freePort();
    await writeFile(
      p("config.json"),
      JSON.stringify({
        server: { http_addr: `127.0.0.1:${port}`, tls_cert_file: tls.certFile, tls_key_file: tls.keyFile, client_ca_file: p("client-ca.crt") },
        trust_service: { type: "local" },
        storage: { backend: "memory" },
        logging: { level: "error" },
      }),
    );
    // stack.ts's startNotaryServer has no client-CA option and its readiness probe has no client certificate, so this
    // test starts the server itself and stops it by pid.
    const child = spawn("/usr/bin/notary-server", ["-config", p("config.json")], { cwd: dir, stdio: "ignore" });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    t.after(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    });
    const url = `https://127.0.0.1:${port}/_notary_server/health`;
    const mtls = createHttpClient({ ca: tls.caFile, clientCert: p("client.crt"), clientKey: p("client.key"), timeoutMs: 2_000 });
    t.after(() => mtls.close());
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const res = await mtls.request({ method: "GET", url, retries: 0 });
        assert.equal(res.status, 200);
        break;
      } catch (e) {
        if (Date.now() > deadline || child.exitCode !== null) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const noCert = createHttpClient({ ca: tls.caFile, timeoutMs: 5_000 });
    t.after(() => noCert.close());
    await assert.rejects(noCert.request({ method: "GET", url, retries: 0 }), (e) => isNotaryError(e, "HTTP_ERROR"));
    // client certificate and key as PEM text work too
    const pem = createHttpClient({ ca: tls.caPem, clientCert: await readFile(p("client.crt"), "utf8"), clientKey: await readFile(p("client.key"), "utf8") });
    t.after(() => pem.close());
    assert.equal((await pem.request({ method: "GET", url })).status, 200);
  });
});
