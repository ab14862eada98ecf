// The publish wing lingers while changes are still being staged, so one upload carries them all, and never longer
// than LINGER_MAX_MS; without staging a publish starts at once. Time is a hand-driven clock: nothing really waits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { listTargets } from "../../../sdk/src/trust/read.ts";
import { LINGER_MAX_MS, LINGER_QUIET_MS } from "../../../sdk/src/publish/linger.ts";
import type { Change } from "../../../sdk/src/metadata/changes.ts";
import { fakeClock, hostedRepository, publisherOn } from "./publish-fake-server.ts";

const meta = (n: number) => ({ length: n, hashes: { sha256: Buffer.alloc(32, n % 256).toString("base64") } });
const set = (name: string, n: number): Change[] => [{ type: "setTarget", role: "targets", name, meta: meta(n) }];

test("without staging going on a publish starts at once", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const { publisher } = publisherOn(server, root, clock);
  await publisher.publish(set("a", 1), { keys: [targetsKey] });
  assert.deepEqual(clock.sleeps, []);
});

test("a publish waits until staging has paused for the quiet time, then carries what was staged", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const { publisher } = publisherOn(server, root, clock);
  publisher.stage("s1", set("s1", 1), { keys: [targetsKey] });
  clock.advance(10);
  // Another intent staged while the publish lingers (during its first wait) restarts the quiet time.
  clock.onSleep = () => {
    clock.onSleep = undefined;
    publisher.stage("s2", set("s2", 3), { keys: [targetsKey] });
  };
  const r = await publisher.publish(set("a", 2), { keys: [targetsKey] });
  assert.deepEqual(clock.sleeps, [LINGER_QUIET_MS - 10, LINGER_QUIET_MS]);
  assert.deepEqual(listTargets(r.state, ["targets"]).map((t) => t.name).sort(), ["a", "s1", "s2"]);
  assert.equal(server.accepted.length, 1);
});

test("staging that never pauses holds a publish for LINGER_MAX_MS at most", async () => {
  const clock = fakeClock();
  const { server, root, targetsKey } = await hostedRepository(clock);
  const { publisher } = publisherOn(server, root, clock);
  let n = 0;
  clock.onSleep = () => publisher.stage(`s${n}`, set(`s${n}`, n++), { keys: [targetsKey] });
  publisher.stage("first", set("first", 999), { keys: [targetsKey] });
  const r = await publisher.publish(set("a", 1000), { keys: [targetsKey] });
  clock.onSleep = undefined;
  assert.equal(clock.sleeps.reduce((a, b) => a + b, 0), LINGER_MAX_MS);
  assert.equal(listTargets(r.state, ["targets"]).length, n + 2, "every intent staged meanwhile rode along");
});
