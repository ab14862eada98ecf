// StagingPace: how long a group commit waits for more staged changes, from the pace of the stagings so far.
import { test } from "node:test";
import assert from "node:assert/strict";
import { StagingPace, LINGER_QUIET_MS, LINGER_MIN_QUIET_MS, LINGER_PACE_STAGES } from "../../../sdk/src/publish/linger.ts";

function paced(gaps: number[], start = 1000): StagingPace {
  const p = new StagingPace();
  let t = start;
  p.note(t);
  for (const g of gaps) p.note((t += g));
  return p;
}

test("without a steady stream of stagings the quiet time is the default", () => {
  assert.equal(new StagingPace().quietMs(), LINGER_QUIET_MS);
  assert.equal(paced([]).quietMs(), LINGER_QUIET_MS, "one staging");
  assert.equal(paced(Array(LINGER_PACE_STAGES - 1).fill(1)).quietMs(), LINGER_QUIET_MS, "too few quick stagings to know a pace");
});

test("a steady stream of quick stagings shortens the quiet time to ten gaps, never below the minimum", () => {
  assert.equal(paced(Array(LINGER_PACE_STAGES).fill(1)).quietMs(), LINGER_MIN_QUIET_MS, "1 ms apart: the minimum");
  assert.equal(paced(Array(LINGER_PACE_STAGES).fill(3)).quietMs(), 30, "3 ms apart: ten gaps");
  assert.equal(paced(Array(LINGER_PACE_STAGES).fill(10)).quietMs(), LINGER_QUIET_MS, "10 ms apart: capped at the default");
});

test("a pause as long as the default quiet time starts the count again", () => {
  const p = paced([...Array(LINGER_PACE_STAGES).fill(1), LINGER_QUIET_MS]);
  assert.equal(p.quietMs(), LINGER_QUIET_MS);
  assert.equal(p.lastAt, 1000 + LINGER_PACE_STAGES + LINGER_QUIET_MS);
  // and the pace is learnt anew from the stagings after it
  let t = p.lastAt;
  for (let i = 0; i < LINGER_PACE_STAGES; i++) p.note((t += 2));
  assert.equal(p.quietMs(), LINGER_MIN_QUIET_MS);
});

test("the pace is a moving average: one slow staging in a fast stream lengthens the quiet time a little", () => {
  const p = paced([...Array(LINGER_PACE_STAGES).fill(1), 40]);
  assert.equal(Math.round(p.quietMs()), Math.round(10 * (1 * 0.9 + 40 * 0.1)));
});
