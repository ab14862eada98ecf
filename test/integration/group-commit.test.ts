// Group commit against the real notary-server: a publish whose target changes are already in effect (they rode along
// with an earlier publish) is answered at once, not held for the next group commit; and never when a queued publish
// could still undo it.
import { test } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import assert from "node:assert/strict";
import { requestCursor, isPublish } from "../support/server-log.ts";
import { NotaryClient, PrivateKey, isNotaryError, listTargets, type Repository } from "../../sdk/src/index.ts";

const server = notaryServerPerFile();

const meta = (n: number) => ({ length: n, hashes: { sha256: Buffer.alloc(32, n).toString("base64") } });
const set = (name: string, n: number) => ({ type: "setTarget" as const, role: "targets", name, meta: meta(n) });

async function freshRepo(gun: string): Promise<{ client: NotaryClient; repo: Repository; targets: PrivateKey }> {
  const client = new NotaryClient({ url: server.url });
  const repo = client.repository(gun, { anchor: { tofu: true } });
  const targets = PrivateKey.generate();
  await repo.initialize({ rootKey: PrivateKey.generate(), targetsKey: targets });
  return { client, repo, targets };
}

test("a change that already rode along is answered at once, ahead of a lingering group commit", async () => {
  const { client, repo, targets } = await freshRepo("group.example.com/in-effect");
  // t1 is staged (as a check would) and rides along with t0's publish.
  repo.stage("tag:t1", [set("t1", 1)], { keys: [targets] });
  const first = await repo.publish([set("t0", 0)], { keys: [targets], id: "tag:t0" });
  assert.ok(first.published.includes("targets"));
  assert.ok(listTargets(first.state, ["targets"]).some((t) => t.name === "t1"), "the staged intent was published");

  const cursor = requestCursor(() => server.log());
  cursor.since();
  // Another intent keeps the next group commit lingering; t2's publish waits for it, t1's owner need not.
  repo.stage("tag:t3", [set("t3", 3)], { keys: [targets] });
  const order: string[] = [];
  const t2 = repo.publish([set("t2", 2)], { keys: [targets], id: "tag:t2" }).then((r) => (order.push("t2"), r));
  const t1 = repo.publish([set("t1", 1)], { keys: [targets], id: "tag:t1" }).then((r) => (order.push("t1"), r));
  const [r2, r1] = await Promise.all([t2, t1]);
  assert.deepEqual(order, ["t1", "t2"], "the change already in effect did not wait for the group commit");
  assert.deepEqual(r1.published, []);
  assert.equal(r1.attempts, 0);
  assert.ok(r2.published.includes("targets"));
  await new Promise((r) => setTimeout(r, 200)); // let the server flush its log
  assert.equal(cursor.since().filter(isPublish).length, 1, "one publish carried t2 and the staged t3; t1 sent nothing");
  assert.deepEqual(listTargets(r2.state, ["targets"]).map((t) => t.name).sort(), ["t0", "t1", "t2", "t3"]);
  await client.close();
});

test("a change in effect now is not answered early when a queued publish would undo it", async () => {
  const { client, repo, targets } = await freshRepo("group.example.com/undo");
  await repo.publish([set("t", 1)], { keys: [targets] });
  repo.stage("other", [set("u", 2)], { keys: [targets] }); // keeps the removal lingering
  const removal = repo.publish([{ type: "removeTarget", role: "targets", name: "t" }], { keys: [targets], id: "remove" });
  const again = repo.publish([set("t", 1)], { keys: [targets], id: "set-again" });
  const [, r] = await Promise.all([removal, again]);
  assert.ok(r.published.includes("targets"), "the later set went through the publish queue");
  const check = new NotaryClient({ url: server.url });
  const st = await check.repository("group.example.com/undo", { anchor: { trustedRoot: repo.state!.root.bytes } }).fetch();
  const t = listTargets(st, ["targets"]).find((x) => x.name === "t");
  assert.ok(t, "the later set wins over the earlier removal");
  await check.close();
  await client.close();
});

test("a change in effect with keys that cannot sign its role is still refused", async () => {
  const { client, repo, targets } = await freshRepo("group.example.com/keys");
  await repo.publish([set("t", 1)], { keys: [targets] });
  const stranger = PrivateKey.generate();
  await assert.rejects(repo.publish([set("t", 1)], { keys: [stranger] }), (e) => isNotaryError(e, "SIGNING_KEY_MISSING") && (e as Error).message.includes(targets.id));
  await client.close();
});
