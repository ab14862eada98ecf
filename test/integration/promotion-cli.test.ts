// Promotion only after verification (issue 12, part 2), through the real Pulumi CLI: test/fixtures/promotion-program
// signs tag v1 in the team's repository (B) to a publisher's release only while the publisher's repository (A) signs
// it. A is made as a publisher makes it, with the Go tools (docker adds the signers alice and bob, the notary CLI signs
// and removes tags as alice). `up` promotes; after the publisher revokes v1 the preview fails with the reason and `up`
// changes nothing ("refuse"); with onViolation "revoke" the preview plans an update and `up` revokes v1 in B; when the
// publisher signs again, v1 is promoted again. notary and docker read A and B after every step.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ExampleEnv, fakeManifest, hex, ops, T } from "./example-helpers.ts";
import { hasDocker } from "../support/stack.ts";
import { failureOf, startPublisher, type Publisher } from "./publisher-helpers.ts";
import { requestCursor } from "../support/server-log.ts";

const env = ExampleEnv.perFile("promotion", { dir: "test/fixtures/promotion-program" });
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("promotion only after verification, through the CLI", { skip: hasDocker() ? false : "no docker client installed" }, () => {
  let pub: Publisher;
  let team: string;
  const release = fakeManifest("vendor release 1.0");
  const other = fakeManifest("vendor release 1.1");

  /** What notary and docker show for v1 in a repository (the digest, or undefined when not signed). */
  async function v1In(gun: string): Promise<{ notary?: string; docker?: string }> {
    const row = (await env.notaryList(gun)).find((r) => r.name === "v1");
    const tag = (await env.dockerInspect(gun)).SignedTags.find((t) => t.SignedTag === "v1");
    return { ...(row ? { notary: row.digest } : {}), ...(tag ? { docker: tag.Digest } : {}) };
  }

  before(async () => {
    pub = await startPublisher(env.server, env.gun("vendor/app"), ["alice", "bob"]);
    for (const pem of await pub.privateKeyPems()) env.trackKey(pem);
    await pub.sign("v1", release.digest, release.size, "alice");
    team = env.gun("team/app");
    env.set("gun", team);
    env.set("digest", release.digest);
    env.set("size", String(release.size));
    env.set("sourceGun", pub.gun);
    env.set("sourceRootKeyId", pub.rootKeyId);
    env.set("signers", ["alice"]);
  });

  test("the publisher signed the release as alice: up promotes it, and notary and docker read v1 in both repositories", async () => {
    const up = await env.up();
    assert.equal(ops(up)["v1"], "create");
    assert.equal(up.outputs["promotionHolds"], true);
    assert.deepEqual(await v1In(team), { notary: hex(release.digest), docker: hex(release.digest) });
    assert.deepEqual(await v1In(pub.gun), { notary: hex(release.digest), docker: hex(release.digest) });
    // The preview verifies the source again (the promotion's deliberate exception); it reads nothing of B.
    const cursor = requestCursor(() => env.server.log());
    await env.expectNoChanges();
    await new Promise((r) => setTimeout(r, 250));
    const seen = cursor.since();
    assert.ok(seen.length > 0, "the preview read the source");
    assert.deepEqual(seen.filter((r) => !r.uri.startsWith(`/v2/${pub.gun}/_trust/tuf/`)), [], "only the source's trust data was read");
  });

  test("a promotion bob alone would vouch for is refused: preview fails naming the source, tag, signers and what each role signs", async () => {
    env.set("signers", ["bob"]);
    const out = await failureOf(env.preview());
    assert.match(out, new RegExp(`${re(team)}:v1 is promoted from ${re(pub.gun)}:v1 only while ${release.digest} is signed there as required, and it is not: VERIFICATION_FAILED: `));
    assert.match(out, /required 1 of \[bob \(targets\/bob\)\] to sign sha256:[0-9a-f]{64} for v1 \(none does\)/);
    assert.match(out, /targets\/alice signs sha256:/);
    env.set("signers", ["alice"]);
  });

  test("the publisher revokes v1: preview fails with the reason (refuse), up changes nothing, B still holds v1", async () => {
    await pub.revoke("v1", "alice");
    assert.deepEqual(await v1In(pub.gun), {}, "notary and docker show v1 revoked in the source");
    const before = await env.fingerprint(team);
    const reason = new RegExp(
      `${re(team)}:v1 is promoted from ${re(pub.gun)}:v1 only while ${release.digest} is signed there as required, and it is not: ` +
        `VERIFICATION_FAILED: v1 is not signed in any valid role of ${re(pub.gun)}: .*targets/alice does not sign v1.*` +
        `promotedFrom\\.onViolation is "refuse": nothing is signed or revoked`,
    );
    assert.match(await failureOf(env.preview()), reason);
    assert.match(await failureOf(env.up()), reason);
    assert.deepEqual(await env.fingerprint(team), before, "nothing was published to B");
    assert.deepEqual(await v1In(team), { notary: hex(release.digest), docker: hex(release.digest) });
  });

  test('onViolation "revoke": preview plans the update and says why, up revokes v1 in B, and the state keeps it revoked', async () => {
    env.set("onViolation", "revoke");
    const p = await env.preview();
    assert.equal(ops(p)["v1"], "update", "the revocation is planned");
    assert.match(p.result.stdout + p.result.stderr, /notary: .*v1 is promoted from .* and it is not: VERIFICATION_FAILED: .*onViolation is "revoke": `pulumi up` revokes v1 in /s);
    const up = await env.up();
    assert.equal(ops(up)["v1"], "update");
    assert.equal(up.outputs["promotionHolds"], false);
    assert.deepEqual(await v1In(team), {}, "notary and docker no longer show v1 in B");
    assert.equal(env.outputs(T.signedTag, "v1")["serverDigest"], "");
    await env.refresh();
    assert.ok(env.names(T.signedTag).includes("v1"), "a refresh keeps the revoked promotion in the state");
    await env.expectNoChanges();
  });

  test("the publisher re-points v1 to another release: still revoked; it signs the release again: v1 is promoted again", async () => {
    await pub.sign("v1", other.digest, other.size, "alice");
    await env.expectNoChanges();
    assert.deepEqual(await v1In(team), {});
    await pub.sign("v1", release.digest, release.size, "alice");
    const p = await env.preview();
    assert.equal(ops(p)["v1"], "update", "the promotion holds again: signing is planned");
    const up = await env.up();
    assert.equal(up.outputs["promotionHolds"], true);
    assert.deepEqual(await v1In(team), { notary: hex(release.digest), docker: hex(release.digest) });
    assert.deepEqual(await v1In(pub.gun), { notary: hex(release.digest), docker: hex(release.digest) });
    await env.expectNoChanges();
  });
});
