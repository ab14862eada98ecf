// Promotion (promotedFrom), offline: what check says about the input without the network, that a SignedTag without
// promotedFrom is passed through without a request, and the diff of a promotion that no longer holds (revoke while B
// still holds the tag, nothing once it is gone, sign again once the source signs again).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPromotion, promotionDiff } from "../../../provider/src/runtime/promotion.ts";
import { diffSignedTag } from "../../../provider/src/runtime/signed-tag.ts";
import type { SignedTagOutputs } from "../../../provider/src/runtime/tag-state.ts";
import { checkSignedTag, type SignedTagInputs } from "../../../provider/src/inputs/signed-tag.ts";
import type { CheckFailure } from "../../../provider/src/inputs/failures.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";

const DIGEST = "sha256:" + "a".repeat(64);
const NOW = new Date("2026-11-22T00:00:00Z");

/** The check's failures of `promotedFrom`, given with an otherwise valid SignedTag. */
function failures(pf: unknown): CheckFailure[] {
  const tag = { gun: "example.com/team/app", rootKeyId: "b".repeat(64), tag: "v1", digest: DIGEST, size: 10, signingKeys: [PrivateKey.generate().exportPkcs8Pem()] };
  return checkSignedTag({ ...tag, promotedFrom: pf }).filter((f) => f.property.startsWith("promotedFrom"));
}

test("checkPromotedFrom: a pinned source root is required; names, threshold and onViolation are checked offline", () => {
  assert.deepEqual(failures(undefined), []);
  assert.deepEqual(failures({ gun: "example.com/vendor/app", rootKeyId: "b".repeat(64), signers: ["alice"], onViolation: "revoke" }), []);
  assert.deepEqual(failures({ gun: "example.com/vendor/app", trustedRootSha256: "c".repeat(64) }), []);
  assert.deepEqual(failures({ gun: "example.com/vendor/app", rootKeyId: ["b".repeat(64), "d".repeat(64)] }), []);
  const bad = failures({ gun: "Example.com/Vendor", tag: "-x", signers: "alice", threshold: 0, onViolation: "ignore", server: { timeoutSeconds: -1 } });
  assert.deepEqual(bad.map((x) => x.property).sort(), [
    "promotedFrom.gun",
    "promotedFrom.onViolation",
    "promotedFrom.rootKeyId",
    "promotedFrom.server.timeoutSeconds",
    "promotedFrom.signers",
    "promotedFrom.tag",
    "promotedFrom.threshold",
  ]);
  assert.match(bad.find((x) => x.property === "promotedFrom.rootKeyId")!.reason, /pin the source's root/);
});

test("checkPromotion: without promotedFrom the inputs pass through (stale computed inputs dropped), with no server configured at all", async () => {
  const news = { gun: "example.com/team/app", rootKeyId: "b".repeat(64), tag: "v1", digest: DIGEST, size: 10, signingKeys: [], promotionHolds: false, promotionProblem: "old" };
  const r = await checkPromotion({}, news as SignedTagInputs);
  assert.deepEqual(r, { inputs: { gun: "example.com/team/app", rootKeyId: "b".repeat(64), tag: "v1", digest: DIGEST, size: 10, signingKeys: [] }, failures: [] });
});

test("the diff of a promotion that does not hold: revoke while B holds the tag, then nothing; sign again when it holds", () => {
  const inputs = { gun: "example.com/team/app", rootKeyId: "b".repeat(64), tag: "v1", digest: DIGEST, size: 10, signingKeys: [] as string[] };
  const olds = (serverDigest: string, promotionHolds: boolean): SignedTagOutputs =>
    ({
      ...inputs,
      promotionHolds,
      signedRole: "targets/releases",
      signedRoles: ["targets/releases"],
      signedDigest: DIGEST,
      signedSize: 10,
      mediaType: "",
      serverDigest,
      serverSize: serverDigest ? 10 : 0,
      roleVersion: 2,
      roleExpires: "2029-11-21T00:00:00Z",
    }) as SignedTagOutputs;
  const broken = { ...inputs, promotionHolds: false };
  assert.deepEqual(promotionDiff(olds(DIGEST, true), broken), { changes: true });
  assert.deepEqual(diffSignedTag(olds(DIGEST, true), broken, {}, NOW), { changes: true }, "held in B: revoke it");
  assert.deepEqual(diffSignedTag(olds("", false), broken, {}, NOW), { changes: false }, "already revoked: nothing to do");
  assert.equal(promotionDiff(olds(DIGEST, true), { ...inputs, promotionHolds: true }), undefined, "holds: the usual diff");
  assert.equal(diffSignedTag(olds("", false), { ...inputs, promotionHolds: true }, {}, NOW).changes, true, "holds again: sign again");
  assert.equal(diffSignedTag(olds(DIGEST, true), { ...inputs, promotionHolds: true }, {}, NOW).changes, false);
});
