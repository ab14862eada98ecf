// examples/quickstart with the real Pulumi CLI against a real notary-server: preview → up → `preview
// --expect-no-changes` → no-op up → a tag re-pointed out of band with the notary CLI (`preview --refresh
// --expect-no-changes` fails naming it, `up --refresh` restores it) → change the digest, then the tag → destroy, each
// step checked with the Go notary client and `docker trust inspect`.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { assertAllOps, ExampleEnv, fakeManifest, hex, isSecret, ops, plain, T, timingReport, UNKNOWN } from "./example-helpers.ts";

const env = ExampleEnv.perFile("quickstart");

describe("examples/quickstart", () => {
  let gun: string;
  const m1 = fakeManifest("quickstart v1");
  const m2 = fakeManifest("quickstart v1 rebuilt");
  let exported: Record<string, any>;

  before(() => {
    gun = env.gun("team/app");
    // pulumi config set gun …; pulumi config set digest …; pulumi config set size …
    env.set("gun", gun);
    env.set("digest", m1.digest);
    env.set("size", String(m1.size));
  });

  test("preview on an empty stack: every resource would be created, no request to the notary server", async () => {
    const r = await env.withoutNetwork("pulumi preview", () => env.preview());
    assert.deepEqual(ops(r), { root: "create", targets: "create", "Key:ci": "create", "Signer:ci": "create", app: "create", v1: "create", "app-status": "create" });
    for (const k of ["rootKeyId", "repositoryKeyId", "signerKeyIds", "signedDigest", "expires"]) {
      assert.equal(r.outputs[k], UNKNOWN, `stack output ${k} is unknown in preview`);
    }
    assert.equal(env.stack.size, 0, "a preview records nothing");
    assert.deepEqual(await env.fingerprint(gun), {}, "no trust data on the server");
  });

  test("up: everything is created; notary and docker see the declared trust data", async () => {
    const r = await env.up();
    assertAllOps(r, "create", "first up");
    exported = plain(r.outputs);
    const keys = { root: env.outputs(T.key, "root"), targets: env.outputs(T.key, "targets"), ci: env.outputs(T.key, "ci") };
    const repo = env.outputs(T.repository, "app");
    assert.equal(repo["rootCanonicalKeyId"], keys.root["keyId"], "the repository's root is the root Key");
    assert.equal(exported["rootKeyId"], repo["rootKeyId"]);
    assert.equal(exported["repositoryKeyId"], keys.targets["keyId"]);
    assert.deepEqual(exported["signerKeyIds"], [keys.ci["keyId"]]);
    assert.equal(exported["signedDigest"], m1.digest);
    assert.match(exported["expires"]["targets"], /^\d{4}-/);

    // The Go notary client: the tag, in the signer's role (docker's layout: targets/ci and targets/releases).
    const list = await env.notaryList(gun);
    assert.deepEqual(list.map((x) => [x.name, x.digest, x.size]), [["v1", hex(m1.digest), m1.size]]);
    assert.match(list[0]!.role, /^targets\/(ci|releases)$/);
    const dels = await env.notaryDelegations(gun);
    const ciKeyIds = env.outputs(T.signer, "ci")["keyIds"];
    assert.deepEqual(dels.map((d) => [d.role, d.keyIds, d.threshold]).sort(), [["targets/ci", ciKeyIds, 1], ["targets/releases", ciKeyIds, 1]]);

    // docker trust inspect: root = the exported rootKeyId, repository key, signer "ci", the signed tag.
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.AdministrativeKeys.map((k) => [k.Name, k.Keys.map((x) => x.ID)]), [["Root", [exported["rootKeyId"]]], ["Repository", [exported["repositoryKeyId"]]]]);
    assert.deepEqual(info.Signers.map((s) => [s.Name, s.Keys.map((k) => k.ID)]), [["ci", exported["signerKeyIds"]]]);
    assert.deepEqual(info.SignedTags, [{ SignedTag: "v1", Digest: hex(m1.digest), Signers: ["ci"] }]);

    // Private keys are secrets in the state, and nowhere outside a secret.
    env.assertStateSecrets([
      [T.key, "root", "privateKeyPem"],
      [T.key, "targets", "privateKeyPem"],
      [T.key, "ci", "privateKeyPem"],
      [T.repository, "app", "rootKey"],
      [T.repository, "app", "targetsKey"],
      [T.signer, "ci", "targetsKey"],
      [T.signedTag, "v1", "signingKeys"],
    ]);
    assert.ok(!isSecret(env.entry(T.key, "ci").outputs["publicKeyPem"]), "the public key stays readable");
    // Each resource's serialized provider is a plain string in the state (not a secret: it captures no credential).
    for (const e of env.stack.resources.values()) {
      const code = e.inputs["__provider"];
      assert.equal(typeof code, "string", `${e.name}: __provider is plain text`);
      assert.doesNotMatch(code as string, /-----BEGIN|127\.0\.0\.1/, `${e.name}: no key or server address in the provider code`);
    }
  });

  test("a second up without changes: `preview --expect-no-changes` passes, every resource is `same`, no request", async () => {
    const fp = await env.fingerprint(gun);
    const list = await env.notaryList(gun);
    await env.withoutNetwork("pulumi preview --expect-no-changes", () => env.expectNoChanges());
    const r = await env.withoutNetwork("pulumi up (no changes)", () => env.up());
    assertAllOps(r, "same", "second up");
    assert.match(r.result.stdout, /Resources:\n\s+8 unchanged/);
    assert.deepEqual(plain(r.outputs), exported);
    assert.deepEqual(await env.fingerprint(gun), fp, "server-side versions unchanged");
    assert.deepEqual(await env.notaryList(gun), list);
  });

  test("v1 re-pointed out of band with the notary CLI: `preview --refresh --expect-no-changes` fails naming it, `up --refresh` restores it", async () => {
    // A team member who holds the CI key signs another file as v1, as `notary add -p` does, in the role notary reads.
    const role = (await env.notaryList(gun)).find((x) => x.name === "v1")!.role;
    await env.importKeyToNotary(env.outputs(T.key, "ci")["privateKeyPem"], role);
    const rogue = await env.fileOf("not the release");
    await env.notary(["add", gun, "v1", rogue.file, "-r", role, "-p"]);
    assert.deepEqual((await env.notaryList(gun)).map((x) => [x.name, x.digest]), [["v1", hex(rogue.digest)]]);

    const check = await env.previewRefresh({ expectNoChanges: true, allowFailure: true });
    assert.notEqual(check.result.code, 0, "the CI check fails");
    assert.match(check.result.stdout + check.result.stderr, /no changes were expected for .* but changes were proposed/);
    assert.deepEqual(ops(check), { root: "same", targets: "same", "Key:ci": "same", "Signer:ci": "same", app: "same", v1: "update", "app-status": "update" });
    assert.match(check.result.stdout, /~ .*notary:SignedTag\s+v1\s+update/, "the preview names the re-pointed tag");
    assert.equal(env.outputs(T.signedTag, "v1")["serverDigest"], m1.digest, "preview --refresh saved nothing");

    const r = await env.upRefresh();
    assert.equal(ops(r)["v1"], "update");
    assert.deepEqual((await env.notaryList(gun)).map((x) => [x.name, x.digest, x.size]), [["v1", hex(m1.digest), m1.size]]);
    assert.deepEqual((await env.dockerInspect(gun)).SignedTags, [{ SignedTag: "v1", Digest: hex(m1.digest), Signers: ["ci"] }]);
    await env.previewRefresh({ expectNoChanges: true });
  });

  test("a new digest for the tag: preview shows an update without the network, up re-signs it", async () => {
    env.set("digest", m2.digest);
    env.set("size", String(m2.size));
    const p = await env.withoutNetwork("pulumi preview (new digest)", () => env.preview());
    assert.deepEqual(ops(p), { root: "same", targets: "same", "Key:ci": "same", "Signer:ci": "same", app: "same", v1: "update", "app-status": "update" });

    const r = await env.up();
    assert.deepEqual(ops(r), { root: "same", targets: "same", "Key:ci": "same", "Signer:ci": "same", app: "same", v1: "update", "app-status": "update" });
    assert.equal(plain(r.outputs)["signedDigest"], m2.digest);
    assert.deepEqual((await env.notaryList(gun)).map((x) => [x.name, x.digest, x.size]), [["v1", hex(m2.digest), m2.size]]);
    assert.deepEqual((await env.dockerInspect(gun)).SignedTags, [{ SignedTag: "v1", Digest: hex(m2.digest), Signers: ["ci"] }]);
  });

  test("a new tag: the SignedTag is replaced (v1 revoked, v2 signed)", async () => {
    env.set("tag", "v2");
    const r = await env.up();
    assert.deepEqual(ops(r), { root: "same", targets: "same", "Key:ci": "same", "Signer:ci": "same", app: "same", v1: "replace", "app-status": "update" });
    assert.deepEqual(r.get("v1").steps.map((s) => s.op), ["delete-replaced", "replace", "create-replacement"]);
    assert.deepEqual((await env.notaryList(gun)).map((x) => [x.name, x.digest]), [["v2", hex(m2.digest)]]);
    assert.deepEqual((await env.dockerInspect(gun)).SignedTags, [{ SignedTag: "v2", Digest: hex(m2.digest), Signers: ["ci"] }]);
  });

  test("stack export holds no private key, passphrase or password in clear", async () => {
    await env.assertNoLeaks();
  });

  test("destroy: the tag is revoked and the signer removed; the repository's trust data stays", async () => {
    const { steps, result } = await env.destroy();
    assert.match(result.stdout, /Resources:\n\s+- 8 deleted/);
    // Dependents first: the status, the tag, then the signer, then the repository, then the keys.
    const order = steps.filter((s) => s.op === "delete").map((s) => `${s.type.split(":").pop()}:${s.urn.split("::").pop()}`);
    assert.deepEqual([...order].sort(), ["Key:ci", "Key:root", "Key:targets", "Repository:app", "RepositoryStatus:app-status", "SignedTag:v1", "Signer:ci"]);
    const at = (n: string) => order.indexOf(n);
    assert.ok(at("RepositoryStatus:app-status") < at("SignedTag:v1") && at("SignedTag:v1") < at("Signer:ci") && at("Signer:ci") < at("Repository:app"), order.join(", "));
    for (const k of ["Key:ci", "Key:root", "Key:targets"]) assert.ok(at("Repository:app") < at(k) && at("Signer:ci") < at(k), order.join(", "));
    assert.equal(env.stack.size, 0);
    assert.deepEqual(await env.notaryList(gun), [], "no signed tags left");
    const dels = await env.notaryDelegations(gun);
    assert.ok(!dels.some((d) => d.role === "targets/ci"), "targets/ci was removed");
    assert.deepEqual(dels.flatMap((d) => d.keyIds), [], "the signer's key left targets/releases");
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.SignedTags, []);
    assert.deepEqual(info.Signers, []);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Root")?.Keys.map((k) => k.ID), [exported["rootKeyId"]], "trust data left in place");
  });

  test("timings", (t) => {
    t.diagnostic(timingReport(env));
  });
});
