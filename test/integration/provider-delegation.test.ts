// Delegation through the real dynamic provider host, driven like the engine does, against a real notary-server;
// checked with `notary delegation list` / `notary list` and `docker trust inspect`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSecret } from "../support/dynhost.ts";
import { makeTempDir } from "../support/stack.ts";
import { cachedMeta } from "./interop-helpers.ts";
import {
  CheckFailedError,
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
  pinnedRef,
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

let repo: RepoFixture;
const env = envPerFile("delegation-test", async (env) => {
  repo = await upRepository(env, "repo", env.gun("team/deleg"));
});

const sorted = (a: string[]) => [...a].sort();

function inputs(role: string, keys: TestKey[], extra: Record<string, unknown> = {}) {
  return { ...repoRef(repo), role, keys: keys.map((k) => k.pub), parentKey: secret(repo.targets.pem), ...extra };
}

/** The role as `notary delegation list` prints it (key IDs sorted: notary prints them in map order). */
async function delegationRow(role: string) {
  const row = (await notaryDelegations(env, repo.gun)).find((r) => r.role === role);
  return row && { ...row, keyIds: sorted(row.keyIds) };
}

describe("Delegation: lifecycle", () => {
  const a = newKey("a");
  const b = newKey("b");
  const name = "ci";
  const up = async (i: Record<string, unknown>, preview = false) => pulumiUpOrPreview(env, await goal("delegation", name, i), preview);

  test("preview of a create whose repository and keys are still unknown: no network, nothing recorded", async () => {
    const g = await goal("delegation", name, { ...repoRefPreview(repo.gun), role: "targets/ci", keys: [UNKNOWN], parentKey: UNKNOWN });
    const r = await withoutNetwork(env, "preview create", () => pulumiPreview(env, g));
    assert.equal(r.op, "create");
    assert.equal(r.id, "");
    // With everything known, Check validates keys and threshold, still offline.
    await withoutNetwork(env, "preview create (known)", () => up(inputs("targets/ci", [a]), true));
    assert.equal(env.stack.get(urnOf(env, "delegation", name)), undefined);
    assert.equal(await delegationRow("targets/ci"), undefined);
  });

  test("create: the role is delegated by targets; notary and docker list it", async () => {
    const v0 = (await fingerprint(env, repo.gun))["targets"] as number;
    const r = await up(inputs("targets/ci", [a]));
    assert.equal(r.op, "create");
    assert.equal(r.id, `${repo.gun}#targets/ci`);
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.deepEqual(o["keyIds"], [a.id]);
    assert.deepEqual(o["serverKeyIds"], [a.id]);
    assert.equal(o["serverThreshold"], 1);
    assert.deepEqual(o["serverPaths"], [""]);
    assert.equal(o["version"], 0, "no signing keys: the role's own file is not created (like notary delegation add)");
    assert.ok(isSecret(r.outputs["parentKey"]));
    assert.equal((await fingerprint(env, repo.gun))["targets"], v0 + 1);
    assert.deepEqual(await delegationRow("targets/ci"), { role: "targets/ci", paths: [""], keyIds: [a.id], threshold: 1 });
    const info = await dockerInspect(env, repo.gun);
    assert.deepEqual(info.Signers, [{ Name: "ci", Keys: [{ ID: a.id }] }]);
  });

  test("no-op: DIFF_NONE without the network, nothing published", async () => {
    const fp = await fingerprint(env, repo.gun);
    const r = await withoutNetwork(env, "up without changes", () => up(inputs("targets/ci", [a])));
    assert.equal(r.op, "same");
    assert.equal(r.diff?.changes, "DIFF_NONE");
    assert.deepEqual(await fingerprint(env, repo.gun), fp);
  });

  test("update: keys, threshold 2 and paths; then the role's own file signed by both keys", async () => {
    const next = inputs("targets/ci", [a, b], { threshold: 2, paths: ["v1", "prod/"] });
    const p = await withoutNetwork(env, "preview update", () => up(next, true));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    assert.deepEqual(p.diff?.replaces, []);
    const r = await up(next);
    assert.equal(r.op, "update");
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.deepEqual(sorted(o["serverKeyIds"]), sorted([a.id, b.id]));
    assert.equal(o["serverThreshold"], 2);
    assert.deepEqual(await delegationRow("targets/ci"), { role: "targets/ci", paths: ["prod/", "v1"], keyIds: sorted([a.id, b.id]), threshold: 2 });

    // signingKeys: the role's file is created (witnessed) with 2 signatures; notary verifies it.
    const withFile = { ...next, signingKeys: [secret(a.pem), secret(b.pem)] };
    const p2 = await withoutNetwork(env, "preview signingKeys", () => up(withFile, true));
    assert.equal(p2.diff?.changes, "DIFF_SOME");
    const r2 = await up(withFile);
    assert.equal(stripSecrets(r2.outputs)["version"], 1);
    assert.equal((await fingerprint(env, repo.gun))["targets/ci"], 1);
    assert.deepEqual(await notaryList(env, repo.gun), []);
    assert.equal((await up(withFile)).op, "same");
  });

  test("renewal, repository pinned by root key ID: the role's file inside renewBeforeDays → DIFF_SOME offline; Update re-signs it", async () => {
    // A file we just signed is never due (windows are capped at half its lifetime): another client holding both keys
    // re-signs targets/ci with a 20-day expiry, and a `pulumi refresh` (a new host) records it.
    const expires = await resignElsewhere(env, repo.gun, repo.root, "targets/ci", [a, b], 20);
    const rr = await pulumiRefresh(env, urnOf(env, "delegation", name));
    assert.equal(stripSecrets(rr.outputs)["expires"], expires, "Read returns the file's expiry as the server holds it");
    const before = { version: outputsOf("version") as number, expires: outputsOf("expires") as string };
    const declared = { threshold: 2, paths: ["v1", "prod/"], signingKeys: [secret(a.pem), secret(b.pem)] };
    // Outside a 10-day window: DIFF_NONE, offline.
    const early = await withoutNetwork(env, "diff outside the window", () => up(inputs("targets/ci", [a, b], { ...declared, renewBeforeDays: 10 }), true));
    assert.equal(early.diff?.changes, "DIFF_NONE");
    // In a Repository of the stack, its RepositoryStatus renews the role: the delegation's diff stays DIFF_NONE.
    const inStack = await withoutNetwork(env, "diff in a stack repository", () => up(inputs("targets/ci", [a, b], { ...declared, renewBeforeDays: 30 }), true));
    assert.equal(inStack.diff?.changes, "DIFF_NONE");
    const due = { ...inputs("targets/ci", [a, b], { ...declared, renewBeforeDays: 30 }), ...pinnedRef(repo), trustedRootSha256: undefined };
    const p = await withoutNetwork(env, "diff of a due role", () => up(due, true));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    const r = await up(due);
    const o = stripSecrets(r.outputs) as Record<string, any>;
    assert.equal(o["version"], before.version + 1);
    assert.ok(o["expires"] > before.expires, "fresh expiry");
    assert.ok(Date.parse(o["expires"]) - Date.now() > 365 * 86_400_000, `re-signed with the default lifetime: ${o["expires"]}`);
    assert.deepEqual(await notaryList(env, repo.gun), []);
    assert.equal((await cachedMeta(env.trustDir, repo.gun, "targets/ci")).signed.expires, o["expires"], "notary sees the fresh expiry");
  });

  test("refresh with drift: keys changed with notary; Read shows them, Diff says DIFF_SOME, Update restores", async () => {
    const stranger = newKey("stranger");
    const elsewhere = await makeTempDir("elsewhere");
    await importKeys(env, elsewhere, [{ key: repo.targets, role: "targets", gun: repo.gun }]);
    await notary(env, ["delegation", "add", repo.gun, "targets/ci", await publicKeyFile(stranger, "stranger"), "-p"], { trustDir: elsewhere });
    assert.deepEqual((await delegationRow("targets/ci"))?.keyIds, sorted([a.id, b.id, stranger.id]));

    const rr = await pulumiRefresh(env, urnOf(env, "delegation", name));
    assert.equal(rr.changed, true);
    assert.deepEqual(sorted(stripSecrets(rr.outputs)["serverKeyIds"] as string[]), sorted([a.id, b.id, stranger.id]));
    const declared = inputs("targets/ci", [a, b], { threshold: 2, paths: ["v1", "prod/"], signingKeys: [secret(a.pem), secret(b.pem)] });
    const p = await withoutNetwork(env, "preview after drift", () => up(declared, true));
    assert.equal(p.diff?.changes, "DIFF_SOME");
    const r = await up(declared);
    assert.equal(r.op, "update");
    assert.deepEqual(await delegationRow("targets/ci"), { role: "targets/ci", paths: ["prod/", "v1"], keyIds: sorted([a.id, b.id]), threshold: 2 });
    const signers = (await dockerInspect(env, repo.gun)).Signers;
    assert.deepEqual(signers.map((s) => [s.Name, sorted(s.Keys.map((k) => k.ID))]), [["ci", sorted([a.id, b.id])]]);
  });

  test("replace: a new role name is DIFF_SOME with replaces [role] and delete-before-replace", async () => {
    const r = await up(inputs("targets/cd", [a]));
    assert.equal(r.op, "replace");
    assert.deepEqual(r.diff?.replaces, ["role"]);
    assert.equal(r.diff?.deleteBeforeReplace, true);
    assert.deepEqual(r.steps.map((s) => s.op), ["delete-replaced", "replace", "create-replacement"]);
    const rows = await notaryDelegations(env, repo.gun);
    assert.deepEqual(rows.map((x) => x.role), ["targets/cd"]);
    assert.deepEqual((await dockerInspect(env, repo.gun)).Signers, [{ Name: "cd", Keys: [{ ID: a.id }] }]);
  });

  test("deleted out of band: refresh drops it (Read returns an empty id)", async () => {
    const elsewhere = await makeTempDir("elsewhere");
    await importKeys(env, elsewhere, [{ key: repo.targets, role: "targets", gun: repo.gun }]);
    await notary(env, ["delegation", "remove", repo.gun, "targets/cd", "-y", "-p"], { trustDir: elsewhere });
    const rr = await pulumiRefresh(env, urnOf(env, "delegation", name));
    assert.equal(rr.op, "read-gone");
    assert.equal(env.stack.get(urnOf(env, "delegation", name)), undefined);
  });

  test("destroy removes the role from targets (notary delegation list, docker trust inspect)", async () => {
    await up(inputs("targets/qa", [b], { paths: ["qa/"] }));
    assert.deepEqual((await delegationRow("targets/qa"))?.keyIds, [b.id]);
    await pulumiDestroy(env, urnOf(env, "delegation", name));
    assert.equal(await delegationRow("targets/qa"), undefined);
    assert.deepEqual((await dockerInspect(env, repo.gun)).Signers, []);
    assert.deepEqual(await notaryList(env, repo.gun), []);
  });

  function outputsOf(field: string): any {
    return stripSecrets(env.stack.get(urnOf(env, "delegation", name))!.outputs)[field];
  }
});

describe("Delegation: nested roles and failures", () => {
  test("a nested role signed by its parent delegation's key", async () => {
    const parent = newKey("team");
    const child = newKey("nightly");
    await pulumiUp(env, await goal("delegation", "team", inputs("targets/team", [parent])));
    const r = await pulumiUp(
      env,
      await goal("delegation", "nightly", { ...repoRef(repo), role: "targets/team/nightly", keys: [child.pub], parentKey: secret(parent.pem), signingKeys: [secret(child.pem)] }),
    );
    assert.equal(r.op, "create");
    assert.equal(stripSecrets(r.outputs)["version"], 1);
    const fp = await fingerprint(env, repo.gun);
    assert.equal(fp["targets/team"], 1, "the parent's file was created to hold the delegation");
    assert.equal(fp["targets/team/nightly"], 1);
    assert.deepEqual(await notaryList(env, repo.gun), []);
    assert.ok((await dockerInspect(env, repo.gun)).Signers.some((s) => s.Name === "team/nightly" && s.Keys[0]?.ID === child.id));
    await pulumiDestroy(env, urnOf(env, "delegation", "nightly"));
    await pulumiDestroy(env, urnOf(env, "delegation", "team"));
    assert.deepEqual(await notaryDelegations(env, repo.gun), []);
  });

  test("after targets has expired: a delegation of targets renews it; one whose parent key cannot sign targets is refused, nothing sent", async () => {
    const r = await upRepository(env, "expired-repo", env.gun("team/deleg-expired"));
    const team = newKey("team");
    const deleg = (role: string, key: TestKey, parentPem: string) => ({ ...repoRef(r), role, keys: [key.pub], parentKey: secret(parentPem) });
    await pulumiUp(env, await goal("delegation", "x-team", deleg("targets/team", team, r.targets.pem)));
    const expires = await resignElsewhere(env, r.gun, r.root, "targets", [r.targets], 2_500 / 86_400_000);
    await new Promise((res) => setTimeout(res, Math.max(0, new Date(expires).getTime() - Date.now() + 300)));
    assert.match(await notaryListFails(env, r.gun), /targets expired/);

    const fp = await fingerprint(env, r.gun);
    const g = await goal("delegation", "x-nightly", deleg("targets/team/nightly", newKey("nightly"), team.pem));
    const err = await expectFailure(env, pulumiUp(env, g), /^METADATA_EXPIRED: targets metadata of .* expired at .*nothing was published/s);
    assert.ok(err.message.includes(r.targets.id), "names the targets key ID");
    assert.deepEqual(await fingerprint(env, r.gun), fp, "nothing published");

    const t0 = Date.now();
    const c = await pulumiUp(env, await goal("delegation", "x-qa", deleg("targets/qa", newKey("qa"), r.targets.pem)));
    assert.equal(c.op, "create");
    const fresh = await makeTempDir("fresh");
    assert.deepEqual(await notaryList(env, r.gun, fresh), [], "notary reads the repository again");
    assert.ok(new Date((await cachedMeta(fresh, r.gun, "targets")).signed.expires).getTime() > t0 + 3 * 365 * 86_400_000 - 60_000);
    assert.deepEqual(sorted((await notaryDelegations(env, r.gun, fresh)).map((d) => d.role)), ["targets/qa", "targets/team"]);
  });

  test("check failures: bad role names, threshold above the number of keys, no keys, unreadable parent key", async () => {
    const k = newKey();
    const cases: [Record<string, unknown>, string[]][] = [
      [inputs("releases", [k]), ["role"]],
      [inputs("targets/Bad Name", [k]), ["role"]],
      [inputs("targets/", [k]), ["role"]],
      [inputs("targets/ci", [k, newKey()], { threshold: 3 }), ["threshold"]],
      [inputs("targets/ci", []), ["keys"]],
      [{ ...inputs("targets/ci", [k]), keys: ["not a key"] }, ["keys[0]"]],
      [{ ...inputs("targets/ci", [k]), parentKey: secret("nope") }, ["parentKey[0]"]],
      [{ ...inputs("targets/ci", [k]), gun: "team/with space" }, ["gun"]],
    ];
    const engine = await env.command("up");
    await expectCheckFailures(env, engine, "delegation", cases);
    const e = (await expectFailure(env, engine.up(await goal("delegation", "bad", inputs("targets/ci", [k, newKey()], { threshold: 3 }))), /threshold/)) as CheckFailedError;
    assert.match(e.failures[0]!.reason, /is 3 but only 2 key\(s\) are given/);
  });

  test("a parent key that cannot sign targets: Create fails naming the role and the expected key IDs; nothing published", async () => {
    const fp = await fingerprint(env, repo.gun);
    const writes = serverRequests(env.server).filter((r) => r.method === "POST").length;
    const g = await goal("delegation", "wrongparent", { ...inputs("targets/ops", [newKey()]), parentKey: secret(newKey().pem) });
    const err = await expectFailure(env, pulumiUp(env, g), /targets/);
    assert.ok(err instanceof HostCallError);
    assert.match(err.message, /SIGNING_KEY_MISSING/);
    assert.ok(err.message.includes(repo.targets.id), `names the targets key ID: ${err.message}`);
    assert.equal(serverRequests(env.server).filter((r) => r.method === "POST").length, writes, "no publish");
    assert.deepEqual(await fingerprint(env, repo.gun), fp);
    assert.equal(env.stack.get(urnOf(env, "delegation", "wrongparent")), undefined);
  });
});
