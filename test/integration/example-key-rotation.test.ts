// examples/key-rotation with the real Pulumi CLI against a real notary-server: preview → up → `preview
// --expect-no-changes` → no-op up → the targets key rotated out of band with the notary CLI (`preview --refresh
// --expect-no-changes` fails naming the repository, `up --refresh` restores the declared key) → `activeTargetsKey` =
// targets-2027 → `activeRootKey` = root-2027 → destroy. Clients that cached the old root (the notary CLI's trust dir,
// docker's) must follow every rotation.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { makeTempDir } from "../support/stack.ts";
import { cachedMeta } from "./interop-helpers.ts";
import { assertAllOps, ExampleEnv, ops, plain, T, timingReport, UNKNOWN } from "./example-helpers.ts";

const DAY = 86_400_000;
const KEYS = ["root-2026", "root-2027", "targets-2026", "targets-2027"];

const env = ExampleEnv.perFile("key-rotation");

describe("examples/key-rotation", () => {
  let gun: string;
  let exported: Record<string, any>;
  const keyId = (name: string): string => env.outputs(T.key, name)["keyId"];
  const admin = async () => {
    const info = await env.dockerInspect(gun);
    const ids = (n: string) => info.AdministrativeKeys.find((k) => k.Name === n)?.Keys.map((k) => k.ID);
    return { root: ids("Root"), repository: ids("Repository") };
  };

  before(() => {
    gun = env.gun("team/app");
    env.set("gun", gun);
  });

  test("preview on an empty stack: four keys and the repository would be created, no request to the notary server", async () => {
    const r = await env.withoutNetwork("pulumi preview", () => env.preview());
    assert.deepEqual(ops(r), Object.fromEntries([...KEYS.map((k) => [k, "create"]), ["app", "create"], ["app-status", "create"]]));
    for (const k of ["rootKeyId", "targetsKeyId", "versions"]) assert.equal(r.outputs[k], UNKNOWN, `stack output ${k} is unknown in preview`);
    assert.equal(env.stack.size, 0);
    assert.deepEqual(await env.fingerprint(gun), {});
  });

  test("up: the repository is created with root-2026 and targets-2026", async () => {
    const t0 = Date.now();
    const r = await env.up();
    assertAllOps(r, "create", "first up");
    exported = plain(r.outputs);
    const repo = env.outputs(T.repository, "app");
    assert.equal(repo["rootCanonicalKeyId"], keyId("root-2026"));
    assert.equal(exported["rootKeyId"], repo["rootKeyId"]);
    assert.equal(exported["targetsKeyId"], keyId("targets-2026"));
    assert.deepEqual(exported["versions"], { root: 1, targets: 1, snapshot: 1, timestamp: 1 });
    // expiry.targetsDays (default 365) applies to targets.json.
    const status = env.outputs(T.status, "app-status");
    const targetsExpires = new Date(status["expires"]["targets"]).getTime();
    assert.ok(Math.abs(targetsExpires - (t0 + 365 * DAY)) < 120_000, `targets expires in 365 days: ${status["expires"]["targets"]}`);

    assert.deepEqual(await env.notaryList(gun), [], "notary verifies it (and caches root v1)");
    assert.deepEqual(await admin(), { root: [exported["rootKeyId"]], repository: [exported["targetsKeyId"]] });
    env.assertStateSecrets([...KEYS.map((k): [string, string, string] => [T.key, k, "privateKeyPem"]), [T.repository, "app", "rootKey"], [T.repository, "app", "targetsKey"]]);
  });

  test("a second up without changes: `preview --expect-no-changes` passes, every resource is `same`, no request", async () => {
    const fp = await env.fingerprint(gun);
    await env.withoutNetwork("pulumi preview --expect-no-changes", () => env.expectNoChanges());
    const r = await env.withoutNetwork("pulumi up (no changes)", () => env.up());
    assertAllOps(r, "same", "second up");
    assert.deepEqual(plain(r.outputs), exported);
    assert.deepEqual(await env.fingerprint(gun), fp, "server-side versions unchanged");
  });

  test("the targets key rotated out of band (`notary key rotate`): the CI check fails naming the repository, `up --refresh` restores it", async () => {
    // Someone holding the root key rotates targets to a key of their own with the notary CLI.
    await env.importKeyToNotary(env.outputs(T.key, "root-2026")["privateKeyPem"], "root");
    await env.notary(["key", "rotate", gun, "targets"]);
    const rotated = (await admin()).repository;
    assert.notDeepEqual(rotated, [exported["targetsKeyId"]], "notary rotated the targets key");

    const check = await env.previewRefresh({ expectNoChanges: true, allowFailure: true });
    assert.notEqual(check.result.code, 0, "the CI check fails");
    assert.match(check.result.stdout + check.result.stderr, /no changes were expected for .* but changes were proposed/);
    assert.deepEqual(ops(check), Object.fromEntries([...KEYS.map((k) => [k, "same"]), ["app", "update"], ["app-status", "update"]]));
    assert.match(check.result.stdout, /~ .*notary:Repository\s+app\s+update/, "the preview names the repository");

    const fp = await env.fingerprint(gun);
    const r = await env.upRefresh();
    assert.equal(ops(r)["app"], "update");
    const out = plain(r.outputs);
    assert.equal(out["targetsKeyId"], exported["targetsKeyId"], "the declared targets key is back");
    assert.equal(out["versions"].root, (fp["root"] as number) + 1, "a new root names it");
    assert.deepEqual(await admin(), { root: [exported["rootKeyId"]], repository: [exported["targetsKeyId"]] });
    assert.deepEqual(await env.notaryList(gun), [], "the notary client that followed the rogue rotation follows back");
    await env.previewRefresh({ expectNoChanges: true });
    exported = out;
  });

  test("activeTargetsKey = targets-2027: the targets key is rotated (root v2)", async () => {
    env.set("activeTargetsKey", "targets-2027");
    const p = await env.withoutNetwork("pulumi preview (targets rotation)", () => env.preview());
    assert.deepEqual(ops(p), Object.fromEntries([...KEYS.map((k) => [k, "same"]), ["app", "update"], ["app-status", "update"]]));

    const r = await env.up();
    assert.deepEqual(ops(r), Object.fromEntries([...KEYS.map((k) => [k, "same"]), ["app", "update"], ["app-status", "update"]]));
    const out = plain(r.outputs);
    assert.equal(out["targetsKeyId"], keyId("targets-2027"));
    assert.equal(out["rootKeyId"], exported["rootKeyId"], "same root");
    assert.equal(out["versions"].root, exported["versions"].root + 1, "root re-signed with the new targets key");
    exported = out;

    assert.deepEqual(await env.notaryList(gun), [], "the notary client that cached root v1 follows");
    assert.equal((await cachedMeta(env.trustDir, gun, "root")).signed.version, out["versions"].root);
    assert.deepEqual(await admin(), { root: [exported["rootKeyId"]], repository: [keyId("targets-2027")] });
  });

  test("activeRootKey = root-2027: the root is rotated; clients that cached the old root still verify", async () => {
    env.set("activeRootKey", "root-2027");
    const p = await env.withoutNetwork("pulumi preview (root rotation)", () => env.preview());
    assert.equal(ops(p)["app"], "update");

    const fp = await env.fingerprint(gun);
    const r = await env.up();
    assert.deepEqual(ops(r), Object.fromEntries([...KEYS.map((k) => [k, "same"]), ["app", "update"], ["app-status", "update"]]));
    const out = plain(r.outputs);
    assert.notEqual(out["rootKeyId"], exported["rootKeyId"], "a new root certificate");
    assert.equal(env.outputs(T.repository, "app")["rootCanonicalKeyId"], keyId("root-2027"));
    assert.equal(out["targetsKeyId"], keyId("targets-2027"));
    assert.equal(out["versions"].root, (fp["root"] as number) + 1);

    // The notary CLI's trust dir holds the previous root (old root key): the new root must chain from it.
    assert.deepEqual(await env.notaryList(gun), []);
    assert.equal((await cachedMeta(env.trustDir, gun, "root")).signed.version, out["versions"].root);
    // So does docker's trust dir (it cached the previous root at the last inspect).
    assert.deepEqual(await admin(), { root: [out["rootKeyId"]], repository: [keyId("targets-2027")] });
    // A fresh client (TOFU) sees the same.
    assert.deepEqual(await env.notaryList(gun, await makeTempDir("fresh-trust")), []);
    exported = out;
  });

  test("targetsDays = 180: targets.json is re-signed with the new lifetime, then nothing more happens", async () => {
    env.set("targetsDays", "180");
    const t0 = Date.now();
    const r = await env.up();
    assert.deepEqual(ops(r), Object.fromEntries([...KEYS.map((k) => [k, "same"]), ["app", "update"], ["app-status", "update"]]));
    const out = plain(r.outputs);
    assert.equal(out["versions"].targets, exported["versions"].targets + 1, "targets re-signed");
    assert.equal(out["rootKeyId"], exported["rootKeyId"]);
    const targetsExpires = new Date(env.outputs(T.status, "app-status")["expires"]["targets"]).getTime();
    assert.ok(Math.abs(targetsExpires - (t0 + 180 * DAY)) < 120_000, "targets expires in 180 days");
    assert.deepEqual(await env.notaryList(gun), []);
    exported = out;

    const again = await env.withoutNetwork("pulumi up (after the changes)", () => env.up());
    assertAllOps(again, "same", "up after the changes");
  });

  test("stack export holds no private key, passphrase or password in clear", async () => {
    await env.assertNoLeaks();
  });

  test("destroy: the keys go; the repository's trust data stays (deleteOnDestroy is not set)", async () => {
    const fp = await env.fingerprint(gun);
    const { steps } = await env.destroy();
    assert.deepEqual(steps.filter((s) => s.type.startsWith("pulumi-nodejs")).map((s) => s.op), ["delete", "delete", "delete", "delete", "delete", "delete"]);
    assert.equal(env.stack.size, 0);
    assert.deepEqual(await env.fingerprint(gun), fp, "nothing published or deleted");
    assert.deepEqual(await env.notaryList(gun), []);
    assert.deepEqual((await admin()).root, [exported["rootKeyId"]]);
  });

  test("timings", (t) => {
    t.diagnostic(timingReport(env));
  });
});
