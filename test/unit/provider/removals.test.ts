// What the RepositoryStatus removes ahead of Pulumi's deletes (provider/src/runtime/removals.ts): the claims of the
// last command that left the program, unless Pulumi keeps them or another resource holds them, and of those only what
// the server still holds, in the order Pulumi's deletes would remove it. And the provider host's side of the same
// rule (claims.ts): what a declared resource holds, recorded before the deletes of the command, which leave it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { lingering, removalChanges, removedClaims } from "../../../provider/src/runtime/removals.ts";
import type { Claim, StatusInputs } from "../../../provider/src/inputs/status.ts";
import type { RepoState } from "../../../sdk/src/index.ts";
import { isHeld, tagIdentity } from "../../../provider/src/runtime/claims.ts";
import { runtime } from "../../../provider/src/runtime/operations.ts";
import { previousKeys } from "../../../provider/src/runtime/status.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";

type After = StatusInputs["after"];
const tag = (name: string, ...roles: string[]): Claim => ({ kind: "tag", name, roles });
const v1 = tag("v1", "targets/releases", "targets/ci");

test("removedClaims: what left the program, unless Pulumi keeps it or another resource holds it", () => {
  const olds: After = [
    ["urn:v1", 3, v1],
    ["urn:qa", 2, { kind: "delegation", name: "targets/qa" }],
  ];
  const rows: [string, After | undefined, After, Claim[], boolean, After?][] = [
    ["nothing left", olds, olds, [], false],
    ["the first command", undefined, olds, [], false],
    ["a tag and a delegation removed", olds, [], [v1, { kind: "delegation", name: "targets/qa" }], false],
    ["retained on delete: Pulumi forgets it, the server keeps it", [["urn:v1", 3, { ...v1, keep: "retained" }]], [], [], false],
    ["protected: Pulumi refuses its delete until it is unprotected, then deletes it", [["urn:v1", 3, { ...v1, keep: "protected" }]], [], [], false, [["urn:v1", 3, { ...v1, keep: "protected" }]]],
    ["renamed: another resource holds the tag in its roles (its old delete leaves it too)", olds, [["urn:v1-new", 1, v1], olds[1]!], [], false],
    ["another resource holds the tag in one of its roles: the other role is removed", olds, [["urn:v1-new", 1, tag("v1", "targets/ci")], olds[1]!], [tag("v1", "targets/releases")], false],
    ["the same tag name in another role is not the same claim", olds, [["urn:v1-qa", 1, tag("v1", "targets/qa")], olds[1]!], [v1], false],
    ["a signer's role is a delegation's", olds, [olds[0]!, ["urn:signer", 1, { kind: "signer", name: "qa", keyIds: ["k"] }]], [], false],
    ["state written before claims", [["urn:v1", 3]], [], [], true],
  ];
  for (const [name, before, now, claims, deferred, kept = []] of rows) assert.deepEqual(removedClaims(before, now), { claims, protected: kept, deferred }, name);
  const elsewhere = (id: string) => id === tagIdentity("targets/ci", "v1");
  assert.deepEqual(removedClaims(olds, [olds[1]!], elsewhere).claims, [tag("v1", "targets/releases")], "held by a resource that names no Repository");
});

/** A state with targets, its delegations (name → key IDs) and each role's targets. */
function state(delegations: Record<string, string[]>, targets: Record<string, string[]>): RepoState {
  const roles = new Map<string, unknown>();
  const file = (role: string) => ({
    targets: Object.fromEntries((targets[role] ?? []).map((t) => [t, { hashes: {}, length: 1 }])),
    delegations: { keys: {}, roles: Object.entries(delegations).filter(([d]) => d.slice(0, d.lastIndexOf("/")) === role).map(([name, keyids]) => ({ name, keyids, threshold: 1, paths: [""] })) },
  });
  for (const role of ["targets", ...Object.keys(delegations)]) roles.set(role, { status: "valid", paths: [""], file: { signed: file(role) } });
  return { roles } as unknown as RepoState;
}

test("removalChanges: only what the server holds; tags first, then roles and signer keys; shared signer keys kept", () => {
  const s = state(
    { "targets/releases": ["a", "b", "c"], "targets/alice": ["a"], "targets/bob": ["b"], "targets/carol": ["b", "c"], "targets/qa": ["q"], "targets/qa/nightly": ["n"] },
    { "targets/releases": ["v1"], "targets/alice": ["v1"], "targets/qa": ["qa-1"], "targets/qa/nightly": ["n-1"] },
  );
  const rows: [string, Claim[], { tags: unknown[]; roles: unknown[] }][] = [
    ["a tag the server holds", [tag("v1", "targets/releases", "targets/bob")], { tags: [{ type: "removeTarget", role: "targets/releases", name: "v1" }], roles: [] }],
    ["a tag already gone: nothing to sign", [tag("v2", "targets/releases")], { tags: [], roles: [] }],
    [
      "a signer with its tag: the tag leaves releases while the signer's key can still sign it, then the signer goes",
      [tag("v1", "targets/releases", "targets/alice"), { kind: "signer", name: "alice", keyIds: ["a"] }],
      {
        tags: [{ type: "removeTarget", role: "targets/releases", name: "v1" }],
        roles: [{ type: "removeDelegation", name: "targets/alice" }, { type: "removeDelegationKeys", name: "targets/releases", keyIds: ["a"] }],
      },
    ],
    [
      "a delegation with a nested role and tags: they go with it (targets/qa could not sign the nested removal)",
      [tag("qa-1", "targets/qa"), tag("n-1", "targets/qa/nightly"), { kind: "delegation", name: "targets/qa/nightly" }, { kind: "delegation", name: "targets/qa" }],
      { tags: [], roles: [{ type: "removeDelegation", name: "targets/qa" }] },
    ],
    ["a delegation already gone", [{ kind: "delegation", name: "targets/gone" }], { tags: [], roles: [] }],
    [
      "signers: a key another signer still uses stays in releases",
      [{ kind: "signer", name: "alice", keyIds: ["a"] }, { kind: "signer", name: "bob", keyIds: ["b"] }],
      { tags: [], roles: [{ type: "removeDelegation", name: "targets/alice" }, { type: "removeDelegation", name: "targets/bob" }, { type: "removeDelegationKeys", name: "targets/releases", keyIds: ["a"] }] },
    ],
    [
      "two signers sharing a key, both removed: the key leaves releases",
      [{ kind: "signer", name: "bob", keyIds: ["b"] }, { kind: "signer", name: "carol", keyIds: ["b", "c"] }],
      { tags: [], roles: [{ type: "removeDelegation", name: "targets/bob" }, { type: "removeDelegation", name: "targets/carol" }, { type: "removeDelegationKeys", name: "targets/releases", keyIds: ["b", "c"] }] },
    ],
  ];
  for (const [name, claims, changes] of rows) assert.deepEqual(removalChanges(s, claims), changes, name);
});

test("lingering: a protected entry stays in the record while the server holds its claim, and leaves once its delete ran", () => {
  const s = state({ "targets/releases": ["a"] }, { "targets/releases": ["v1"] });
  const p1: After = [["urn:v1", 3, { ...tag("v1", "targets/releases"), keep: "protected" }]];
  const p2: After = [["urn:v2", 3, { ...tag("v2", "targets/releases"), keep: "protected" }]];
  assert.deepEqual(lingering(s, [...p1, ...p2]), p1);
});

test("the provider host records what declared resources hold (an unchanged one at its diff); a replaced one holds nothing", () => {
  const gun = "example.com/held";
  const d = { gun, role: "targets/qa", keys: [], parentKey: "", keyIds: [], serverKeyIds: [], serverThreshold: 1, serverPaths: [""], version: 1, expires: "" };
  runtime.delegation.diff({}, "id", { ...d, role: "targets/old" } as never, { ...d, role: "targets/new" } as never);
  assert.equal(isHeld(gun, "targets/old"), false, "a replaced delegation's old role is not held: its delete removes it");
  const tagOlds = { gun, tag: "v1", digest: "sha256:" + "a".repeat(64), size: 1, signingKeys: [], signedRole: "targets/releases", signedRoles: ["targets/releases", "targets/ci"] };
  const recorded = { signedDigest: tagOlds.digest, signedSize: 1, serverDigest: tagOlds.digest, serverSize: 1, signedProvenance: {}, serverProvenance: {} };
  const same = runtime.signedTag.diff({}, "id", { ...tagOlds, ...recorded } as never, { ...tagOlds, trustedRootSha256: "e".repeat(64) } as never);
  assert.equal(same.changes, false);
  assert.deepEqual([isHeld(gun, tagIdentity("targets/releases", "v1")), isHeld(gun, tagIdentity("targets/ci", "v1"))], [true, true], "an unchanged tag holds it in its roles");
  assert.equal(isHeld("example.com/other", tagIdentity("targets/releases", "v1")), false, "per repository");
});

test("the last command's keys add to the keys given for removals; one that cannot be read now is left out, not an error", () => {
  const k = PrivateKey.generate();
  const unreadable = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
  const keys = previousKeys({ keys: [unreadable, k.exportPkcs8Pem()] } as never);
  assert.deepEqual(keys.map((x) => x.id), [k.id]);
});
