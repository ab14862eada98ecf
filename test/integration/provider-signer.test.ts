// Signer (docker's signer model: `targets/<name>` plus the signer's keys in `targets/releases`) through the real dynamic
// provider host, driven like the engine does, against a real notary-server; checked with `docker trust inspect` and
// `notary delegation list`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSecret } from "../support/dynhost.ts";
import { makeTempDir } from "../support/stack.ts";
import {
  dockerInspect,
  envPerFile,
  expectCheckFailures,
  expectFailure,
  fingerprint,
  goal,
  HostCallError,
  importKeys,
  newKey,
  notary,
  notaryDelegations,
  notaryList,
  notaryListFails,
  publicKeyFile,
  pulumiDestroy,
  pulumiPreview,
  pulumiRefresh,
  pulumiUp,
  pulumiUpOrPreview,
  type RepoFixture,
  repoRef,
  repoRefPreview,
  resignElsewhere,
  secret,
  serverRequests,
  stripSecrets,
  type TestKey,
  UNKNOWN,
  upRepository,
  urnOf,
  withoutNetwork,
} from "./provider-helpers.ts";
import { cachedMeta } from "./interop-helpers.ts";

let repo: RepoFixture;
let elsewhere: string;
const env = envPerFile("signer-test", async (env) => {
  repo = await upRepository(env, "repo", env.gun("team/signers"));
  // Another client holding the targets key, to change the trust data out of band.
  elsewhere = await makeTempDir("elsewhere");
  await importKeys(env, elsewhere, [{ key: repo.targets, role: "targets", gun: repo.gun }]);
});

const sorted = (a: string[]) => [...a].sort();

function inputs(name: string, keys: TestKey[], extra: Record<string, unknown> = {}) {
  return { ...repoRef(repo), name, keys: keys.map((k) => k.pub), targetsKey: secret(repo.targets.pem), ...extra };
}

/** docker's view: signer name → sorted canonical key IDs. */
async function dockerSigners(): Promise<Record<string, string[]>> {
  const info = await dockerInspect(env, repo.gun);
  return Object.fromEntries(info.Signers.map((s) => [s.Name, sorted(s.Keys.map((k) => k.ID))]));
}

/** notary's view: role → sorted key IDs. */
async function roles(): Promise<Record<string, string[]>> {
  return Object.fromEntries((await notaryDelegations(env, repo.gun)).map((r) => [r.role, sorted(r.keyIds)]));
}

const up = async (name: string, i: Record<string, unknown>, preview = false) => pulumiUpOrPreview(env, await goal("signer", name, i), preview);

describe("Signer: lifecycle", () => {
  const alice = newKey("alice");
  const alice2 = newKey("alice");
  const bob = newKey("bob");

  test("preview of a create with unknown keys and repository: no network, nothing recorded", async () => {
    const g = await goal("signer", "alice", { ...repoRefPreview(repo.gun), name: "alice", keys: [UNKNOWN], targetsKey: UNKNOWN });
    const r = await withoutNetwork(env, "preview create", () => pulumiPreview(env, g));
    assert.equal(r.op, "create");
    await withoutNetwork(env, "preview create (known)", () => up("alice", inputs("alice", [alice]), true));
    assert.equal(env.stack.size, 1, "only the repository is in the stack");
    assert.deepEqual(await roles(), {});
  });

  test("create: docker trust inspect lists the signer with its key; releases holds the key", async () => {
    const r = await up("alice", inputs("alice", [alice]));
    assert.equal(r.op, "create");
    assert.equal(r.id, `${repo.gun}#signer/alice`);
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["role"], "targets/alice");
    assert.deepEqual(o["canonicalKeyIds"], [alice.id]);
    assert.deepEqual(o["serverKeyIds"], [alice.id]);
    assert.deepEqual(o["releasesKeyIds"], [alice.id]);
    assert.ok(isSecret(r.outputs["targetsKey"]));
    assert.deepEqual(await dockerSigners(), { alice: [alice.id] });
    assert.deepEqual(await roles(), { "targets/alice": [alice.id], "targets/releases": [alice.id] });

    await up("bob", inputs("bob", [bob]));
    assert.deepEqual(await dockerSigners(), { alice: [alice.id], bob: [bob.id] });
    assert.deepEqual((await roles())["targets/releases"], sorted([alice.id, bob.id]));
  });

  test("no-op: DIFF_NONE without the network, nothing published", async () => {
    const fp = await fingerprint(env, repo.gun);
    const r = await withoutNetwork(env, "up without changes", () => up("alice", inputs("alice", [alice])));
    assert.equal(r.op, "same");
    assert.equal(r.diff?.changes, "DIFF_NONE");
    assert.deepEqual(await fingerprint(env, repo.gun), fp);
  });

  test("update: new keys replace the old ones in the role and in releases", async () => {
    const p = await withoutNetwork(env, "preview update", () => up("alice", inputs("alice", [alice2]), true));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    assert.deepEqual(p.diff?.replaces, []);
    const r = await up("alice", inputs("alice", [alice2]));
    assert.equal(r.op, "update");
    assert.deepEqual(stripSecrets(r.outputs)["canonicalKeyIds"], [alice2.id]);
    assert.deepEqual(await dockerSigners(), { alice: [alice2.id], bob: [bob.id] });
    assert.deepEqual((await roles())["targets/releases"], sorted([alice2.id, bob.id]), "alice's old key left releases");
  });

  test("refresh with drift: the signer's key removed from releases and another key added, with notary; Update restores", async () => {
    const mallory = newKey("mallory");
    await notary(env, ["delegation", "remove", repo.gun, "targets/releases", alice2.id, "-y", "-p"], { trustDir: elsewhere });
    await notary(env, ["delegation", "add", repo.gun, "targets/alice", await publicKeyFile(mallory, "mallory"), "-p"], { trustDir: elsewhere });
    assert.deepEqual((await dockerSigners())["alice"], sorted([alice2.id, mallory.id]));

    const rr = await pulumiRefresh(env, urnOf(env, "signer", "alice"));
    assert.equal(rr.op, "refresh");
    assert.equal(rr.changed, true);
    const o = stripSecrets(rr.outputs) as Record<string, any>;
    assert.deepEqual(sorted(o["serverKeyIds"]), sorted([alice2.id, mallory.id]), "Read returns the role's keys as the server holds them");
    assert.deepEqual(o["releasesKeyIds"], [], "and alice's key missing from releases");

    const p = await withoutNetwork(env, "preview after drift", () => up("alice", inputs("alice", [alice2]), true));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    assert.equal((await up("alice", inputs("alice", [alice2]))).op, "update");
    assert.deepEqual(await dockerSigners(), { alice: [alice2.id], bob: [bob.id] });
    assert.deepEqual((await roles())["targets/releases"], sorted([alice2.id, bob.id]));
  });

  test("replace: a new name is DIFF_SOME with replaces [name] and delete-before-replace; the old signer is removed", async () => {
    const r = await up("alice", inputs("carol", [alice2]));
    assert.equal(r.op, "replace");
    assert.deepEqual(r.diff?.replaces, ["name"]);
    assert.equal(r.diff?.deleteBeforeReplace, true);
    assert.deepEqual(r.steps.map((s) => s.op), ["delete-replaced", "replace", "create-replacement"]);
    assert.deepEqual(await dockerSigners(), { carol: [alice2.id], bob: [bob.id] });
    assert.deepEqual(await roles(), { "targets/bob": [bob.id], "targets/carol": [alice2.id], "targets/releases": sorted([alice2.id, bob.id]) });
  });

  test("deleted out of band (notary delegation remove): refresh drops it", async () => {
    await notary(env, ["delegation", "remove", repo.gun, "targets/bob", "-y", "-p"], { trustDir: elsewhere });
    const rr = await pulumiRefresh(env, urnOf(env, "signer", "bob"));
    assert.equal(rr.op, "read-gone");
    assert.equal(rr.id, "");
    assert.equal(env.stack.get(urnOf(env, "signer", "bob")), undefined);
  });

  test("destroy removes the signer's role and its keys from releases (what docker's signer remove fails to do)", async () => {
    await pulumiDestroy(env, urnOf(env, "signer", "alice"));
    const left = await roles();
    assert.equal(left["targets/carol"], undefined);
    assert.ok(!(left["targets/releases"] ?? []).includes(alice2.id), "carol's key left releases");
    assert.equal((await dockerSigners())["carol"], undefined);
    assert.deepEqual(await notaryList(env, repo.gun), []);
  });
});

describe("Signer: shared keys and failures", () => {
  test("two signers sharing a key: changing one keeps the shared key in releases for the other", async () => {
    const shared = newKey("ci");
    const own = newKey("dave");
    await up("dave", inputs("dave", [shared]));
    await up("erin", inputs("erin", [shared]));
    assert.deepEqual((await roles())["targets/releases"]?.includes(shared.id), true);
    await up("dave", inputs("dave", [own]));
    const rs = await roles();
    assert.deepEqual(rs["targets/dave"], [own.id]);
    assert.ok(rs["targets/releases"]?.includes(shared.id), `erin still signs releases with the shared key: ${JSON.stringify(rs)}`);
    const erin = await pulumiRefresh(env, urnOf(env, "signer", "erin"));
    assert.equal(erin.changed, false, "erin sees no drift");
    // Destroying dave keeps the shared key too (erin uses it); destroying erin then removes it.
    await pulumiDestroy(env, urnOf(env, "signer", "dave"));
    assert.ok((await roles())["targets/releases"]?.includes(shared.id));
    await pulumiDestroy(env, urnOf(env, "signer", "erin"));
    assert.ok(!((await roles())["targets/releases"] ?? []).includes(shared.id));
  });

  test("check failures: bad names, no keys, unreadable targets key — no network, nothing recorded", async () => {
    const k = newKey();
    const cases: [Record<string, unknown>, string[]][] = [
      [inputs("releases", [k]), ["name"]],
      [inputs("Alice", [k]), ["name"]],
      [inputs("-x", [k]), ["name"]],
      [inputs("ok", []), ["keys"]],
      [{ ...inputs("ok", [k]), targetsKey: secret("garbage") }, ["targetsKey[0]"]],
      [{ ...inputs("ok", [k]), trustedRootSha256: undefined }, ["repository"]],
    ];
    const engine = await env.command("up");
    await expectCheckFailures(env, engine, "signer", cases);
  });

  test("a targets key that cannot sign targets: coded error naming the role and the expected key ID; nothing published", async () => {
    const fp = await fingerprint(env, repo.gun);
    const posts = serverRequests(env.server).filter((r) => r.method === "POST").length;
    const g = await goal("signer", "frank", { ...inputs("frank", [newKey()]), targetsKey: secret(newKey().pem) });
    const err = await expectFailure(env, pulumiUp(env, g), /^SIGNING_KEY_MISSING: /);
    assert.ok(err instanceof HostCallError);
    assert.match(err.message, /\btargets\b/);
    assert.ok(err.message.includes(repo.targets.id), err.message);
    assert.equal(serverRequests(env.server).filter((r) => r.method === "POST").length, posts);
    assert.deepEqual(await fingerprint(env, repo.gun), fp);
  });

  test("a signer added after targets has expired renews targets with the targets key (notary cannot publish at all then)", async () => {
    const r = await upRepository(env, "expired-repo", env.gun("team/signers-expired"));
    const expires = await resignElsewhere(env, r.gun, r.root, "targets", [r.targets], 2_500 / 86_400_000);
    await new Promise((res) => setTimeout(res, Math.max(0, new Date(expires).getTime() - Date.now() + 300)));
    assert.match(await notaryListFails(env, r.gun), /targets expired/);

    const k = newKey();
    const t0 = Date.now();
    const c = await pulumiUp(env, await goal("signer", "ivy", { ...repoRef(r), name: "ivy", keys: [k.pub], targetsKey: secret(r.targets.pem) }));
    assert.equal(c.op, "create");
    const fresh = await makeTempDir("fresh");
    assert.deepEqual(await notaryList(env, r.gun, fresh), [], "notary reads the repository again");
    const targetsExpires = new Date((await cachedMeta(fresh, r.gun, "targets")).signed.expires).getTime();
    assert.ok(targetsExpires > t0 + 3 * 365 * 86_400_000 - 60_000, "targets re-signed for notary's 3 years");
    const info = await dockerInspect(env, r.gun);
    assert.deepEqual(info.Signers.map((s) => [s.Name, s.Keys.map((x) => x.ID)]), [["ivy", [k.id]]]);
  });
});
