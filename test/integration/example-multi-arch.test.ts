// examples/multi-arch run as a real Pulumi program (setMocks → real dynamic provider host, one fresh host per command)
// against a real notary-server and docker-registry. The test plays the docker provider for `docker.Image`: it pushes a
// real multi-arch OCI index to the registry and returns its repoDigest. preview → up → no-op up → a second image →
// destroy, checked with the Go notary client and `docker trust inspect`.
import assert from "node:assert/strict";
import path from "node:path";
import { before, describe, test } from "node:test";
import { deepEqual, type PropertyMap } from "../support/dynhost.ts";
import type { OtherResourceArgs } from "../support/mock-forward.ts";
import { fetchManifest, MEDIA_TYPES, pushOciImage, startRegistry, type PushedImage, type Registry } from "../support/stack.ts";
import { assertAllOps, ExampleEnv, hex, isSecret, ops, plain, T, timingReport, UNKNOWN } from "./example-helpers.ts";

const IMAGE = "docker:index/image:Image";

let registry: Registry;
/** Images the fake docker provider built and pushed, in order. */
const built: PushedImage[] = [];

/**
 * The docker provider, as far as this program uses it: `imageName` `<host>/<path>:<tag>` is built and pushed — to the
 * test registry, whatever the host (the example names the image after the GUN, whose host here is the notary server) —
 * as a multi-arch OCI index, and `repoDigest` is `<registry>/<path>@<digest>`.
 */
async function dockerProvider(a: OtherResourceArgs): Promise<{ id?: string; state?: PropertyMap }> {
  assert.equal(a.type, IMAGE, `unexpected resource ${a.type}`);
  if (a.old && deepEqual(a.old.inputs, a.inputs)) return { id: a.old.id, state: a.old.outputs };
  const imageName = String(a.inputs["imageName"]);
  if (a.preview) return { ...(a.old ? { id: a.old.id } : {}), state: { ...a.inputs } }; // computed outputs unknown
  const m = /^[^/]+\/(.+):([\w][\w.-]*)$/.exec(imageName);
  assert.ok(m, `imageName ${imageName} is <registry>/<path>:<tag>`);
  const [, repoPath, tag] = m;
  const img = await pushOciImage(registry.host, repoPath!, tag!, { multiArch: true });
  built.push(img);
  const repoDigest = `${registry.host}/${repoPath}@${img.digest}`;
  const build = (a.inputs["build"] ?? {}) as Record<string, unknown>;
  return {
    id: repoDigest,
    state: {
      ...a.inputs,
      imageName,
      baseImageName: imageName,
      registryServer: registry.host,
      repoDigest,
      context: build["context"] ?? ".",
      dockerfile: "Dockerfile",
      platform: build["platform"] ?? "",
    },
  };
}

const env = ExampleEnv.perFile("multi-arch", {
  setup: async (e) => {
    registry = await startRegistry();
    e.onOtherResource = dockerProvider;
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
    assert.deepEqual(ops(r), {
      root: "create",
      targets: "create",
      "Key:release": "create",
      "Signer:release": "create",
      "Repository:app": "create",
      "Image:app": "create",
      "tag-v1": "create",
      "tag-built": "create",
    });
    for (const k of ["rootKeyId", "digests", "mediaTypes", "builtDigest"]) assert.equal(r.outputs[k], UNKNOWN, `stack output ${k} is unknown in preview`);
    assert.equal(r.get("tag-built").inputs["image"], UNKNOWN, "the built image's repoDigest is unknown in preview");
    assert.equal(built.length, 0, "nothing was built");
    assert.equal(env.stack.size, 0);
    assert.deepEqual(await env.fingerprint(gun), {});
  });

  test("up: the image is built and pushed, both tags signed to the index digests", async () => {
    const r = await env.up();
    assertAllOps(r, "create", "first up");
    assert.equal(built.length, 1);
    const b = built[0]!;
    exported = plain(r.outputs);
    assert.deepEqual(exported["digests"], [v1.digest]);
    assert.deepEqual(exported["mediaTypes"], [MEDIA_TYPES.ociIndex]);
    assert.equal(exported["builtDigest"], b.digest);
    assert.equal(env.outputs(T.signedTag, "tag-built")["image"], `${registry.host}/team/app@${b.digest}`, "signed by the Image's repoDigest");
    assert.equal(env.outputs(T.signedTag, "tag-built")["mediaType"], MEDIA_TYPES.ociIndex);
    // What the registry serves for v1 is what was signed (digest and size of the index, not of a platform manifest).
    const served = await fetchManifest(registry.host, "team/app", "v1");
    assert.equal(served.digest, v1.digest);

    // docker's layout: signed into targets/releases and the signer's own role (notary lists the first it finds).
    const list = await env.notaryList(gun);
    assert.deepEqual(
      list.map((x) => [x.name, x.digest, x.size]),
      [
        ["built", hex(b.digest), b.size],
        ["v1", hex(v1.digest), v1.size],
      ],
    );
    for (const x of list) assert.match(x.role, /^targets\/releases?$/);
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Root")?.Keys.map((k) => k.ID), [exported["rootKeyId"]]);
    assert.deepEqual(info.Signers.map((s) => [s.Name, s.Keys.map((k) => k.ID)]), [["release", [env.outputs(T.key, "release")["keyId"]]]]);
    assert.deepEqual(
      info.SignedTags.map((s) => [s.SignedTag, s.Digest, s.Signers]),
      [
        ["built", hex(b.digest), ["release"]],
        ["v1", hex(v1.digest), ["release"]],
      ],
    );

    env.assertStateSecrets([
      [T.key, "root", "privateKeyPem"],
      [T.key, "targets", "privateKeyPem"],
      [T.key, "release", "privateKeyPem"],
      [T.repository, "app", "rootKey"],
      [T.repository, "app", "targetsKey"],
      [T.signer, "release", "targetsKey"],
      [T.signedTag, "tag-v1", "signingKeys"],
      [T.signedTag, "tag-built", "signingKeys"],
    ]);
    assert.ok(!isSecret(env.entry(IMAGE, "app").outputs["repoDigest"]));
  });

  test("a second up without changes: every resource is `same`, nothing built, no request, nothing published", async () => {
    const fp = await env.fingerprint(gun);
    const r = await env.withoutNetwork("pulumi up (no changes)", () => env.up());
    assertAllOps(r, "same", "second up");
    assert.equal(built.length, 1, "the image was not rebuilt");
    assert.deepEqual(plain(r.outputs), exported);
    assert.deepEqual(await env.fingerprint(gun), fp, "server-side versions unchanged");
  });

  test("a second image (a Docker manifest list): only its SignedTag is created", async () => {
    v2 = await pushOciImage(registry.host, "team/app", "v2", { multiArch: true, format: "docker" });
    images["v2"] = `${registry.host}/team/app:v2`;
    env.set("images", images);
    const p = await env.withoutNetwork("pulumi preview (second image)", () => env.preview());
    assert.equal(ops(p)["tag-v2"], "create");
    assert.deepEqual(Object.entries(ops(p)).filter(([n, op]) => n !== "tag-v2" && op !== "same"), []);

    const r = await env.up();
    assert.equal(ops(r)["tag-v2"], "create");
    assert.deepEqual(Object.entries(ops(r)).filter(([n, op]) => n !== "tag-v2" && op !== "same"), []);
    exported = plain(r.outputs);
    assert.deepEqual(exported["digests"], [v1.digest, v2.digest]);
    assert.deepEqual(exported["mediaTypes"], [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
    const b = built[0]!;
    assert.deepEqual(
      (await env.notaryList(gun)).map((x) => [x.name, x.digest, x.size]),
      [
        ["built", hex(b.digest), b.size],
        ["v1", hex(v1.digest), v1.size],
        ["v2", hex(v2.digest), v2.size],
      ],
    );
    assert.deepEqual((await env.dockerInspect(gun)).SignedTags.map((s) => s.SignedTag), ["built", "v1", "v2"]);
  });

  test("the image is rebuilt (new repoDigest): preview cannot know the digest, up re-signs `built` to it", async () => {
    env.set("context", path.join(env.dir, "app")); // a changed build → docker.Image update
    const p = await env.withoutNetwork("pulumi preview (rebuild)", () => env.preview());
    assert.equal(ops(p)["Image:app"], "update");
    assert.equal(p.get("tag-built").inputs["image"], UNKNOWN, "the new repoDigest is unknown in preview");
    assert.equal(ops(p)["tag-built"], "update");
    assert.equal(built.length, 1, "preview built nothing");

    const r = await env.up();
    assert.equal(built.length, 2);
    const b = built[1]!;
    assert.deepEqual(
      r.resources.filter((x) => x.custom && x.op !== "same").map((x) => [x.type, x.name, x.op]),
      [
        [IMAGE, "app", "update"],
        [T.signedTag, "tag-built", "update"],
      ],
    );
    assert.equal(plain(r.outputs)["builtDigest"], b.digest);
    const row = (await env.notaryList(gun)).find((x) => x.name === "built");
    assert.deepEqual([row?.digest, row?.size], [hex(b.digest), b.size]);
    exported = plain(r.outputs);
  });

  test("destroy: every tag revoked, the signer removed, the trust data left in place", async () => {
    await env.destroy();
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
