// examples/ci-drift with the real Pulumi CLI against a real notary-server. A team created the repository with the notary CLI; the stack adopts it with the team's
// keys. preview → up (adopt) → no-op up → out-of-band changes with the notary CLI (a tag re-pointed, the delegation's
// key removed) → `preview --refresh` detects them → refresh → up restores → `preview --refresh` is clean → a wrong
// root key is refused → destroy. Checked with the Go notary client and `docker trust inspect`.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { before, describe, test } from "node:test";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { writePrivateKeyFile, writePublicKeyPem } from "../../sdk/src/crypto/keyfile.ts";
import { DEFAULT_PASSPHRASES, makeTempDir } from "../support/stack.ts";
import { assertAllOps, ExampleEnv, refreshOps, fakeManifest, hex, isSecret, ops, plain, T, timingReport, UNKNOWN, type ListRow } from "./example-helpers.ts";

const env = ExampleEnv.perFile("ci-drift");

type TeamKey = { key: PrivateKey; pem: string };
const newKey = (): TeamKey => {
  const key = PrivateKey.generate();
  return { key, pem: key.exportPkcs8Pem() };
};

describe("examples/ci-drift", () => {
  let gun: string;
  /** The team's notary CLI trust dir (holds root, targets and release keys). */
  let teamDir: string;
  let files: string;
  const keys = { root: newKey(), targets: newKey(), release: newKey() };
  const tags = { v1: fakeManifest("ci-drift v1"), v2: fakeManifest("ci-drift v2") };
  const v0 = fakeManifest("ci-drift v0 (not managed by the stack)");
  let exported: Record<string, any>;
  let declared: ListRow[];
  /** The root certificate's key ID notary created for the team (what docker shows as Root). */
  let teamRootKeyId: string;
  const ALL = (op: string) => Object.fromEntries(["root", "targets", "release", "app", "releases", "tag-v1", "tag-v2", "app-status"].map((n) => [n, op]));

  const team = (args: string[]) => env.notary(args, { trustDir: teamDir });
  const listRows = (rows: ListRow[]) => rows.map((x) => [x.name, x.digest, x.size]);

  before(async () => {
    gun = env.gun("team/app");
    teamDir = await makeTempDir("team-trust");
    files = await makeTempDir("team-files");
    const f = (name: string) => path.join(files, name);
    // The team's repository: created with the notary CLI and its own root key, targets rotated to the team's targets
    // key, a targets/releases delegation, and a tag v0 the stack does not manage.
    // notary imports only encrypted root keys (the passphrases are the ones notaryCli hands it).
    const keyFile = (k: TeamKey, role: string, passphrase?: string) =>
      writePrivateKeyFile({ keyType: "ecdsa", pkcs8: k.key.exportPkcs8(), role, ...(role === "targets" ? { gun } : {}), ...(passphrase ? { passphrase } : {}) });
    await writeFile(f("root.pem"), keyFile(keys.root, "root", DEFAULT_PASSPHRASES["NOTARY_ROOT_PASSPHRASE"]), { mode: 0o600 });
    await writeFile(f("targets.pem"), keyFile(keys.targets, "targets"), { mode: 0o600 });
    await writeFile(f("release.key"), keyFile(keys.release, "targets/releases"), { mode: 0o600 });
    await writeFile(f("release.pub"), writePublicKeyPem(keys.release.key.publicKey.public, "targets/releases"));
    await team(["init", gun, "-p", "--rootkey", f("root.pem")]);
    await team(["key", "rotate", gun, "targets", "-k", f("targets.pem")]);
    await team(["delegation", "add", gun, "targets/releases", f("release.pub"), "--all-paths", "-p"]);
    await team(["key", "import", f("release.key")]);
    await writeFile(f("v0.json"), v0.bytes);
    await team(["add", gun, "v0", f("v0.json"), "-r", "targets/releases", "-p"]);

    teamRootKeyId = (await env.dockerInspect(gun)).AdministrativeKeys.find((k) => k.Name === "Root")!.Keys[0]!.ID;

    // pulumi config set gun …; pulumi config set --secret rootKeyPem … (etc.); pulumi config set --path tags …
    env.set("gun", gun);
    env.set("rootKeyPem", { secret: keys.root.pem });
    env.set("targetsKeyPem", { secret: keys.targets.pem });
    env.set("releaseKeyPem", { secret: keys.release.pem });
    env.set("tags", tags);
  });

  test("preview on an empty stack: every resource would be created, no request to the notary server", async () => {
    const r = await env.withoutNetwork("pulumi preview", () => env.preview());
    assert.deepEqual(ops(r), ALL("create"));
    assert.equal(r.outputs["rootKeyId"], UNKNOWN);
    assert.equal(r.outputs["targetsVersion"], UNKNOWN);
    assert.equal(env.stack.size, 0);
  });

  test("up: the stack adopts the team's repository (same root) and signs the declared tags", async () => {
    const fpBefore = await env.fingerprint(gun);
    const r = await env.up();
    assertAllOps(r, "create", "first up");
    exported = plain(r.outputs);
    assert.equal(exported["rootKeyId"], teamRootKeyId, "the team's root certificate was kept");
    const repo = env.outputs(T.repository, "app");
    assert.equal(repo["rootCanonicalKeyId"], keys.root.key.id);
    assert.equal(repo["targetsKeyId"], keys.targets.key.id);
    assert.equal(exported["targetsVersion"], env.outputs(T.status, "app-status")["versions"]["targets"]);
    assert.ok(exported["targetsVersion"] >= (fpBefore["targets"] as number));

    declared = await env.notaryList(gun);
    assert.deepEqual(listRows(declared), [
      ["v0", hex(v0.digest), v0.size],
      ["v1", hex(tags.v1.digest), tags.v1.size],
      ["v2", hex(tags.v2.digest), tags.v2.size],
    ]);
    assert.ok(declared.every((x) => x.role === "targets/releases"));
    assert.deepEqual(await env.notaryDelegations(gun), [{ role: "targets/releases", paths: [""], keyIds: [keys.release.key.id], threshold: 1 }]);
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Root")?.Keys.map((k) => k.ID), [exported["rootKeyId"]]);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Repository")?.Keys.map((k) => k.ID), [keys.targets.key.id]);
    assert.deepEqual(info.SignedTags.map((t) => t.SignedTag), ["v0", "v1", "v2"]);

    // The imported PEMs (secret config) and the derived private keys are secret in the state.
    env.assertStateSecrets([
      [T.key, "root", "pem"],
      [T.key, "root", "privateKeyPem"],
      [T.key, "targets", "pem"],
      [T.key, "targets", "privateKeyPem"],
      [T.key, "release", "pem"],
      [T.key, "release", "privateKeyPem"],
      [T.repository, "app", "rootKey"],
      [T.repository, "app", "targetsKey"],
      [T.delegation, "releases", "parentKey"],
      [T.signedTag, "tag-v1", "signingKeys"],
      [T.signedTag, "tag-v2", "signingKeys"],
    ]);
    assert.ok(isSecret(env.entry(T.key, "root").inputs["pem"]), "config.requireSecret reached the resource as a secret");
  });

  test("no changes: `up` is all `same` without a request; `preview --refresh` (the CI check) finds nothing", async () => {
    const fp = await env.fingerprint(gun);
    const r = await env.withoutNetwork("pulumi up (no changes)", () => env.up());
    assertAllOps(r, "same", "second up");
    assert.deepEqual(plain(r.outputs), exported);

    const pr = await env.previewRefresh({ expectNoChanges: true });
    assert.deepEqual(Object.keys(refreshOps(pr.refresh)).sort(), Object.keys(ALL("")).sort(), "every resource was read");
    assert.deepEqual(Object.values(refreshOps(pr.refresh)).filter((op) => op === "update" || op === "delete"), [], "no drift");
    assertAllOps(pr, "same", "preview --refresh");
    assert.deepEqual(await env.fingerprint(gun), fp, "nothing published");
  });

  test("out of band, a tag is re-pointed: `preview --refresh` reports it, `up --refresh` re-signs it", async () => {
    await writeFile(path.join(files, "rogue.json"), "rogue!");
    await team(["add", gun, "v1", path.join(files, "rogue.json"), "-r", "targets/releases", "-p"]);
    const rogue = (await env.notaryList(gun)).find((x) => x.name === "v1");
    assert.notEqual(rogue?.digest, hex(tags.v1.digest));

    // pulumi preview --refresh --expect-no-changes: the re-pointed tag is a change, and the check fails.
    const pr = await env.previewRefresh({ expectNoChanges: true, allowFailure: true });
    assert.notEqual(pr.result.code, 0, "the CI check fails");
    assert.match(pr.result.stdout + pr.result.stderr, /no changes were expected for .* but changes were proposed/);
    assert.match(pr.result.stdout, /~ .*notary:SignedTag\s+tag-v1\s+update/, "the preview names the re-pointed tag");
    assert.equal(plain(pr.refresh.find((x) => x.name === "tag-v1")!.outputs)["serverDigest"], `sha256:${rogue!.digest}`);
    assert.deepEqual(ops(pr), { ...ALL("same"), "tag-v1": "update", "app-status": "update" });
    assert.equal(env.outputs(T.signedTag, "tag-v1")["serverDigest"], tags.v1.digest, "preview --refresh saved nothing");

    // pulumi up --refresh: refresh, then the update re-signs the declared digest.
    const up = await env.upRefresh();
    assert.deepEqual(ops(up), { ...ALL("same"), "tag-v1": "update", "app-status": "update" });
    assert.deepEqual(listRows(await env.notaryList(gun)), listRows(declared));
  });

  test("out of band, a tag is re-pointed and the delegation's key removed: refresh records it, up restores it", async () => {
    await writeFile(path.join(files, "rogue2.json"), "rogue again!");
    await team(["add", gun, "v2", path.join(files, "rogue2.json"), "-r", "targets/releases", "-p"]);
    await team(["delegation", "remove", gun, "targets/releases", keys.release.key.id, "-p", "-y"]);
    assert.deepEqual((await env.notaryDelegations(gun))[0]?.keyIds, []);
    assert.deepEqual(await env.notaryList(gun), [], "notary no longer trusts anything in targets/releases");

    // pulumi refresh: the delegation lost its key; the tags are no longer verifiably signed (gone).
    const rf = await env.refresh();
    assert.deepEqual(refreshOps(rf.refresh), { ...ALL("same"), releases: "update", "tag-v1": "delete", "tag-v2": "delete" });
    assert.deepEqual(env.outputs(T.delegation, "releases")["serverKeyIds"], [], "the refreshed state records the drift");
    assert.deepEqual(env.names(T.signedTag), [], "the unverifiable tags left the state");

    const p = await env.withoutNetwork("pulumi preview (after refresh)", () => env.preview());
    assert.deepEqual(ops(p), { ...ALL("same"), releases: "update", "tag-v1": "create", "tag-v2": "create", "app-status": "update" });

    const r = await env.up();
    assert.deepEqual(ops(r), { ...ALL("same"), releases: "update", "tag-v1": "create", "tag-v2": "create", "app-status": "update" });
    assert.deepEqual(plain(r.outputs)["rootKeyId"], exported["rootKeyId"]);
    // Verified with the notary client that cached everything before: declared tags back, the team's v0 kept.
    assert.deepEqual(listRows(await env.notaryList(gun)), listRows(declared));
    assert.deepEqual(await env.notaryDelegations(gun), [{ role: "targets/releases", paths: [""], keyIds: [keys.release.key.id], threshold: 1 }]);
    assert.deepEqual(listRows(await env.notaryList(gun, await makeTempDir("fresh-trust"))), listRows(declared));
    assert.deepEqual(
      (await env.dockerInspect(gun)).SignedTags.map((t) => [t.SignedTag, t.Digest]),
      declared.map((x) => [x.name, x.digest]),
    );

    // The CI check is green again.
    const pr = await env.previewRefresh({ expectNoChanges: true });
    assertAllOps(pr, "same", "preview --refresh after the repair");
  });

  test("a stack given the wrong root key refuses to adopt the repository, publishes nothing, leaks no key", async () => {
    const fp = await env.fingerprint(gun);
    const wrong = newKey();
    env.trackKey(wrong.pem);
    const other = await env.newStack("wrong-root");
    const config = { ...env.config, [`${env.project}:rootKeyPem`]: { secret: wrong.pem } };
    let err: Error | undefined;
    try {
      await env.up({ stack: other, config });
    } catch (e) {
      err = e as Error;
      env.recordError(e);
    }
    assert.ok(err, "the up failed");
    assert.match(err.message, /TRUST_ROOT_MISMATCH/);
    assert.match(err.message, new RegExp(wrong.key.id), "the error names the declared root key");
    assert.doesNotMatch(err.message, /PRIVATE KEY/);
    assert.ok(!env.holdsKeyMaterial(err.message), "no key material in the error");
    assert.deepEqual(await env.fingerprint(gun), fp, "nothing was published");
    assert.deepEqual([...other.resources.values()].filter((e) => e.type === T.repository), [], "no Repository recorded");
    await env.destroy({ stack: other });
  });

  test("a damaged key PEM in the config fails `preview` at Check, without a request and without echoing the key", async () => {
    const damaged = newKey();
    env.trackKey(damaged.pem);
    const lines = damaged.pem.trimEnd().split("\n");
    const broken = [...lines.slice(0, 2), ...lines.slice(3)].join("\n") + "\n"; // a body line lost in copy-paste
    const config = { ...env.config, [`${env.project}:releaseKeyPem`]: { secret: broken } };
    let err: Error | undefined;
    await env.withoutNetwork("failing preview", async () => {
      try {
        await env.preview({ stack: await env.newStack("damaged"), config });
      } catch (e) {
        err = e as Error;
        env.recordError(e);
      }
    });
    assert.ok(err, "the preview failed");
    // The engine names the resource, the input and what is wrong with it, and masks the secret value.
    assert.match(err.message, /notary:Key resource 'release': property pem value \{\[secret\]\} has a problem: pem: /);
    assert.doesNotMatch(err.message, /PRIVATE KEY/);
    assert.ok(!env.holdsKeyMaterial(err.message), "no key material in the error");
  });

  test("stack export holds no private key, passphrase or password in clear", async () => {
    await env.assertNoLeaks();
  });

  test("destroy: the declared tags are revoked; the team's delegation (retainOnDelete), its v0 and the repository stay", async () => {
    assert.equal(env.entry(T.delegation, "releases").options.retainOnDelete, true);
    const { steps } = await env.destroy();
    assert.equal(steps.filter((s) => s.op === "delete").length, 8);
    assert.equal(env.stack.size, 0);
    assert.deepEqual(listRows(await env.notaryList(gun)), [["v0", hex(v0.digest), v0.size]], "v1 and v2 revoked, the team's v0 kept");
    assert.deepEqual(await env.notaryDelegations(gun), [{ role: "targets/releases", paths: [""], keyIds: [keys.release.key.id], threshold: 1 }]);
    const info = await env.dockerInspect(gun);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Root")?.Keys.map((k) => k.ID), [teamRootKeyId]);
    assert.deepEqual(info.SignedTags.map((t) => t.SignedTag), ["v0"]);
  });

  test("timings", (t) => {
    t.diagnostic(timingReport(env));
  });
});
