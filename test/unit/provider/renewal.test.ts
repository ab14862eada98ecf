// Renewal windows, offline: a role is renewed inside the window, and never on every run when the window is as long
// as the role's lifetime (the window is capped at half the lifetime).
import { test } from "node:test";
import assert from "node:assert/strict";
import { isDue, lifetimeDays, DAY_MS } from "../../../provider/src/runtime/common.ts";
import { diffRepository, type RepositoryOutputs } from "../../../provider/src/runtime/repository.ts";
import { diffSignedTag, type SignedTagOutputs } from "../../../provider/src/runtime/signed-tag.ts";
import { formatGoTime } from "../../../sdk/src/metadata/time.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";

const NOW = new Date("2026-11-22T00:00:00Z");
const inDays = (d: number) => formatGoTime(new Date(NOW.getTime() + d * DAY_MS));

test("isDue: inside the window, outside it, and capped at half the lifetime", () => {
  assert.equal(isDue(inDays(100), 182, NOW), true);
  assert.equal(isDue(inDays(200), 182, NOW), false);
  assert.equal(isDue(inDays(29), 182, NOW, 30), false, "a 30-day role just re-signed is not due again");
  assert.equal(isDue(inDays(14), 182, NOW, 30), true, "due in its second half");
  assert.equal(lifetimeDays("targets/releases", { targetsDays: 90 }), 90);
  assert.equal(lifetimeDays("targets/releases", { delegationDays: 60, targetsDays: 90 }), 60);
  assert.equal(lifetimeDays("root", undefined), 3650);
});

const root = PrivateKey.generate().exportPkcs8Pem();
const targets = PrivateKey.generate().exportPkcs8Pem();
const ids = { root: PrivateKey.fromPkcs8(new Uint8Array(Buffer.from(root.replace(/-----[^-]+-----|\s/g, ""), "base64"))).id };

function repoOutputs(targetsExpires: string, expiry?: { targetsDays?: number }): RepositoryOutputs {
  const t = PrivateKey.fromPkcs8(new Uint8Array(Buffer.from(targets.replace(/-----[^-]+-----|\s/g, ""), "base64")));
  return {
    gun: "example.com/app",
    rootKey: root,
    targetsKey: targets,
    ...(expiry ? { expiry } : {}),
    serverUrl: "https://notary.example.com",
    rootKeyId: "c".repeat(64),
    rootCanonicalKeyId: ids.root,
    rootCertificate: "",
    targetsKeyId: t.id,
    snapshotKeyId: "s".repeat(64),
    timestampKeyId: "t".repeat(64),
    snapshotManagedBy: "server",
    trustedRoot: "",
    trustedRootSha256: "e".repeat(64),
    expiryPolicy: expiry ?? {},
    versions: { root: 1, targets: 2, snapshot: 2, timestamp: 2 },
    expires: { root: inDays(3600), targets: targetsExpires, snapshot: inDays(1000), timestamp: inDays(14) },
  };
}

test("Repository diff: renewal due → update, offline; a short lifetime is not re-signed on every run", () => {
  const news = { gun: "example.com/app", rootKey: root, targetsKey: targets };
  assert.equal(diffRepository(repoOutputs(inDays(1000)), news, {}, NOW).changes, false);
  assert.equal(diffRepository(repoOutputs(inDays(100)), news, {}, NOW).changes, true, "inside notary's six months");
  const short = { ...news, expiry: { targetsDays: 30 } };
  assert.equal(diffRepository(repoOutputs(inDays(30), { targetsDays: 30 }), short, {}, NOW).changes, false, "just renewed");
  assert.equal(diffRepository(repoOutputs(inDays(10), { targetsDays: 30 }), short, {}, NOW).changes, true);
});

test("SignedTag diff: renews its role inside the window, sized by the repository's delegation lifetime", () => {
  const base = {
    gun: "example.com/app",
    trustedRootSha256: "e".repeat(64),
    tag: "v1",
    digest: "sha256:" + "a".repeat(64),
    size: 10,
    signingKeys: [targets],
  };
  const olds = (roleExpires: string, repositoryExpiry?: { delegationDays: number }): SignedTagOutputs => ({
    ...base,
    ...(repositoryExpiry ? { repositoryExpiry } : {}),
    signedRole: "targets/releases",
    signedRoles: ["targets/releases"],
    signedDigest: base.digest,
    signedSize: 10,
    mediaType: "",
    serverDigest: base.digest,
    serverSize: 10,
    roleVersion: 3,
    roleExpires,
  });
  assert.equal(diffSignedTag(olds(inDays(900)), base, {}, NOW).changes, false);
  assert.equal(diffSignedTag(olds(inDays(90)), base, {}, NOW).changes, true);
  const short = { ...base, repositoryExpiry: { delegationDays: 60 } };
  assert.equal(diffSignedTag(olds(inDays(59), { delegationDays: 60 }), short, {}, NOW).changes, false);
  assert.equal(diffSignedTag(olds(inDays(20), { delegationDays: 60 }), short, {}, NOW).changes, true);
});

test("isDue: an expiry further away than the policy's lifetime can reach was signed by another tool: re-sign it", () => {
  assert.equal(isDue(inDays(3 * 365 + 1), 182, NOW, 1), true, "notary's three years under a one-day policy");
  assert.equal(isDue(inDays(1), 182, NOW, 1), false, "just signed under the policy");
  assert.equal(isDue(inDays(1.9), 182, NOW, 1), false, "a day of slack for clocks");
  assert.equal(isDue(inDays(1096), 182, NOW, 1095), false, "notary's three calendar years (a leap day) under the default policy");
  assert.equal(isDue(inDays(3653), 182, NOW, 3650), false, "ten calendar years of root under the default policy");
  assert.equal(isDue(inDays(1096), 182, NOW), false, "no lifetime given: only the window counts");
});

test("Repository diff after a drift repair: a targets expiry recorded from another tool's signature plans a re-sign", () => {
  const news = { gun: "example.com/app", rootKey: root, targetsKey: targets, expiry: { targetsDays: 1 } };
  // The refresh recorded notary's three years; our publishes since may have re-signed targets for one day.
  assert.equal(diffRepository(repoOutputs(inDays(1095), { targetsDays: 1 }), news, {}, NOW).changes, true);
  // Once re-signed under the policy, the recorded expiry is a lower bound and the window decides.
  assert.equal(diffRepository(repoOutputs(inDays(1), { targetsDays: 1 }), news, {}, NOW).changes, false);
  assert.equal(diffRepository(repoOutputs(inDays(0.4), { targetsDays: 1 }), news, {}, NOW).changes, true);
});
