// Version races against another process publishing to the same in-memory server: a lost race is retried on fresh
// state (both processes' changes kept), a race lost every time is PUBLISH_CONFLICT, and a replayed read-back after
// our own upload is a rollback, never blamed on other publishers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isNotaryError } from "../../../sdk/src/errors.ts";
import { listTargets } from "../../../sdk/src/trust/read.ts";
import type { Change } from "../../../sdk/src/metadata/changes.ts";
import { fakeClock, hostedRepository, publisherOn } from "./publish-fake-server.ts";

const meta = (n: number) => ({ length: n, hashes: { sha256: Buffer.alloc(32, n).toString("base64") } });
const set = (name: string, n: number): Change[] => [{ type: "setTarget", role: "targets", name, meta: meta(n) }];
type File = { role: string; bytes: Uint8Array };

/** Two processes on one server: `ours`, whose uploads are preceded by a publish of the rival's while `rivalFirst()`. */
async function twoPublishers(rivalFirst: () => boolean, maxAttempts?: number) {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const rival = publisherOn(server, root, clock);
  let rivals = 0;
  const upload = async (files: readonly File[]) => {
    if (rivalFirst()) await rival.publisher.publish(set(`rival${rivals}`, 100 + rivals++), { keys: [targetsKey] });
    await server.upload(files);
  };
  const ours = publisherOn(server, root, clock, { upload, ...(maxAttempts ? { maxAttempts } : {}) });
  return { clock, server, targetsKey, ours, rivalCount: () => rivals };
}

test("a version race lost once is retried on fresh state, keeping both publishers' changes", async () => {
  let first = true;
  const { clock, server, targetsKey, ours } = await twoPublishers(() => (first ? !(first = false) : false));
  const r = await ours.publisher.publish(set("ours", 1), { keys: [targetsKey] });
  assert.equal(r.attempts, 2);
  assert.equal(ours.counters.conflicts, 1);
  assert.equal(server.refused, 1);
  assert.equal(clock.sleeps.length, 1, "one back-off before the second attempt");
  assert.ok(clock.sleeps[0]! >= 25 && clock.sleeps[0]! <= 75, `back-off ${clock.sleeps[0]} ms`);
  assert.deepEqual(listTargets(r.state, ["targets"]).map((t) => t.name).sort(), ["ours", "rival0"]);
});

test("a race lost on every attempt is PUBLISH_CONFLICT after maxAttempts attempts", async () => {
  const { server, targetsKey, ours, rivalCount } = await twoPublishers(() => true, 3);
  const err = await ours.publisher.publish(set("ours", 1), { keys: [targetsKey] }).catch((e: unknown) => e);
  assert.ok(isNotaryError(err, "PUBLISH_CONFLICT"), String(err));
  assert.equal(err.details?.["attempts"], 3);
  assert.ok(isNotaryError(err.cause, "SERVER_VERSION_CONFLICT"), "the last lost race is the cause");
  assert.equal(server.refused, 3);
  assert.equal(rivalCount(), 3);
  assert.equal(ours.counters.conflicts, 2, "races retried (the last one is reported instead)");
  assert.equal(ours.counters.publishes, 0);
});

test("a replayed read-back after our own upload is METADATA_ROLLBACK, not a lost race", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  let replay = false;
  const upload = async (files: readonly File[]) => {
    const before = server.timestamp;
    await server.upload(files);
    if (replay) server.replayTimestamp = before; // a proxy serving the state from before our publish
  };
  const { publisher, counters } = publisherOn(server, root, clock, { upload });
  await publisher.publish(set("v1", 1), { keys: [targetsKey] });
  replay = true;
  const err = await publisher.publish(set("v2", 2), { keys: [targetsKey] }).catch((e: unknown) => e);
  assert.ok(isNotaryError(err, "METADATA_ROLLBACK"), String(err));
  assert.equal(err.details?.["role"], "timestamp");
  assert.doesNotMatch(err.message, /other publishers|version races/);
  assert.equal(counters.conflicts, 0);
  assert.equal(server.accepted.length, 2, "the upload itself was accepted");
});
