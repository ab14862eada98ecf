/**
 * Key files and root certificates against the real Go tools (reference §3.4, §9): what notary/docker write we read,
 * what we write notary/docker open and sign with, and notary-server accepts root certificates we generate.
 */
import { test } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import assert from "node:assert/strict";
import { X509Certificate, createHash, generateKeyPairSync } from "node:crypto";
import type { KeyPairKeyObjectResult } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  DEFAULT_PASSPHRASES,
  dockerCli,
  dockerOk,
  hasDocker,
  makeTempDir,
  notaryCli,
  notaryOk,
} from "../support/stack.ts";
import {
  keyIdOfPublicKey,
  parsePrivateKeyPkcs8,
  readPrivateKeyFile,
  readPrivateKeyFiles,
  readPublicKeyPem,
  writePrivateKeyFile,
  writePublicKeyPem,
} from "../../sdk/src/crypto/keyfile.ts";
import type { PrivateKeyType } from "../../sdk/src/crypto/keyfile.ts";
import { createRootCertificate, parseCertificate } from "../../sdk/src/crypto/x509.ts";

const server = notaryServerPerFile();

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const pkcs8Of = (k: KeyPairKeyObjectResult): Uint8Array => new Uint8Array(k.privateKey.export({ type: "pkcs8", format: "der" }));

/** The notary CLI's passphrase for a key file's role (reference §9.4). */
function notaryPassphrase(role: string | undefined): string {
  const name = role === "root" ? "ROOT" : role === "targets" ? "TARGETS" : role === "snapshot" ? "SNAPSHOT" : "DELEGATION";
  return DEFAULT_PASSPHRASES[`NOTARY_${name}_PASSPHRASE`]!;
}

interface RootJson {
  signed: { keys: Record<string, { keytype: string; keyval: { public: string } }>; roles: Record<string, { keyids: string[] }> };
}

async function readRoot(trustDir: string, gun: string): Promise<{ rootKeyId: string; certPem: string }> {
  const root = JSON.parse(await readFile(path.join(trustDir, "tuf", gun, "metadata", "root.json"), "utf8")) as RootJson;
  const rootKeyId = root.signed.roles["root"]!.keyids[0]!;
  const key = root.signed.keys[rootKeyId]!;
  assert.equal(key.keytype, "ecdsa-x509");
  return { rootKeyId, certPem: Buffer.from(key.keyval.public, "base64").toString("utf8") };
}

const privateDir = (trustDir: string): string => path.join(trustDir, "private");

test("notary init: we read every key file it writes and reproduce its root certificate's TBS", async () => {
  const gun = "example.com/keyfiles/app";
  const trustDir = await makeTempDir("trust");
  await notaryOk(["init", gun, "-p"], { trustDir, server });

  const files = readdirSync(privateDir(trustDir)).filter((f) => f.endsWith(".key"));
  assert.equal(files.length, 3);
  const byRole = new Map<string, ReturnType<typeof readPrivateKeyFile>>();
  for (const f of files) {
    const key = readPrivateKeyFile(await readFile(path.join(privateDir(trustDir), f), "utf8"), (b) => notaryPassphrase(b.role));
    assert.equal(`${key.keyId}.key`, f, "file name = canonical key ID");
    byRole.set(key.role!, key);
  }
  assert.deepEqual([...byRole.keys()].sort(), ["root", "snapshot", "targets"]);

  const { rootKeyId, certPem } = await readRoot(trustDir, gun);
  const cert = parseCertificate(certPem);
  const rootKey = byRole.get("root")!;
  assert.equal(hex(cert.publicKeySpkiDer), hex(rootKey.publicKey));
  assert.equal(keyIdOfPublicKey("ecdsa-x509", new Uint8Array(Buffer.from(certPem))), rootKeyId);

  const oursPem = createRootCertificate({ gun, privateKeyPkcs8: rootKey.pkcs8, notBefore: cert.notBefore, notAfter: cert.notAfter, serial: cert.serialNumber });
  const ours = parseCertificate(oursPem);
  assert.equal(hex(ours.tbsDer), hex(cert.tbsDer), "same DER structure field by field (only the ECDSA signature differs)");
  const x509 = new X509Certificate(oursPem);
  assert.equal(x509.verify(x509.publicKey), true, "our certificate's self-signature verifies (node:crypto)");
});

test("notary signs with key files we wrote (encrypted targets, unencrypted snapshot, re-encrypted root)", async () => {
  const gun = "example.com/keyfiles/signing";
  const trustDir = await makeTempDir("trust");
  await notaryOk(["init", gun, "-p"], { trustDir, server });
  const dir = privateDir(trustDir);
  const ourPass = { root: "our-root-pass-1", targets: "our-targets-pass-1" };
  for (const f of readdirSync(dir)) {
    const file = path.join(dir, f);
    const key = readPrivateKeyFile(await readFile(file, "utf8"), (b) => notaryPassphrase(b.role));
    const role = key.role!;
    const passphrase = role === "root" ? ourPass.root : role === "targets" ? ourPass.targets : undefined;
    const text = writePrivateKeyFile({ keyType: key.keyType, pkcs8: key.pkcs8, role, ...(key.gun ? { gun: key.gun } : {}), ...(passphrase ? { passphrase } : {}) });
    await writeFile(file, text, { mode: 0o600 });
  }
  const sha = createHash("sha256").update("abc").digest("hex");

  // The old passphrase no longer opens our targets file: notary really decrypts what we wrote.
  const wrong = await notaryCli(["addhash", gun, "v0", "3", "--sha256", sha, "-p"], { trustDir, server });
  assert.notEqual(wrong.code, 0);
  await notaryOk(["reset", gun, "--all"], { trustDir, server });

  const env = { NOTARY_TARGETS_PASSPHRASE: ourPass.targets, NOTARY_SNAPSHOT_PASSPHRASE: "unused-the-file-is-unencrypted" };
  await notaryOk(["addhash", gun, "v1", "3", "--sha256", sha, "-p"], { trustDir, server, env });
  // Root key: rotating the targets key re-signs root.json with our root file.
  await notaryOk(["key", "rotate", gun, "targets"], { trustDir, server, env: { ...env, NOTARY_ROOT_PASSPHRASE: ourPass.root } });

  // A fresh client verifies everything the server now holds.
  const fresh = await makeTempDir("trust-fresh");
  const listed = await notaryOk(["list", gun], { trustDir: fresh, server });
  assert.match(listed, /\bv1\b/);
});

test("notary-server accepts root keys and certificates we generate (init --rootkey --rootcert)", async () => {
  const cases = [
    { gun: "example.com/keyfiles/ours", years: 10 }, // PrintableString CN, UTCTime
    { gun: "example.com/keyfiles/my_app", years: 40 }, // UTF8String CN, GeneralizedTime notAfter (>= 2050)
  ];
  for (const { gun, years } of cases) {
    const work = await makeTempDir("ourroot");
    const trustDir = path.join(work, "trust");
    const pkcs8 = pkcs8Of(generateKeyPairSync("ec", { namedCurve: "P-256" }));
    const { keyId } = parsePrivateKeyPkcs8(pkcs8);
    const notBefore = new Date();
    const notAfter = new Date(notBefore.getTime() + years * 365 * 86_400_000);
    const certPem = createRootCertificate({ gun, privateKeyPkcs8: pkcs8, notBefore, notAfter });
    await writeFile(path.join(work, "root.key"), writePrivateKeyFile({ keyType: "ecdsa", pkcs8, role: "root", passphrase: "our-root-pass-2" }), { mode: 0o600 });
    await writeFile(path.join(work, "root.crt"), certPem);

    await notaryOk(["init", gun, "--rootkey", path.join(work, "root.key"), "--rootcert", path.join(work, "root.crt"), "-p"], {
      trustDir,
      server,
      env: { NOTARY_ROOT_PASSPHRASE: "our-root-pass-2" },
    });
    assert.ok(existsSync(path.join(privateDir(trustDir), `${keyId}.key`)), "notary stores our root key under our canonical ID");
    const { rootKeyId, certPem: published } = await readRoot(trustDir, gun);
    assert.equal(published, certPem, "root.json carries our PEM byte for byte");
    assert.equal(rootKeyId, keyIdOfPublicKey("ecdsa-x509", new Uint8Array(Buffer.from(certPem))));

    const fresh = await makeTempDir("trust-fresh");
    await notaryOk(["list", gun], { trustDir: fresh, server }); // Go validates our certificate (ValidateRoot)
  }
});

test("notary imports and opens key files we write (ECDSA, RSA, Ed25519)", async () => {
  const keys: [PrivateKeyType, KeyPairKeyObjectResult][] = [
    ["ecdsa", generateKeyPairSync("ec", { namedCurve: "P-256" })],
    ["rsa", generateKeyPairSync("rsa", { modulusLength: 2048 })],
    ["ed25519", generateKeyPairSync("ed25519")],
  ];
  for (const [keyType, pair] of keys) {
    const pkcs8 = pkcs8Of(pair);
    const { keyId } = parsePrivateKeyPkcs8(pkcs8);
    const role = `imp-${keyType}`;

    // 1. Unencrypted file → `notary key import` parses it, computes the same ID, re-encrypts it.
    const work = await makeTempDir("import");
    const trustDir = path.join(work, "trust");
    const plainFile = path.join(work, "key.pem");
    await writeFile(plainFile, writePrivateKeyFile({ keyType, pkcs8, role }), { mode: 0o600 });
    await notaryOk(["key", "import", plainFile], { trustDir, server });
    const stored = await readFile(path.join(privateDir(trustDir), `${keyId}.key`), "utf8");
    const back = readPrivateKeyFile(stored, notaryPassphrase(role));
    assert.equal(back.role, role);
    assert.equal(hex(back.pkcs8), hex(parsePrivateKeyPkcs8(pkcs8).pkcs8));
    assert.match(await notaryOk(["key", "list"], { trustDir }), new RegExp(keyId));

    // 2. Encrypted file placed in the key store → `notary key passwd` must decrypt it.
    const trustDir2 = await makeTempDir("passwd");
    await mkdir(privateDir(trustDir2), { recursive: true, mode: 0o700 });
    await writeFile(path.join(privateDir(trustDir2), `${keyId}.key`), writePrivateKeyFile({ keyType, pkcs8, role, passphrase: "our-deleg-pass" }), { mode: 0o600 });
    const bad = await notaryCli(["key", "passwd", keyId], { trustDir: trustDir2, env: { NOTARY_DELEGATION_PASSPHRASE: "not-it" } });
    assert.notEqual(bad.code, 0);
    await notaryOk(["key", "passwd", keyId], { trustDir: trustDir2, env: { NOTARY_DELEGATION_PASSPHRASE: "our-deleg-pass" } });
    const rewritten = readPrivateKeyFile(await readFile(path.join(privateDir(trustDir2), `${keyId}.key`), "utf8"), "our-deleg-pass");
    assert.equal(rewritten.keyId, keyId);
  }
});

test("`notary key generate -o` and `notary key export` output is read by us", async () => {
  const work = await makeTempDir("generate");
  const trustDir = path.join(work, "trust");
  const prefix = path.join(work, "alice");
  await notaryOk(["key", "generate", "ecdsa", "--role", "alice", "-o", prefix], { trustDir });
  const pubText = await readFile(`${prefix}.pem`, "utf8");
  const pub = readPublicKeyPem(pubText);
  const priv = readPrivateKeyFile(await readFile(`${prefix}-key.pem`, "utf8"), notaryPassphrase("alice"));
  assert.equal(pub.role, "alice");
  assert.equal(priv.role, "alice");
  assert.equal(hex(priv.publicKey), hex(pub.der));
  assert.equal(writePublicKeyPem(pub.der, "alice"), pubText);

  const gun = "example.com/keyfiles/export";
  await notaryOk(["init", gun, "-p"], { trustDir, server });
  const out = path.join(work, "export.pem");
  await notaryOk(["key", "export", "-o", out], { trustDir });
  const exported = readPrivateKeyFiles(await readFile(out, "utf8"), (b) => notaryPassphrase(b.role));
  assert.deepEqual(exported.map((k) => k.role).sort(), ["root", "snapshot", "targets"]);
  for (const k of exported) assert.equal(k.path, k.keyId);
});

test("docker trust key generate / load", { skip: !hasDocker() }, async () => {
  const work = await makeTempDir("docker");
  const configDir = path.join(work, "dockercfg");
  await dockerOk(["trust", "key", "generate", "dalice", "--dir", work], { configDir });
  const pubText = await readFile(path.join(work, "dalice.pub"), "utf8");
  const pub = readPublicKeyPem(pubText);
  assert.equal(pub.role, "dalice");
  assert.equal(writePublicKeyPem(pub.der, "dalice"), pubText, "byte-identical .pub");
  const id = keyIdOfPublicKey("ecdsa", pub.der);
  const priv = readPrivateKeyFile(
    await readFile(path.join(configDir, "trust", "private", `${id}.key`), "utf8"),
    DEFAULT_PASSPHRASES["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"],
  );
  assert.equal(priv.role, "dalice");
  assert.equal(hex(priv.publicKey), hex(pub.der));

  // `docker trust key load` of an unencrypted file we wrote: stored (encrypted by docker) under our key ID.
  const pkcs8 = pkcs8Of(generateKeyPairSync("ec", { namedCurve: "P-256" }));
  const { keyId } = parsePrivateKeyPkcs8(pkcs8);
  const keyFile = path.join(work, "dbob.pem");
  await writeFile(keyFile, writePrivateKeyFile({ keyType: "ecdsa", pkcs8, role: "dbob" }), { mode: 0o600 });
  const load = await dockerCli(["trust", "key", "load", "--name", "dbob", keyFile], { configDir });
  assert.equal(load.code, 0, load.stderr);
  const loaded = readPrivateKeyFile(
    await readFile(path.join(configDir, "trust", "private", `${keyId}.key`), "utf8"),
    DEFAULT_PASSPHRASES["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"],
  );
  assert.equal(loaded.role, "dbob");
  assert.equal(hex(loaded.pkcs8), hex(parsePrivateKeyPkcs8(pkcs8).pkcs8));
});
