// Rollback and freeze protection (issue 10, items 3 and 4), against a real notary-server behind a proxy that replays
// an older timestamp.json (bytes the server made; the older snapshot and targets follow from the server by checksum).
// - SDK, one process: a replay served on the read-back of our own publish is a rollback (METADATA_ROLLBACK), never a
//   success without our change nor a "lost race against other publishers"; a floor carried from an earlier process
//   (repo.floor) refuses the replay in a new process, which a fresh client without it would accept.
// - Pulumi CLI: after `up` re-pointed a tag, a replayed timestamp makes `pulumi refresh` and `pulumi preview
//   --refresh` fail with METADATA_ROLLBACK naming the versions, the state keeps the truth; the same commands pass
//   without the replay, and NOTARY_ACCEPT_ROLLBACK=true accepts it deliberately. With the timestamp frozen for every
//   command, an `up` that re-points the tag fails the same way before any write (before the floors, it signed on top
//   of the frozen files and was reported as lost version races), and converges once the server is live again.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NotaryClient } from "../../sdk/src/client.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { isNotaryError } from "../../sdk/src/errors.ts";
import { lookupTarget } from "../../sdk/src/trust/read.ts";
import { PulumiStack } from "../support/pulumi-cli.ts";
import { startReplayProxy, type ReplayProxy } from "../support/replay-proxy.ts";
import { startNotaryServer, type NotaryServer } from "../support/stack.ts";
import { manifest, serverFingerprint } from "./interop-helpers.ts";
import { fakeManifest } from "./example-helpers.ts";

let server: NotaryServer;
let proxy: ReplayProxy;
before(async () => {
  server = await startNotaryServer();
  proxy = await startReplayProxy(server.url);
});
after(async () => {
  await proxy?.close();
  await server?.stop();
});

describe("rollback protection in the SDK", () => {
  it("a replay on the read-back of our own publish is METADATA_ROLLBACK, not success and not a lost race", async () => {
    const gun = "example.com/team/readback";
    const targets = PrivateKey.generate();
    const client = new NotaryClient({ url: proxy.url });
    try {
      proxy.live();
      const repo = client.repository(gun, { anchor: { tofu: true } });
      await repo.initialize({ rootKey: PrivateKey.generate(), targetsKey: targets });
      await repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: manifest("rb v1").meta }], { keys: [targets] });
      await proxy.record(gun);
      proxy.replay({ afterPost: true });
      const before = proxy.replayed;
      const err = await repo.publish([{ type: "setTarget", role: "targets", name: "v2", meta: manifest("rb v2").meta }], { keys: [targets] }).catch((e: unknown) => e);
      assert.ok(proxy.replayed > before, "the read-back was replayed");
      assert.ok(isNotaryError(err), String(err));
      assert.equal(err.code, "METADATA_ROLLBACK", err.message);
      assert.doesNotMatch(err.message, /other publishers|version races/);
      assert.equal(err.details?.["role"], "timestamp");
    } finally {
      proxy.live();
      await client.close();
    }
  });

  it("a floor carried from an earlier process refuses the replay that a client without it accepts", async () => {
    const gun = "example.com/team/floor";
    const targets = PrivateKey.generate();
    const first = new NotaryClient({ url: server.url });
    const repo = first.repository(gun, { anchor: { tofu: true } });
    const st0 = await repo.initialize({ rootKey: PrivateKey.generate(), targetsKey: targets });
    await repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: manifest("floor v1").meta }], { keys: [targets] });
    await proxy.record(gun);
    await repo.publish([{ type: "removeTarget", role: "targets", name: "v1" }], { keys: [targets] }); // v1 revoked since
    const floor = repo.floor; // what this process verified, carried to the next one
    await first.close();

    proxy.replay();
    const anchor = { trustedRoot: st0.root.bytes };
    const naive = new NotaryClient({ url: proxy.url });
    const replayed = await naive.repository(gun, { anchor }).fetch();
    assert.ok(lookupTarget(replayed, "v1"), "without a floor the replay shows the revoked tag as current");
    await naive.close();

    const guarded = new NotaryClient({ url: proxy.url });
    const err = await guarded.repository(gun, { anchor, floor }).fetch().catch((e: unknown) => e);
    await guarded.close();
    proxy.live();
    assert.ok(isNotaryError(err), String(err));
    assert.equal(err.code, "METADATA_ROLLBACK");
    assert.match(err.message, /served timestamp version \d+, older than version \d+ already trusted/);
  });
});

describe("rollback protection across Pulumi commands", () => {
  let stack: PulumiStack;
  const gun = "example.com/team/cli-rollback";
  const m1 = fakeManifest("cli rollback v1");
  const m2 = fakeManifest("cli rollback v2");
  const m3 = fakeManifest("cli rollback v3");
  before(async () => {
    proxy.live();
    stack = await PulumiStack.init({ dir: "examples/quickstart", stack: "rollback" });
    await stack.setConfig({
      "notary:serverUrl": proxy.url,
      "notary-quickstart:gun": gun,
      "notary-quickstart:digest": m1.digest,
      "notary-quickstart:size": String(m1.size),
    });
    await stack.up();
    await proxy.record(gun);
    await stack.setConfig({ "notary-quickstart:digest": m2.digest, "notary-quickstart:size": String(m2.size) });
    await stack.up(); // v1 re-pointed to m2: newer versions, which the state records
  });
  after(async () => {
    proxy.live();
    await stack?.remove();
  });

  const tagState = async () => {
    const d = await stack.exportState();
    return d.deployment.resources?.find((r) => r.type.endsWith("notary:SignedTag"))?.outputs as Record<string, unknown>;
  };

  it("a replayed timestamp fails refresh and preview --refresh with METADATA_ROLLBACK; the state keeps the truth", async () => {
    proxy.replay();
    for (const args of [["refresh", "--yes"], ["preview", "--refresh"]]) {
      const before = proxy.replayed;
      const r = await stack.run(args, { allowFailure: true });
      assert.ok(proxy.replayed > before, `pulumi ${args.join(" ")} was served the replayed timestamp`);
      assert.notEqual(r.code, 0, `pulumi ${args.join(" ")} fails`);
      assert.match(r.stdout + r.stderr, /METADATA_ROLLBACK: the server served [\w/]+ version \d+, older than version \d+ already trusted/);
      assert.match(r.stdout + r.stderr, /NOTARY_ACCEPT_ROLLBACK=true pulumi refresh/, "says how to accept it deliberately");
    }
    assert.equal((await tagState())["serverDigest"], m2.digest, "the state still says what the server really holds");
  });

  it("without the replay the same commands pass; NOTARY_ACCEPT_ROLLBACK=true accepts it deliberately", async () => {
    proxy.live();
    await stack.refresh();
    await stack.preview(["--refresh", "--expect-no-changes"]);
    proxy.replay();
    await stack.refresh([], { env: { NOTARY_ACCEPT_ROLLBACK: "true" } });
    assert.equal((await tagState())["serverDigest"], m1.digest, "the older state was accepted, as asked");
    proxy.live();
    await stack.refresh();
    assert.equal((await tagState())["serverDigest"], m2.digest, "and the live state again once the server serves it");
  });

  it("a frozen timestamp (every command served the old one): up re-pointing the tag fails with METADATA_ROLLBACK before any write, not as lost races", async () => {
    await stack.setConfig({ "notary-quickstart:digest": m3.digest, "notary-quickstart:size": String(m3.size) });
    const before = await serverFingerprint(server, gun);
    proxy.replay();
    for (const args of [["preview", "--refresh"], ["up", "--yes"], ["up", "--yes"]]) {
      const r = await stack.run(args, { allowFailure: true });
      assert.notEqual(r.code, 0, `pulumi ${args.join(" ")} fails`);
      assert.match(r.stdout + r.stderr, /METADATA_ROLLBACK: the server served [\w/]+ version \d+, older than version \d+ already trusted/);
      assert.doesNotMatch(r.stdout + r.stderr, /other publishers|version races|PUBLISH_CONFLICT/);
    }
    assert.deepEqual(await serverFingerprint(server, gun), before, "nothing was published on top of the frozen files");
    assert.equal((await tagState())["serverDigest"], m2.digest, "the state keeps the truth");
    proxy.live();
    await stack.up();
    assert.equal((await tagState())["serverDigest"], m3.digest, "once the server is live again, up signs the new digest");
    await stack.preview(["--refresh", "--expect-no-changes"]);
  });
});
