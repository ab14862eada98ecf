// PEM as Go's encoding/pem reads and writes it: the one module every certificate, key file and public key goes through.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { certificateBlocksOf, certificateToPem, decodePemBlocks, encodePem, splitPemCertificates } from "../../../sdk/src/crypto/pem.ts";

const fixture = (p: string): string => readFileSync(new URL(`../../fixtures/keys/${p}`, import.meta.url), "utf8");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

test("encodePem matches Go's pem.EncodeToMemory", () => {
  assert.equal(encodePem("X", new Uint8Array(0)), "-----BEGIN X-----\n-----END X-----\n");
  assert.equal(encodePem("X", new Uint8Array(48).fill(0xff)), `-----BEGIN X-----\n${"/".repeat(64)}\n-----END X-----\n`);
  assert.equal(encodePem("X", new Uint8Array(49).fill(0xff)), `-----BEGIN X-----\n${"/".repeat(64)}\n/w==\n-----END X-----\n`);
  assert.equal(
    encodePem("ENCRYPTED PRIVATE KEY", new Uint8Array([1, 2, 3]), { role: "targets", gun: "example.com/app", "DEK-Info": "x", "Proc-Type": "4,ENCRYPTED" }),
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: x\ngun: example.com/app\nrole: targets\n\nAQID\n-----END ENCRYPTED PRIVATE KEY-----\n",
  );
  assert.throws(() => encodePem("X", new Uint8Array(1), { "a:b": "c" }), { code: "INPUT_INVALID" });
  assert.throws(() => encodePem("X", new Uint8Array(1), { a: "b\nc" }), { code: "INPUT_INVALID" });
});

test("decodePemBlocks: headers, CRLF, surrounding text, errors", () => {
  const text = "junk before\r\n-----BEGIN A-----\r\nrole: x\r\ngun:  g/h \r\n\r\nAQID\r\n-----END A-----\r\nbetween\n-----BEGIN B-----\nBA==\n-----END B-----\n";
  const blocks = decodePemBlocks(text);
  assert.deepEqual(
    blocks.map((b) => [b.type, b.headers, hex(b.bytes)]),
    [
      ["A", { role: "x", gun: "g/h" }, "010203"],
      ["B", {}, "04"],
    ],
  );
  assert.deepEqual(decodePemBlocks("nothing"), []);
  assert.throws(() => decodePemBlocks("-----BEGIN A-----\nAQID\n-----END B-----\n", "X509_INVALID"), { code: "X509_INVALID" });
  assert.throws(() => decodePemBlocks("-----BEGIN A-----\nAQID\n"), { code: "ENCODING_INVALID" });
  assert.throws(() => decodePemBlocks("-----BEGIN A-----\nAQI\n-----END A-----\n"), { code: "ENCODING_INVALID" });
});

test("splitPemCertificates", () => {
  const a = fixture("notary-init/root-cert.pem");
  const b = fixture("notary-init-utf8/root-cert.pem");
  const ders = splitPemCertificates(a + b);
  assert.equal(ders.length, 2);
  assert.equal(certificateToPem(ders[0]!) + certificateToPem(ders[1]!), a + b);
  assert.throws(() => splitPemCertificates(a + fixture("docker-key-generate/dalice.pub")), { code: "X509_INVALID" });
  assert.throws(() => splitPemCertificates(""), { code: "X509_INVALID" });
});

test("decodePemBlocks: a BEGIN line before the END line is an unterminated block", () => {
  const text = "-----BEGIN A-----\nAQID\n-----BEGIN B-----\nBA==\n-----END B-----\n";
  assert.throws(() => decodePemBlocks(text, "KEY_FILE_INVALID"), { code: "KEY_FILE_INVALID", message: /"A" has no END line/ });
});

test("decode → encode gives Go's bytes back for notary and docker files", () => {
  for (const file of [
    "notary-init/root-cert.pem",
    "docker-key-generate/dalice.pub",
    "notary-init/private/198cb02643594abf5b4c61770d15089493aaae51f6d78545cc00894f82da6f7b.key",
  ]) {
    const text = fixture(file);
    const [block] = decodePemBlocks(text);
    assert.equal(encodePem(block!.type, block!.bytes, block!.headers), text, file);
  }
});

test("certificateBlocksOf: the certificates among other blocks, in order", () => {
  const a = fixture("notary-init/root-cert.pem");
  const b = fixture("notary-init-utf8/root-cert.pem");
  const mixed = a + fixture("docker-key-generate/dalice.pub") + b.replace(/\n/g, "\r\n");
  assert.equal(certificateBlocksOf(mixed).map(certificateToPem).join(""), a + b);
  assert.deepEqual(certificateBlocksOf(fixture("docker-key-generate/dalice.pub")), []);
  assert.throws(() => certificateBlocksOf("-----BEGIN CERTIFICATE-----\nAQI\n-----END CERTIFICATE-----\n"), { code: "X509_INVALID" });
});
