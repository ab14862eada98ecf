import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import type { KeyPairKeyObjectResult } from "node:crypto";
import { createRootCertificate, parseCertificate } from "../../../sdk/src/crypto/x509.ts";
import { KEY_USAGE, createRootCertificateDer } from "../../../sdk/src/crypto/x509-build.ts";
import { OID } from "../../../sdk/src/crypto/oid.ts";
import { certificateToPem } from "../../../sdk/src/crypto/pem.ts";
import { keyIdOfPublicKey, readPrivateKeyFile } from "../../../sdk/src/crypto/keyfile.ts";
import { TAG, children, decodeDer } from "../../../sdk/src/crypto/asn1-decode.ts";
import { encodeTlv } from "../../../sdk/src/crypto/asn1-encode.ts";
import { validRootKeyIds } from "../../../sdk/src/trust/root.ts";
import type { Root } from "../../../sdk/src/metadata/types.ts";

/** Whether a certificate's signature verifies with `issuerSpki` (its own key by default), as node:crypto checks it. */
function signatureVerifies(cert: { der: Uint8Array; publicKeySpkiDer: Uint8Array }, issuerSpki: Uint8Array = cert.publicKeySpkiDer): boolean {
  return new X509Certificate(Buffer.from(cert.der)).verify(createPublicKey({ key: Buffer.from(issuerSpki), format: "der", type: "spki" }));
}

const fixture = (p: string): string => readFileSync(new URL(`../../fixtures/keys/${p}`, import.meta.url), "utf8");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const DAY = 86_400_000;

/** Root certificates made by `notary init` (Go), with the root keys that signed them. See fixtures/keys/README.md. */
const NOTARY_ROOTS = [
  {
    dir: "notary-init",
    gun: "example.com/test/app",
    keyFile: "notary-init/private/830d76827bdea5cfee9e639d8f5d7d5d7e8426287c526363968f33c94be6e9c3.key",
    cnTag: TAG.PRINTABLE_STRING,
  },
  {
    dir: "notary-init-utf8",
    gun: "example.com/test/my_app",
    keyFile: "notary-init-utf8/private/e6bd1b2d9ed42cbf65c5f32e691c63f93233e6e86ff1c1b89c53b3315ba78df7.key",
    cnTag: TAG.UTF8_STRING,
  },
];

function p256Pkcs8(): Uint8Array {
  return new Uint8Array(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "der" }));
}

/** The CN value element of a Name (first RDN). */
function cnElement(nameDer: Uint8Array) {
  const rdn = children(decodeDer(nameDer))[0]!;
  return children(children(rdn)[0]!)[1]!;
}

for (const r of NOTARY_ROOTS) {
  test(`parses the certificate notary made for ${r.gun}`, () => {
    const pem = fixture(`${r.dir}/root-cert.pem`);
    const c = parseCertificate(pem);
    assert.equal(c.version, 3);
    assert.equal(c.commonName, r.gun);
    assert.equal(c.issuerCommonName, r.gun);
    assert.equal(cnElement(c.subjectDer).tag, r.cnTag);
    assert.equal(c.notAfter.getTime() - c.notBefore.getTime(), 3650 * DAY);
    assert.equal(c.notBefore.getUTCMilliseconds(), 0);
    assert.equal(c.isCA, false);
    assert.equal(c.basicConstraintsValid, true);
    assert.equal(c.keyUsage, KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment);
    assert.deepEqual(c.extKeyUsage, [OID.extKeyUsageCodeSigning]);
    assert.deepEqual(
      c.extensions.map((e) => [e.oid, e.critical, hex(e.value)]),
      [
        [OID.keyUsage, true, "030205a0"],
        [OID.extKeyUsage, false, "300a06082b06010505070303"],
        [OID.basicConstraints, true, "3000"],
      ],
    );
    assert.equal(c.keyAlgorithm, "ecdsa");
    assert.equal(c.ecCurve, "P-256");
    assert.equal(c.signatureAlgorithm, "ECDSA-SHA256");
    assert.ok(c.serialNumber >= 0n && c.serialNumber < 1n << 128n);
    assert.equal(signatureVerifies(c), true);
    // PEM re-encoding is Go's pem.EncodeToMemory: identical text.
    assert.equal(certificateToPem(c.der), pem);

    // Differential check against node:crypto.
    const x = new X509Certificate(pem);
    assert.equal(x.subject, `CN=${r.gun}`);
    assert.equal(BigInt("0x" + x.serialNumber), c.serialNumber);
    assert.equal(new Date(x.validFrom).getTime(), c.notBefore.getTime());
    assert.equal(new Date(x.validTo).getTime(), c.notAfter.getTime());
    assert.equal(x.ca, false);
    assert.equal(hex(x.publicKey.export({ type: "spki", format: "der" })), hex(c.publicKeySpkiDer));
  });

  test(`createRootCertificate reproduces notary's TBSCertificate byte for byte (${r.gun})`, () => {
    const notary = parseCertificate(fixture(`${r.dir}/root-cert.pem`));
    const key = readPrivateKeyFile(fixture(r.keyFile), "rootpass123");
    // The root key's canonical ID (its file name) is the ID of the certificate's SPKI as a plain ecdsa key.
    assert.equal(key.keyId, keyIdOfPublicKey("ecdsa", notary.publicKeySpkiDer));
    const ours = parseCertificate(
      createRootCertificate({ gun: r.gun, privateKeyPkcs8: key.pkcs8, notBefore: notary.notBefore, notAfter: notary.notAfter, serial: notary.serialNumber }),
    );
    assert.equal(hex(ours.tbsDer), hex(notary.tbsDer));
    assert.equal(hex(ours.signatureAlgorithmDer), hex(notary.signatureAlgorithmDer));
    assert.equal(signatureVerifies(ours), true);
    assert.equal(signatureVerifies(ours, notary.publicKeySpkiDer), true);
    // ECDSA signatures are randomised, so only the signature differs; the outer length may differ by 1.
    assert.ok(Math.abs(ours.der.length - notary.der.length) <= 2);
  });
}

test("the root key ID in root.json is over Go's PEM of the certificate (ecdsa-x509)", () => {
  const root = JSON.parse(fixture("notary-init/root.json")) as {
    signed: { keys: Record<string, { keytype: string; keyval: { public: string } }>; roles: { root: { keyids: string[] } } };
  };
  const rootId = root.signed.roles.root.keyids[0]!;
  const key = root.signed.keys[rootId]!;
  assert.equal(key.keytype, "ecdsa-x509");
  const pem = Buffer.from(key.keyval.public, "base64").toString("utf8");
  assert.equal(pem, fixture("notary-init/root-cert.pem"));
  assert.equal(keyIdOfPublicKey("ecdsa-x509", new Uint8Array(Buffer.from(certificateToPem(parseCertificate(pem).der)))), rootId);
});

test("createRootCertificate: fresh P-256 key, Go field encodings", () => {
  const pkcs8 = p256Pkcs8();
  const notBefore = new Date("2026-11-22T02:02:45.678Z");
  const pem = createRootCertificate({ gun: "example.com/app", privateKeyPkcs8: pkcs8, notBefore });
  assert.match(pem, /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/);
  const c = parseCertificate(pem);
  assert.equal(c.notBefore.toISOString(), "2026-11-22T02:02:45.000Z");
  assert.equal(c.notAfter.toISOString(), "2036-11-19T02:02:45.000Z"); // default: +3650 days
  assert.equal(hex(c.publicKeySpkiDer), hex(createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" })).export({ type: "spki", format: "der" })));
  assert.equal(signatureVerifies(c), true);
  const x = new X509Certificate(pem);
  assert.equal(x.verify(x.publicKey), true);
  assert.deepEqual(x.keyUsage, [OID.extKeyUsageCodeSigning]); // node.keyUsage is the *extended* key usage
});

test("createRootCertificate: serial number encodings", () => {
  const pkcs8 = p256Pkcs8();
  const notBefore = new Date("2026-01-01T00:00:00Z");
  const serialDer = (serial: bigint): string => {
    const tbs = children(decodeDer(createRootCertificateDer({ gun: "g", privateKeyPkcs8: pkcs8, notBefore, serial })))[0]!;
    return hex(children(tbs)[1]!.raw);
  };
  assert.equal(serialDer(0n), "020100");
  assert.equal(serialDer(1n << 127n), "021100" + "80" + "00".repeat(15));
  assert.equal(serialDer((1n << 159n) - 1n), "0214" + "7f" + "ff".repeat(19));
  assert.throws(() => serialDer(-1n), { code: "INPUT_INVALID" });
  assert.throws(() => serialDer(1n << 160n), { code: "INPUT_INVALID" });
  // Default serials are random and below 2^128.
  const a = parseCertificate(createRootCertificateDer({ gun: "g", privateKeyPkcs8: pkcs8, notBefore }));
  const b = parseCertificate(createRootCertificateDer({ gun: "g", privateKeyPkcs8: pkcs8, notBefore }));
  assert.notEqual(a.serialNumber, b.serialNumber);
  assert.ok(a.serialNumber < 1n << 128n);
});

test("createRootCertificate: CN string type follows Go (PrintableString unless a character forbids it)", () => {
  const pkcs8 = p256Pkcs8();
  const notBefore = new Date("2026-01-01T00:00:00Z");
  const cases: [string, number][] = [
    ["example.com/test/app", TAG.PRINTABLE_STRING],
    ["127.0.0.1:5000/test/img", TAG.PRINTABLE_STRING],
    ["Example.com/UP", TAG.PRINTABLE_STRING],
    ["example.com/test/my_app", TAG.UTF8_STRING], // verified with notary init
    ["example.com/a&b", TAG.UTF8_STRING], // verified with notary init
    ["example.com/x*y", TAG.UTF8_STRING], // Go's marshaller rejects '*' for PrintableString
    ["example.com/ümlaut", TAG.UTF8_STRING], // verified with notary init
  ];
  for (const [gun, tag] of cases) {
    const c = parseCertificate(createRootCertificateDer({ gun, privateKeyPkcs8: pkcs8, notBefore }));
    assert.equal(cnElement(c.subjectDer).tag, tag, gun);
    assert.equal(cnElement(c.issuerDer).tag, tag, gun);
    assert.equal(c.commonName, gun);
  }
});

test("createRootCertificate: validity uses GeneralizedTime from 2050 on", () => {
  const pkcs8 = p256Pkcs8();
  const der = createRootCertificateDer({
    gun: "g",
    privateKeyPkcs8: pkcs8,
    notBefore: new Date("2049-12-31T23:59:59.999Z"),
    notAfter: new Date("2060-02-29T12:00:00Z"),
  });
  const tbs = children(children(decodeDer(der))[0]!);
  const validity = children(tbs[4]!);
  assert.equal(validity[0]!.tag, TAG.UTC_TIME);
  assert.equal(validity[1]!.tag, TAG.GENERALIZED_TIME);
  assert.equal(Buffer.from(validity[1]!.content).toString("latin1"), "20600229120000Z");
  const c = parseCertificate(der);
  assert.equal(c.notBefore.toISOString(), "2049-12-31T23:59:59.000Z");
  assert.equal(c.notAfter.toISOString(), "2060-02-29T12:00:00.000Z");
});

test("createRootCertificate: other key types and invalid input", () => {
  const notBefore = new Date("2026-01-01T00:00:00Z");
  const der = (k: KeyPairKeyObjectResult): Uint8Array => new Uint8Array(k.privateKey.export({ type: "pkcs8", format: "der" }));
  const p384 = parseCertificate(createRootCertificateDer({ gun: "g", privateKeyPkcs8: der(generateKeyPairSync("ec", { namedCurve: "P-384" })), notBefore }));
  assert.equal(p384.signatureAlgorithm, "ECDSA-SHA384");
  assert.equal(p384.ecCurve, "P-384");
  assert.equal(signatureVerifies(p384), true);
  const rsa = parseCertificate(createRootCertificateDer({ gun: "g", privateKeyPkcs8: der(generateKeyPairSync("rsa", { modulusLength: 2048 })), notBefore }));
  assert.equal(rsa.signatureAlgorithm, "SHA256-RSA");
  assert.equal(hex(rsa.signatureAlgorithmDer), "300d06092a864886f70d01010b0500"); // with NULL, as Go writes it
  assert.equal(rsa.rsaModulusBits, 2048);
  assert.equal(signatureVerifies(rsa), true);
  assert.throws(
    () => createRootCertificateDer({ gun: "g", privateKeyPkcs8: der(generateKeyPairSync("rsa", { modulusLength: 1024 })), notBefore }),
    { code: "KEY_UNSUPPORTED" },
  );
  assert.throws(() => createRootCertificateDer({ gun: "g", privateKeyPkcs8: der(generateKeyPairSync("ed25519")), notBefore }), { code: "KEY_UNSUPPORTED" });
  assert.throws(() => createRootCertificateDer({ gun: "g", privateKeyPkcs8: new Uint8Array([0x30, 0]), notBefore }), { code: "KEY_INVALID" });
  const pkcs8 = p256Pkcs8();
  assert.throws(() => createRootCertificateDer({ gun: "", privateKeyPkcs8: pkcs8, notBefore }), { code: "INPUT_INVALID" });
  assert.throws(() => createRootCertificateDer({ gun: "a\ud800b", privateKeyPkcs8: pkcs8, notBefore }), { code: "INPUT_INVALID" });
  assert.throws(() => createRootCertificateDer({ gun: "g", privateKeyPkcs8: pkcs8, notBefore, notAfter: new Date(notBefore.getTime() - 1000) }), {
    code: "INPUT_INVALID",
  });
  assert.throws(() => createRootCertificateDer({ gun: "g", privateKeyPkcs8: pkcs8, notBefore: new Date(NaN) }), { code: "INPUT_INVALID" });
});

test("parseCertificate rejects malformed certificates with X509_INVALID", () => {
  const good = parseCertificate(fixture("notary-init/root-cert.pem"));
  const x509Invalid = { code: "X509_INVALID" };
  assert.throws(() => parseCertificate(Buffer.concat([good.der, Buffer.from([0])])), x509Invalid);
  assert.throws(() => parseCertificate(good.der.subarray(0, good.der.length - 1)), x509Invalid);
  assert.throws(() => parseCertificate(new Uint8Array([0x30, 0x00])), x509Invalid);
  assert.throws(() => parseCertificate("no pem here"), x509Invalid);
  assert.throws(() => parseCertificate(fixture("docker-key-generate/dalice.pub")), x509Invalid);

  // Outer signature algorithm differing from the inner one.
  const [tbs, , sig] = children(decodeDer(good.der));
  const mismatched = encodeTlv(TAG.SEQUENCE, Buffer.concat([tbs!.raw, Buffer.from("300a06082a8648ce3d040303", "hex"), sig!.raw]));
  assert.throws(() => parseCertificate(mismatched), /don't match/);

  // Duplicate extension.
  const tbsFields = children(tbs!);
  const extSeq = children(tbsFields[7]!)[0]!;
  const exts = children(extSeq);
  const dupExts = encodeTlv(0xa3, encodeTlv(TAG.SEQUENCE, Buffer.concat([...exts.map((e) => e.raw), exts[0]!.raw])));
  const dupTbs = encodeTlv(TAG.SEQUENCE, Buffer.concat([...tbsFields.slice(0, 7).map((f) => f.raw), dupExts]));
  assert.throws(() => parseCertificate(encodeTlv(TAG.SEQUENCE, Buffer.concat([dupTbs, children(decodeDer(good.der))[1]!.raw, sig!.raw]))), /duplicate/);
});

test("the signature check the tests use detects tampering and a wrong issuer", () => {
  const good = parseCertificate(fixture("notary-init/root-cert.pem"));
  const der = new Uint8Array(good.der);
  der[40] = der[40]! ^ 1; // inside the signed TBSCertificate
  assert.equal(signatureVerifies({ ...good, der }), false);
  const other = parseCertificate(fixture("notary-init-utf8/root-cert.pem"));
  assert.equal(signatureVerifies(good, other.publicKeySpkiDer), false);
});

test("root validation parses each certificate once: one that does not parse is an X509_INVALID problem, not a skipped check", () => {
  const good = parseCertificate(fixture("notary-init/root-cert.pem"));
  // The outer signature algorithm relabelled ECDSA-SHA1: node:crypto still parses it, Go's parser (and ours) refuse it.
  const [tbs, , sig] = children(decodeDer(good.der));
  const sha1Labelled = encodeTlv(TAG.SEQUENCE, Buffer.concat([tbs!.raw, Buffer.from("300906072a8648ce3d0401", "hex"), sig!.raw]));
  assert.equal(new X509Certificate(sha1Labelled).subject, "CN=example.com/test/app");
  const rootWith = (der: Uint8Array): Root => ({
    _type: "Root",
    consistent_snapshot: false,
    expires: "2030-01-01T00:00:00Z",
    keys: { k: { keytype: "ecdsa-x509", keyval: { private: null, public: Buffer.from(certificateToPem(der)).toString("base64") } } },
    roles: { root: { keyids: ["k"], threshold: 1 } },
    version: 1,
  });
  const now = new Date(good.notBefore.getTime() + DAY);
  assert.deepEqual(validRootKeyIds(rootWith(good.der), "example.com/test/app", now, true), { ids: ["k"], problems: [] });
  const bad = validRootKeyIds(rootWith(sha1Labelled), "example.com/test/app", now, true);
  assert.deepEqual(bad.ids, []);
  assert.match(bad.problems[0]!, /^k: .*don't match \(X509_INVALID\)$/);
});
