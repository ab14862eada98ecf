// After a delegation's keys rotated, a SignedTag re-signs its role only when the file on the server was signed by a
// key the tag held before: content a hostile server put there is refused with the role and key IDs named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rolesToResign } from "../../../provider/src/runtime/resign.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { keyJsonId, keyToJson } from "../../../sdk/src/index.ts";
import { signRole } from "../../../sdk/src/metadata/signed.ts";
import type { RepoState } from "../../../sdk/src/index.ts";

const role = "targets/qa";
const targetsFile = (by: PrivateKey) => {
  const j = keyToJson(by.publicKey);
  const signed = { _type: "Targets", delegations: { keys: {}, roles: [] }, expires: "2030-01-01T00:00:00Z", targets: {}, version: 3 };
  return signRole(signed as never, { keys: { [keyJsonId(j)]: j }, keyids: [keyJsonId(j)], threshold: 1, role }, [by]);
};
const stateWith = (status: "valid" | "invalid", by: PrivateKey) =>
  ({ roles: new Map([[role, { file: targetsFile(by), status, paths: ["qa-"], problem: "signature threshold not met" }]]) }) as unknown as RepoState;

test("a role signed by the tag's previous key is re-signed; a valid one is left alone", () => {
  const old = PrivateKey.generate();
  assert.deepEqual(rolesToResign(stateWith("invalid", old), [role], [old]), [role]);
  assert.deepEqual(rolesToResign(stateWith("valid", old), [role], [old]), []);
  assert.deepEqual(rolesToResign(stateWith("invalid", old), ["targets/other"], [old]), [], "a role the server does not hold");
});

test("a role signed by nobody the tag knows is refused, naming the role and the keys it knew", () => {
  const [old, stranger] = [PrivateKey.generate(), PrivateKey.generate()];
  assert.throws(
    () => rolesToResign(stateWith("invalid", stranger), [role], [old]),
    (e: Error & { code?: string }) =>
      e.code === "SIGNATURE_THRESHOLD_NOT_MET" && e.message.includes(role) && e.message.includes(keyJsonId(keyToJson(old.publicKey))),
  );
});
