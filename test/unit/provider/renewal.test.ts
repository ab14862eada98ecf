// Renewal windows, offline: a role is renewed inside the window, and never on every run when the window is as long
// as the role's lifetime (the window is capped at half the lifetime).
import { test } from "node:test";
import assert from "node:assert/strict";
import { isDue, lifetimeDays, DAY_MS } from "../../../provider/src/runtime/common.ts";
import { diffRepository } from "../../../provider/src/runtime/repository.ts";
import { diffStatus, type StatusOutputs } from "../../../provider/src/runtime/status.ts";
import type { StatusInputs } from "../../../provider/src/inputs/status.ts";
import { UNKNOWN } from "../../../provider/src/inputs/unknown.ts";
import { diffSignedTag } from "../../../provider/src/runtime/signed-tag.ts";
import type { SignedTagOutputs } from "../../../provider/src/runtime/tag-state.ts";
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
const releases = PrivateKey.generate().exportPkcs8Pem();
const idOf = (pem: string) => PrivateKey.fromPkcs8(new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"))).id;
const ids = { root: idOf(root), targets: idOf(targets), releases: idOf(releases) };
const AFTER: [string, unknown][] = [["urn:tag-v1", 3]];

function statusInputs(expiry?: { targetsDays?: number }, keys = [root, targets]): StatusInputs {
  return { gun: "example.com/app", trustedRootSha256: "e".repeat(64), keys, after: AFTER, repositoryMark: { root: 1 }, ...(expiry ? { expiry } : {}) };
}

function statusRecord(targetsExpires: string, expiry?: { targetsDays?: number }, releasesExpires = inDays(1000)): StatusOutputs {
  return {
    ...statusInputs(expiry),
    versions: { root: 1, targets: 2, snapshot: 2, timestamp: 2, "targets/releases": 3 },
    expires: { root: inDays(3600), targets: targetsExpires, snapshot: inDays(1000), timestamp: inDays(1), "targets/releases": releasesExpires },
    keyIds: { root: ["c".repeat(64)], targets: [ids.targets], snapshot: ["s".repeat(64)], timestamp: ["t".repeat(64)], "targets/releases": [ids.releases] },
    awaitingDeletes: false,
  };
}

test("RepositoryStatus diff: renewal due → update, offline; a short lifetime is not re-signed on every run", () => {
  assert.equal(diffStatus(statusRecord(inDays(1000)), statusInputs(), {}, NOW).changes, false);
  assert.equal(diffStatus(statusRecord(inDays(100)), statusInputs(), {}, NOW).changes, true, "inside notary's six months");
  const short = { targetsDays: 30 };
  assert.equal(diffStatus(statusRecord(inDays(30), short), statusInputs(short), {}, NOW).changes, false, "just renewed");
  assert.equal(diffStatus(statusRecord(inDays(10), short), statusInputs(short), {}, NOW).changes, true);
  assert.equal(diffStatus(statusRecord(inDays(1000)), statusInputs(), {}, NOW).changes, false, "the server's timestamp (1 day) is the server's to renew");
});

test("RepositoryStatus diff: root is renewed with the root key, whose role lists its certificate's key ID", () => {
  const rootDue = { ...statusRecord(inDays(1000)), expires: { ...statusRecord(inDays(1000)).expires, root: inDays(30) } };
  // root.json names root by its certificate's ID ("c…"); the private key given has its own (canonical) ID.
  assert.equal(diffStatus({ ...rootDue, canonicalKeyIds: { root: [ids.root] } }, statusInputs(), {}, NOW).changes, true);
  assert.equal(diffStatus({ ...rootDue, canonicalKeyIds: { root: ["d".repeat(64)] } }, statusInputs(), {}, NOW).changes, false, "another root key");
});

test("RepositoryStatus diff: a delegation is renewed only with its keys; a write or a removal since plans a read", () => {
  const dueReleases = statusRecord(inDays(1000), undefined, inDays(30));
  assert.equal(diffStatus(dueReleases, statusInputs(), {}, NOW).changes, false, "no key of targets/releases held");
  assert.equal(diffStatus(dueReleases, statusInputs(undefined, [root, targets, releases]), {}, NOW).changes, true);
  const fresh = statusRecord(inDays(1000));
  assert.equal(diffStatus(fresh, { ...statusInputs(), after: [["urn:tag-v1", 4]] }, {}, NOW).changes, true, "the tag wrote");
  assert.equal(diffStatus(fresh, { ...statusInputs(), after: [] }, {}, NOW).changes, true, "the tag is removed: its delete runs after");
  assert.equal(diffStatus({ ...fresh, awaitingDeletes: true }, statusInputs(), {}, NOW).changes, true, "the next command reads again");
  assert.equal(diffStatus(fresh, { ...statusInputs(), after: [["urn:tag-v1", UNKNOWN]] }, {}, NOW).changes, true, "a write planned");
});

test("Repository diff plans no renewal: its record lags behind the roles other resources re-sign", () => {
  const news = { gun: "example.com/app", rootKey: root, targetsKey: targets };
  const olds = {
    ...news,
    serverUrl: "https://notary.example.com",
    rootKeyId: "c".repeat(64),
    rootCanonicalKeyId: ids.root,
    rootCertificate: "",
    targetsKeyId: ids.targets,
    snapshotKeyId: "s".repeat(64),
    timestampKeyId: "t".repeat(64),
    snapshotManagedBy: "server" as const,
    trustedRoot: "",
    trustedRootSha256: "e".repeat(64),
    expiryPolicy: {},
    verified: { root: 1, targets: 2, snapshot: 2, timestamp: 2 },
  };
  assert.equal(diffRepository(olds, news, {}).changes, false);
  assert.equal(diffRepository(olds, { ...news, renewBeforeDays: 30 }, {}).changes, true, "an input changed");
});

test("SignedTag diff in a repository pinned by root key ID (no RepositoryStatus): renews its role inside the window", () => {
  const base = {
    gun: "example.com/app",
    rootKeyId: "e".repeat(64),
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
  const inStack = { ...base, rootKeyId: undefined, trustedRootSha256: "e".repeat(64) };
  assert.equal(diffSignedTag({ ...olds(inDays(90)), ...inStack }, inStack, {}, NOW).changes, false, "in a Repository of the stack its status renews");
});

test("isDue: an expiry further away than the policy's lifetime can reach was signed by another tool: re-sign it", () => {
  assert.equal(isDue(inDays(3 * 365 + 1), 182, NOW, 1), true, "notary's three years under a one-day policy");
  assert.equal(isDue(inDays(1), 182, NOW, 1), false, "just signed under the policy");
  assert.equal(isDue(inDays(1.9), 182, NOW, 1), false, "a day of slack for clocks");
  assert.equal(isDue(inDays(1096), 182, NOW, 1095), false, "notary's three calendar years (a leap day) under the default policy");
  assert.equal(isDue(inDays(3653), 182, NOW, 3650), false, "ten calendar years of root under the default policy");
  assert.equal(isDue(inDays(1096), 182, NOW), false, "no lifetime given: only the window counts");
});

test("RepositoryStatus diff after a drift repair: a targets expiry recorded from another tool's signature plans a re-sign", () => {
  const policy = { targetsDays: 1 };
  // The refresh recorded notary's three years: the policy says one day, so it is re-signed under the policy.
  assert.equal(diffStatus(statusRecord(inDays(1095), policy), statusInputs(policy), {}, NOW).changes, true);
  assert.equal(diffStatus(statusRecord(inDays(1), policy), statusInputs(policy), {}, NOW).changes, false);
  assert.equal(diffStatus(statusRecord(inDays(0.4), policy), statusInputs(policy), {}, NOW).changes, true);
});
