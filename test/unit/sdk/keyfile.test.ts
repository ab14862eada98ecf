import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createCipheriv, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import {
  keyIdOfPublicKey,
  parsePrivateKeyPkcs8,
  readPrivateKeyFile,
  readPrivateKeyFiles,
  readPublicKeyPem,
  toNotaryPkcs8,
  writePrivateKeyFile,
  writePublicKeyPem,
} from "../../../sdk/src/crypto/keyfile.ts";
import type { PrivateKeyFile } from "../../../sdk/src/crypto/keyfile.ts";
import { decryptPkcs8, encryptPkcs8 } from "../../../sdk/src/crypto/pbes2.ts";
import { OID } from "../../../sdk/src/crypto/oid.ts";
import { decodePemBlocks, encodePem } from "../../../sdk/src/crypto/pem.ts";
import { parseCertificate } from "../../../sdk/src/crypto/x509.ts";
import { TAG, children, decodeDer, readOctetString, readOid, readSmallInteger, sequenceOf } from "../../../sdk/src/crypto/asn1-decode.ts";
import type { KeyType } from "../../../sdk/src/crypto/key-types.ts";

const fixtureUrl = (p: string): URL => new URL(`../../fixtures/keys/${p}`, import.meta.url);
const fixture = (p: string): string => readFileSync(fixtureUrl(p), "utf8");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Passphrases the fixtures were made with (fixtures/keys/README.md). Test-only values. */
const PASS: Record<string, string> = {
  root: "rootpass123",
  targets: "targetspass123",
  snapshot: "snappass123",
  delegation: "delegpass123",
  docker: "dockerrepo123",
};
const byRole = (b: { role?: string }): string | undefined => PASS[b.role ?? ""] ?? PASS["delegation"];

/** Salt and IV of a notary-written file, to re-create it deterministically. */
function saltAndIv(pem: string): { salt: Uint8Array; iv: Uint8Array } {
  const [alg] = sequenceOf(decodeDer(decodePemBlocks(pem)[0]!.bytes));
  const [kdf, enc] = sequenceOf(sequenceOf(alg)[1]);
  return { salt: readOctetString(sequenceOf(sequenceOf(kdf)[1])[0]), iv: readOctetString(sequenceOf(enc)[1]) };
}

/** Checks the key works with node:crypto and its public key/ID are consistent. */
function checkUsable(k: PrivateKeyFile): void {
  const priv = createPrivateKey({ key: Buffer.from(k.pkcs8), format: "der", type: "pkcs8" });
  const pub = createPublicKey(priv);
  if (k.keyType === "ed25519") {
    assert.equal(hex(k.publicKey), hex(pub.export({ type: "spki", format: "der" }).subarray(12)));
    assert.equal(hex(k.pkcs8).slice(0, 32), "302e020100300506032b657004220420");
  } else {
    assert.equal(hex(k.publicKey), hex(pub.export({ type: "spki", format: "der" })));
  }
  assert.equal(k.keyId, keyIdOfPublicKey(k.keyType, k.publicKey));
  const msg = Buffer.from("notary");
  const hash = k.keyType === "ed25519" ? null : "sha256";
  assert.equal(verify(hash, msg, pub, sign(hash, msg, priv)), true);
}

test("reads the key files `notary init` wrote: IDs match file names, headers, passphrases", () => {
  const dir = "notary-init/private";
  const files = readdirSync(fixtureUrl(dir));
  assert.equal(files.length, 3);
  const roles: string[] = [];
  for (const f of files) {
    const text = fixture(`${dir}/${f}`);
    const k = readPrivateKeyFile(text, byRole);
    assert.equal(`${k.keyId}.key`, f);
    assert.equal(k.keyType, "ecdsa");
    assert.equal(k.encrypted, true);
    assert.equal(k.blockType, "ENCRYPTED PRIVATE KEY");
    roles.push(k.role!);
    assert.equal(k.gun, k.role === "root" ? undefined : "example.com/test/app");
    checkUsable(k);
  }
  assert.deepEqual(roles.sort(), ["root", "snapshot", "targets"]);
});

test("the root key matches the root certificate; root.json key IDs recompute (ecdsa, ecdsa-x509, ed25519)", () => {
  const root = readPrivateKeyFile(fixture("notary-init/private/830d76827bdea5cfee9e639d8f5d7d5d7e8426287c526363968f33c94be6e9c3.key"), PASS["root"]);
  assert.equal(hex(root.publicKey), hex(parseCertificate(fixture("notary-init/root-cert.pem")).publicKeySpkiDer));
  const meta = JSON.parse(fixture("notary-init/root.json")) as { signed: { keys: Record<string, { keytype: string; keyval: { public: string } }> } };
  const types = new Set<string>();
  for (const [id, key] of Object.entries(meta.signed.keys)) {
    types.add(key.keytype);
    assert.equal(keyIdOfPublicKey(key.keytype as KeyType, new Uint8Array(Buffer.from(key.keyval.public, "base64"))), id);
  }
  assert.deepEqual([...types].sort(), ["ecdsa", "ecdsa-x509", "ed25519"]);
});

test("writePrivateKeyFile reproduces files written by notary and docker byte for byte", () => {
  const cases: [string, string, string | undefined][] = [
    ["notary-init/private/830d76827bdea5cfee9e639d8f5d7d5d7e8426287c526363968f33c94be6e9c3.key", PASS["root"]!, undefined],
    ["notary-init/private/198cb02643594abf5b4c61770d15089493aaae51f6d78545cc00894f82da6f7b.key", PASS["targets"]!, "example.com/test/app"],
    ["notary-init/private/0307eb04fb8e619b83becb4e17522d5c79f0edbb23f30ee5478415689f392656.key", PASS["snapshot"]!, "example.com/test/app"],
    ["notary-key-generate/alice-key.pem", PASS["delegation"]!, undefined],
    ["docker-key-generate/private/e11635f6c7004e64d186e1f2b4f955e36e679b5e2eaa55096b36bd7349a03efb.key", PASS["docker"]!, undefined],
    ["notary-import-rsa/private/882fb62d5b78f46e9e8b3a62ced5c44cd45214d936679d60c27d47c02491ad03.key", PASS["delegation"]!, undefined],
    ["notary-import-ed25519/private/ff75c37cfd9d9619cad7fd316e8094e698847596e6dae319c39736274a306cad.key", PASS["delegation"]!, undefined],
  ];
  for (const [file, passphrase, gun] of cases) {
    const text = fixture(file);
    const k = readPrivateKeyFile(text, passphrase);
    const again = writePrivateKeyFile({ keyType: k.keyType, pkcs8: k.pkcs8, role: k.role!, passphrase, ...(gun ? { gun } : {}), ...saltAndIv(text) });
    assert.equal(again, text, file);
  }
});

test("notary's inner PKCS#8 shapes (§9.2)", () => {
  const inner = (file: string, pass: string): Uint8Array[] => {
    const der = decryptPkcs8(decodePemBlocks(fixture(file))[0]!.bytes, pass).privateKeyInfo;
    return [der, ...sequenceOf(decodeDer(der)).map((e) => e.raw)];
  };
  // ECDSA: version 1; {ecPublicKey, prime256v1}; SEC1 with [0] curve and [1] public key.
  const [ecDer, ecVersion, ecAlg, ecKey] = inner("notary-init/private/198cb02643594abf5b4c61770d15089493aaae51f6d78545cc00894f82da6f7b.key", PASS["targets"]!);
  assert.equal(readSmallInteger(decodeDer(ecVersion!)), 1);
  assert.deepEqual(sequenceOf(decodeDer(ecAlg!)).map((e) => readOid(e)), [OID.ecPublicKey, OID.p256]);
  assert.deepEqual(children(decodeDer(readOctetString(decodeDer(ecKey!)))).map((e) => e.tag), [TAG.INTEGER, TAG.OCTET_STRING, 0xa0, 0xa1]);
  const ecFile = readPrivateKeyFile(fixture("notary-init/private/198cb02643594abf5b4c61770d15089493aaae51f6d78545cc00894f82da6f7b.key"), PASS["targets"]);
  assert.equal(hex(toNotaryPkcs8(ecFile.pkcs8)), hex(ecDer!));
  // RSA: version 0; {rsaEncryption} without NULL.
  const [, rsaVersion, rsaAlg] = inner("notary-import-rsa/private/882fb62d5b78f46e9e8b3a62ced5c44cd45214d936679d60c27d47c02491ad03.key", PASS["delegation"]!);
  assert.equal(readSmallInteger(decodeDer(rsaVersion!)), 0);
  assert.equal(hex(rsaAlg!), "300b06092a864886f70d010101");
  // Ed25519: version 0; {1.3.6.1.4.1.11591.15.1}; 96 bytes pub ‖ seed ‖ pub.
  const [, edVersion, edAlg, edKey] = inner("notary-import-ed25519/private/ff75c37cfd9d9619cad7fd316e8094e698847596e6dae319c39736274a306cad.key", PASS["delegation"]!);
  assert.equal(readSmallInteger(decodeDer(edVersion!)), 0);
  assert.equal(hex(edAlg!), "300b06092b06010401da470f01");
  const raw = readOctetString(decodeDer(edKey!));
  assert.equal(raw.length, 96);
  assert.equal(hex(raw.subarray(0, 32)), hex(raw.subarray(64)));
});

test("the PBES2 envelope is exactly notary's: PBKDF2 (no PRF, SHA-1), 8-byte salt, 2048 rounds, AES-256-CBC", () => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pkcs8 = new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" }));
  const text = writePrivateKeyFile({ keyType: "ecdsa", pkcs8, role: "targets", gun: "example.com/app", passphrase: "p" });
  assert.match(text, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example\.com\/app\nrole: targets\n\n/);
  const [alg, data] = sequenceOf(decodeDer(decodePemBlocks(text)[0]!.bytes));
  const [pbes2, params] = sequenceOf(alg);
  assert.equal(readOid(pbes2), OID.pbes2);
  const [kdf, enc] = sequenceOf(params);
  const [kdfOid, kdfParams] = sequenceOf(kdf);
  assert.equal(readOid(kdfOid), OID.pbkdf2);
  const kp = sequenceOf(kdfParams);
  assert.equal(kp.length, 2); // salt and iteration count only
  assert.equal(readOctetString(kp[0]).length, 8);
  assert.equal(readSmallInteger(kp[1]), 2048);
  const [encOid, iv] = sequenceOf(enc);
  assert.equal(readOid(encOid), OID.aes256Cbc);
  assert.equal(readOctetString(iv).length, 16);
  assert.equal(readOctetString(data).length % 16, 0);
  const back = readPrivateKeyFile(text, "p");
  assert.equal(hex(back.pkcs8), hex(parsePrivateKeyPkcs8(pkcs8).pkcs8));
  // Node (OpenSSL) can open it too once the headers are stripped (§9.3).
  const stripped = text.replace(/^(gun|role): .*\n/gm, "").replace("-----\n\n", "-----\n");
  const viaNode = createPrivateKey({ key: stripped, format: "pem", passphrase: "p" });
  assert.equal(hex(viaNode.export({ type: "pkcs8", format: "der" })), hex(back.pkcs8));
});

test("encryptPkcs8 / decryptPkcs8 with fixed salt and IV are deterministic and reversible", () => {
  const inner = toNotaryPkcs8(readPrivateKeyFile(fixture("openssl/ec-pkcs8-plain.pem")).pkcs8);
  const salt = new Uint8Array(8).fill(1);
  const iv = new Uint8Array(16).fill(2);
  const a = encryptPkcs8(inner, "pässphrase", { salt, iv });
  assert.equal(hex(a), hex(encryptPkcs8(inner, "pässphrase", { salt, iv })));
  assert.deepEqual(decryptPkcs8(a, "pässphrase"), { privateKeyInfo: inner, paddingValid: true });
  assert.throws(() => decryptPkcs8(a, "passphrase"), { code: "KEY_PASSPHRASE_INCORRECT" });
  assert.throws(() => encryptPkcs8(inner, "p", { salt: new Uint8Array(7) }), { code: "INPUT_INVALID" });
});

test("unencrypted files: PRIVATE KEY block in notary's shape; gun only for targets/snapshot/timestamp", () => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pkcs8 = new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" }));
  const id = parsePrivateKeyPkcs8(pkcs8).keyId;
  for (const [role, gunExpected] of [
    ["targets", true],
    ["snapshot", true],
    ["timestamp", true],
    ["root", false],
    ["targets/releases", false],
    ["dalice", false],
  ] as [string, boolean][]) {
    const text = writePrivateKeyFile({ keyType: "ecdsa", pkcs8, role, gun: "example.com/app" });
    assert.ok(text.startsWith(`-----BEGIN PRIVATE KEY-----\n${gunExpected ? "gun: example.com/app\n" : ""}role: ${role}\n\n`), role);
    const k = readPrivateKeyFile(text);
    assert.equal(k.encrypted, false);
    assert.equal(k.keyId, id);
    assert.equal(k.gun, gunExpected ? "example.com/app" : undefined);
    assert.equal(hex(decodePemBlocks(text)[0]!.bytes), hex(toNotaryPkcs8(pkcs8)));
  }
  assert.equal(writePrivateKeyFile({ keyType: "ecdsa", pkcs8, role: "root", passphrase: "" }).split("\n")[0], "-----BEGIN PRIVATE KEY-----");
  assert.throws(() => writePrivateKeyFile({ keyType: "ecdsa", pkcs8, role: "targets" }), { code: "INPUT_INVALID" });
  assert.throws(() => writePrivateKeyFile({ keyType: "ecdsa", pkcs8, role: "" }), { code: "INPUT_INVALID" });
  assert.throws(() => writePrivateKeyFile({ keyType: "ecdsa", pkcs8, role: "a\nb" }), { code: "INPUT_INVALID" });
  assert.throws(() => writePrivateKeyFile({ keyType: "rsa", pkcs8, role: "root" }), { code: "INPUT_INVALID" });
  assert.throws(() => writePrivateKeyFile({ keyType: "ecdsa", pkcs8: new Uint8Array([0x30, 0]), role: "root" }), { code: "KEY_INVALID" });
});

test("passphrase errors: required, incorrect, never echoed", () => {
  const text = fixture("notary-init/private/198cb02643594abf5b4c61770d15089493aaae51f6d78545cc00894f82da6f7b.key");
  assert.throws(() => readPrivateKeyFile(text), { code: "KEY_PASSPHRASE_REQUIRED" });
  assert.throws(() => readPrivateKeyFile(text, ""), { code: "KEY_PASSPHRASE_REQUIRED" });
  assert.throws(() => readPrivateKeyFile(text, () => undefined), { code: "KEY_PASSPHRASE_REQUIRED" });
  for (const wrong of ["targetspass12", "rootpass123", "x".repeat(100)]) {
    assert.throws(
      () => readPrivateKeyFile(text, wrong),
      (e: Error & { code?: string; details?: unknown }) => {
        assert.equal(e.code, "KEY_PASSPHRASE_INCORRECT");
        assert.ok(!e.message.includes(wrong) && !JSON.stringify(e.details ?? {}).includes(wrong));
        return true;
      },
    );
  }
  assert.throws(() => readPrivateKeyFile(fixture("openssl/ec-sec1-aes256.pem"), "wrong"), { code: "KEY_PASSPHRASE_INCORRECT" });
  assert.throws(() => readPrivateKeyFile(fixture("openssl/ec-sec1-aes256.pem")), { code: "KEY_PASSPHRASE_REQUIRED" });
  // An unencrypted key ignores any passphrase, as notary does.
  assert.equal(readPrivateKeyFile(fixture("openssl/ec-sec1.pem"), "ignored").encrypted, false);
});

test("`notary key export` output: every block, path header = key ID, per-block passphrases", () => {
  const text = fixture("notary-key-export/export-all.pem");
  const keys = readPrivateKeyFiles(text, byRole);
  assert.deepEqual(keys.map((k) => k.role), ["snapshot", "targets", "root"]);
  for (const k of keys) {
    assert.equal(k.path, k.keyId);
    assert.equal(k.headers["path"], k.keyId);
  }
  assert.equal(readPrivateKeyFile(text, byRole).role, "snapshot"); // the first block, as notary reads a file
  assert.throws(() => readPrivateKeyFiles(text, PASS["targets"]), { code: "KEY_PASSPHRASE_INCORRECT" });
});

test("`notary key generate` and `docker trust key generate` pairs; writePublicKeyPem is byte-identical", () => {
  const pairs: [string, string, string, string][] = [
    ["notary-key-generate/alice.pem", "notary-key-generate/alice-key.pem", PASS["delegation"]!, "alice"],
    ["docker-key-generate/dalice.pub", "docker-key-generate/private/e11635f6c7004e64d186e1f2b4f955e36e679b5e2eaa55096b36bd7349a03efb.key", PASS["docker"]!, "dalice"],
  ];
  for (const [pubFile, keyFile, pass, role] of pairs) {
    const pubText = fixture(pubFile);
    const pub = readPublicKeyPem(pubText);
    assert.equal(pub.kind, "spki");
    assert.equal(pub.keyType, "ecdsa");
    assert.equal(pub.role, role);
    const priv = readPrivateKeyFile(fixture(keyFile), pass);
    assert.equal(priv.role, role);
    assert.equal(hex(priv.publicKey), hex(pub.der));
    assert.equal(writePublicKeyPem(pub.der, role), pubText);
    checkUsable(priv);
  }
  assert.equal(
    writePublicKeyPem(readPublicKeyPem(fixture("docker-key-generate/dalice.pub")).der),
    fixture("docker-key-generate/dalice.pub").replace("role: dalice\n\n", ""),
  );
});

test("readPublicKeyPem: certificates, RSA and Ed25519 SPKI, errors", () => {
  const cert = readPublicKeyPem(fixture("notary-init/root-cert.pem"));
  assert.equal(cert.kind, "certificate");
  assert.equal(cert.keyType, "ecdsa");
  assert.equal(cert.role, undefined);
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "der" });
  assert.equal(readPublicKeyPem(writePublicKeyPem(new Uint8Array(rsa), "bob")).keyType, "rsa");
  const ed = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "der" });
  assert.equal(readPublicKeyPem(writePublicKeyPem(new Uint8Array(ed))).keyType, "ed25519");
  assert.throws(() => readPublicKeyPem(""), { code: "KEY_FILE_INVALID" });
  assert.throws(() => readPublicKeyPem(fixture("openssl/ec-sec1.pem")), { code: "KEY_FILE_INVALID" });
  assert.throws(() => readPublicKeyPem("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"), { code: "KEY_INVALID" });
  assert.throws(() => writePublicKeyPem(new Uint8Array([0x30, 0])), { code: "KEY_INVALID" });
});

test("RSA and Ed25519 keys imported by notary", () => {
  const rsa = readPrivateKeyFile(fixture("notary-import-rsa/private/882fb62d5b78f46e9e8b3a62ced5c44cd45214d936679d60c27d47c02491ad03.key"), PASS["delegation"]);
  assert.equal(rsa.keyType, "rsa");
  assert.equal(rsa.keyId, "882fb62d5b78f46e9e8b3a62ced5c44cd45214d936679d60c27d47c02491ad03");
  checkUsable(rsa);
  // The OpenSSL PKCS#8 (with the NULL parameter) that was imported gives the same key.
  const input = readPrivateKeyFile(fixture("notary-import-rsa/rsa-carol.pem"));
  assert.equal(input.role, "carol");
  assert.equal(hex(input.pkcs8), hex(rsa.pkcs8));

  const ed = readPrivateKeyFile(fixture("notary-import-ed25519/private/ff75c37cfd9d9619cad7fd316e8094e698847596e6dae319c39736274a306cad.key"), PASS["delegation"]);
  assert.equal(ed.keyType, "ed25519");
  assert.equal(ed.keyId, "ff75c37cfd9d9619cad7fd316e8094e698847596e6dae319c39736274a306cad");
  assert.equal(ed.publicKey.length, 32);
  checkUsable(ed);
  assert.equal(hex(readPrivateKeyFile(fixture("notary-import-ed25519/ed-plain.pem")).pkcs8), hex(ed.pkcs8));
});

test("OpenSSL-made files: legacy SEC1 (plain, AES, 3DES), PKCS#8 with SHA-1/SHA-256 PRF, RSA PKCS#1, RFC 8410, P-384", () => {
  const ecId = "361c7f885d779282d5da81631de2f0225a88cf5963eb21c69810a7cc46816038";
  const cases: [string, string | undefined, string, string][] = [
    ["openssl/ec-sec1.pem", undefined, "ecdsa", ecId],
    ["openssl/ec-sec1-aes256.pem", "legacypass", "ecdsa", ecId],
    ["openssl/ec-sec1-des3.pem", "legacypass", "ecdsa", ecId],
    ["openssl/ec-pkcs8-plain.pem", undefined, "ecdsa", ecId],
    ["openssl/ec-pkcs8-prf-sha1.pem", "opensslpass", "ecdsa", ecId],
    ["openssl/ec-pkcs8-prf-sha256.pem", "opensslpass", "ecdsa", ecId],
    ["openssl/rsa-pkcs1.pem", undefined, "rsa", ""],
    ["openssl/ed25519-rfc8410.pem", undefined, "ed25519", ""],
    ["openssl/p384-pkcs8-plain.pem", undefined, "ecdsa", ""],
  ];
  for (const [file, pass, type, id] of cases) {
    const k = readPrivateKeyFile(fixture(file), pass);
    assert.equal(k.keyType, type, file);
    if (id) assert.equal(k.keyId, id, file);
    checkUsable(k);
    // And back out in notary's format.
    const again = readPrivateKeyFile(writePrivateKeyFile({ keyType: k.keyType, pkcs8: k.pkcs8, role: "x", passphrase: "q" }), "q");
    assert.equal(hex(again.pkcs8), hex(k.pkcs8), file);
  }
  assert.throws(() => readPrivateKeyFile(fixture("openssl/ec-pkcs8-pbes1.pem"), "opensslpass"), { code: "KEY_UNSUPPORTED" });
});

test("malformed and unsupported files", () => {
  assert.throws(() => readPrivateKeyFile(""), { code: "KEY_FILE_INVALID" });
  assert.throws(() => readPrivateKeyFile("-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n"), { code: "KEY_FILE_INVALID" });
  assert.throws(() => readPrivateKeyFile("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"), { code: "KEY_INVALID" });
  assert.throws(() => readPrivateKeyFile(fixture("notary-key-generate/alice.pem")), { code: "KEY_FILE_INVALID" });
  assert.throws(() => readPrivateKeyFile("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), { code: "KEY_UNSUPPORTED" });
  assert.throws(() => readPrivateKeyFile("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n", "p"), { code: "KEY_FILE_INVALID" });
  // A DSA key is not something notary can use.
  const dsa = generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  assert.throws(() => readPrivateKeyFile(dsa), { code: "KEY_UNSUPPORTED" });
  // Notary Ed25519 bytes whose embedded public key does not match the seed.
  const ed = fixture("notary-import-ed25519/ed-plain.pem");
  const der = Buffer.from(decodePemBlocks(ed)[0]!.bytes);
  der[der.length - 1]! ^= 1;
  const bad = `-----BEGIN PRIVATE KEY-----\n${der.toString("base64")}\n-----END PRIVATE KEY-----\n`;
  assert.throws(() => readPrivateKeyFile(bad), { code: "KEY_INVALID" });
});

test("keyIdOfPublicKey", () => {
  const spki = readPublicKeyPem(fixture("docker-key-generate/dalice.pub")).der;
  assert.equal(keyIdOfPublicKey("ecdsa", spki), "e11635f6c7004e64d186e1f2b4f955e36e679b5e2eaa55096b36bd7349a03efb");
});

test("legacy ED25519 PRIVATE KEY blocks (older notary), plain and RFC 1423-encrypted, open to notary's key", () => {
  const id = "ff75c37cfd9d9619cad7fd316e8094e698847596e6dae319c39736274a306cad";
  const file = fixture(`notary-import-ed25519/private/${id}.key`);
  const inner = decryptPkcs8(decodePemBlocks(file)[0]!.bytes, PASS["delegation"]!).privateKeyInfo;
  const raw = readOctetString(sequenceOf(decodeDer(inner))[2]); // pub ‖ seed ‖ pub
  const plain = readPrivateKeyFile(encodePem("ED25519 PRIVATE KEY", raw, { role: "carol" }));
  assert.deepEqual([plain.keyId, plain.keyType, plain.encrypted, plain.role], [id, "ed25519", false, "carol"]);
  // Go's EncryptPEMBlock: EVP_BytesToKey(MD5, salt = IV[:8]) then AES-256-CBC with PKCS#7 padding.
  const iv = new Uint8Array(16).fill(7);
  const d1 = createHash("md5").update("legacypass").update(iv.subarray(0, 8)).digest();
  const d2 = createHash("md5").update(d1).update("legacypass").update(iv.subarray(0, 8)).digest();
  const cipher = createCipheriv("aes-256-cbc", Buffer.concat([d1, d2]), iv);
  const encrypted = new Uint8Array(Buffer.concat([cipher.update(raw), cipher.final()]));
  const text = encodePem("ED25519 PRIVATE KEY", encrypted, { "Proc-Type": "4,ENCRYPTED", "DEK-Info": `AES-256-CBC,${hex(iv).toUpperCase()}` });
  const opened = readPrivateKeyFile(text, "legacypass");
  assert.deepEqual([opened.keyId, opened.encrypted], [id, true]);
  assert.throws(() => readPrivateKeyFile(text), { code: "KEY_PASSPHRASE_REQUIRED" });
  assert.throws(() => readPrivateKeyFile(text, "wrongpass"), { code: "KEY_PASSPHRASE_INCORRECT" });
});

test("node:crypto loads the keys; a curve Go lacks is KEY_UNSUPPORTED", () => {
  const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey;
  assert.throws(() => readPrivateKeyFile(k1.export({ type: "pkcs8", format: "pem" }) as string), { code: "KEY_UNSUPPORTED" });
  assert.throws(() => readPrivateKeyFile(k1.export({ type: "sec1", format: "pem" }) as string), { code: "KEY_UNSUPPORTED" });
  const p521 = generateKeyPairSync("ec", { namedCurve: "P-521" }).privateKey;
  const k = readPrivateKeyFile(writePrivateKeyFile({ keyType: "ecdsa", pkcs8: new Uint8Array(p521.export({ type: "pkcs8", format: "der" })), role: "x" }));
  assert.equal(hex(k.pkcs8), hex(p521.export({ type: "pkcs8", format: "der" })));
  checkUsable(k);
});
