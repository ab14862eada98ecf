// Every check and diff rule of Repository, Delegation and Signer, table-driven and offline: which inputs are refused
// (and the property named), which changes replace, which update, and which are no change.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkRepository } from "../../../provider/src/runtime/repository.ts";
import { checkDelegation, checkSigner, diffDelegation, diffSigner, type DelegationOutputs, type SignerOutputs } from "../../../provider/src/runtime/roles.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { keyJsonId, keyToJson } from "../../../sdk/src/index.ts";

const priv = () => PrivateKey.generate();
const pubPem = (k: PrivateKey) => `-----BEGIN PUBLIC KEY-----\n${Buffer.from(k.publicKey.public).toString("base64")}\n-----END PUBLIC KEY-----\n`;
const idOf = (k: PrivateKey) => keyJsonId(keyToJson(k.publicKey));
const [root, targets, a, b, c] = [priv(), priv(), priv(), priv(), priv()];
const ref = { gun: "example.com/team/app", trustedRootSha256: "e".repeat(64) };
const props = (failures: { property: string }[]) => failures.map((f) => f.property).sort();

test("Repository check: each malformed input names its property", () => {
  const ok = { gun: ref.gun, rootKey: root.exportPkcs8Pem(), targetsKey: targets.exportPkcs8Pem() };
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["valid", {}, []],
    ["GUN with a tag", { gun: "example.com/team/app:v1" }, ["gun"]],
    ["uppercase GUN", { gun: "example.com/Team/App" }, ["gun"]],
    ["root key not a PEM", { rootKey: "nope" }, ["rootKey"]],
    ["targets key missing", { targetsKey: undefined }, ["targetsKey"]],
    ["snapshot key not a PEM", { snapshotKey: "nope" }, ["snapshotKey"]],
    ["expiry of zero days", { expiry: { targetsDays: 0 } }, ["expiry.targetsDays"]],
    ["fractional expiry", { expiry: { rootDays: 1.5 } }, ["expiry.rootDays"]],
    ["negative renewal window", { renewBeforeDays: -1 }, ["renewBeforeDays"]],
    ["time-out of zero", { server: { timeoutSeconds: 0 } }, ["server.timeoutSeconds"]],
  ];
  for (const [what, change, want] of cases) assert.deepEqual(props(checkRepository({ ...ok, ...change } as never)), want, what);
});

test("Delegation check: role, keys, threshold, paths, parent key", () => {
  const ok = { ...ref, role: "targets/qa", keys: [pubPem(a), pubPem(b)], threshold: 2, paths: ["qa-"], parentKey: targets.exportPkcs8Pem() };
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["valid", {}, []],
    ["role outside targets/", { role: "qa" }, ["role"]],
    ["uppercase role", { role: "targets/QA" }, ["role"]],
    ["no keys (and so a threshold above them)", { keys: [] }, ["keys", "threshold"]],
    ["a key that is not a PEM (so one key for threshold 2)", { keys: ["nope"] }, ["keys[0]", "threshold"]],
    ["threshold above the keys", { threshold: 3 }, ["threshold"]],
    ["threshold zero", { threshold: 0 }, ["threshold"]],
    ["paths not strings", { paths: [1] }, ["paths"]],
    ["parent key missing", { parentKey: undefined }, ["parentKey"]],
    ["no repository and no pin", { trustedRootSha256: undefined }, ["repository"]],
  ];
  for (const [what, change, want] of cases) {
    const got = props(checkDelegation({ ...ok, ...change } as never));
    assert.deepEqual(got, want, `${what}: ${got.join(", ")}`);
  }
});

test("Signer check: docker's signer names, keys, targets key", () => {
  const ok = { ...ref, name: "alice", keys: [pubPem(a)], targetsKey: targets.exportPkcs8Pem() };
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["valid", {}, []],
    ["releases is taken", { name: "releases" }, ["name"]],
    ["uppercase", { name: "Alice" }, ["name"]],
    ["space", { name: "bad name" }, ["name"]],
    ["no keys", { keys: [] }, ["keys"]],
    ["targets key not a PEM", { targetsKey: "nope" }, ["targetsKey[0]"]],
  ];
  for (const [what, change, want] of cases) assert.deepEqual(props(checkSigner({ ...ok, ...change } as never)), want, what);
});

test("Delegation diff: gun and role replace; keys, threshold, paths and a rotated parent key update; the same is no change", () => {
  const news = { ...ref, role: "targets/qa", keys: [pubPem(a), pubPem(b)], threshold: 2, paths: ["qa-"], parentKey: targets.exportPkcs8Pem() };
  const olds: DelegationOutputs = { ...news, keyIds: [idOf(a), idOf(b)], serverKeyIds: [idOf(b), idOf(a)], serverThreshold: 2, serverPaths: ["qa-"], version: 1, expires: "2030-01-01T00:00:00Z" };
  const cases: [string, Record<string, unknown>, boolean, string[] | undefined][] = [
    ["the same (key order aside)", {}, false, undefined],
    ["another GUN", { gun: "example.com/team/other" }, true, ["gun"]],
    ["another role", { role: "targets/ops" }, true, ["role"]],
    ["a key replaced", { keys: [pubPem(a), pubPem(c)] }, true, undefined],
    ["threshold lowered", { threshold: 1 }, true, undefined],
    ["paths widened", { paths: [""] }, true, undefined],
    ["parent key rotated", { parentKey: priv().exportPkcs8Pem() }, true, undefined],
  ];
  for (const [what, change, changes, replaces] of cases) {
    const d = diffDelegation(olds, { ...news, ...change } as never, {});
    assert.equal(d.changes, changes, what);
    assert.deepEqual(d.replaces, replaces, what);
  }
});

test("Signer diff: gun and name replace; keys and a rotated targets key update; drift in releases updates", () => {
  const news = { ...ref, name: "alice", keys: [pubPem(a)], targetsKey: targets.exportPkcs8Pem() };
  const olds: SignerOutputs = { ...news, role: "targets/alice", keyIds: [idOf(a)], canonicalKeyIds: [idOf(a)], serverKeyIds: [idOf(a)], releasesKeyIds: [idOf(a)] };
  const cases: [string, Record<string, unknown>, Record<string, unknown>, boolean, string[] | undefined][] = [
    ["the same", {}, {}, false, undefined],
    ["another GUN", { gun: "example.com/team/other" }, {}, true, ["gun"]],
    ["renamed", { name: "bob" }, {}, true, ["name"]],
    ["another key", { keys: [pubPem(b)] }, {}, true, undefined],
    ["targets key rotated", { targetsKey: priv().exportPkcs8Pem() }, {}, true, undefined],
    ["removed from releases out of band", {}, { releasesKeyIds: [] }, true, undefined],
  ];
  for (const [what, change, drift, changes, replaces] of cases) {
    const d = diffSigner({ ...olds, ...drift } as SignerOutputs, { ...news, ...change } as never);
    assert.equal(d.changes, changes, what);
    assert.deepEqual(d.replaces, replaces, what);
  }
});
