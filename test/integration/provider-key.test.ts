// Key through the real dynamic provider host, driven like the engine does. A Key never talks to the notary server (the
// server's request log proves it); its key ID is checked against docker (key files, `docker trust inspect`).
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, test } from "node:test";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { readPrivateKeyFile, readPublicKeyPem } from "../../sdk/src/crypto/keyfile.ts";
import { isSecret } from "../support/dynhost.ts";
import { DEFAULT_PASSPHRASES, dockerOk, makeTempDir, notaryOk } from "../support/stack.ts";
import {
  CheckFailedError,
  dockerInspect,
  envPerFile,
  expectFailure,
  goal,
  newKey,
  pulumiDestroy,
  pulumiRefresh,
  pulumiUp,
  pulumiUpOrPreview,
  secret,
  stripSecrets,
  trackSecret,
  UNKNOWN,
  urnOf,
  withoutNetwork,
} from "./provider-helpers.ts";

const env = envPerFile("key-test");

const up = async (name: string, i: Record<string, unknown>, preview = false) => pulumiUpOrPreview(env, await goal("key", name, i), preview);

/** The key ID of an unencrypted PKCS#8 PEM, computed with the SDK (not the provider). */
function idOf(pem: string): string {
  return PrivateKey.fromPkcs8(readPrivateKeyFile(pem).pkcs8).id;
}

const spki = (pem: string): string => Buffer.from(readPublicKeyPem(pem).der).toString("base64");

describe("Key: generated", () => {
  test("preview with unknown inputs: no network, nothing recorded", async () => {
    const r = await withoutNetwork(env, "preview", () => up("gen", { role: UNKNOWN }, true));
    assert.equal(r.op, "create");
    assert.equal(r.id, "");
    await withoutNetwork(env, "preview import", () => up("imp", { pem: UNKNOWN, passphrase: UNKNOWN }, true));
    assert.equal(env.stack.size, 0);
  });

  test("create generates a P-256 key: canonical ID, public PEM, secret private PEM — offline", async () => {
    const r = await withoutNetwork(env, "create", () => up("gen", { role: "targets" }));
    assert.equal(r.op, "create");
    assert.ok(isSecret(r.outputs["privateKeyPem"]), "privateKeyPem is secret in the state");
    const o = stripSecrets(r.outputs) as Record<string, string>;
    trackSecret(o["privateKeyPem"]!);
    assert.match(o["keyId"]!, /^[0-9a-f]{64}$/);
    assert.equal(r.id, o["keyId"]);
    assert.equal(o["keyType"], "ecdsa");
    assert.equal(idOf(o["privateKeyPem"]!), o["keyId"], "the ID is the private key's canonical ID");
    assert.equal(spki(o["publicKeyPem"]!), Buffer.from(PrivateKey.fromPkcs8(readPrivateKeyFile(o["privateKeyPem"]!).pkcs8).publicKey.public).toString("base64"));
  });

  test("no-op, refresh, role change (update in place): the key stays the same — offline", async () => {
    const first = stripSecrets(env.stack.get(urnOf(env, "key", "gen"))!.outputs) as Record<string, string>;
    const same = await withoutNetwork(env, "no-op", () => up("gen", { role: "targets" }));
    assert.equal(same.op, "same");
    assert.equal(same.diff?.changes, "DIFF_NONE");
    const rr = await withoutNetwork(env, "refresh", () => pulumiRefresh(env, urnOf(env, "key", "gen")));
    assert.equal(rr.changed, false);
    const u = await withoutNetwork(env, "update", () => up("gen", { role: "snapshot" }));
    assert.equal(u.op, "update");
    assert.deepEqual(u.diff?.replaces, []);
    const o = stripSecrets(u.outputs) as Record<string, string>;
    assert.equal(o["keyId"], first["keyId"]);
    assert.equal(o["privateKeyPem"], first["privateKeyPem"]);
    assert.equal(o["role"], "snapshot");
  });

  test("replace: importing a PEM replaces the generated key (create before delete), offline", async () => {
    const k = newKey();
    const r = await withoutNetwork(env, "replace", () => up("gen", { role: "snapshot", pem: secret(k.pem) }));
    assert.equal(r.op, "replace");
    assert.deepEqual(r.diff?.replaces, ["pem"]);
    assert.equal(r.diff?.deleteBeforeReplace, false);
    assert.deepEqual(r.steps.map((s) => s.op), ["create-replacement", "replace", "delete-replaced"]);
    assert.equal(r.id, k.id);
    assert.ok(isSecret(r.outputs["pem"]));
    await withoutNetwork(env, "destroy", () => pulumiDestroy(env, urnOf(env, "key", "gen")));
    assert.equal(env.stack.size, 0);
  });

  test("docker accepts the public key: `docker trust signer add` lists the signer under the Key's ID", async () => {
    const r = await up("kim", { role: "kim" });
    const o = stripSecrets(r.outputs) as Record<string, string>;
    trackSecret(o["privateKeyPem"]!);
    const dir = await makeTempDir("pub");
    const pub = path.join(dir, "kim.pub");
    await writeFile(pub, o["publicKeyPem"]!);
    const gun = env.gun("team/keys");
    await dockerOk(["trust", "signer", "add", "--key", pub, "kim", gun], { configDir: env.dockerConfig, server: { url: env.server.url, caPem: env.server.caPem } });
    const info = await dockerInspect(env, gun);
    assert.deepEqual(info.Signers, [{ Name: "kim", Keys: [{ ID: o["keyId"] }] }]);
  });
});

describe("Key: imported key files", () => {
  test("docker's encrypted key file with its passphrase: the ID is the file name docker gave it", async () => {
    const configDir = await makeTempDir("docker-keys");
    const out = await makeTempDir("docker-pub");
    await dockerOk(["trust", "key", "generate", "lee", "--dir", out], { configDir });
    const [file] = await readdir(path.join(configDir, "trust", "private"));
    assert.ok(file);
    const pem = await readFile(path.join(configDir, "trust", "private", file), "utf8");
    trackSecret(pem);
    const passphrase = DEFAULT_PASSPHRASES["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"]!;
    const r = await withoutNetwork(env, "import", () => up("lee", { pem: secret(pem), passphrase: secret(passphrase) }));
    const o = stripSecrets(r.outputs) as Record<string, string>;
    trackSecret(o["privateKeyPem"]!);
    assert.equal(o["keyId"], file.replace(/\.key$/, ""));
    assert.equal(spki(o["publicKeyPem"]!), spki(await readFile(path.join(out, "lee.pub"), "utf8")), "same public key as docker's .pub");
    assert.ok(isSecret(r.outputs["passphrase"]) && isSecret(r.outputs["pem"]));
    assert.match(o["privateKeyPem"]!, /^-----BEGIN PRIVATE KEY-----/, "exported unencrypted as PKCS#8");

    // A wrong or missing passphrase is a Check failure on pem that names no secret.
    for (const [what, pass] of [["wrong", "not-the-passphrase"], ["missing", undefined]] as const) {
      if (pass) trackSecret(pass);
      const g = await goal("key", "lee-bad", { pem: secret(pem), ...(pass ? { passphrase: secret(pass) } : {}) });
      const e = await withoutNetwork(env, `${what} passphrase`, () => expectFailure(env, pulumiUp(env, g), /is invalid/));
      assert.ok(e instanceof CheckFailedError);
      assert.deepEqual(e.failures.map((f) => f.property), ["pem"]);
      assert.match(e.failures[0]!.reason, /passphrase/i);
    }
  });

  test("notary's encrypted key file (`notary key generate`) with the delegation passphrase", async () => {
    const out = await makeTempDir("notary-keys");
    await notaryOk(["key", "generate", "ecdsa", "--role", "mo", "-o", path.join(out, "mo")], { trustDir: await makeTempDir("td") });
    const pem = await readFile(path.join(out, "mo-key.pem"), "utf8");
    trackSecret(pem);
    const r = await up("mo", { pem: secret(pem), passphrase: secret(DEFAULT_PASSPHRASES["NOTARY_DELEGATION_PASSPHRASE"]!), role: "mo" });
    const o = stripSecrets(r.outputs) as Record<string, string>;
    trackSecret(o["privateKeyPem"]!);
    assert.equal(spki(o["publicKeyPem"]!), spki(await readFile(path.join(out, "mo.pem"), "utf8")));
    assert.equal(o["keyId"], idOf(o["privateKeyPem"]!));
  });

  test("check failures: not a PEM, a public key instead of a private one — offline", async () => {
    for (const pem of ["garbage", newKey().pub]) {
      const g = await goal("key", "bad", { pem: secret(pem) });
      const e = await withoutNetwork(env, "check", () => expectFailure(env, pulumiUp(env, g), /is invalid/));
      assert.deepEqual((e as CheckFailedError).failures.map((f) => f.property), ["pem"]);
    }
  });
});
