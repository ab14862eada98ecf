// Diff rules for rotated keys and floating references, offline (issue 10): a dependent whose signing key changed is
// an update (its state must hold the key that signs now) even when the server needs no write; the same key in another
// PEM encoding is not a change; a tag reference's new resolution is a change; a pinned digest never asks the registry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffDelegation, type DelegationOutputs } from "../../../provider/src/runtime/delegation.ts";
import { diffSigner, type SignerOutputs } from "../../../provider/src/runtime/signer.ts";
import { diffSignedTag, resolveFloating, signingKeysRotated } from "../../../provider/src/runtime/signed-tag.ts";
import type { SignedTagOutputs } from "../../../provider/src/runtime/tag-state.ts";
import { keyIdsOf, sameKeys, withKnownKeys, rememberKeys } from "../../../provider/src/runtime/keyring.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { formatGoTime } from "../../../sdk/src/metadata/time.ts";
import { createPrivateKey, createPublicKey } from "node:crypto";

const gun = "example.com/team/app";
const pem = () => PrivateKey.generate().exportPkcs8Pem();
const pub = (p: string) => createPublicKey(p).export({ format: "pem", type: "spki" }).toString();
/** The same key as a SEC1 "EC PRIVATE KEY" PEM. */
const sec1 = (p: string) => createPrivateKey(p).export({ format: "pem", type: "sec1" }).toString();

test("keys are compared by key ID, not by PEM text", () => {
  const k = pem();
  assert.ok(sameKeys(k, sec1(k), "targetsKey"));
  assert.ok(!sameKeys(k, pem(), "targetsKey"));
  assert.ok(!sameKeys("not a key", k, "targetsKey"), "an unreadable old value counts as different");
  assert.deepEqual(keyIdsOf([k], "signingKeys"), [PrivateKey.fromPkcs8(new Uint8Array(createPrivateKey(k).export({ format: "der", type: "pkcs8" }))).id]);
});

test("Signer: a rotated targetsKey is a change; the same key re-encoded or an unchanged signer is not", () => {
  const [t1, t2, ci] = [pem(), pem(), pem()];
  const ciPub = pub(ci);
  const news = { gun, trustedRootSha256: "0".repeat(64), name: "ci", keys: [ciPub], targetsKey: t1 };
  const ids = keyIdsOf([ci], "k");
  const olds = { ...news, keyIds: ids, canonicalKeyIds: ids, serverKeyIds: ids, releasesKeyIds: ids } as unknown as SignerOutputs;
  assert.equal(diffSigner(olds, news).changes, false);
  assert.equal(diffSigner(olds, { ...news, targetsKey: sec1(t1) }).changes, false);
  assert.equal(diffSigner(olds, { ...news, targetsKey: t2 }).changes, true);
});

test("Delegation: a rotated parentKey or signing key is a change", () => {
  const [p1, p2, s1] = [pem(), pem(), pem()];
  const news = { gun, trustedRootSha256: "0".repeat(64), role: "targets/qa", keys: [pub(s1)], threshold: 1, paths: ["qa/"], parentKey: p1 };
  const ids = keyIdsOf([s1], "k");
  const olds = { ...news, keyIds: ids, serverKeyIds: ids, serverThreshold: 1, serverPaths: ["qa/"], version: 0, expires: "" } as unknown as DelegationOutputs;
  assert.equal(diffDelegation(olds, news, {}).changes, false);
  assert.equal(diffDelegation(olds, { ...news, parentKey: p2 }, {}).changes, true);
});

test("SignedTag: a rotated signing key alone is flagged (recorded without a publish); a moved tag is a content change", () => {
  const [k1, k2] = [pem(), pem()];
  const d1 = `sha256:${"a".repeat(64)}`;
  const d2 = `sha256:${"b".repeat(64)}`;
  const inTwoYears = formatGoTime(new Date(Date.now() + 730 * 86_400_000)); // inside the default policy, outside its window
  const news = { gun, trustedRootSha256: "0".repeat(64), tag: "v1", image: "registry.example.com/team/app:v1", signingKeys: [k1], resolvedDigest: d1, resolvedSize: 100 };
  const olds = { ...news, signedRole: "targets/releases", signedRoles: ["targets/releases"], signedDigest: d1, signedSize: 100, mediaType: "", serverDigest: d1, serverSize: 100, roleVersion: 2, roleExpires: inTwoYears } as SignedTagOutputs;
  assert.equal(diffSignedTag(olds, news, {}).changes, false);
  assert.equal(signingKeysRotated(olds, news), false);
  assert.equal(signingKeysRotated(olds, { ...news, signingKeys: [k2] }), true);
  assert.equal(diffSignedTag(olds, { ...news, signingKeys: [k2] }, {}).changes, false, "content unchanged: no publish is announced");
  assert.equal(diffSignedTag(olds, { ...news, resolvedDigest: d2 }, {}).changes, true, "the tag moved in the registry");
});

test("resolveFloating: a digest given or pinned by the reference is not resolved (no registry request), a stale resolution is dropped", async () => {
  const k = pem();
  const pinned = { gun, trustedRootSha256: "0".repeat(64), tag: "v1", image: `127.0.0.1:1/team/app@sha256:${"c".repeat(64)}`, signingKeys: [k], resolvedDigest: "stale" };
  const { resolvedDigest: _stale, ...withoutResolution } = pinned;
  assert.deepEqual(await resolveFloating(pinned), withoutResolution);
  const given = { gun, trustedRootSha256: "0".repeat(64), tag: "v1", digest: `sha256:${"d".repeat(64)}`, size: 5, signingKeys: [k] };
  assert.deepEqual(await resolveFloating(given), given);
  // A tag reference goes to the registry: port 1 on loopback refuses, so the check fails naming the image.
  await assert.rejects(resolveFloating({ ...given, digest: undefined, size: undefined, image: "127.0.0.1:1/team/app:v1" }), /127\.0\.0\.1:1/);
});

test("deletes sign with the saved keys plus the keys this process was given for the same GUN only", () => {
  const [old, rotated, other] = [PrivateKey.generate(), PrivateKey.generate(), PrivateKey.generate()];
  rememberKeys({ gun, targetsKey: rotated.exportPkcs8Pem(), rootKey: "not a pem" });
  rememberKeys({ gun: "example.com/other", targetsKey: other.exportPkcs8Pem() });
  assert.deepEqual(withKnownKeys(gun, [old]).map((k) => k.id).sort(), [old.id, rotated.id].sort());
  assert.deepEqual(withKnownKeys(gun, [rotated]).map((k) => k.id), [rotated.id], "each key once");
});
