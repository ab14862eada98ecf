/**
 * Issue 11 against the real Debian notary-server, the Go `notary` client and the docker CLI:
 * - malformed changes (length -5, a hash that is not base64, an expiry in the past, …) are refused before any request,
 *   nothing is published, and the repository stays readable by us and by `notary list`;
 * - refusals the server does make come back with advice taken from what it said (expired → re-sign, not "keys");
 * - `http://` to the TLS port, `https://` to the plain port and a GUN that was never initialized say what is wrong;
 * - GUNs follow docker's grammar (docker itself is the oracle), and a GUN can never put `?` into a request path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { notaryServerPerFile } from "../support/per-file.ts";
import { requestCursor, isPublish, type LoggedRequest } from "../support/server-log.ts";
import { dockerCli, hasDocker, makeTempDir, notaryOk } from "../support/stack.ts";
import { clientFor, manifest, parseNotaryList, serverFingerprint, sha256HexOf } from "./interop-helpers.ts";
import { NotaryClient, PrivateKey, formatGoTime, keyJsonId, keyToJson, listTargets, type Change, type NotaryError } from "../../sdk/src/index.ts";
import { isGun } from "../../sdk/src/metadata/gun.ts";
import { NotaryServer as ServerApi } from "../../sdk/src/remote/notary-server.ts";
import { signRole } from "../../sdk/src/metadata/signed.ts";
import type { Root, Targets } from "../../sdk/src/metadata/types.ts";

const server = notaryServerPerFile();
const tlsServer = notaryServerPerFile({ tls: true });

const settle = () => new Promise((r) => setTimeout(r, 300)); // the server writes its log line after answering
const coded = (code: string, message: RegExp) => (e: unknown) => {
  assert.equal((e as NotaryError).code, code, (e as Error).message);
  assert.match((e as Error).message, message);
  return true;
};

async function initialized(client: NotaryClient, gun: string) {
  const repo = client.repository(gun, { anchor: { tofu: true } });
  const rootKey = PrivateKey.generate();
  const targetsKey = PrivateKey.generate();
  await repo.initialize({ rootKey, targetsKey });
  return { repo, rootKey, targetsKey };
}

test("malformed changes and an expiry in the past are refused before any request; the repository stays readable", async () => {
  const client = clientFor(server);
  const gun = `${server.host}/validation/app`;
  const { repo, targetsKey } = await initialized(client, gun);
  const good = manifest("v1");
  await repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: good.meta }], { keys: [targetsKey] });
  const before = await serverFingerprint(server, gun);
  const cursor = requestCursor(() => server.log());
  await settle();
  cursor.since();

  const set = (meta: Record<string, unknown>): Change[] => [{ type: "setTarget", role: "targets", name: "bad", meta: { ...good.meta, ...meta } } as Change];
  // issue 11: length -5 was published (notary list showed SIZE -5) and every later fetch failed METADATA_MALFORMED
  await assert.rejects(repo.publish(set({ length: -5 }), { keys: [targetsKey] }), coded("INPUT_INVALID", /^changes\[0\]\.meta\.length is -5: /));
  // issue 11: a non-base64 hash reached the server, whose refusal came back as "check the signing keys"
  await assert.rejects(repo.publish(set({ hashes: { sha256: "not base64!" } }), { keys: [targetsKey] }), coded("INPUT_INVALID", /meta\.hashes\.sha256 is not base64/));
  await assert.rejects(repo.publish(set({ hashes: { sha256: good.digest } }), { keys: [targetsKey] }), coded("INPUT_INVALID", /looks like hex/));
  await assert.rejects(repo.publish(set({ version: 2 }), { keys: [targetsKey] }), coded("INPUT_INVALID", /meta\.version is not a field/));
  // issue 11: an expiry in the past (a negative lifetime) was signed and sent
  assert.throws(() => client.repository(gun, { expiry: { targets: -60_000 } }), coded("INPUT_INVALID", /^RepositoryOptions\.expiry\.targets is -60000, which gives an expiry in the past/));
  assert.throws(() => repo.configure({ expiry: { delegation: 0 } }), coded("INPUT_INVALID", /expiry\.delegation is 0/));
  await settle();
  assert.deepEqual(cursor.since(), [], "no request reached the server");

  // Changes computed from the state are checked once it is known: read (or reused), never published.
  await assert.rejects(repo.publish(() => set({ length: -5 }), { keys: [targetsKey] }), coded("INPUT_INVALID", /^changes\[0\]\.meta\.length is -5/));
  await settle();
  assert.deepEqual(cursor.since().filter(isPublish), [], "nothing was published");
  assert.deepEqual(await serverFingerprint(server, gun), before, "the server holds what it held");

  // Readable by us (a fresh handle) and by notary.
  const reader = clientFor(server);
  const state = await reader.repository(gun, { anchor: { trustedRoot: repo.state!.root.bytes } }).fetch();
  assert.deepEqual(listTargets(state, ["targets"]).map((t) => t.name), ["v1"]);
  const listed = parseNotaryList(await notaryOk(["list", gun], { trustDir: await makeTempDir("notary"), server }));
  assert.deepEqual(listed, [{ name: "v1", digest: sha256HexOf(good.meta), size: good.size, role: "targets" }]);
  // The handle still publishes what is well-formed.
  await repo.publish([{ type: "setTarget", role: "targets", name: "v2", meta: manifest("v2").meta }], { keys: [targetsKey] });
  await reader.close();
  await client.close();
});

test("refusals of the server carry advice from its message (expired → re-sign, version, threshold)", async () => {
  const client = clientFor(server);
  const gun = `${server.host}/validation/refusals`;
  const { repo, rootKey, targetsKey } = await initialized(client, gun);
  const state = await repo.fetch();
  const root = state.root.signed;
  const t0 = state.roles.get("targets")!.file.signed;
  const later = formatGoTime(new Date(Date.now() + 365 * 86_400_000));
  const targetsRole = { keys: root.keys, keyids: root.roles["targets"]!.keyids, threshold: 1, role: "targets" };
  // Files built by hand (what another client, or a wrong clock, could send): the SDK itself no longer signs them.
  const expired = signRole<Targets>({ ...t0, version: t0.version + 1, expires: formatGoTime(new Date(Date.now() - 3_600_000)) }, targetsRole, [targetsKey]);
  await assert.rejects(repo.server.publish([{ role: "targets", bytes: expired.bytes }]), (e: NotaryError) => {
    assert.equal(e.code, "SERVER_REJECTED");
    assert.equal(e.details?.["name"], "ErrBadTargets");
    assert.match(String(e.details?.["serverMessage"]), /^targets expired at /, "the body hints.test.ts records");
    assert.match(e.message, /targets in this upload had already expired on the server's clock: re-sign it with a fresh expiry/);
    assert.doesNotMatch(e.message, /check the signing keys/);
    return true;
  });
  const jump: Root = { ...root, version: root.version + 2, expires: later };
  const rootFile = signRole(jump, { keys: root.keys, keyids: root.roles["root"]!.keyids, threshold: 1, role: "root" }, [rootKey]);
  await assert.rejects(repo.server.publish([{ role: "root", bytes: rootFile.bytes }]), coded("SERVER_REJECTED", /server holds root version 1, this upload has 3\): fetch\(\) again/));
  // Signed by a key root does not list for targets.
  const stranger = PrivateKey.generate();
  const strangerJson = keyToJson(stranger.publicKey);
  const strangerId = keyJsonId(strangerJson);
  const foreign = signRole<Targets>({ ...t0, version: t0.version + 1, expires: later }, { keys: { [strangerId]: strangerJson }, keyids: [strangerId], threshold: 1, role: "targets" }, [stranger]);
  await assert.rejects(repo.server.publish([{ role: "targets", bytes: foreign.bytes }]), coded("SERVER_REJECTED", /targets is not signed by enough of the keys .*PublishOptions\.keys/));
  await client.close();
});

test("http:// to the TLS port and https:// to the plain port say which scheme to use", async () => {
  const wrongHttp = new NotaryClient({ url: tlsServer.url.replace(/^https:/, "http:") });
  await assert.rejects(wrongHttp.repository(`${tlsServer.host}/validation/any`, { anchor: { tofu: true } }).fetch(), (e: NotaryError) => {
    assert.equal(e.code, "HTTP_SCHEME_MISMATCH");
    assert.match(e.message, new RegExp(`speaks HTTPS on this port but was sent plain HTTP .*use ${tlsServer.url.replace(/[.]/g, "\\.")} as NotaryClient's url`));
    assert.equal(e.details?.["suggestedUrl"], tlsServer.url);
    return true;
  });
  await wrongHttp.close();
  const wrongHttps = new NotaryClient({ url: server.url.replace(/^http:/, "https:") });
  await assert.rejects(wrongHttps.repository(`${server.host}/validation/any`, { anchor: { tofu: true } }).fetch(), (e: NotaryError) => {
    assert.equal(e.code, "HTTP_SCHEME_MISMATCH");
    assert.match(e.message, /does not speak TLS on this port/);
    assert.equal(e.details?.["suggestedUrl"], server.url);
    return true;
  });
  await wrongHttps.close();
});

test("a GUN never initialized: not initialized on this server, or the server URL is wrong", async () => {
  const client = clientFor(server);
  const gun = `${server.host}/validation/never-initialized`;
  const repo = client.repository(gun, { anchor: { tofu: true } });
  assert.equal(await repo.exists(), false);
  const says = new RegExp(`^${gun.replace(/[.]/g, "\\.")} has no trust data on ${server.url.replace(/[.]/g, "\\.")} \\(root\\.json not found\\): the repository is not initialized on this server, or the server URL is wrong`);
  await assert.rejects(repo.fetch(), coded("METADATA_NOT_FOUND", says));
  await assert.rejects(repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: manifest("v1").meta }], { keys: [PrivateKey.generate()] }), coded("METADATA_NOT_FOUND", says));
  await client.close();
});

test("a GUN can never end the request path: ? and # are escaped (defensive: the grammar refuses them first)", async () => {
  const client = clientFor(server);
  assert.throws(() => client.repository("example.com/validation/app-ü?"), { code: "GUN_INVALID" });
  const cursor = requestCursor(() => server.log());
  const api = new ServerApi(server.url, "example.com/validation/a?b#c", client.repository("example.com/validation/x").server.transport);
  assert.equal(await api.getMetadata("root", 1 << 20), undefined);
  await settle();
  const uris = cursor.since().map((r: LoggedRequest) => r.uri);
  assert.ok(uris.includes("/v2/example.com/validation/a%3Fb%23c/_trust/tuf/root.json"), uris.join("\n"));
  await client.close();
});

test("docker agrees with the GUN grammar (docker trust inspect parses the name before anything else)", { skip: !hasDocker() }, async () => {
  const names = [
    "app", "127.0.0.1:5000/team/app", "localhost:5000/a", "[::1]:5000/a", "UPPER/app", "a--b/c__d/e.f", `a/${"b".repeat(253)}`,
    "Example.com/Exp/App", "a___b", "example.com/app-ü", "app-", "ex_ample.com:5000/app", "a//b", "a".repeat(64), "a".repeat(256),
  ];
  const configDir = await makeTempDir("docker");
  for (const name of names) {
    const r = await dockerCli(["trust", "inspect", name], { configDir, env: { DOCKER_CONTENT_TRUST_SERVER: "https://127.0.0.1:1" }, timeoutMs: 30_000 });
    const refused = /invalid reference format|must not be more than 255 characters|cannot specify 64-byte hexadecimal/.test(r.stderr + r.stdout);
    assert.ok(refused || /no signatures or cannot access/.test(r.stderr + r.stdout), `docker's answer for ${name}: ${r.stderr}`);
    assert.equal(isGun(name), !refused, `${JSON.stringify(name.slice(0, 40))}: docker ${refused ? "refuses" : "accepts"} it`);
  }
});
