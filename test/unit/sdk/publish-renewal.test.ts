// An expired top-level targets is renewed (re-signed with a fresh expiry) by a publish whose keys can sign targets,
// in the same upload; without the targets key such a publish is refused before anything is sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isNotaryError } from "../../../sdk/src/errors.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { keyToJson } from "../../../sdk/src/crypto/keys.ts";
import { DAY_MS, parseGoTime } from "../../../sdk/src/metadata/time.ts";
import { lookupTarget } from "../../../sdk/src/trust/read.ts";
import type { Change } from "../../../sdk/src/metadata/changes.ts";
import { fakeClock, hostedRepository, publisherOn } from "./publish-fake-server.ts";

const meta = { length: 1, hashes: { sha256: Buffer.alloc(32, 1).toString("base64") } };
const release: Change[] = [{ type: "setTarget", role: "targets/releases", name: "v1", meta }];

/** A repository whose targets (one-day lifetime) delegates targets/releases, two days later: targets has expired. */
async function expiredTargets() {
  const clock = fakeClock();
  const expiry = { targets: DAY_MS };
  const { server, root, targetsKey } = await hostedRepository(clock, expiry);
  const releasesKey = PrivateKey.generate();
  const wing = publisherOn(server, root, clock, { expiry });
  await wing.publisher.publish([{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(releasesKey.publicKey)], threshold: 1, paths: [""] }], {
    keys: [targetsKey],
  });
  clock.advance(2 * DAY_MS);
  server.accepted.length = 0;
  assert.equal((await wing.reads.read()).roles.get("targets")?.status, "expired");
  return { clock, server, targetsKey, releasesKey, wing };
}

test("a publish holding the targets key renews an expired targets in the same upload", async () => {
  const { clock, server, targetsKey, releasesKey, wing } = await expiredTargets();
  const r = await wing.publisher.publish(release, { keys: [releasesKey, targetsKey] });
  assert.deepEqual(server.accepted, [["targets", "targets/releases"]]);
  const top = r.state.roles.get("targets")!;
  assert.equal(top.status, "valid");
  assert.equal(parseGoTime(top.file.signed.expires).getTime(), clock.now().getTime() + DAY_MS);
  assert.ok(lookupTarget(r.state, "v1"));
});

test("without the targets key a publish behind an expired targets is refused before anything is sent", async () => {
  const { server, releasesKey, wing } = await expiredTargets();
  const err = await wing.publisher.publish(release, { keys: [releasesKey] }).catch((e: unknown) => e);
  assert.ok(isNotaryError(err, "METADATA_EXPIRED"), String(err));
  assert.equal(err.details?.["role"], "targets");
  assert.deepEqual(err.details?.["keyIds"], [...wing.reads.state!.root.signed.roles["targets"]!.keyids]);
  assert.ok(err.message.includes("re-sign targets"), err.message);
  assert.deepEqual(server.accepted, []);
});
