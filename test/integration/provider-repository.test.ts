// Repository through the real dynamic provider host, driven like the engine does (preview → up → no-op → updates →
// replace → refresh with drift → gone out of band → destroy), checked against a real notary-server with the Go notary
// client and `docker trust inspect`.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { isSecret } from "../support/dynhost.ts";
import { createHash, generateKeyPairSync } from "node:crypto";
import { httpRequest, makeTempDir } from "../support/stack.ts";
import {
  adminKeys,
  assertNoTrustData,
  CheckFailedError,
  dockerInspect,
  dockerInspectFails,
  type Env,
  envPerFile,
  expectFailure,
  fingerprint,
  goal,
  HostCallError,
  importKeys,
  newKey,
  notary,
  notaryList,
  notaryListFails,
  outputsOf,
  pulumiDestroy,
  pulumiPreview,
  pulumiRefresh,
  pulumiUp,
  pulumiUpOrPreview,
  resignElsewhere,
  secret,
  serverRequests,
  sha256Hex,
  stripSecrets,
  type TestKey,
  trackSecret,
  UNKNOWN,
  urnOf,
  withoutNetwork,
} from "./provider-helpers.ts";
import { cachedMeta } from "./interop-helpers.ts";

const DAY = 86_400_000;

const env = envPerFile("repo-test");

function repoInputs(gun: string, root: TestKey, targets: TestKey, extra: Record<string, unknown> = {}) {
  return { gun, rootKey: secret(root.pem), targetsKey: secret(targets.pem), ...extra };
}

describe("Repository: lifecycle of one GUN", () => {
  let gun: string;
  let root: TestKey;
  let targets: TestKey;
  const up = async (inputs: Record<string, unknown>, preview = false) => pulumiUpOrPreview(env, await goal("repository", "app", inputs), preview);

  before(() => {
    gun = env.gun("team/app");
    root = newKey();
    targets = newKey();
  });

  test("preview of a create with unknown keys: Check only, no network, nothing recorded", async () => {
    const r = await withoutNetwork(env, "preview create", () => up({ gun, rootKey: UNKNOWN, targetsKey: UNKNOWN }, true));
    assert.equal(r.op, "create");
    assert.equal(r.id, "");
    assert.deepEqual(r.steps.map((s) => [s.op, s.preview]), [["create", true]]);
    assert.equal(stripSecrets(r.outputs)["rootKey"], UNKNOWN, "preview state echoes the inputs");
    // A preview with known keys validates them, still without the network.
    await withoutNetwork(env, "preview create (known keys)", () => up(repoInputs(gun, root, targets), true));
    assert.equal(env.stack.size, 0);
    assert.deepEqual(await fingerprint(env, gun), {}, "nothing on the server");
  });

  test("create initializes the trust data; notary and docker see the declared keys", async () => {
    const r = await up(repoInputs(gun, root, targets));
    assert.equal(r.op, "create");
    assert.equal(r.id, gun);
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["rootCanonicalKeyId"], root.id);
    assert.equal(o["targetsKeyId"], targets.id);
    assert.equal(o["snapshotManagedBy"], "server");
    assert.deepEqual(o["verified"], { root: 1, targets: 1, snapshot: 1, timestamp: 1 });
    assert.equal(o["serverUrl"], env.server.url);
    for (const k of ["rootKey", "targetsKey"]) assert.ok(isSecret(r.outputs[k]), `${k} stays secret in the state`);
    // trustedRoot is the root.json the server serves; trustedRootSha256 its sha256 (what dependents pin).
    const served = await fetchRoot(env, gun);
    assert.equal(Buffer.from(o["trustedRoot"], "base64").toString("utf8"), served);
    assert.equal(o["trustedRootSha256"], createHash("sha256").update(served, "utf8").digest("hex"));

    assert.deepEqual(await notaryList(env, gun), []);
    const info = await dockerInspect(env, gun);
    assert.deepEqual(adminKeys(info), { root: [o["rootKeyId"]], repository: [o["targetsKeyId"]] });
    assert.deepEqual(info.Signers, []);
  });

  test("no-op: Diff says DIFF_NONE without the network, nothing is published", async () => {
    const fp = await fingerprint(env, gun);
    const r = await withoutNetwork(env, "up without changes", () => up(repoInputs(gun, root, targets)));
    assert.equal(r.op, "same");
    assert.equal(r.diff?.changes, "DIFF_NONE");
    assert.deepEqual(await fingerprint(env, gun), fp);
  });

  test("preview of an update whose new targets key is unknown: DIFF_SOME, no network", async () => {
    const before = env.stack.get(urnOf(env, "repository", "app"))!.outputs;
    const r = await withoutNetwork(env, "preview update", () => up({ ...repoInputs(gun, root, targets), targetsKey: UNKNOWN }, true));
    assert.equal(r.op, "update");
    assert.equal(r.diff?.changes, "DIFF_SOME");
    assert.deepEqual(r.diff?.replaces, []);
    assert.deepEqual(env.stack.get(urnOf(env, "repository", "app"))!.outputs, before, "a preview records nothing");
  });

  test("update: rotate the targets key (root v2); notary (cached root v1) and docker follow", async () => {
    targets = newKey();
    const preview = await withoutNetwork(env, "preview update", () => up(repoInputs(gun, root, targets), true));
    assert.equal(preview.diff?.changes, "DIFF_SOME");
    const r = await up(repoInputs(gun, root, targets));
    assert.equal(r.op, "update");
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["targetsKeyId"], targets.id);
    assert.equal(o["verified"].root, 2);
    assert.deepEqual(await notaryList(env, gun), []);
    assert.equal((await cachedMeta(env.trustDir, gun, "root")).signed.version, 2);
    assert.deepEqual(adminKeys(await dockerInspect(env, gun)).repository, [targets.id]);
  });

  test("update: rotate the root key; a trust dir that pinned the old root still verifies", async () => {
    const oldRootKeyId = outputsOf(env, "repository", "app")["rootKeyId"];
    root = newKey();
    const r = await up(repoInputs(gun, root, targets));
    assert.equal(r.op, "update");
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["rootCanonicalKeyId"], root.id);
    assert.notEqual(o["rootKeyId"], oldRootKeyId);
    assert.equal(o["verified"].root, 3);
    // notary's cache holds root v2 signed by the old key: the new root must chain from it.
    assert.deepEqual(await notaryList(env, gun), []);
    const cached = await cachedMeta(env.trustDir, gun, "root");
    assert.equal(cached.signed.version, 3);
    assert.deepEqual(adminKeys(await dockerInspect(env, gun)).root, [o["rootKeyId"]]);
    // A fresh trust dir (TOFU) sees the same root.
    assert.deepEqual(await notaryList(env, gun, await makeTempDir("fresh")), []);
  });

  test("update: snapshot key client-held, then back to server-managed", async () => {
    const snap = newKey();
    let r = await up(repoInputs(gun, root, targets, { snapshotKey: secret(snap.pem) }));
    assert.equal(r.op, "update");
    let o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["snapshotManagedBy"], "client");
    assert.equal(o["snapshotKeyId"], snap.id);
    assert.ok(isSecret(r.outputs["snapshotKey"]));
    assert.deepEqual(await notaryList(env, gun), []);
    const v = o["verified"];

    r = await up(repoInputs(gun, root, targets));
    assert.equal(r.op, "update");
    o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["snapshotManagedBy"], "server");
    assert.notEqual(o["snapshotKeyId"], snap.id);
    assert.equal(o["verified"].root, v.root + 1);
    assert.deepEqual(await notaryList(env, gun), []);
    // A refresh sees the same keys, and the next up is a no-op. (The server signing snapshots again is exercised by
    // the next test: notary's key rotation needs it.)
    const rr = await pulumiRefresh(env, urnOf(env, "repository", "app"));
    assert.equal(stripSecrets(rr.outputs)["snapshotKeyId"], o["snapshotKeyId"]);
    assert.equal((await up(repoInputs(gun, root, targets))).op, "same");
  });

  test("refresh with drift: the targets key rotated elsewhere; Read shows it, Diff says DIFF_SOME, Update restores", async () => {
    const elsewhere = await makeTempDir("elsewhere");
    await importKeys(env, elsewhere, [{ key: root, role: "root" }]);
    await notary(env, ["key", "rotate", gun, "targets"], { trustDir: elsewhere });
    assert.deepEqual(await notaryList(env, gun), [], "notary verifies the rotated trust data");
    const drifted = adminKeys(await dockerInspect(env, gun)).repository;
    assert.equal(drifted.length, 1);
    assert.notEqual(drifted[0], targets.id);

    const rr = await pulumiRefresh(env, urnOf(env, "repository", "app"));
    assert.equal(rr.op, "refresh");
    assert.equal(rr.changed, true);
    assert.equal(stripSecrets(rr.outputs)["targetsKeyId"], drifted[0], "Read returns what the server holds");

    const preview = await withoutNetwork(env, "preview after drift", () => up(repoInputs(gun, root, targets), true));
    assert.equal(preview.diff?.changes, "DIFF_SOME");
    const r = await up(repoInputs(gun, root, targets));
    assert.equal(r.op, "update");
    assert.equal(stripSecrets(r.outputs)["targetsKeyId"], targets.id);
    assert.deepEqual(adminKeys(await dockerInspect(env, gun)).repository, [targets.id]);
    assert.deepEqual(await notaryList(env, gun), []);
    assert.deepEqual(await notaryList(env, gun, elsewhere), [], "the other client follows the rotation back");
  });

  test("a changed server URL is a replacement with delete-before-replace (Diff only, no network)", async () => {
    const urn = urnOf(env, "repository", "app");
    const old = env.stack.get(urn)!;
    const news = { ...(await goal("repository", "app", repoInputs(gun, root, targets))).inputs };
    const { host } = await env.command("preview");
    const d1 = await withoutNetwork(env, "diff server change", () =>
      host.diff(urn, old.id, stripSecrets(old.outputs), stripSecrets({ ...news, server: { url: "https://127.0.0.1:1" } })),
    );
    assert.equal(d1.changes, "DIFF_SOME");
    assert.deepEqual(d1.replaces, ["server"]);
    assert.equal(d1.deleteBeforeReplace, true);
  });

  test("destroy with deleteOnDestroy: true removes the trust data (notary and docker find none)", async () => {
    const urn = urnOf(env, "repository", "app");
    // Switch deleteOnDestroy on: an update that publishes nothing.
    const fp = await fingerprint(env, gun);
    const r = await up(repoInputs(gun, root, targets, { deleteOnDestroy: true }));
    assert.equal(r.op, "update");
    assert.deepEqual(await fingerprint(env, gun), fp, "no trust data changed");
    await pulumiDestroy(env, urn);
    assert.equal(env.stack.get(urn), undefined);
    await assertNoTrustData(env, gun);
    await dockerInspectFails(env, gun);
  });
});

describe("Repository: replace, renewal, gone out of band, check failures", () => {
  test("GUN change: DIFF_SOME, replaces [gun], delete-before-replace; old data deleted, new data created", async () => {
    const a = env.gun("team/replace-a");
    const b = env.gun("team/replace-b");
    const root = newKey();
    const targets = newKey();
    const g = async (gun: string) => goal("repository", "moving", repoInputs(gun, root, targets, { deleteOnDestroy: true }));
    await pulumiUp(env, await g(a));
    const gb = await g(b);
    const preview = await withoutNetwork(env, "preview replace", () => pulumiPreview(env, gb));
    assert.equal(preview.op, "replace");
    const r = await pulumiUp(env, gb);
    assert.equal(r.op, "replace");
    assert.equal(r.diff?.changes, "DIFF_SOME");
    assert.deepEqual(r.diff?.replaces, ["gun"]);
    assert.equal(r.diff?.deleteBeforeReplace, true);
    assert.deepEqual(r.steps.map((s) => s.op), ["delete-replaced", "replace", "create-replacement"]);
    assert.equal(r.id, b);
    await assertNoTrustData(env, a);
    assert.deepEqual(await notaryList(env, b), []);
    assert.deepEqual(adminKeys(await dockerInspect(env, b)).root, [stripSecrets(r.outputs)["rootKeyId"]]);

    // Deleted out of band: refresh drops it (Read returns an empty id).
    await notary(env, ["delete", b, "--remote"]);
    const rr = await pulumiRefresh(env, urnOf(env, "repository", "moving"));
    assert.equal(rr.op, "read-gone");
    assert.equal(rr.id, "");
    assert.equal(env.stack.get(urnOf(env, "repository", "moving")), undefined);
  });

  /** The RepositoryStatus of a Repository created by `up`: what the library registers for it at the end of a program. */
  function statusInputs(repo: Record<string, any>, keys: TestKey[], extra: Record<string, unknown> = {}) {
    return { gun: repo["gun"], trustedRootSha256: repo["trustedRootSha256"], keys: keys.map((k) => secret(k.pem)), repositoryMark: repo["verified"], after: [], ...extra };
  }

  test("renewal is the RepositoryStatus's: inside renewBeforeDays → DIFF_SOME without the network; Update re-signs; the Repository plans none", async () => {
    const gun = env.gun("team/renew");
    const root = newKey();
    const targets = newKey();
    const inputs = (renew: number) => repoInputs(gun, root, targets, { expiry: { targetsDays: 30 }, renewBeforeDays: renew });
    const repo = stripSecrets((await pulumiUp(env, await goal("repository", "renew", inputs(60)))).outputs) as Record<string, any>;
    const status = (renew: number) => goal("status", "renew-status", statusInputs(repo, [root, targets], { expiry: { targetsDays: 30 }, renewBeforeDays: renew }));
    const c = await pulumiUp(env, await status(60));
    assert.equal(c.op, "create");
    const o1 = stripSecrets(c.outputs) as Record<string, any>;
    assert.ok(Math.abs(new Date(o1["expires"].targets).getTime() - (Date.now() + 30 * DAY)) < 60_000, "targets expires in 30 days");

    // 30 days left of a 30-day lifetime: not due, although the window is 60 days (capped at half the lifetime).
    const fresh = await withoutNetwork(env, "diff of a role just signed", async () => pulumiPreview(env, await status(60)));
    assert.equal(fresh.diff?.changes, "DIFF_NONE");

    // Another client re-signs targets with a 5-day expiry; a `pulumi refresh` (a new host) records it.
    const expires = await resignElsewhere(env, gun, root, "targets", [targets], 5);
    const rr = await pulumiRefresh(env, urnOf(env, "status", "renew-status"));
    const o1b = stripSecrets(rr.outputs) as Record<string, any>;
    assert.equal(o1b["expires"].targets, expires, "Read returns the expiry the server holds");
    assert.equal(o1b["versions"].targets, o1["versions"].targets + 1);

    // 5 days left: due for the status; the Repository (whose record lags behind others' publishes) plans nothing.
    const repoDiff = await withoutNetwork(env, "the repository's diff", async () => pulumiPreview(env, await goal("repository", "renew", inputs(60))));
    assert.equal(repoDiff.diff?.changes, "DIFF_NONE");
    const p = await withoutNetwork(env, "diff of a due role", async () => pulumiPreview(env, await status(60)));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    const t0 = Date.now();
    const u = await pulumiUp(env, await status(60));
    assert.equal(u.op, "update");
    const o2 = stripSecrets(u.outputs) as Record<string, any>;
    assert.equal(o2["versions"].targets, o1b["versions"].targets + 1);
    assert.ok(new Date(o2["expires"].targets).getTime() >= t0 + 30 * DAY - 2_000, "fresh expiry, under the 30-day policy");
    assert.ok(new Date(o2["expires"].targets).getTime() <= Date.now() + 30 * DAY);
    assert.ok(o2["expires"].targets > o1b["expires"].targets);
    assert.equal((await notary(env, ["list", gun])).includes("No targets"), true);
    assert.equal((await cachedMeta(env.trustDir, gun, "targets")).signed.expires, o2["expires"].targets, "notary sees the fresh expiry");

    // With a 7-day window the same expiry is not due: the input change publishes nothing, then Diff is DIFF_NONE.
    const fp = await fingerprint(env, gun);
    assert.equal((await pulumiUp(env, await status(7))).op, "update");
    assert.deepEqual(await fingerprint(env, gun), fp, "nothing re-signed");
    const same = await withoutNetwork(env, "no-op", async () => pulumiUp(env, await status(7)));
    assert.equal(same.op, "same");
    assert.equal(same.diff?.changes, "DIFF_NONE");

    // Destroy with the default deleteOnDestroy (false): the trust data stays on the server.
    await pulumiDestroy(env, urnOf(env, "status", "renew-status"));
    await pulumiDestroy(env, urnOf(env, "repository", "renew"));
    assert.deepEqual(await fingerprint(env, gun), fp);
    assert.deepEqual(await notaryList(env, gun, await makeTempDir("fresh")), []);
  });

  test("an expired targets, which notary cannot renew: refresh records it, the status renews it offline, Update re-signs it", async () => {
    const gun = env.gun("team/expired");
    const root = newKey();
    const targets = newKey();
    const inputs = repoInputs(gun, root, targets);
    const created = await pulumiUp(env, await goal("repository", "expired", inputs));
    const repo = stripSecrets(created.outputs) as Record<string, any>;
    // A tag signed in targets (no delegations), to refresh while targets is expired.
    const digest = `sha256:${createHash("sha256").update("expired targets tag").digest("hex")}`;
    const tagRef = { gun, trustedRootSha256: created.outputs["trustedRootSha256"], tag: "v1", digest, size: 100, signingKeys: [secret(targets.pem)] };
    await pulumiUp(env, await goal("signedTag", "expired-v1", tagRef));
    const statusGoal = () => goal("status", "expired-status", statusInputs(repo, [root, targets]));
    await pulumiUp(env, await statusGoal());
    // Another client re-signs targets to expire 2.5 s from now; then it expires, as one left alone for 3 years does.
    const expires = await resignElsewhere(env, gun, root, "targets", [targets], 2_500 / DAY);
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(expires).getTime() - Date.now() + 300)));
    assert.match(await notaryListFails(env, gun), /targets expired/);

    // The tag's refresh fails (as notary's reads do) and says what renews it; nothing is dropped from the stack.
    await assert.rejects(pulumiRefresh(env, urnOf(env, "signedTag", "expired-v1")), (e: Error) =>
      /METADATA_EXPIRED: targets metadata expired at .*The RepositoryStatus resource of .* renews it on `pulumi up`/s.test(e.message),
    );
    assert.ok(env.stack.get(urnOf(env, "signedTag", "expired-v1")), "the tag is still in the stack");
    // A new tag cannot be signed behind it: refused with the same advice, nothing published.
    const fp = await fingerprint(env, gun);
    await expectFailure(env, pulumiUp(env, await goal("signedTag", "expired-v2", { ...tagRef, tag: "v2" })), /^METADATA_EXPIRED: .*renews it on `pulumi up`/s);
    assert.deepEqual(await fingerprint(env, gun), fp, "nothing published");

    const rr = await pulumiRefresh(env, urnOf(env, "status", "expired-status"));
    assert.equal((stripSecrets(rr.outputs) as Record<string, any>)["expires"].targets, expires, "Read returns the expired targets the server holds");
    const p = await withoutNetwork(env, "diff of an expired role", async () => pulumiPreview(env, await statusGoal()));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    const t0 = Date.now();
    const u = await pulumiUp(env, await statusGoal());
    assert.equal(u.op, "update");
    const renewed = (stripSecrets(u.outputs) as Record<string, any>)["expires"].targets;
    assert.ok(new Date(renewed).getTime() >= t0 + 3 * 365 * DAY - 60_000, `renewed for notary's 3 years (${renewed})`);
    assert.deepEqual(
      (await notaryList(env, gun, await makeTempDir("fresh"))).map((t) => [t.name, t.digest]),
      [["v1", sha256Hex(digest)]],
      "notary reads the repository again",
    );
    assert.deepEqual(adminKeys(await dockerInspect(env, gun)).repository, [targets.id]);
    const tr = await pulumiRefresh(env, urnOf(env, "signedTag", "expired-v1"));
    assert.equal(tr.op, "refresh");
    const to = stripSecrets(tr.outputs) as Record<string, any>;
    assert.equal(to["serverDigest"], digest, "the tag refreshes again: the server holds it");
    assert.equal(to["roleExpires"], renewed, "in the renewed targets");
  });

  test("check failures: bad GUN, unreadable keys, bad expiry — rejected by Check, nothing sent", async () => {
    const root = newKey();
    const targets = newKey();
    const bad = await goal("repository", "bad", { gun: "Not A Gun!", rootKey: secret("not a pem"), targetsKey: secret(targets.pem), expiry: { targetsDays: -1 } });
    const e = await withoutNetwork(env, "check failures", () => expectFailure(env, pulumiUp(env, bad), /is invalid/));
    assert.ok(e instanceof CheckFailedError);
    assert.deepEqual(e.failures.map((f) => f.property).sort(), ["expiry.targetsDays", "gun", "rootKey"]);
    assert.equal(env.stack.get(urnOf(env, "repository", "bad")), undefined);
    // A root key that is not ECDSA (Ed25519) is refused too.
    const ed = await goal("repository", "bad", { gun: env.gun("team/ed"), rootKey: secret(ed25519Pem()), targetsKey: secret(root.pem) });
    const e2 = await withoutNetwork(env, "check ed25519 root", () => expectFailure(env, pulumiUp(env, ed), /ECDSA/));
    assert.deepEqual((e2 as CheckFailedError).failures.map((f) => f.property), ["rootKey"]);
  });

  test("adopting a GUN whose root is held by another key fails with a coded error naming both key IDs; nothing published", async () => {
    const gun = env.gun("team/taken");
    const owner = { root: newKey(), targets: newKey() };
    await pulumiUp(env, await goal("repository", "owner", repoInputs(gun, owner.root, owner.targets)));
    const fp = await fingerprint(env, gun);
    const intruder = newKey();
    const before = serverRequests(env.server).filter((r) => r.method !== "GET").length;
    const err = await expectFailure(env, pulumiUp(env, await goal("repository", "intruder", repoInputs(gun, intruder, newKey()))), /^TRUST_[A-Z_]+: /);
    assert.ok(err instanceof HostCallError);
    assert.ok(err.message.includes(owner.root.id) && err.message.includes(intruder.id), err.message);
    assert.equal(env.stack.get(urnOf(env, "repository", "intruder")), undefined);
    assert.equal(serverRequests(env.server).filter((r) => r.method !== "GET").length, before, "no write request");
    assert.deepEqual(await fingerprint(env, gun), fp);
  });
});

async function fetchRoot(e: Env, gun: string): Promise<string> {
  const r = await httpRequest(`${e.server.url}/v2/${gun}/_trust/tuf/root.json`, { ca: e.server.caPem! });
  return r.body.toString("utf8");
}

function ed25519Pem(): string {
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  trackSecret(pem);
  return pem;
}
