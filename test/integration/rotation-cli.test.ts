// Key rotation with dependents through the real Pulumi CLI (issue 10, item 1): one `pulumi up` rotates the
// repository's targets key, re-points a tag and removes a Signer (with its tag); a Delegation with threshold 2 and a
// tag signed by the targets key depend on the rotated key. Before the fix, the Signer's delete signed with the key in
// its saved state and failed (SIGNING_KEY_MISSING), again on every `up`, and `destroy` failed for every dependent
// whose saved key was stale. Now: the dependents' saved keys follow the rotation without a server write, deletes in
// the same run sign with the rotated key, and destroy runs through. Checked with notary and docker.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ExampleEnv, fakeManifest, hex, ops, plain, T } from "./example-helpers.ts";

const env = ExampleEnv.perFile("rotation", { dir: "test/fixtures/rotation-program" });

describe("targets key rotation with dependents, through the CLI", () => {
  let gun: string;
  const m1 = fakeManifest("rotation v1");
  const m2 = fakeManifest("rotation v2");

  before(() => {
    gun = env.gun("team/rotation");
    env.set("gun", gun);
    env.set("digest", m1.digest);
    env.set("size", String(m1.size));
    env.set("qaDigest", m1.digest);
    env.set("qaSize", String(m1.size));
  });

  test("up: repository, signer, delegation (threshold 2) and tags", async () => {
    await env.up();
    assert.deepEqual((await env.notaryList(gun)).map((x) => x.name).sort(), ["qa-v1", "v1", "v2"]);
    const dels = await env.notaryDelegations(gun);
    assert.deepEqual(dels.find((d) => d.role === "targets/qa")?.threshold, 2);
    env.assertStateSecrets([[T.repository, "app", "targetsKey"], [T.signer, "ci", "targetsKey"], [T.delegation, "qa", "parentKey"]]);
  });

  test("one up rotates the targets key, re-points a tag and removes the Signer: it succeeds, and the stack is not stuck", async () => {
    const qaVersion = (await env.fingerprint(gun))["targets/qa"];
    env.set("activeTargetsKey", "targets-2");
    env.set("dropSigner", "true");
    env.set("digest", m2.digest);
    env.set("size", String(m2.size));
    const r = await env.up();
    const o = ops(r);
    assert.equal(o["app"], "update", "the repository rotates its targets key");
    assert.equal(o["Signer:ci"], "delete", "the signer is removed in the same run");
    assert.equal(o["v1"], "delete", "and its tag");
    assert.equal(o["qa"], "update", "the delegation's saved parent key follows the rotation");
    assert.equal(o["v2"], "update");
    const newTargets = env.outputs(T.key, "targets-2")["keyId"];
    assert.equal(plain(r.outputs)["targetsKeyId"], newTargets);
    // The delegation's role file was not re-signed: only its saved key changed.
    assert.equal((await env.fingerprint(gun))["targets/qa"], qaVersion, "no write for the delegation's role");
    assert.equal(env.outputs(T.delegation, "qa")["parentKey"], env.outputs(T.key, "targets-2")["privateKeyPem"]);

    // notary and docker: the signer and its tag are gone, v2 points at the new digest, targets is signed by the new key.
    assert.deepEqual((await env.notaryList(gun)).map((x) => [x.name, x.digest]).sort(), [["qa-v1", hex(m1.digest)], ["v2", hex(m2.digest)]]);
    const dels = await env.notaryDelegations(gun);
    assert.ok(!dels.some((d) => d.role === "targets/ci"), "targets/ci removed");
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Repository")?.Keys.map((k) => k.ID), [newTargets]);
    assert.deepEqual(info.Signers.map((s) => s.Name), ["qa"]);

    // The Signer and its tag left the program: the RepositoryStatus removed them (with the new targets key and the
    // signer's) before it read, their deletes found nothing to do; the state equals the server, nothing is left to do.
    assert.equal(env.outputs(T.status, "app-status")["awaitingDeletes"], false);
    await env.assertStatusTruthful("app", gun);
    await env.expectNoChanges();
    await env.previewRefresh({ expectNoChanges: true });
  });

  test("a delegation's key rotated with a tag signed in it: the role is re-signed by the new keys, notary and docker read it", async () => {
    env.set("qaKeys", "qa-2,qa-3");
    const r = await env.up();
    const o = ops(r);
    assert.equal(o["qa"], "update", "the delegation lists the new keys");
    assert.equal(o["qa-v1"], "update", "the tag's role is re-signed with them");
    const ids = ["qa-2", "qa-3"].map((n) => env.outputs(T.key, n)["keyId"]).sort();
    const dels = await env.notaryDelegations(gun);
    assert.deepEqual(dels.find((d) => d.role === "targets/qa")?.keyIds.slice().sort(), ids);
    assert.deepEqual((await env.notaryList(gun)).find((x) => x.name === "qa-v1")?.role, "targets/qa", "notary verifies targets/qa under its new keys");
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.Signers.find((x) => x.Name === "qa")?.Keys.map((k) => k.ID).sort(), ids, "docker lists the new keys");
    await env.expectNoChanges();
    await env.previewRefresh({ expectNoChanges: true });
  });

  test("the root key rotated with tags and a delegation present: clients that cached the old root follow, nothing left to do", async () => {
    const before = plain((await env.expectNoChanges()).outputs);
    const list = await env.notaryList(gun); // the file's notary trust dir caches the current root
    env.set("activeRootKey", "root-2");
    const r = await env.up();
    assert.equal(ops(r)["app"], "update");
    const out = plain(r.outputs);
    assert.notEqual(out["rootKeyId"], before["rootKeyId"], "a new root certificate");
    assert.equal(env.outputs(T.repository, "app")["rootCanonicalKeyId"], env.outputs(T.key, "root-2")["keyId"]);
    assert.deepEqual(await env.notaryList(gun), list, "the notary client that cached the old root still lists the tag");
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Root")?.Keys.map((k) => k.ID), [out["rootKeyId"]]);
    assert.deepEqual(info.SignedTags.map((t) => t.SignedTag), ["v2"]);
    await env.expectNoChanges();
    await env.previewRefresh({ expectNoChanges: true });
  });

  test("destroy afterwards removes every dependent (their saved keys are current)", async () => {
    const { result } = await env.destroy();
    assert.match(result.stdout, /Resources:\n\s+- \d+ deleted/);
    assert.equal(env.stack.size, 0);
    assert.deepEqual(await env.notaryList(gun), []);
    assert.ok(!(await env.notaryDelegations(gun)).some((d) => d.role === "targets/qa"), "targets/qa removed");
  });
});
