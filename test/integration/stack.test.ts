/**
 * Proves the real-server test stack (test/support/stack.ts) works: the Go notary client and the docker CLI against the
 * Debian notary-server (plain HTTP, TLS, token auth), and image pushes to the Debian docker-registry.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import {
  basicAuth,
  dockerOk,
  dockerTrustInspect,
  fetchManifest,
  hasDocker,
  makeTempDir,
  notaryCli,
  notaryOk,
  pushOciImage,
  startNotaryServer,
  startRegistry,
  startTokenServer,
  httpRequest,
  writeDockerAuth,
} from "../support/stack.ts";

const sha256hex = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

describe("test stack", { concurrency: true, timeout: 120_000 }, () => {
  it("plain-HTTP notary-server: notary init, addhash, list", async (t) => {
    const server = await startNotaryServer();
    t.after(() => server.stop());
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const trustDir = await makeTempDir("trust-plain");
    const gun = "example.com/stack/plain";
    await notaryOk(["init", gun, "-p"], { trustDir, server });
    const hash = sha256hex("hello");
    await notaryOk(["addhash", gun, "v1", "5", "--sha256", hash, "-p"], { trustDir, server });
    const listed = await notaryOk(["list", gun], { trustDir, server });
    assert.match(listed, new RegExp(`^v1\\s+${hash}\\s+5\\s+targets\\s*$`, "m"));
    // The server logged the requests (logging.level info).
    assert.match(server.log(), /_trust\/tuf\//);
  });

  it("notaryCli returns the exit code and stderr instead of throwing", async (t) => {
    const server = await startNotaryServer();
    t.after(() => server.stop());
    const trustDir = await makeTempDir("trust-missing");
    const r = await notaryCli(["list", "example.com/stack/missing"], { trustDir, server });
    assert.equal(r.code, 1);
    // notary prints its fatal errors on stdout, not stderr.
    assert.match(r.stdout, /fatal: .* does not have trust data for example\.com\/stack\/missing/);
    await assert.rejects(notaryOk(["list", "example.com/stack/missing"], { trustDir, server }), /exited 1/);
  });

  const noDocker = hasDocker() ? false : "no docker client installed";

  it("TLS notary-server: docker trust signer add, then docker trust inspect shows the signer", { skip: noDocker }, async (t) => {
    const server = await startNotaryServer({ tls: true });
    t.after(() => server.stop());
    assert.match(server.url, /^https:\/\//);
    assert.ok(server.caFile !== undefined && server.caPem?.includes("BEGIN CERTIFICATE"));
    // The notary CLI verifies the certificate against --tlscacert.
    const health = await httpRequest(`${server.url}/_notary_server/health`, { ca: server.caPem ?? "" });
    assert.equal(health.status, 200);

    const configDir = await makeTempDir("docker");
    const keyDir = await makeTempDir("docker-keys");
    await dockerOk(["trust", "key", "generate", "alice", "--dir", keyDir], { configDir });
    assert.ok((await readdir(keyDir)).includes("alice.pub"));
    const image = `${server.host}/stack/dock`;
    await dockerOk(["trust", "signer", "add", "--key", path.join(keyDir, "alice.pub"), "alice", image], { configDir, server });
    const inspected = await dockerTrustInspect(image, { configDir, server });
    assert.equal(inspected.length, 1);
    assert.equal(inspected[0]?.Name, image);
    assert.deepEqual(inspected[0]?.Signers.map((s) => s.Name), ["alice"]);
    assert.deepEqual(inspected[0]?.AdministrativeKeys.map((k) => k.Name).sort(), ["Repository", "Root"]);
  });

  it("TLS + token-auth notary-server: docker uses the registry credentials from config.json", { skip: noDocker }, async (t) => {
    const server = await startNotaryServer({ tls: true, auth: true });
    t.after(() => server.stop());
    const configDir = await makeTempDir("docker-auth");
    await writeDockerAuth(configDir, server.host, "bob");
    const keyDir = await makeTempDir("docker-auth-keys");
    await dockerOk(["trust", "key", "generate", "bob", "--dir", keyDir], { configDir });
    const image = `${server.host}/stack/authdock`;
    await dockerOk(["trust", "signer", "add", "--key", path.join(keyDir, "bob.pub"), "bob", image], { configDir, server });
    const inspected = await dockerTrustInspect(image, { configDir, server });
    assert.deepEqual(inspected[0]?.Signers.map((s) => s.Name), ["bob"]);
    const seen = new Set(server.tokens?.requests.map((r) => `${r.status} ${r.user ?? "-"} ${r.scopes.join(" ")}`));
    assert.ok(seen.has(`200 bob repository:${image}:pull,push`), [...seen].join("\n"));
  });

  it("token-auth notary-server: NOTARY_AUTH can publish, anonymous list works, scopes recorded", async (t) => {
    const server = await startNotaryServer({ auth: true });
    t.after(() => server.stop());
    const tokens = server.tokens;
    assert.ok(tokens !== undefined && server.tokenRealm === tokens.realm);
    // Without a token the server challenges.
    const challenge = await httpRequest(`${server.url}/v2/`);
    assert.equal(challenge.status, 401);
    assert.match(String(challenge.headers["www-authenticate"]), /^Bearer realm=".*\/token",service="notary-test"/);

    const gun = "example.com/stack/auth";
    const writer = await makeTempDir("trust-auth-writer");
    const env = { NOTARY_AUTH: basicAuth("alice") };
    await notaryOk(["init", gun, "-p"], { trustDir: writer, server, env });
    await notaryOk(["addhash", gun, "v1", "5", "--sha256", sha256hex("hello"), "-p"], { trustDir: writer, server, env });
    const pushes = tokens.requests.filter((r) => r.user === "alice");
    assert.ok(pushes.length > 0);
    assert.ok(pushes.every((r) => r.status === 200));
    assert.ok(pushes.some((r) => r.scopes.includes(`repository:${gun}:push,pull`)), JSON.stringify(tokens.requests));

    tokens.clearRequests();
    const reader = await makeTempDir("trust-auth-reader");
    const listed = await notaryOk(["list", gun], { trustDir: reader, server });
    assert.match(listed, /^v1\s/m);
    assert.ok(tokens.requests.length > 0);
    for (const r of tokens.requests) {
      assert.equal(r.user, undefined);
      assert.deepEqual(r.scopes, [`repository:${gun}:pull`]);
      assert.deepEqual(r.granted, [{ type: "repository", name: gun, actions: ["pull"] }]);
    }

    // Anonymous writes are refused (the token only grants pull).
    const anon = await notaryCli(["addhash", gun, "v2", "5", "--sha256", sha256hex("hello"), "-p"], { trustDir: reader, server });
    assert.notEqual(anon.code, 0);
  });

  it("token server: several scopes, '*', wrong password", async (t) => {
    const tokens = await startTokenServer();
    t.after(() => tokens.stop());
    const q = "service=notary-test&scope=repository:127.0.0.1:5000/a/b:pull,push,*&scope=repository:c/d:pull";
    const authed = await httpRequest(`${tokens.realm}?${q}&account=bob`, { headers: { authorization: `Basic ${basicAuth("bob")}` } });
    assert.equal(authed.status, 200);
    const body = JSON.parse(authed.body.toString("utf8")) as { token: string; expires_in: number };
    const [header, claims] = body.token.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>);
    assert.equal(header?.["alg"], "ES256");
    assert.ok(Array.isArray(header?.["x5c"]));
    assert.equal(claims?.["aud"], "notary-test");
    assert.equal(claims?.["sub"], "bob");
    assert.deepEqual(claims?.["access"], [
      { type: "repository", name: "127.0.0.1:5000/a/b", actions: ["pull", "push", "*"] },
      { type: "repository", name: "c/d", actions: ["pull"] },
    ]);
    const bad = await httpRequest(`${tokens.realm}?${q}`, { headers: { authorization: `Basic ${basicAuth("bob", "wrong")}` } });
    assert.equal(bad.status, 401);
    assert.deepEqual(
      tokens.requests.map((r) => [r.status, r.account, r.user, r.scopes.length]),
      [
        [200, "bob", "bob", 2],
        [401, undefined, "bob", 2],
      ],
    );
  });

  it("registry: multi-arch OCI push; the tag serves the index bytes", async (t) => {
    const registry = await startRegistry();
    t.after(() => registry.stop());
    const img = await pushOciImage(registry.host, "stack/multi", "v1", { multiArch: true });
    assert.equal(img.manifests.length, 2);
    assert.ok(img.index !== undefined);
    const served = await fetchManifest(registry.host, "stack/multi", "v1");
    assert.equal(served.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.equal(img.digest, `sha256:${sha256hex(served.bytes)}`);
    assert.equal(img.size, served.size);
    assert.deepEqual(served.bytes, img.bytes);
    for (const m of img.manifests) {
      const child = await fetchManifest(registry.host, "stack/multi", m.digest);
      assert.equal(child.digest, m.digest);
    }

    const single = await pushOciImage(registry.host, "stack/docker", "v1", { multiArch: true, format: "docker" });
    const servedList = await fetchManifest(registry.host, "stack/docker", "v1");
    assert.equal(servedList.mediaType, "application/vnd.docker.distribution.manifest.list.v2+json");
    assert.equal(servedList.digest, single.digest);
  });

  it("token-auth registry: push with credentials, anonymous push refused", async (t) => {
    const registry = await startRegistry({ auth: true });
    t.after(() => registry.stop());
    const img = await pushOciImage(registry.host, "stack/private", "v1", { multiArch: false, credentials: { user: "carol", password: "secret" } });
    const served = await fetchManifest(registry.host, "stack/private", "v1");
    assert.equal(served.digest, img.digest);
    await assert.rejects(pushOciImage(registry.host, "stack/private", "v2", { multiArch: false }), /HTTP 401/);
  });
});
