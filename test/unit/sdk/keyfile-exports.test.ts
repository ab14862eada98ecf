// SDK users read and write notary's and docker's key files through the public entry point (pulumi-notary/sdk): a
// file docker made opens with its passphrase, and a file written here opens again with the same key ID.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import * as sdk from "../../../sdk/src/index.ts";

const KEYS = path.resolve(import.meta.dirname, "../../fixtures/keys");

test("a docker trust key generate file opens through the SDK's public exports", () => {
  const dir = path.join(KEYS, "docker-key-generate/private");
  const file = readdirSync(dir).find((f) => f.endsWith(".key"))!;
  const key = sdk.readPrivateKeyFile(readFileSync(path.join(dir, file), "utf8"), "dockerrepo123");
  assert.equal(key.keyId, file.replace(/\.key$/, ""), "the file is named by its key ID");
  assert.equal(key.role, "dalice");
  const pub = sdk.readPublicKeyPem(readFileSync(path.join(KEYS, "docker-key-generate/dalice.pub"), "utf8"));
  assert.equal(pub.role, "dalice");
});

test("writePrivateKeyFile (encrypted) and writePublicKeyPem round-trip through the reader", () => {
  const k = sdk.PrivateKey.generate();
  const text = sdk.writePrivateKeyFile({ keyType: "ecdsa", pkcs8: k.exportPkcs8(), role: "ci", passphrase: "correct horse" });
  assert.match(text, /BEGIN ENCRYPTED PRIVATE KEY/);
  assert.equal(sdk.readPrivateKeyFile(text, "correct horse").keyId, k.id);
  assert.throws(() => sdk.readPrivateKeyFile(text, "wrong"), (e: Error & { code?: string }) => e.code === "KEY_PASSPHRASE_INCORRECT");
  assert.equal(sdk.readPublicKeyPem(sdk.writePublicKeyPem(k.publicKey.public, "ci")).role, "ci");
});
