// State that equals the server after every command, through the real Pulumi CLI (issue 10: "Outputs equal the server
// after every command ... including after our own publishes that re-signed roles other resources report").
// A Repository runs before the delegation, signer and tags that re-sign its roles; before the RepositoryStatus its
// `versions`/`expires` kept what it saw at its own last operation (the test's first check failed on targets, snapshot
// and timestamp). The status runs after them all and records what the server holds; its preview makes no request.
// Resources removed from the program: Pulumi deletes them after every other step, the status among them. Before the
// status removed what they held ahead of their deletes, its record after such an `up` lagged one write behind
// (`awaitingDeletes: true` until the next command); now it equals the server right after, and their deletes write
// nothing. A tag retained on delete stays on the server, and in the record. A tag's resource renamed (without an
// alias) keeps its tag: before, the old name's delete, run last, revoked the tag the new name had just signed. A
// protected tag removed from the program stays (Pulumi refuses its delete), and the status says its delete may still
// write, which it does once the tag is unprotected outside the program.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ExampleEnv, fakeManifest, hex, ops, T } from "./example-helpers.ts";

const env = ExampleEnv.perFile("status", { dir: "test/fixtures/status-program" });
const m1 = fakeManifest("status v1");
const m2 = fakeManifest("status v2");
const m3 = fakeManifest("status v3");
const tag = (m: { digest: string; size: number }, role?: string, retain?: boolean): Record<string, unknown> => ({ digest: m.digest, size: m.size, ...(role ? { role } : {}), ...(retain ? { retain } : {}) });

describe("RepositoryStatus: what the server holds after every command", () => {
  let gun: string;
  before(() => {
    gun = env.gun("team/status");
    env.set("gun", gun);
  });

  const changed = (r: Awaited<ReturnType<typeof env.preview>>) => Object.entries(ops(r)).filter(([, op]) => op !== "same").sort();

  test("create: the status records the server after every resource wrote, the stack outputs show it", async () => {
    env.set("tags", { v1: tag(m1), a1: tag(m2, "targets/alice") });
    const r = await env.up();
    await env.assertStatusTruthful("app", gun);
    const server = await env.serverRoles(gun);
    assert.deepEqual(r.outputs["versions"], server.versions, "repo.versions is the status's record");
    assert.ok(server.versions["targets/releases"]! >= 1 && server.versions["targets/alice"]! >= 1, "delegations are recorded");
    const repoVerified = env.outputs(T.repository, "app")["verified"];
    assert.ok(repoVerified["snapshot"] < server.versions["snapshot"]!, "the Repository's own record is a floor, older than the server");
    assert.equal(env.outputs(T.repository, "app")["versions"], undefined, "the Repository claims no versions of its own");
    const status = env.outputs(T.status, "app-status");
    assert.deepEqual(status["canonicalKeyIds"]["root"], [env.outputs(T.repository, "app")["rootCanonicalKeyId"]], "root matched by its key's own ID, for renewal");
    assert.deepEqual(status["keyIds"]["root"], [env.outputs(T.repository, "app")["rootKeyId"]], "and shown by its certificate's, as docker does");
  });

  test("a preview of unchanged resources makes no request, and plans nothing", async () => {
    const p = await env.withoutNetwork("preview", () => env.preview());
    assert.deepEqual(changed(p), []);
  });

  test("a tag re-pointed: the tag and the status update, the state equals the server", async () => {
    env.set("tags", { v1: tag(m3), a1: tag(m2, "targets/alice") });
    const p = await env.preview();
    assert.deepEqual(changed(p), [["app-status", "update"], ["v1", "update"]]);
    await env.up();
    await env.assertStatusTruthful("app", gun);
  });

  test("a tag added and one removed: the status removes it before it reads, the state equals the server at once", async () => {
    const before = await env.serverRoles(gun);
    env.set("tags", { v1: tag(m3), v2: tag(m1) });
    const r = await env.up();
    assert.equal(ops(r)["a1"], "delete");
    const o = env.outputs(T.status, "app-status");
    assert.equal(o["awaitingDeletes"], false, "nothing is left to a delete after the status");
    await env.assertStatusTruthful("app", gun);
    assert.equal(o["versions"]["targets/alice"], before.versions["targets/alice"]! + 1, "a1's removal is one write, recorded");
    assert.deepEqual((await env.notaryList(gun)).map((x) => x.name).sort(), ["v1", "v2"]);
    await env.expectNoChanges();
  });

  test("a tag's resource renamed: the new name holds the tag, the old name's delete leaves it", async () => {
    env.set("tags", { v1: tag(m3), "v2-renamed": { ...tag(m1), tag: "v2" } });
    const r = await env.up();
    assert.deepEqual([ops(r)["v2"], ops(r)["v2-renamed"]], ["delete", "create"]);
    assert.deepEqual((await env.notaryList(gun)).map((x) => [x.name, x.digest]).sort(), [["v1", hex(m3.digest)], ["v2", hex(m1.digest)]], "v2 still signed");
    assert.equal(env.outputs(T.status, "app-status")["awaitingDeletes"], false);
    await env.assertStatusTruthful("app", gun);
    await env.expectNoChanges();
  });

  test("a tag retained on delete leaves the program: the server keeps it, and so does the record", async () => {
    env.set("tags", { v1: tag(m3), v2: tag(m1, undefined, true) });
    await env.up();
    env.set("tags", { v1: tag(m3) });
    const r = await env.up();
    assert.equal(ops(r)["v2"], "delete", "Pulumi forgets it");
    assert.deepEqual((await env.notaryList(gun)).map((x) => x.name).sort(), ["v1", "v2"], "the server keeps it");
    assert.equal(env.outputs(T.status, "app-status")["awaitingDeletes"], false);
    await env.assertStatusTruthful("app", gun);
    await env.expectNoChanges();
  });

  test("a protected tag leaves the program: Pulumi refuses its delete, the status leaves it; once unprotected it goes", async () => {
    env.set("tags", { v1: { ...tag(m3), protect: true } });
    await env.up();
    env.set("tags", {});
    const refused = await env.up({ allowFailure: true });
    assert.notEqual(refused.result.code, 0);
    assert.match(refused.result.stdout + refused.result.stderr, /protect/i, "Pulumi says the resource is protected");
    assert.deepEqual((await env.notaryList(gun)).map((x) => x.name).sort(), ["v1", "v2"], "the server keeps it (and v2, retained above)");
    await env.assertStatusTruthful("app", gun); // the up's preview refused the delete: nothing ran
    // Unprotected outside the program, which the status cannot see: the up deletes it after the status read, and the
    // status, whose record says the tag was protected, said it might; the next command records the server.
    await env.command(["state", "unprotect", env.entry(T.signedTag, "v1").urn, "--yes"]);
    await env.up();
    assert.deepEqual((await env.notaryList(gun)).map((x) => x.name), ["v2"]);
    assert.equal(env.outputs(T.status, "app-status")["awaitingDeletes"], true);
    await env.up();
    assert.equal(env.outputs(T.status, "app-status")["awaitingDeletes"], false);
    await env.assertStatusTruthful("app", gun);
    await env.expectNoChanges();
    env.set("tags", { v1: tag(m3) });
    await env.up();
  });

  test("the signer removed: its role and key leave the server before the status reads", async () => {
    env.set("signer", "false");
    const r = await env.up();
    assert.equal(ops(r)["Signer:alice"], "delete");
    assert.ok(!(await env.notaryDelegations(gun)).some((d) => d.role === "targets/alice"), "targets/alice removed");
    const releases = (await env.notaryDelegations(gun)).find((d) => d.role === "targets/releases")!;
    assert.deepEqual(releases.keyIds, env.outputs(T.delegation, "releases")["keyIds"], "alice's key left releases");
    assert.equal(env.outputs(T.status, "app-status")["awaitingDeletes"], false);
    await env.assertStatusTruthful("app", gun);
    await env.expectNoChanges();
  });

  test("out-of-band writes: refresh records them", async () => {
    await env.importKeyToNotary(env.outputs(T.key, "release")["privateKeyPem"], "targets/releases", gun);
    await env.notary(["addhash", gun, "oob", String(m2.size), "--sha256", m2.digest.slice(7), "-r", "targets/releases"]);
    await env.notary(["publish", gun]);
    await env.refresh();
    await env.assertStatusTruthful("app", gun);
  });

  test("destroy leaves nothing behind", async () => {
    await env.destroy();
    assert.deepEqual(env.names(T.status), []);
  });
});
