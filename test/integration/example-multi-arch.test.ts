// examples/multi-arch with the real Pulumi CLI against a real notary-server and docker-registry. Images are pushed over
// the registry API (there is no docker daemon): a multi-arch OCI index, later a Docker manifest list. preview → up →
// `preview --expect-no-changes` → no-op up → v1 re-pointed out of band with the notary CLI (the CI check fails, `up
// --refresh` restores it) → a second image → destroy, each step checked with the Go notary client and `docker trust
// inspect`. The example's optional `docker.Image` build (config `build`) needs a Docker daemon and is not run here.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { fetchManifest, MEDIA_TYPES, pushOciImage, startRegistry, type PushedImage, type Registry } from "../support/stack.ts";
import { assertAllOps, ExampleEnv, hex, isSecret, ops, plain, T, timingReport, UNKNOWN } from "./example-helpers.ts";

let registry: Registry;

const env = ExampleEnv.perFile("multi-arch", {
  setup: async () => {
    registry = await startRegistry();
  },
  teardown: async () => {
    await registry?.stop();
  },
});

describe("examples/multi-arch", () => {
  let gun: string;
  let v1: PushedImage;
  let v2: PushedImage;
  let exported: Record<string, any>;
  const images: Record<string, string> = {};

  before(async () => {
    gun = env.gun("team/app");
    // CI (buildx) pushed a multi-arch OCI index for v1.
    v1 = await pushOciImage(registry.host, "team/app", "v1", { multiArch: true });
    images["v1"] = `${registry.host}/team/app:v1`;
    env.set("gun", gun);
    env.set("images", images);
  });

  test("preview on an empty stack: every resource would be created, no request to the notary server", async () => {
    const r = await env.withoutNetwork("pulumi preview", () => env.preview());
    assert.deepEqual(ops(r), { root: "create", targets: "create", "Key:release": "create", "Signer:release": "create", app: "create", "tag-v1": "create", "app-status": "create" });
    for (const k of ["rootKeyId", "digests", "mediaTypes"]) assert.equal(r.outputs[k], UNKNOWN, `stack output ${k} is unknown in preview`);
    assert.equal(env.stack.size, 0);
    assert.deepEqual(await env.fingerprint(gun), {});
  });

  test("up: v1 is resolved in the registry and signed to the index's digest and size", async () => {
    const r = await env.up();
    assertAllOps(r, "create", "first up");
    assert.match(r.result.stdout, /Resources:\n\s+\+ 8 created/);
    exported = plain(r.outputs);
    assert.deepEqual(exported["digests"], [v1.digest]);
    assert.deepEqual(exported["mediaTypes"], [MEDIA_TYPES.ociIndex]);
    assert.equal(exported["builtDigest"], undefined, "nothing built without `build`");
    // What the registry serves for v1 is what was signed (digest and size of the index, not of a platform manifest).
    const served = await fetchManifest(registry.host, "team/app", "v1");
    assert.equal(served.digest, v1.digest);

    // docker's layout: signed into targets/releases and the signer's own role (notary lists the first it finds).
    const list = await env.notaryList(gun);
    assert.deepEqual(list.map((x) => [x.name, x.digest, x.size]), [["v1", hex(v1.digest), v1.size]]);
    for (const x of list) assert.match(x.role, /^targets\/releases?$/);
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Root")?.Keys.map((k) => k.ID), [exported["rootKeyId"]]);
    assert.deepEqual(info.Signers.map((s) => [s.Name, s.Keys.map((k) => k.ID)]), [["release", [env.outputs(T.key, "release")["keyId"]]]]);
    assert.deepEqual(info.SignedTags.map((s) => [s.SignedTag, s.Digest, s.Signers]), [["v1", hex(v1.digest), ["release"]]]);

    env.assertStateSecrets([
      [T.key, "root", "privateKeyPem"],
      [T.key, "targets", "privateKeyPem"],
      [T.key, "release", "privateKeyPem"],
      [T.repository, "app", "rootKey"],
      [T.repository, "app", "targetsKey"],
      [T.signer, "release", "targetsKey"],
      [T.signedTag, "tag-v1", "signingKeys"],
    ]);
    assert.ok(!isSecret(env.entry(T.signedTag, "tag-v1").outputs["digest"]), "the signed digest stays readable");
  });

  test("no changes: `preview --expect-no-changes` passes, `up` is all `same`, no request, nothing published", async () => {
    const fp = await env.fingerprint(gun);
    await env.expectNoChanges();
    const r = await env.up();
    assertAllOps(r, "same", "second up");
    assert.deepEqual(plain(r.outputs), exported);
    assert.deepEqual(await env.fingerprint(gun), fp, "server-side versions unchanged");
  });

  test("v1 re-pointed out of band with the notary CLI: the CI check fails naming it, `up --refresh` restores it", async () => {
    const role = (await env.notaryList(gun)).find((x) => x.name === "v1")!.role;
    await env.importKeyToNotary(env.outputs(T.key, "release")["privateKeyPem"], role);
    const rogue = await env.fileOf("a single-platform manifest pushed by mistake");
    await env.notary(["add", gun, "v1", rogue.file, "-r", role, "-p"]);

    const check = await env.previewRefresh({ expectNoChanges: true, allowFailure: true });
    assert.notEqual(check.result.code, 0, "the CI check fails");
    assert.match(check.result.stdout + check.result.stderr, /no changes were expected for .* but changes were proposed/);
    assert.match(check.result.stdout, /~ .*notary:SignedTag\s+tag-v1\s+update/, "the preview names the re-pointed tag");

    const r = await env.upRefresh();
    assert.equal(ops(r)["tag-v1"], "update");
    assert.deepEqual((await env.notaryList(gun)).map((x) => [x.name, x.digest, x.size]), [["v1", hex(v1.digest), v1.size]]);
    assert.deepEqual((await env.dockerInspect(gun)).SignedTags.map((s) => [s.SignedTag, s.Digest]), [["v1", hex(v1.digest)]]);
    await env.previewRefresh({ expectNoChanges: true });
  });

  test("a second image (a Docker manifest list): only its SignedTag is created", async () => {
    v2 = await pushOciImage(registry.host, "team/app", "v2", { multiArch: true, format: "docker" });
    images["v2"] = `${registry.host}/team/app:v2`;
    env.set("images", images);
    const p = await env.withoutNetwork("pulumi preview (second image)", () => env.preview());
    assert.equal(ops(p)["tag-v2"], "create");
    assert.deepEqual(Object.entries(ops(p)).filter(([n, op]) => n !== "tag-v2" && op !== "same"), [["app-status", "update"]]);

    const r = await env.up();
    assert.equal(ops(r)["tag-v2"], "create");
    assert.deepEqual(Object.entries(ops(r)).filter(([n, op]) => n !== "tag-v2" && op !== "same"), [["app-status", "update"]]);
    exported = plain(r.outputs);
    assert.deepEqual(exported["digests"], [v1.digest, v2.digest]);
    assert.deepEqual(exported["mediaTypes"], [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
    assert.deepEqual(
      (await env.notaryList(gun)).map((x) => [x.name, x.digest, x.size]),
      [
        ["v1", hex(v1.digest), v1.size],
        ["v2", hex(v2.digest), v2.size],
      ],
    );
    assert.deepEqual((await env.dockerInspect(gun)).SignedTags.map((s) => s.SignedTag), ["v1", "v2"]);
  });

  test("v1 pushed again as a new manifest list: the preview shows the move (old and new digest) without asking notary, up re-signs it", async () => {
    const old = v1;
    v1 = await pushOciImage(registry.host, "team/app", "v1", { multiArch: true, format: "docker" }); // a release re-tagged
    assert.notEqual(v1.digest, old.digest, "a new list");
    const p = await env.withoutNetwork("pulumi preview --diff (v1 moved)", () => env.preview({ args: ["--diff"] }));
    assert.equal(ops(p)["tag-v1"], "update");
    assert.deepEqual(Object.entries(ops(p)).filter(([n, op]) => n !== "tag-v1" && op !== "same"), [["app-status", "update"]]);
    assert.match(p.result.stdout, new RegExp(`resolvedDigest\\s*:\\s*"${old.digest}" => "${v1.digest}"`), "the preview names the old and the new digest");

    const r = await env.up();
    assert.equal(ops(r)["tag-v1"], "update");
    assert.deepEqual(plain(r.outputs)["digests"], [v1.digest, v2.digest]);
    assert.deepEqual((await env.notaryList(gun)).find((x) => x.name === "v1")?.digest, hex(v1.digest));
    assert.deepEqual((await env.dockerInspect(gun)).SignedTags.find((s) => s.SignedTag === "v1")?.Digest, hex(v1.digest));
    await env.expectNoChanges();
  });

  test("one platform's manifest signed for a tag that holds a list: preview and up warn; listsOnly refuses it before anything is sent", async () => {
    const v3 = await pushOciImage(registry.host, "team/app", "v3", { multiArch: true });
    const amd64 = v3.manifests.find((m) => m.platform.architecture === "amd64")!;
    images["v3"] = `${registry.host}/team/app@${amd64.digest}`; // the classic mistake: the platform digest, pinned
    env.set("images", images);
    const warning = `${amd64.digest} is the linux/amd64 manifest of the list ${v3.digest} that ${registry.host}/team/app:v3 holds in the registry`;
    const p = await env.preview();
    assert.equal(ops(p)["tag-v3"], "create");
    assert.ok(p.result.stdout.includes(warning), `the preview warns: ${p.result.stdout}`);
    const r = await env.up();
    assert.ok(r.result.stdout.includes(warning), "so does up");
    assert.equal((await env.notaryList(gun)).find((x) => x.name === "v3")?.digest, hex(amd64.digest), "signed as asked");

    env.set("listsOnly", "true");
    const before = await env.fingerprint(gun);
    const refused = await env.preview({ allowFailure: true });
    assert.notEqual(refused.result.code, 0);
    const said = refused.result.stdout + refused.result.stderr;
    assert.ok(said.includes("property image") && said.includes(`${warning}, and listsOnly is set: sign the list`), said);
    await assert.rejects(env.up(), "up refuses it too");
    assert.deepEqual(await env.fingerprint(gun), before, "nothing was published");

    images["v3"] = `${registry.host}/team/app:v3`; // the fix: the tag, which holds the list
    env.set("images", images);
    const fixed = await env.up();
    assert.equal(ops(fixed)["tag-v3"], "update");
    assert.ok(!fixed.result.stdout.includes("warning: SignedTag"), "no warning for a list");
    assert.equal((await env.notaryList(gun)).find((x) => x.name === "v3")?.digest, hex(v3.digest));

    delete images["v3"];
    env.set("images", images);
    env.set("listsOnly", undefined);
    await env.up();
    assert.deepEqual((await env.notaryList(gun)).map((x) => x.name), ["v1", "v2"]);
  });

  test("stack export holds no private key, passphrase or password in clear", async () => {
    await env.assertNoLeaks();
  });

  test("destroy: every tag revoked, the signer removed, the trust data left in place", async () => {
    const { result } = await env.destroy();
    assert.match(result.stdout, /Resources:\n\s+- 9 deleted/);
    assert.equal(env.stack.size, 0);
    assert.deepEqual(await env.notaryList(gun), []);
    const dels = await env.notaryDelegations(gun);
    assert.ok(!dels.some((d) => d.role === "targets/release"), "targets/release was removed");
    assert.deepEqual(dels.flatMap((d) => d.keyIds), []);
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.SignedTags, []);
    assert.deepEqual(info.Signers, []);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Root")?.Keys.map((k) => k.ID), [exported["rootKeyId"]]);
  });

  test("timings", (t) => {
    t.diagnostic(timingReport(env));
  });
});
