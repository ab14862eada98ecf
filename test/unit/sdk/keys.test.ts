/**
 * TUF key IDs and canonical key IDs of every key object Go wrote (keyids.json, recomputed by vectors.py and matched
 * against the metadata), and the link to the private key files (file name = canonical ID). Reference §3.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  canonicalKeyId,
  isX509Key,
  keyFromJson,
  keyId,
  keyJsonId,
  keyToJson,
  plainKeyOf,
  publicKeyFromCertificatePem,
  publicKeyFromSpki,
} from "../../../sdk/src/crypto/keys.ts";
import { canonicalJson } from "../../../sdk/src/canonical-json.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { fromBase64 } from "../../../sdk/src/encoding.ts";
import type { KeyJson } from "../../../sdk/src/metadata/types.ts";
import { GO_DIR, goBytes, goJson, goText, keyIdsJson, privateKeysJson, utf8Text } from "../helpers/go-fixtures.ts";
import { readdirSync } from "node:fs";

const KEYS = keyIdsJson();
const sha256 = (s: string | Uint8Array) => createHash("sha256").update(s).digest("hex");

test("fixture coverage: every key type notary knows", () => {
  assert.deepEqual(KEYS.counts_by_keytype, { ecdsa: 15, ed25519: 8, "ecdsa-x509": 9, rsa: 1, "rsa-x509": 1 });
  assert.equal(KEYS.keys.length, 34);
});

for (const k of KEYS.keys) {
  test(`${k.keytype} ${k.keyid.slice(0, 12)}: key ID${k.keytype.endsWith("x509") ? " and canonical ID" : ""} equal Go's`, () => {
    const kj = JSON.parse(k.key_json) as KeyJson;
    assert.equal(kj.keytype, k.keytype);
    // Go's key_json is already canonical: our serializer reproduces it and its hash is the ID.
    assert.equal(canonicalJson(kj), k.key_json);
    assert.equal(sha256(k.key_json), k.keyid);
    assert.equal(keyJsonId(kj), k.keyid);
    const pub = keyFromJson(kj);
    assert.equal(keyId(pub), k.keyid);
    assert.deepEqual(keyToJson(pub), kj);
    assert.ok(k.canonical_keyid, "vectors.py records the canonical ID");
    assert.equal(canonicalKeyId(pub), k.canonical_keyid);
    if (isX509Key(pub)) {
      assert.notEqual(k.canonical_keyid, k.keyid);
      const plain = plainKeyOf(pub);
      assert.equal(plain.keyType, k.keytype === "ecdsa-x509" ? "ecdsa" : "rsa");
      assert.equal(keyId(plain), k.canonical_keyid);
      // The certificate, re-read from its PEM, gives the same key object.
      assert.equal(keyId(publicKeyFromCertificatePem(utf8Text(pub.public))), k.keyid);
    } else {
      assert.equal(plainKeyOf(pub), pub);
      assert.equal(k.canonical_keyid, k.keyid);
      // Rebuilt from DER SPKI (ecdsa, rsa) or from the SPKI wrapping the raw Ed25519 key.
      const spki =
        k.keytype === "ed25519" ? Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), pub.public]) : Buffer.from(pub.public);
      const rebuilt = publicKeyFromSpki(new Uint8Array(spki));
      assert.equal(rebuilt.keyType, k.keytype);
      assert.equal(keyId(rebuilt), k.keyid);
    }
    for (const f of k.private_key_files ?? []) assert.equal(f.split("/").pop(), `${k.canonical_keyid}.key`);
  });
}

test("server key endpoints (std json.Marshal order, public before private) give the IDs in root.json", () => {
  const dir = new URL("repos/", GO_DIR);
  let checked = 0;
  for (const repo of readdirSync(dir)) {
    const root = goJson<{ signed: { roles: Record<string, { keyids: string[] }> } }>(`repos/${repo}/root.json`);
    for (const role of ["timestamp", "snapshot"]) {
      let text: string;
      try {
        text = goText(`repos/${repo}/${role}.key`);
      } catch {
        continue;
      }
      assert.match(text, /^\{"keytype":"ed25519","keyval":\{"public":"[^"]+","private":null\}\}$/);
      const kj = JSON.parse(text) as KeyJson;
      assert.deepEqual(root.signed.roles[role]!.keyids, [keyJsonId(kj)], `${repo} ${role}`);
      checked++;
    }
  }
  assert.equal(checked, 8); // six timestamp.key, two snapshot.key (server-signed snapshots)
});

test("root certificates in certs/ are the exact keyval.public bytes, named by TUF ID", () => {
  for (const f of readdirSync(new URL("certs/", GO_DIR)).filter((n) => n.endsWith(".pem"))) {
    const pem = goBytes(`certs/${f}`);
    const repo = f.replace(/-root-[0-9a-f]{8}\.pem$/, "");
    const id8 = /-root-([0-9a-f]{8})\.pem$/.exec(f)![1]!;
    const root = goJson<{ signed: { keys: Record<string, KeyJson>; roles: { root: { keyids: string[] } } } }>(`repos/${repo}/root.json`);
    const id = root.signed.roles.root.keyids[0]!;
    assert.ok(id.startsWith(id8), f);
    assert.equal(Buffer.from(fromBase64(root.signed.keys[id]!.keyval.public)).toString("hex"), Buffer.from(pem).toString("hex"));
    assert.equal(keyId(publicKeyFromCertificatePem(utf8Text(pem))), id);
  }
});

test("docker trust inspect IDs: Root = certificate ID, Repository = targets key ID, Signers = canonical IDs", () => {
  const byId = new Map(KEYS.keys.map((k) => [k.keyid, k]));
  const byCanonical = new Map(KEYS.keys.map((k) => [k.canonical_keyid, k]));
  assert.ok(KEYS.docker_inspect_crosscheck.length >= 4);
  for (const c of KEYS.docker_inspect_crosscheck) {
    const k = byId.get(c.ID) ?? byCanonical.get(c.ID);
    assert.ok(k, `${c.group} ${c.name} ${c.ID} is a known key`);
    const pub = keyFromJson(JSON.parse(k.key_json) as KeyJson);
    if (c.name === "Root") assert.equal(keyId(pub), c.ID);
    else assert.equal(canonicalKeyId(pub), c.ID);
  }
});

test("every Go private key file: its public key's ID is the file name (the canonical ID)", () => {
  const keys = privateKeysJson().keys;
  assert.equal(keys.length, 24);
  const types = new Set<string>();
  for (const k of keys) {
    const pk = PrivateKey.fromPkcs8(new Uint8Array(Buffer.from(k.pkcs8_der_b64, "base64")));
    types.add(pk.keyType);
    assert.equal(`${pk.id}.key`, k.file.split("/").pop());
    assert.equal(keyId(pk.publicKey), pk.id);
  }
  assert.deepEqual([...types].sort(), ["ecdsa", "rsa"]);
});

test("unsupported key types and bad base64 are refused with codes", () => {
  assert.throws(() => keyFromJson({ keytype: "dsa", keyval: { private: null, public: "AAAA" } }), { code: "KEY_UNSUPPORTED" });
  assert.throws(() => keyFromJson({ keytype: "ecdsa", keyval: { private: null, public: "not base64!" } }), { code: "ENCODING_INVALID" });
  // keyJsonId hashes whatever the object says, as Go's TUFKey.ID does (no decoding).
  assert.equal(
    keyJsonId({ keytype: "unknown", keyval: { private: null, public: "AAAA" } }),
    sha256('{"keytype":"unknown","keyval":{"private":null,"public":"AAAA"}}'),
  );
  assert.throws(() => plainKeyOf({ keyType: "ecdsa-x509", public: new TextEncoder().encode("no pem here") }), { code: "X509_INVALID" });
});
