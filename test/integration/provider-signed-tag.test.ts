// SignedTag through the real dynamic provider host, driven like the engine does, against a real notary-server and a
// real registry (multi-arch OCI index); checked with `notary lookup` / `notary list` and `docker trust inspect`.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { isSecret } from "../support/dynhost.ts";
import { cachedMeta } from "./interop-helpers.ts";
import { makeTempDir, MEDIA_TYPES, notaryCli, pushOciImage, startRegistry, type PushedImage, type Registry } from "../support/stack.ts";
import {
  assertEnvLeakFree,
  dockerInspect,
  type Env,
  expectCheckFailures,
  expectFailure,
  fingerprint,
  goal,
  HostCallError,
  importKeys,
  newKey,
  notary,
  notaryList,
  notaryLookup,
  pulumiDestroy,
  pulumiPreview,
  pulumiRefresh,
  pulumiUp,
  pulumiUpOrPreview,
  type RepoFixture,
  pinnedRef,
  repoRef,
  repoRefPreview,
  resignElsewhere,
  secret,
  serverRequests,
  sha256Hex,
  startEnv,
  stripSecrets,
  UNKNOWN,
  upRepository,
  urnOf,
  withoutNetwork,
} from "./provider-helpers.ts";

let env: Env;
let registry: Registry;
let repo: RepoFixture;
let elsewhere: string;
let image: PushedImage;
before(async () => {
  env = await startEnv("signed-tag-test");
  registry = await startRegistry();
  repo = await upRepository(env, "repo", env.gun("team/app"));
  elsewhere = await makeTempDir("elsewhere");
  await importKeys(env, elsewhere, [{ key: repo.targets, role: "targets", gun: repo.gun }]);
  image = await pushOciImage(registry.host, "team/app", "v2", { multiArch: true });
});
after(async () => {
  try {
    if (env) assertEnvLeakFree(env);
  } finally {
    await registry?.stop();
    await env?.stop();
  }
});

const DAY = 86_400_000;

/** A made-up manifest: its digest and size (SignedTag takes them instead of an image). */
function manifest(): { digest: string; size: number } {
  const bytes = randomBytes(200 + Math.floor(Math.random() * 300));
  return { digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`, size: bytes.length };
}

function inputs(tag: string, extra: Record<string, unknown>) {
  return { ...repoRef(repo), tag, signingKeys: [secret(repo.targets.pem)], ...extra };
}

const up = async (name: string, i: Record<string, unknown>, preview = false) => pulumiUpOrPreview(env, await goal("signedTag", name, i), preview);

/** docker's SignedTags rows: tag → digest hex. */
async function dockerTags(gun = repo.gun): Promise<Record<string, string>> {
  return Object.fromEntries((await dockerInspect(env, gun)).SignedTags.map((t) => [t.SignedTag, t.Digest]));
}

describe("SignedTag in targets (repository without delegations)", () => {
  const m1 = manifest();
  const m2 = manifest();

  test("preview of a create with unknown image and keys: no network, nothing recorded", async () => {
    const g = await goal("signedTag", "v1", { ...repoRefPreview(repo.gun), tag: "v1", image: UNKNOWN, signingKeys: [UNKNOWN] });
    const r = await withoutNetwork(env, "preview create", () => pulumiPreview(env, g));
    assert.equal(r.op, "create");
    assert.equal(r.id, "");
    // Known image reference and keys: Check validates them, still offline (no registry lookup either).
    await withoutNetwork(env, "preview create (known)", () => up("v1", inputs("v1", { image: `${registry.host}/team/app:v2` }), true));
    assert.equal(env.stack.get(urnOf(env, "signedTag", "v1")), undefined);
    assert.deepEqual(await notaryList(env, repo.gun), []);
  });

  test("create: the tag is signed in targets; notary lookup and docker trust inspect show digest and size", async () => {
    const r = await up("v1", inputs("v1", { ...m1 }));
    assert.equal(r.op, "create");
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["signedRole"], "targets");
    assert.equal(o["signedDigest"], m1.digest);
    assert.equal(o["serverDigest"], m1.digest);
    assert.equal(o["serverSize"], m1.size);
    assert.ok(isSecret(r.outputs["signingKeys"]));
    assert.deepEqual(await notaryLookup(env, repo.gun, "v1"), { name: "v1", digest: sha256Hex(m1.digest), size: m1.size });
    const info = await dockerInspect(env, repo.gun);
    assert.deepEqual(info.SignedTags, [{ SignedTag: "v1", Digest: sha256Hex(m1.digest), Signers: ["Repo Admin"] }]);
  });

  test("no-op: DIFF_NONE without the network; signing the same digest again publishes nothing", async () => {
    const fp = await fingerprint(env, repo.gun);
    const r = await withoutNetwork(env, "up without changes", () => up("v1", inputs("v1", { ...m1 })));
    assert.equal(r.op, "same");
    assert.equal(r.diff?.changes, "DIFF_NONE");
    // A second resource signing the same tag to the same digest: Create succeeds and publishes nothing.
    const dup = await up("v1-again", inputs("v1", { ...m1 }));
    assert.equal(dup.op, "create");
    assert.equal(stripSecrets(dup.outputs)["roleVersion"], stripSecrets(r.outputs)["roleVersion"]);
    assert.deepEqual(await fingerprint(env, repo.gun), fp, "versions unchanged");
    env.stack.delete(urnOf(env, "signedTag", "v1-again")); // forget it (pulumi state delete), keep the tag
  });

  test("update: re-point the tag to another digest", async () => {
    const v = (await fingerprint(env, repo.gun))["targets"] as number;
    const p = await withoutNetwork(env, "preview update", () => up("v1", inputs("v1", { ...m2 }), true));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    assert.deepEqual(p.diff?.replaces, []);
    const r = await up("v1", inputs("v1", { ...m2 }));
    assert.equal(r.op, "update");
    assert.equal(stripSecrets(r.outputs)["serverDigest"], m2.digest);
    assert.equal((await fingerprint(env, repo.gun))["targets"], v + 1);
    assert.deepEqual(await notaryLookup(env, repo.gun, "v1"), { name: "v1", digest: sha256Hex(m2.digest), size: m2.size });
    assert.equal((await dockerTags())["v1"], sha256Hex(m2.digest));
  });

  test("image: a multi-arch OCI index resolved in the registry is signed with the index digest and size", async () => {
    const ref = `${registry.host}/team/app:v2`;
    const r = await up("v2", inputs("v2", { image: ref }));
    assert.equal(r.op, "create");
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["signedDigest"], image.digest);
    assert.equal(o["signedSize"], image.size);
    assert.equal(o["mediaType"], MEDIA_TYPES.ociIndex);
    assert.deepEqual(await notaryLookup(env, repo.gun, "v2"), { name: "v2", digest: sha256Hex(image.digest), size: image.size });
    assert.equal((await dockerTags())["v2"], sha256Hex(image.digest));
    // Same image input: Diff compares with what was resolved, offline.
    const same = await withoutNetwork(env, "no-op with image", () => up("v2", inputs("v2", { image: ref })));
    assert.equal(same.op, "same");

    // Re-point by digest to the arm64 manifest: DIFF_SOME offline (the digest is in the reference), size from the registry.
    const arm = image.manifests.find((m) => m.platform.architecture === "arm64")!;
    const pinned = `${registry.host}/team/app@${arm.digest}`;
    const p = await withoutNetwork(env, "preview re-point", () => up("v2", inputs("v2", { image: pinned }), true));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    const u = await up("v2", inputs("v2", { image: pinned }));
    assert.equal(stripSecrets(u.outputs)["mediaType"], MEDIA_TYPES.ociManifest);
    assert.deepEqual(await notaryLookup(env, repo.gun, "v2"), { name: "v2", digest: sha256Hex(arm.digest), size: arm.size });
  });

  test("refresh with drift: the tag re-pointed with notary; Read shows it, Diff says DIFF_SOME, Update restores", async () => {
    const rogue = manifest();
    await notary(env, ["addhash", repo.gun, "v1", String(rogue.size), "--sha256", sha256Hex(rogue.digest), "-p"], { trustDir: elsewhere });
    assert.equal((await dockerTags())["v1"], sha256Hex(rogue.digest));
    const rr = await pulumiRefresh(env, urnOf(env, "signedTag", "v1"));
    assert.equal(rr.changed, true);
    const o = stripSecrets(rr.outputs) as Record<string, any>;
    assert.equal(o["serverDigest"], rogue.digest, "Read returns what the server holds");
    assert.equal(o["serverSize"], rogue.size);
    const p = await withoutNetwork(env, "preview after drift", () => up("v1", inputs("v1", { ...m2 }), true));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    assert.equal((await up("v1", inputs("v1", { ...m2 }))).op, "update");
    assert.deepEqual(await notaryLookup(env, repo.gun, "v1"), { name: "v1", digest: sha256Hex(m2.digest), size: m2.size });
    assert.equal((await dockerTags())["v1"], sha256Hex(m2.digest));
  });

  test("renewal, repository pinned by root key ID: the role inside renewBeforeDays → DIFF_SOME offline; Update re-signs it", async () => {
    // A role we just signed is never due (windows are capped at half its lifetime), so another client re-signs targets
    // with a 20-day expiry, and a `pulumi refresh` (a new host: it fetches what the server holds) records it.
    const expires = await resignElsewhere(env, repo.gun, repo.root, "targets", [repo.targets], 20);
    const rr = await pulumiRefresh(env, urnOf(env, "signedTag", "v1"));
    const before = stripSecrets(rr.outputs) as Record<string, any>;
    assert.equal(before["roleExpires"], expires, "Read returns the role's expiry as the server holds it");
    // Outside a 10-day window: DIFF_NONE, offline.
    const early = await withoutNetwork(env, "diff of a role outside the window", () => up("v1", inputs("v1", { ...m2, renewBeforeDays: 10 }), true));
    assert.equal(early.diff?.changes, "DIFF_NONE");
    // In a Repository of the stack, its RepositoryStatus renews the role: the tag's diff stays DIFF_NONE.
    const inStack = await withoutNetwork(env, "diff in a stack repository", () => up("v1", inputs("v1", { ...m2, renewBeforeDays: 30 }), true));
    assert.equal(inStack.diff?.changes, "DIFF_NONE");
    // Pinned by root key ID (no status), inside a 30-day window: DIFF_SOME, offline; the update re-signs the role.
    const due = { ...inputs("v1", { ...m2, renewBeforeDays: 30 }), ...pinnedRef(repo), trustedRootSha256: undefined };
    const p = await withoutNetwork(env, "diff of a due role", () => up("v1", due, true));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    const r = await up("v1", due);
    assert.equal(r.op, "update");
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["roleVersion"], before["roleVersion"] + 1);
    assert.ok(o["roleExpires"] > before["roleExpires"]);
    assert.ok(Date.parse(o["roleExpires"]) - Date.now() > 365 * DAY, `re-signed with the default lifetime: ${o["roleExpires"]}`);
    assert.deepEqual(await notaryLookup(env, repo.gun, "v1"), { name: "v1", digest: sha256Hex(m2.digest), size: m2.size });
    assert.equal((await cachedMeta(env.trustDir, repo.gun, "targets")).signed.expires, o["roleExpires"], "notary sees the fresh expiry");
    // Back to the default window: renewed, so nothing to do.
    assert.equal((await up("v1", inputs("v1", { ...m2 }))).op, "same");
  });

  test("replace: a new tag is DIFF_SOME with replaces [tag] and delete-before-replace; the old tag is revoked", async () => {
    const r = await up("v1", inputs("v1.0", { ...m2 }));
    assert.equal(r.op, "replace");
    assert.deepEqual(r.diff?.replaces, ["tag"]);
    assert.equal(r.diff?.deleteBeforeReplace, true);
    assert.deepEqual(r.steps.map((s) => s.op), ["delete-replaced", "replace", "create-replacement"]);
    const names = (await notaryList(env, repo.gun)).map((t) => t.name);
    assert.deepEqual(names, ["v1.0", "v2"]);
    assert.equal((await notaryCli(["lookup", repo.gun, "v1"], { trustDir: env.trustDir, server: { url: env.server.url, caFile: env.server.caFile } })).code, 1);
  });

  test("deleted out of band (notary remove): refresh drops it", async () => {
    await notary(env, ["remove", repo.gun, "v1.0", "-p"], { trustDir: elsewhere });
    const rr = await pulumiRefresh(env, urnOf(env, "signedTag", "v1"));
    assert.equal(rr.op, "read-gone");
    assert.equal(env.stack.get(urnOf(env, "signedTag", "v1")), undefined);
  });

  test("destroy revokes the tag (notary list, docker trust inspect)", async () => {
    await pulumiDestroy(env, urnOf(env, "signedTag", "v2"));
    assert.deepEqual(await notaryList(env, repo.gun), []);
    assert.deepEqual((await dockerInspect(env, repo.gun)).SignedTags, []);
  });

  test("check failures: bad digest, digest without size, bad tag, bad role, no image, bad reference, bad keys — offline", async () => {
    const ok = manifest();
    const cases: [Record<string, unknown>, string[]][] = [
      [inputs("v9", { digest: "sha256:xyz", size: 10 }), ["digest"]],
      [inputs("v9", { digest: "md5:" + "a".repeat(32), size: 10 }), ["digest"]],
      [inputs("v9", { digest: ok.digest }), ["size"]],
      [inputs("v9", { ...ok, size: -1 }), ["size"]],
      [inputs(".v9", { ...ok }), ["tag"]],
      [inputs("v9", { ...ok, role: "releases" }), ["role"]],
      [inputs("v9", {}), ["image"]],
      [inputs("v9", { image: "Not A Reference!" }), ["image"]],
      [{ ...inputs("v9", { ...ok }), signingKeys: [secret("garbage")] }, ["signingKeys[0]"]],
      [{ ...inputs("v9", { ...ok }), gun: "has space/x" }, ["gun"]],
    ];
    const engine = await env.command("up");
    await expectCheckFailures(env, engine, "signedTag", cases);
  });

  test("a key that cannot sign targets: coded error naming the role and the expected key ID; nothing published", async () => {
    const fp = await fingerprint(env, repo.gun);
    const posts = serverRequests(env.server).filter((r) => r.method === "POST").length;
    const g = await goal("signedTag", "wrongkey", { ...inputs("v7", { ...manifest() }), signingKeys: [secret(newKey().pem)] });
    const err = await expectFailure(env, pulumiUp(env, g), /^SIGNING_KEY_MISSING: /);
    assert.ok(err instanceof HostCallError);
    assert.match(err.message, /\btargets\b/);
    assert.ok(err.message.includes(repo.targets.id), err.message);
    assert.equal(serverRequests(env.server).filter((r) => r.method === "POST").length, posts, "no publish");
    assert.deepEqual(await fingerprint(env, repo.gun), fp);
    assert.equal(env.stack.get(urnOf(env, "signedTag", "wrongkey")), undefined);
  });
});

describe("SignedTag in targets/releases with threshold 2", () => {
  let thr: RepoFixture;
  const k1 = newKey("releases");
  const k2 = newKey("releases");
  const m = manifest();
  const tagInputs = (keys: string[], extra: Record<string, unknown> = {}) => ({
    ...repoRef(thr),
    tag: "rc1",
    ...m,
    signingKeys: keys.map((k) => secret(k)),
    ...extra,
  });

  before(async () => {
    thr = await upRepository(env, "thr-repo", env.gun("team/threshold"));
    const d = await pulumiUp(
      env,
      await goal("delegation", "releases", {
        ...repoRef(thr),
        role: "targets/releases",
        keys: [k1.pub, k2.pub],
        threshold: 2,
        parentKey: secret(thr.targets.pem),
      }),
    );
    assert.equal(d.op, "create");
  });

  test("one of two keys: coded error naming targets/releases and both key IDs; nothing published", async () => {
    const fp = await fingerprint(env, thr.gun);
    for (const extra of [{}, { role: "targets/releases" }]) {
      const g = await goal("signedTag", "rc1", tagInputs([k1.pem], extra));
      const err = await expectFailure(env, pulumiUp(env, g), /^SIGNING_KEY_MISSING: /);
      assert.match(err.message, /targets\/releases/);
      assert.ok(err.message.includes(k1.id) && err.message.includes(k2.id), err.message);
    }
    assert.deepEqual(await fingerprint(env, thr.gun), fp);
  });

  test("both keys: signed in targets/releases with two signatures; notary and docker verify it; destroy revokes it", async () => {
    const r = await pulumiUp(env, await goal("signedTag", "rc1", tagInputs([k1.pem, k2.pem])));
    assert.equal(r.op, "create");
    assert.equal(stripSecrets(r.outputs)["signedRole"], "targets/releases");
    assert.deepEqual(await notaryLookup(env, thr.gun, "rc1"), { name: "rc1", digest: sha256Hex(m.digest), size: m.size });
    assert.deepEqual((await notaryList(env, thr.gun)).map((t) => [t.name, t.role]), [["rc1", "targets/releases"]]);
    assert.equal((await dockerTags(thr.gun))["rc1"], sha256Hex(m.digest));
    const same = await withoutNetwork(env, "no-op", async () => pulumiUp(env, await goal("signedTag", "rc1", tagInputs([k1.pem, k2.pem]))));
    assert.equal(same.op, "same");
    await pulumiDestroy(env, urnOf(env, "signedTag", "rc1"));
    assert.deepEqual(await notaryList(env, thr.gun), []);
  });
});

describe("SignedTag under the repository's expiry policy", () => {
  test("a tag created in its own `pulumi up` re-signs its role with the repository's lifetime, not the default", async () => {
    // The Repository (30-day targets) and the tag are created by different commands, i.e. different host processes:
    // the tag only knows the policy from its repositoryExpiry input (the Repository's expiryPolicy output).
    const short = await upRepository(env, "short-repo", env.gun("team/short"), { expiry: { targetsDays: 30 } });
    assert.deepEqual(short.outputs["expiryPolicy"], { targetsDays: 30 });
    const r = await pulumiUp(env, await goal("signedTag", "short", { ...repoRef(short), tag: "s1", ...manifest(), signingKeys: [secret(short.targets.pem)] }));
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["signedRole"], "targets");
    const days = (Date.parse(o["roleExpires"]) - Date.now()) / DAY;
    assert.ok(days > 29 && days <= 30, `targets re-signed to expire in 30 days (the repository's policy), not in ${days.toFixed(1)} days`);
    assert.deepEqual((await notaryList(env, short.gun)).map((t) => t.name), ["s1"]);
    assert.equal((await cachedMeta(env.trustDir, short.gun, "targets")).signed.expires, o["roleExpires"]);
  });
});

describe("SignedTag: a staged intent is signed with its own keys only", () => {
  // A publish signs with the keys of every item and rider in the batch; each one may only change roles its OWN keys can
  // sign. Before that rule, the tag's intent (staged by Check, roles computed before the signer existed) rode along with
  // the signer's publish into `targets`, signed with the signer's targets key.
  test("a tag Checked before the signer whose key it holds is created does not ride into targets with the signer's targets key", async () => {
    const r = await upRepository(env, "rider-repo", env.gun("team/rider"));
    const alice = newKey("alice");
    const tag = await goal("signedTag", "rider", { ...repoRef(r), tag: "r1", ...manifest(), signingKeys: [secret(alice.pem)] });
    const signer = await goal("signer", "alice", { ...repoRef(r), name: "alice", keys: [alice.pub], targetsKey: secret(r.targets.pem) });
    // One `pulumi up` of a program declaring both (the tag does not depend on the signer): the engine Checks the tag
    // when it is registered, which can be before the signer is created.
    const engine = await env.command("up");
    assert.deepEqual((await engine.host.check(urnOf(env, "signedTag", "rider"), {}, tag.inputs)).failures, []);
    assert.equal((await engine.up(signer)).op, "create");
    // alice's key cannot sign targets, so nothing of the tag's may be in targets — whatever else happens to it.
    const rows = await notaryList(env, r.gun);
    assert.ok(!rows.some((t) => t.name === "r1" && t.role === "targets"), `r1 was signed into targets with a key the tag does not hold: ${JSON.stringify(rows)}`);
    const created = await engine.up(tag);
    assert.deepEqual(stripSecrets(created.outputs)["signedRoles"], ["targets/releases", "targets/alice"]);
    // notary list shows each name once, from the first role of its walk: targets/alice (docker's signer add order).
    assert.deepEqual((await notaryList(env, r.gun)).map((t) => [t.name, t.role]), [["r1", "targets/alice"]]);
  });
});

describe("SignedTag: a preview has no effect", () => {
  test("a tag previewed (Check only) is not published by a later publish of another resource", async () => {
    const side = await upRepository(env, "side-repo", env.gun("team/preview"));
    const ref = { ...repoRef(side), signingKeys: [secret(side.targets.pem)] };
    // `pulumi preview` of a new tag with digest and size known: Check and nothing else (Check stages the tag's change in
    // the preview host, which never creates anything).
    const previewed = await goal("signedTag", "early", { ...ref, tag: "early", ...manifest() });
    const p = await withoutNetwork(env, "preview create", () => pulumiPreview(env, previewed));
    assert.equal(p.op, "create");
    assert.deepEqual(env.commands.slice(-1), ["preview"]);
    const previewHost = env.host;
    // The command ends: the engine stops its host, and whatever that process staged dies with it.
    await env.endCommand();
    assert.ok(previewHost.exited, "the preview host process has exited");
    // A later `pulumi up` (a new host process) creates another tag in the same repository.
    const r = await pulumiUp(env, await goal("signedTag", "other", { ...ref, tag: "other", ...manifest() }));
    assert.equal(r.op, "create");
    assert.notEqual(env.host.pid, previewHost.pid, "the up ran in a new host");
    assert.deepEqual(
      (await notaryList(env, side.gun)).map((t) => t.name),
      ["other"],
      "only the tag that was created is signed: the previewed one must not ride along",
    );
    assert.equal(env.stack.get(urnOf(env, "signedTag", "early")), undefined);
  });
});
