// targetsInEffect: when a publish can be answered from the verified state without waiting for a group commit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { targetsInEffect } from "../../../sdk/src/publish/in-effect.ts";
import type { RepoState } from "../../../sdk/src/trust/update.ts";
import type { Change } from "../../../sdk/src/metadata/changes.ts";

const meta = (n: number) => ({ length: n, hashes: { sha256: Buffer.alloc(32, n).toString("base64") } });

function stateWith(targets: Record<string, unknown>, status: "valid" | "invalid" | "expired" = "valid"): RepoState {
  const file = { signed: { _type: "Targets", delegations: { keys: {}, roles: [] }, expires: "2030-01-01T00:00:00Z", targets, version: 2 } };
  return { roles: new Map([["targets/releases", { file, status, paths: [""] }]]) } as unknown as RepoState;
}

const set = (name: string, n: number): Change => ({ type: "setTarget", role: "targets/releases", name, meta: meta(n) });

test("a target already held with the same meta (members in any order) is in effect; a different hash or length is not", () => {
  const st = stateWith({ v1: { hashes: { sha256: Buffer.alloc(32, 1).toString("base64") }, length: 1 } });
  assert.equal(targetsInEffect(st, [set("v1", 1)], []), true);
  assert.equal(targetsInEffect(st, [set("v1", 2)], []), false);
  assert.equal(targetsInEffect(st, [{ type: "setTarget", role: "targets/releases", name: "v1", meta: { length: 1, hashes: { sha256: Buffer.alloc(32, 1).toString("base64"), sha512: "x" } } }], []), false);
  assert.equal(targetsInEffect(st, [set("v2", 2)], []), false, "absent");
  assert.equal(targetsInEffect(st, [], []), false, "nothing to answer");
});

test("removals are in effect when the target is absent", () => {
  const st = stateWith({ v1: meta(1) });
  assert.equal(targetsInEffect(st, [{ type: "removeTarget", role: "targets/releases", name: "v9" }], []), true);
  assert.equal(targetsInEffect(st, [{ type: "removeTarget", role: "targets/releases", name: "v1" }], []), false);
});

test("not when queued work touches the same target or could remove roles, nor in a role whose file did not verify", () => {
  const st = stateWith({ v1: meta(1) });
  assert.equal(targetsInEffect(st, [set("v1", 1)], [set("v2", 2), { type: "witness", role: "targets/releases" }]), true, "other targets and witnesses are harmless");
  assert.equal(targetsInEffect(st, [set("v1", 1)], [{ type: "removeTarget", role: "targets/releases", name: "v1" }]), false);
  assert.equal(targetsInEffect(st, [set("v1", 1)], [{ type: "removeDelegation", name: "targets/releases" }]), false);
  assert.equal(targetsInEffect(stateWith({ v1: meta(1) }, "invalid"), [set("v1", 1)], []), false);
  assert.equal(targetsInEffect(st, [{ type: "witness", role: "targets/releases" }], []), false, "a witness always publishes");
});
