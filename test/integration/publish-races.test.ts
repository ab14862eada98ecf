// Lost-update safety against the real notary-server: a publisher whose verified state is stale must never replace
// what another publisher wrote, even where the server's version check alone would not catch it (a delegation file
// that did not exist when the stale state was fetched).
import { test } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import assert from "node:assert/strict";
import { NotaryClient, PrivateKey, keyToJson, listTargets } from "../../sdk/src/index.ts";

const server = notaryServerPerFile();

const meta = (n: number) => ({ length: n, hashes: { sha256: Buffer.alloc(32, n).toString("base64") } });

test("a stale publisher adding to a delegation file another publisher just created keeps both targets", async () => {
  const gun = "races.example.com/new-file";
  const root = PrivateKey.generate();
  const targets = PrivateKey.generate();
  const rel = PrivateKey.generate();
  const setup = new NotaryClient({ url: server.url });
  const repo0 = setup.repository(gun, { anchor: { tofu: true } });
  await repo0.initialize({ rootKey: root, targetsKey: targets });
  // Declared, but no targets/releases.json yet (notary creates the file on the first target).
  await repo0.publish([{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(rel.publicKey)], threshold: 1, paths: [""] }], { keys: [targets] });
  const trustedRoot = repo0.state!.root.bytes;

  const a = new NotaryClient({ url: server.url });
  const b = new NotaryClient({ url: server.url });
  const repoA = a.repository(gun, { anchor: { trustedRoot } });
  const repoB = b.repository(gun, { anchor: { trustedRoot } });
  await repoA.fetch();
  await repoB.fetch(); // B's state: the delegation exists, its file does not
  await repoA.publish([{ type: "setTarget", role: "targets/releases", name: "from-a", meta: meta(1) }], { keys: [rel] });
  const r = await repoB.publish([{ type: "setTarget", role: "targets/releases", name: "from-b", meta: meta(2) }], { keys: [rel] });
  assert.ok(r.attempts >= 2, "B noticed its state was stale and retried on fresh state");

  const check = new NotaryClient({ url: server.url });
  const st = await check.repository(gun, { anchor: { trustedRoot } }).fetch();
  assert.deepEqual(listTargets(st, ["targets/releases"]).map((t) => t.name).sort(), ["from-a", "from-b"]);
  for (const c of [setup, a, b, check]) await c.close();
});
