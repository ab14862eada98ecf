/**
 * Signature verification against every signature Go made in the fixtures (signatures.json: ECDSA high-S and low-S,
 * EdDSA, RSA-PSS; each verified by openssl, never by our code), and the threshold rules of
 * `tuf/signed/verify.go › VerifySignatures` (reference §4).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { verifySignature } from "../../../sdk/src/crypto/verify.ts";
import { keyFromJson, keyJsonId } from "../../../sdk/src/crypto/keys.ts";
import { parseEnvelope, verifyThreshold, type Envelope, type RoleKeySet } from "../../../sdk/src/metadata/signed.ts";
import type { KeyJson, Root, Targets } from "../../../sdk/src/metadata/types.ts";
import { goBytes, goJson, signaturesJson, type SignatureVector } from "../helpers/go-fixtures.ts";

const VECTORS = signaturesJson();
const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const keyOf = (v: SignatureVector) => keyFromJson({ keytype: v.keytype, keyval: { private: null, public: v.public } });
const flip = (b: Uint8Array, i: number, bit = 1) => {
  const c = new Uint8Array(b);
  c[i]! ^= bit;
  return c;
};
const label = (v: SignatureVector) =>
  `${v.method}${v.ecdsa_high_s === undefined ? "" : v.ecdsa_high_s ? " high-S" : " low-S"} ${v.keytype} ${v.role} v${v.version} (${v.files[0]})`;

test("fixture coverage: 13 high-S and 15 low-S ECDSA, 8 EdDSA, 2 RSA-PSS, all openssl-verified", () => {
  const s = VECTORS.signatures;
  assert.equal(s.length, 38);
  assert.equal(s.filter((v) => v.method === "ecdsa" && v.ecdsa_high_s === true).length, 13);
  assert.equal(s.filter((v) => v.method === "ecdsa" && v.ecdsa_high_s === false).length, 15);
  assert.equal(s.filter((v) => v.method === "eddsa").length, 8);
  assert.equal(s.filter((v) => v.method === "rsapss").length, 2);
  for (const v of s) assert.match(v.openssl_result, /Verified OK|Signature Verified Successfully/);
});

for (const v of VECTORS.signatures) {
  test(`Go ${label(v)} verifies; a flipped bit does not`, () => {
    const key = keyOf(v);
    const msg = b64(v.signed_canonical_b64);
    const sig = b64(v.sig);
    assert.equal(verifySignature(v.method, key, msg, sig), true);
    assert.equal(verifySignature(v.method, key, flip(msg, msg.length - 1, 0x80), sig), false, "message bit flipped");
    assert.equal(verifySignature(v.method, key, msg, flip(sig, 5)), false, "signature bit flipped");
    assert.equal(verifySignature(v.method, key, msg, sig.slice(0, sig.length - 1)), false, "truncated signature");

    if (v.method === "ecdsa") {
      // Raw r‖s, 64 bytes; the high-S flag as vectors.py computed it.
      assert.equal(sig.length, 64);
      const r = Buffer.from(sig.subarray(0, 32)).toString("hex");
      const s = Buffer.from(sig.subarray(32)).toString("hex");
      assert.equal(r, v.ecdsa_r_hex);
      assert.equal(s, v.ecdsa_s_hex);
      const sInt = BigInt("0x" + s);
      assert.equal(sInt > N / 2n, v.ecdsa_high_s);
      // Go neither produces nor requires low S: the mirrored (n − s) signature is just as valid.
      const mirrored = new Uint8Array(64);
      mirrored.set(sig.subarray(0, 32));
      mirrored.set(Buffer.from((N - sInt).toString(16).padStart(64, "0"), "hex"), 32);
      assert.equal(verifySignature("ecdsa", key, msg, mirrored), true, "n − s verifies too");
      // DER-encoded signatures are not notary's format.
      const der = Buffer.concat([Buffer.from([0x30, 0x44, 0x02, 0x20]), sig.subarray(0, 32), Buffer.from([0x02, 0x20]), sig.subarray(32)]);
      assert.equal(verifySignature("ecdsa", key, msg, new Uint8Array(der)), false);
    }
  });
}

test("method/key mismatches throw SIGNATURE_UNSUPPORTED_METHOD (table)", () => {
  const pick = (pred: (v: SignatureVector) => boolean) => VECTORS.signatures.find(pred)!;
  const ecdsa = pick((v) => v.keytype === "ecdsa");
  const ecdsaX509 = pick((v) => v.keytype === "ecdsa-x509");
  const ed = pick((v) => v.keytype === "ed25519");
  const rsa = pick((v) => v.keytype === "rsa");
  const rsaX509 = pick((v) => v.keytype === "rsa-x509");
  const table: [string, SignatureVector][] = [
    ["eddsa", ecdsa],
    ["rsapss", ecdsa],
    ["eddsa", ecdsaX509],
    ["ecdsa", ed],
    ["rsapss", ed],
    ["rsapkcs1v15", ed],
    ["ecdsa", rsa],
    ["eddsa", rsaX509],
    ["pycrypto-pkcs#1 pss", rsa],
    ["", ecdsa],
    ["hmac", ecdsa],
  ];
  for (const [method, v] of table) {
    assert.throws(
      () => verifySignature(method, keyOf(v), b64(v.signed_canonical_b64), b64(v.sig)),
      { code: "SIGNATURE_UNSUPPORTED_METHOD" },
      `${method} with ${v.keytype}`,
    );
  }
  // Go lowercases `method` when decoding a signature.
  for (const v of [ecdsa, ed, rsa]) {
    assert.equal(verifySignature(v.method.toUpperCase(), keyOf(v), b64(v.signed_canonical_b64), b64(v.sig)), true, v.method);
  }
  // A PSS signature checked as PKCS#1 v1.5 is simply invalid (supported method, wrong signature).
  assert.equal(verifySignature("rsapkcs1v15", keyOf(rsa), b64(rsa.signed_canonical_b64), b64(rsa.sig)), false);
});

// ---------------------------------------------------------------------------------------------------------------------
// Thresholds, on Go envelopes

const env = (rel: string): Envelope => parseEnvelope(goBytes(rel), rel);
const rootOf = (rel: string) => goJson<{ signed: Root }>(rel).signed;
const roleKeys = (root: Root, role: string, over: Partial<RoleKeySet> = {}): RoleKeySet => ({
  keys: root.keys,
  keyids: root.roles[role]!.keyids,
  threshold: root.roles[role]!.threshold,
  ...over,
});
const withSigs = (e: Envelope, signatures: Envelope["signatures"]): Envelope => ({ ...e, signatures });

test("verifyThreshold accepts every Go file with its role's keys (root keys from the same repo)", () => {
  const cases: [string, string, string][] = [
    ["repos/notary-basic/root.json", "repos/notary-basic/root.json", "root"],
    ["repos/notary-basic/targets.json", "repos/notary-basic/root.json", "targets"],
    ["repos/notary-basic/snapshot.json", "repos/notary-basic/root.json", "snapshot"],
    ["repos/notary-basic/timestamp.json", "repos/notary-basic/root.json", "timestamp"],
    ["repos/notary-deleg/snapshot.json", "repos/notary-deleg/root.json", "snapshot"],
    ["repos/notary-rotated/targets.json", "repos/notary-rotated/root.json", "targets"],
    ["repos/notary-rotated/3.root.json", "repos/notary-rotated/2.root.json", "root"],
  ];
  for (const [file, rootFile, role] of cases) verifyThreshold(env(file), roleKeys(rootOf(rootFile), role), role);
});

test("2.root.json is signed by the new and the old root key: threshold 2 over both is met", () => {
  const e = env("repos/notary-rotated/2.root.json");
  const r1 = rootOf("repos/notary-rotated/1.root.json");
  const r2 = rootOf("repos/notary-rotated/2.root.json");
  assert.equal(e.signatures.length, 2);
  const both = [r1.roles["root"]!.keyids[0]!, r2.roles["root"]!.keyids[0]!];
  verifyThreshold(e, { keys: r2.keys, keyids: both, threshold: 2 }, "root");
  // one of the two corrupted: threshold 2 with 1 valid
  const bad = withSigs(e, [e.signatures[0]!, { ...e.signatures[1]!, sig: Buffer.from(flip(b64(e.signatures[1]!.sig), 3)).toString("base64") }]);
  assert.throws(() => verifyThreshold(bad, { keys: r2.keys, keyids: both, threshold: 2 }, "root"), { code: "SIGNATURE_THRESHOLD_NOT_MET" });
  verifyThreshold(bad, { keys: r2.keys, keyids: both, threshold: 1 }, "root");
});

test("duplicate signatures from one key count once", () => {
  const e = env("repos/notary-basic/targets.json");
  const root = rootOf("repos/notary-basic/root.json");
  const dup = withSigs(e, [e.signatures[0]!, e.signatures[0]!, { ...e.signatures[0]!, method: "ECDSA" }]);
  verifyThreshold(dup, roleKeys(root, "targets"), "targets");
  assert.throws(() => verifyThreshold(dup, roleKeys(root, "targets", { threshold: 2 }), "targets"), {
    code: "SIGNATURE_THRESHOLD_NOT_MET",
  });
});

test("a keyid whose key content hashes to another ID → SIGNATURE_KEY_ID_MISMATCH", () => {
  const e = env("repos/notary-basic/targets.json");
  const root = rootOf("repos/notary-basic/root.json");
  const targetsId = root.roles["targets"]!.keyids[0]!;
  const snapshotKey: KeyJson = root.keys[root.roles["snapshot"]!.keyids[0]!]!;
  assert.notEqual(keyJsonId(snapshotKey), targetsId);
  const keys = { ...root.keys, [targetsId]: snapshotKey };
  assert.throws(() => verifyThreshold(e, { keys, keyids: [targetsId], threshold: 1 }, "targets"), { code: "SIGNATURE_KEY_ID_MISMATCH" });
  // private must be ignored in the ID: the same content with private:null is the real key
  verifyThreshold(e, { keys: { [targetsId]: { ...root.keys[targetsId]! } }, keyids: [targetsId], threshold: 1 }, "targets");
});

test("threshold failures: no signatures, keys outside the role, bad signature, unsupported method, threshold < 1", () => {
  const e = env("repos/notary-basic/targets.json");
  const root = rootOf("repos/notary-basic/root.json");
  const code = { code: "SIGNATURE_THRESHOLD_NOT_MET" };
  assert.throws(() => verifyThreshold(withSigs(e, []), roleKeys(root, "targets"), "targets"), code);
  // the targets signature, offered to the snapshot role: ignored, so nothing counts
  assert.throws(() => verifyThreshold(e, roleKeys(root, "snapshot"), "snapshot"), code);
  const sig = e.signatures[0]!;
  assert.throws(() => verifyThreshold(withSigs(e, [{ ...sig, sig: Buffer.from(flip(b64(sig.sig), 0)).toString("base64") }]), roleKeys(root, "targets"), "targets"), code);
  assert.throws(() => verifyThreshold(withSigs(e, [{ ...sig, method: "eddsa" }]), roleKeys(root, "targets"), "targets"), code);
  assert.throws(() => verifyThreshold(e, roleKeys(root, "targets", { threshold: 0 }), "targets"), code);
  // a keyid listed by the role but absent from keys does not count
  assert.throws(() => verifyThreshold(e, { keys: {}, keyids: [sig.keyid], threshold: 1 }, "targets"), code);
});

test("a delegation signed by an x509 key and by RSA keys verifies with the parent's delegation keys", () => {
  const cases: [string, string, string][] = [
    ["repos/notary-deleg/targets/releases.json", "repos/notary-deleg/targets.json", "targets/releases"],
    ["repos/notary-deleg/targets/alice.json", "repos/notary-deleg/targets.json", "targets/alice"],
    ["repos/notary-deleg/targets/alice/qa.json", "repos/notary-deleg/targets/alice.json", "targets/alice/qa"],
    ["repos/notary-rsa/targets/rsacert.json", "repos/notary-rsa/targets.json", "targets/rsacert"],
    ["repos/notary-rsa/targets/rsapub.json", "repos/notary-rsa/targets.json", "targets/rsapub"],
    ["repos/docker-signers/targets/releases.json", "repos/docker-signers/targets.json", "targets/releases"],
  ];
  for (const [file, parentFile, name] of cases) {
    const parent = goJson<{ signed: Targets }>(parentFile).signed;
    const d = parent.delegations.roles.find((r) => r.name === name)!;
    verifyThreshold(env(file), { keys: parent.delegations.keys, keyids: d.keyids, threshold: d.threshold }, name);
  }
  // docker's releases file carries alice's and bob's signatures: both count.
  const rel = env("repos/docker-signers/targets/releases.json");
  const parent = goJson<{ signed: Targets }>("repos/docker-signers/targets.json").signed;
  const d = parent.delegations.roles.find((r) => r.name === "targets/releases")!;
  assert.equal(rel.signatures.length, 2);
  verifyThreshold(rel, { keys: parent.delegations.keys, keyids: d.keyids, threshold: 2 }, "targets/releases");
});
