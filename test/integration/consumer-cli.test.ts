// Consumers pinned to verified digests (issue 12, part 3), through the real Pulumi CLI: test/fixtures/consumer-program
// deploys `notary.verifiedImage(...)` (a stand-in Deployment records the image it runs). A publisher made its
// repository with docker and the notary CLI: alice signed v1, bob signed v2. `up` passes on a tag the required signer
// signed and deploys its digest reference; on an unsigned tag, or one signed by another signer, preview and up fail
// with the reason and the deployment keeps the digest it had. The Go tools read the publisher's repository throughout.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ExampleEnv, fakeManifest, hex } from "./example-helpers.ts";
import { hasDocker } from "../support/stack.ts";
import { failureOf as fails, startPublisher, type Publisher } from "./publisher-helpers.ts";

const env = ExampleEnv.perFile("consumer", { dir: "test/fixtures/consumer-program" });
const DEPLOYMENT = "pulumi-nodejs:dynamic/consumer:Deployment";

describe("a consumer deploys only verified digests, through the CLI", { skip: hasDocker() ? false : "no docker client installed" }, () => {
  let pub: Publisher;
  const v1 = fakeManifest("consumer v1");
  const v2 = fakeManifest("consumer v2");

  before(async () => {
    pub = await startPublisher(env.server, env.gun("publisher/app"), ["alice", "bob"]);
    await pub.sign("v1", v1.digest, v1.size, "alice");
    await pub.sign("v2", v2.digest, v2.size, "bob");
    for (const pem of await pub.privateKeyPems()) env.trackKey(pem); // the leak scans look for the publisher's keys
    env.set("rootKeyId", pub.rootKeyId);
    env.set("signers", ["alice"]);
  });

  test("a tag alice signed: preview and up pass, and the deployment runs its digest reference", async () => {
    env.set("image", `${pub.gun}:v1`);
    const p = await env.preview();
    assert.equal(p.outputs["deployed"], `${pub.gun}@${v1.digest}`, "preview already knows the verified reference");
    const up = await env.up();
    assert.equal(up.outputs["deployed"], `${pub.gun}@${v1.digest}`);
    assert.equal(env.outputs(DEPLOYMENT, "app")["image"], `${pub.gun}@${v1.digest}`);
    await env.expectNoChanges();
  });

  test("an unsigned tag: preview and up fail with the reason, and the deployment keeps v1's digest", async () => {
    env.set("image", `${pub.gun}:v3`);
    const reason = new RegExp(
      `verifiedImage\\(${pub.gun.replace(/\./g, "\\.")}:v3\\): VERIFICATION_FAILED: v3 is not signed in any valid role of ${pub.gun.replace(/\./g, "\\.")}: ` +
        `required 1 of \\[alice \\(targets/alice\\)\\] .*targets/alice does not sign v3`,
    );
    assert.match(await fails(env.preview()), reason);
    const out = await fails(env.up());
    assert.match(out, reason);
    assert.doesNotMatch(out, /\bat .*\.(js|ts):\d+/, "no stack trace");
    assert.equal(env.outputs(DEPLOYMENT, "app")["image"], `${pub.gun}@${v1.digest}`);
  });

  test("a tag signed by bob, not alice: up fails naming what each role signs; with bob required it passes", async () => {
    env.set("image", `${pub.gun}:v2`);
    const out = await fails(env.up());
    assert.match(out, new RegExp(`VERIFICATION_FAILED: ${pub.gun.replace(/\./g, "\\.")}:v2 is not signed as required: required 1 of \\[alice \\(targets/alice\\)\\] to sign ${v2.digest} for v2 \\(none does\\)`));
    assert.match(out, new RegExp(`targets/bob signs ${v2.digest}`));
    assert.equal(env.outputs(DEPLOYMENT, "app")["image"], `${pub.gun}@${v1.digest}`, "nothing deployed");
    env.set("signers", ["bob"]);
    const up = await env.up();
    assert.equal(up.outputs["deployed"], `${pub.gun}@${v2.digest}`);
  });

  test("a root pinned to another key fails; the Go tools read the publisher's repository as before", async () => {
    env.set("rootKeyId", "0".repeat(64));
    assert.match(await fails(env.preview()), /verifiedImage\([^)]+\): TRUST_ROOT_MISMATCH: the root of /);
    env.set("rootKeyId", pub.rootKeyId);
    const list = await pub.notary(["list", pub.gun]);
    for (const m of [v1, v2]) assert.ok(list.includes(hex(m.digest)), list);
    const info = await env.dockerInspect(pub.gun);
    assert.deepEqual(info.SignedTags.map((t) => [t.SignedTag, t.Signers]), [["v1", ["alice"]], ["v2", ["bob"]]]);
  });
});
