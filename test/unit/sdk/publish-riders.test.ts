// The publish wing's group commit over an in-memory server: concurrent publishes and staged intents (riders) go out
// in one upload; a rider never makes its host fail, and an owner's own publish supersedes its intent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isNotaryError, NotaryError } from "../../../sdk/src/errors.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { listTargets, lookupTarget } from "../../../sdk/src/trust/read.ts";
import type { Change } from "../../../sdk/src/metadata/changes.ts";
import { fakeClock, hostedRepository, publisherOn } from "./publish-fake-server.ts";

const meta = (n: number) => ({ length: n, hashes: { sha256: Buffer.alloc(32, n).toString("base64") } });
const set = (name: string, n: number): Change[] => [{ type: "setTarget", role: "targets", name, meta: meta(n) }];

test("concurrent publishes and staged intents ride in one upload", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const { publisher, counters } = publisherOn(server, root, clock);
  publisher.stage("r1", set("r1", 1), { keys: [targetsKey] });
  publisher.stage("r2", set("r2", 2), { keys: [targetsKey] });
  assert.equal(publisher.stagedCount, 2);
  const results = await Promise.all(["a", "b", "c"].map((name, i) => publisher.publish(set(name, 10 + i), { keys: [targetsKey] })));
  assert.deepEqual(server.accepted, [["targets"]], "one upload carried every change");
  assert.equal(counters.publishes, 1);
  for (const r of results) {
    assert.equal(r.attempts, 1);
    assert.deepEqual(r.published, ["targets"]);
    assert.deepEqual(listTargets(r.state, ["targets"]).map((t) => t.name).sort(), ["a", "b", "c", "r1", "r2"]);
  }
  assert.equal(publisher.stagedCount, 0, "the riders are forgotten once published");
});

test("a rider whose keys cannot sign its role is left behind; the publish it rode with goes through", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const { publisher } = publisherOn(server, root, clock);
  publisher.stage("stranger", set("s", 1), { keys: [PrivateKey.generate()] });
  const r = await publisher.publish(set("mine", 2), { keys: [targetsKey] });
  assert.ok(lookupTarget(r.state, "mine"));
  assert.equal(lookupTarget(r.state, "s"), undefined, "the stranger's intent was not signed with someone else's key");
  assert.equal(publisher.stagedCount, 0);
});

test("an upload refused while riders are aboard is retried without them, at no cost of an attempt", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const sent: string[][] = [];
  const upload = async (files: readonly { role: string; bytes: Uint8Array }[]) => {
    sent.push(files.map((f) => f.role));
    if (sent.length === 1) throw new NotaryError("SERVER_REJECTED", "refused (a rider's change, say)");
    await server.upload(files);
  };
  const { publisher } = publisherOn(server, root, clock, { upload });
  publisher.stage("rider", set("rider", 1), { keys: [targetsKey] });
  const r = await publisher.publish(set("own", 2), { keys: [targetsKey] });
  assert.equal(sent.length, 2);
  assert.equal(r.attempts, 1);
  assert.ok(lookupTarget(r.state, "own"));
  assert.equal(lookupTarget(r.state, "rider"), undefined);
  assert.equal(publisher.stagedCount, 0, "the rider that was refused is dropped, not retried for ever");
});

test("the same refusal without riders fails the publish with the server's error", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const upload = async () => {
    throw new NotaryError("SERVER_REJECTED", "refused");
  };
  const { publisher } = publisherOn(server, root, clock, { upload });
  await assert.rejects(publisher.publish(set("own", 2), { keys: [targetsKey] }), (e) => isNotaryError(e, "SERVER_REJECTED"));
});

test("an owner's own publish supersedes the intent it staged", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const { publisher } = publisherOn(server, root, clock);
  publisher.stage("tag:v1", set("v1", 1), { keys: [targetsKey] });
  const r = await publisher.publish(set("v1", 2), { keys: [targetsKey], id: "tag:v1" });
  assert.deepEqual(lookupTarget(r.state, "v1")?.meta, meta(2));
  assert.equal(publisher.stagedCount, 0);
});

test("an intent whose owner never came expires instead of riding along", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const { publisher } = publisherOn(server, root, clock);
  publisher.stage("late", set("late", 1), { keys: [targetsKey], ttlMs: 1000 });
  clock.advance(1001);
  const r = await publisher.publish(set("now", 2), { keys: [targetsKey] });
  assert.equal(lookupTarget(r.state, "late"), undefined);
  assert.equal(publisher.stagedCount, 0);
});

test("changes already in effect are answered at once, without an upload", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const { publisher } = publisherOn(server, root, clock);
  await publisher.publish(set("v1", 1), { keys: [targetsKey] });
  await new Promise(setImmediate); // the group commit that carried it has finished
  const r = await publisher.publish(set("v1", 1), { keys: [targetsKey] });
  assert.deepEqual(r, { state: r.state, published: [], attempts: 0 });
  assert.equal(server.accepted.length, 1);
});
