// Progress of long operations: a slow publish or fetch says so after a while, again periodically, and when done; a
// quick one says nothing. The repository handle is wrapped once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { reportingProgress, timed } from "../../../provider/src/runtime/progress.ts";
import { NotaryClient } from "../../../sdk/src/client.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("timed: silent when quick; after the threshold, periodic lines and a last one", async () => {
  const lines: string[] = [];
  const o = { afterMs: 30, everyMs: 40, write: (l: string) => lines.push(l) };
  assert.equal(await timed("quick", async () => 1, o), 1);
  assert.deepEqual(lines, []);
  await timed("publishing to example.com/app", () => sleep(600), o); // long enough for the timers on a loaded machine
  assert.ok(lines.length >= 2, lines.join("\n"));
  assert.match(lines[0]!, /^notary: publishing to example\.com\/app \(\d+ s\)…$/);
  assert.match(lines.at(-1)!, /^notary: publishing to example\.com\/app: done in \d+ s$/);
  lines.length = 0;
  await assert.rejects(timed("failing", async () => Promise.reject(new Error("x")), o));
  assert.deepEqual(lines, [], "a quick failure says nothing either");
});

test("reportingProgress wraps a repository's publish and fetch once", async () => {
  const client = new NotaryClient({ url: "http://127.0.0.1:1" });
  try {
    const repo = client.repository("example.com/team/app");
    const publish = repo.publish;
    assert.equal(reportingProgress(repo), repo);
    const wrapped = repo.publish;
    assert.notEqual(wrapped, publish);
    reportingProgress(repo);
    assert.equal(repo.publish, wrapped, "not wrapped twice");
  } finally {
    await client.close();
  }
});
