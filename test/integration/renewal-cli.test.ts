// Renewal planned from truthful state after a drift repair, through the real Pulumi CLI (issue 10, item 2), and state
// that equals the server after every command. The repository's targets live one day. The notary CLI removes the
// delegation (re-signing targets for its three years); `pulumi refresh` records that expiry; `pulumi up` repairs the
// delegation and its tag, which re-signs targets for one day. Before the fix the Repository kept the three years in
// its state, and a `pulumi preview` 14 hours later planned no renewal: targets expired with nothing planned. Then the
// Repository's record lagged behind every publish of the resources after it. Now the RepositoryStatus (`app-status`),
// which runs after every resource of the repository, records what the server holds after each command (compared with
// the server's files after each one here), and plans renewals from it. The later commands run as if 14 hours had
// passed (test/support/clock-shift.cjs in the provider host). A second repository's root lives one day: the same
// preview plans its renewal, the same up re-signs root (version 2), and notary and docker, which cached root 1, follow.
import assert from "node:assert/strict";
import path from "node:path";
import { before, describe, test } from "node:test";
import { ExampleEnv, fakeManifest, ops, ROOT, T } from "./example-helpers.ts";
import { parseGoTime } from "../../sdk/src/metadata/time.ts";

const env = ExampleEnv.perFile("renewal", { dir: "test/fixtures/renewal-program" });
const HOUR = 3_600_000;
const later = (hours: number) => ({
  env: { NODE_OPTIONS: `--require ${path.join(ROOT, "test/support/clock-shift.cjs")}`, CLOCK_SHIFT_MS: String(hours * HOUR) },
});

describe("renewal after a drift repair, through the CLI", () => {
  let gun: string;
  let rootGun: string;
  const m = fakeManifest("renewal v1");

  before(() => {
    gun = env.gun("team/renewal");
    rootGun = env.gun("team/renewal-root");
    env.set("gun", gun);
    env.set("rootGun", rootGun);
    env.set("digest", m.digest);
    env.set("size", String(m.size));
  });

  test("up, then the notary CLI removes the delegation, refresh records it, up repairs it", async () => {
    await env.up();
    assert.deepEqual((await env.notaryList(gun)).map((x) => [x.name, x.role]), [["v1", "targets/releases"]]);
    await env.assertStatusTruthful("app", gun);
    assert.deepEqual((await env.notaryList(rootGun)).map((x) => x.name), ["v1"], "notary caches root 1 of the second repository");
    assert.equal(env.outputs(T.status, "short-status")["versions"]["root"], 1);
    await env.importKeyToNotary(env.outputs(T.key, "targets")["privateKeyPem"], "targets", gun);
    await env.notary(["delegation", "remove", gun, "targets/releases", "-y", "-p"]);
    assert.deepEqual(await env.notaryList(gun), []);
    await env.refresh();
    await env.assertStatusTruthful("app", gun);
    const refreshed = parseGoTime(env.outputs(T.status, "app-status")["expires"]["targets"]).getTime();
    assert.ok(refreshed > Date.now() + 365 * 24 * HOUR, "the refresh recorded the notary CLI's three-year targets");
    const r = await env.up();
    const o = ops(r);
    assert.equal(o["releases"], "create", "the delegation is repaired");
    assert.equal(o["v1"], "create", "and its tag");
    assert.equal(o["app-status"], "update", "the status reads what they wrote");
    assert.deepEqual((await env.notaryList(gun)).map((x) => [x.name, x.role]), [["v1", "targets/releases"]]);
    await env.assertStatusTruthful("app", gun);
    const recorded = parseGoTime(env.outputs(T.status, "app-status")["expires"]["targets"]).getTime();
    assert.ok(recorded <= Date.now() + 24 * HOUR, "targets is signed under the one-day policy, and the state says so");
    await env.expectNoChanges();
  });

  test("14 hours later a plain preview plans the renewal, and up renews: notary and docker still read the tag", async () => {
    const p = await env.preview(later(14));
    assert.deepEqual(
      Object.entries(ops(p)).filter(([, op]) => op !== "same").sort(),
      [["app-status", "update"], ["short-status", "update"]],
      "targets, and the second repository's root, expire in under 12 hours: renewals planned, by the statuses alone",
    );
    const renewing = await env.up(later(14));
    assert.match(renewing.result.stdout, /notary: re-signing targets \(expires [^)]+\), targets\/releases \(expires [^)]+\) of /, "the up says what it renews (the tag's role too)");
    assert.match(renewing.result.stdout, new RegExp(`notary: re-signing root \\(expires [^)]+\\) of ${rootGun}`), "and the other repository's root");
    await env.assertStatusTruthful("app", gun);
    const renewed = parseGoTime(env.outputs(T.status, "app-status")["expires"]["targets"]).getTime();
    assert.ok(renewed > Date.now() + 24 * HOUR, "renewed from the shifted clock: more than a day from the real now");
    assert.deepEqual((await env.notaryList(gun)).map((x) => x.name), ["v1"]);
    assert.deepEqual((await env.dockerInspect(gun)).SignedTags.map((t) => t.SignedTag), ["v1"]);
    await env.expectNoChanges(later(14));
  });

  test("the root that lives one day was renewed by the same up: version 2, and notary and docker follow from root 1", async () => {
    await env.assertStatusTruthful("short", rootGun);
    const status = env.outputs(T.status, "short-status");
    assert.equal(status["versions"]["root"], 2, "root re-signed");
    assert.ok(parseGoTime(status["expires"]["root"]).getTime() > Date.now() + 24 * HOUR, "for a day from the shifted clock");
    assert.deepEqual((await env.notaryList(rootGun)).map((x) => x.name), ["v1"], "notary verified root 2 with the root 1 it cached");
    const info = await env.dockerInspect(rootGun);
    assert.deepEqual(info.SignedTags.map((t) => t.SignedTag), ["v1"]);
    assert.deepEqual(info.AdministrativeKeys.find((k) => k.Name === "Root")?.Keys.map((k) => k.ID), [env.outputs(T.repository, "short")["rootKeyId"]]);
  });
});
