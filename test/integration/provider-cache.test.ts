// The provider host's cache of verified state, through the real dynamic provider host against a real notary-server:
// a host process (one `pulumi` command) fetches each repository's verified state once, every Read of that run uses it,
// and only a new command (a new host) sees what changed on the server meanwhile. The server's request log counts the
// verified fetches: each one GETs root.json and timestamp.json exactly once.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { makeTempDir } from "../support/stack.ts";
import {
  envPerFile,
  goal,
  importKeys,
  type LoggedRequest,
  newKey,
  notary,
  publicKeyFile,
  pulumiUp,
  type RepoFixture,
  repoRef,
  secret,
  serverRequests,
  stripSecrets,
  upRepository,
  urnOf,
  withoutNetwork,
} from "./provider-helpers.ts";

let repo: RepoFixture;
const env = envPerFile("cache-test", async (env) => {
  repo = await upRepository(env, "repo", env.gun("team/cached"));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Requests the server logs while `fn` runs (after a settle time: it logs after answering). */
async function requestsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; requests: LoggedRequest[] }> {
  await sleep(100);
  const n = serverRequests(env.server).length;
  const result = await fn();
  await sleep(250);
  return { result, requests: serverRequests(env.server).slice(n) };
}

/** How many verified fetches of the repository the requests hold: GETs of root.json and of timestamp.json. */
function fetchesIn(requests: LoggedRequest[]): { root: number; timestamp: number } {
  const base = `/v2/${repo.gun}/_trust/tuf/`;
  const gets = requests.filter((r) => r.method === "GET");
  return { root: gets.filter((r) => r.uri === `${base}root.json`).length, timestamp: gets.filter((r) => r.uri === `${base}timestamp.json`).length };
}

function manifest(): { digest: string; size: number } {
  const bytes = randomBytes(300);
  return { digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`, size: bytes.length };
}

describe("verified state is cached per host process (one `pulumi` command)", () => {
  test("N reads of one repository in one host: one verified fetch; a refresh in a new host sees an out-of-band change", async () => {
    // One `pulumi up` creates a delegation, a signer and three tags in the repository.
    const ci = newKey("ci");
    const alice = newKey("alice");
    let engine = await env.command("up");
    await engine.up(await goal("delegation", "ci", { ...repoRef(repo), role: "targets/ci", keys: [ci.pub], parentKey: secret(repo.targets.pem) }));
    await engine.up(await goal("signer", "alice", { ...repoRef(repo), name: "alice", keys: [alice.pub], targetsKey: secret(repo.targets.pem) }));
    for (const tag of ["t1", "t2", "t3"]) {
      await engine.up(await goal("signedTag", tag, { ...repoRef(repo), tag, ...manifest(), signingKeys: [secret(alice.pem)] }));
    }
    const urns = [
      urnOf(env, "repository", "repo"),
      urnOf(env, "delegation", "ci"),
      urnOf(env, "signer", "alice"),
      ...["t1", "t2", "t3"].map((t) => urnOf(env, "signedTag", t)),
    ];
    assert.ok(urns.every((u) => env.stack.get(u)), "all six resources are in the stack");

    // `pulumi refresh` (a new host), reads one after the other: one verified fetch for all six.
    engine = await env.command("refresh");
    const seq = await requestsDuring(async () => {
      const out = [];
      for (const u of urns) out.push(await engine.refresh(u));
      return out;
    });
    assert.deepEqual(fetchesIn(seq.requests), { root: 1, timestamp: 1 }, `one verified fetch for ${urns.length} reads: ${JSON.stringify(seq.requests)}`);
    assert.ok(seq.requests.every((r) => r.method === "GET"), "reads only");
    assert.deepEqual(seq.result.map((r) => r.op), urns.map(() => "refresh"), "all six found");
    assert.deepEqual(stripSecrets(seq.result[1]!.outputs)["serverKeyIds"], [ci.id]);
    // The same host reads again: no request at all (the cached verified state).
    await withoutNetwork(env, "reads in the same host", async () => {
      for (const u of urns) await engine.refresh(u);
    });

    // Another `pulumi refresh` whose reads run concurrently (the engine runs refresh steps in parallel): one fetch,
    // shared by all of them.
    engine = await env.command("refresh");
    const par = await requestsDuring(() => Promise.all(urns.map((u) => engine.refresh(u))));
    assert.deepEqual(fetchesIn(par.requests), { root: 1, timestamp: 1 }, `one verified fetch for ${urns.length} concurrent reads: ${JSON.stringify(par.requests)}`);
    assert.ok(par.result.every((r) => !r.changed), "the same server state as the previous refresh");

    // Out of band: another client adds a key to targets/ci.
    const stranger = newKey("stranger");
    const elsewhere = await makeTempDir("elsewhere");
    await importKeys(env, elsewhere, [{ key: repo.targets, role: "targets", gun: repo.gun }]);
    await notary(env, ["delegation", "add", repo.gun, "targets/ci", await publicKeyFile(stranger, "stranger"), "-p"], { trustDir: elsewhere });
    const delegationUrn = urnOf(env, "delegation", "ci");

    // The host of the running command keeps the state it verified: its Read makes no request and sees no change.
    const stale = await withoutNetwork(env, "read in the host that already fetched", () => engine.refresh(delegationUrn));
    assert.equal(stale.changed, false);
    assert.deepEqual(stripSecrets(stale.outputs)["serverKeyIds"], [ci.id]);

    // The next `pulumi refresh` is a new host: one verified fetch, and the Read shows the new key.
    engine = await env.command("refresh");
    const next = await requestsDuring(() => engine.refresh(delegationUrn));
    assert.deepEqual(fetchesIn(next.requests), { root: 1, timestamp: 1 });
    assert.equal(next.result.changed, true);
    assert.deepEqual([...(stripSecrets(next.result.outputs)["serverKeyIds"] as string[])].sort(), [ci.id, stranger.id].sort());
    // The rest of that refresh uses the state it just verified (no further request). The Repository keeps `verified`,
    // what its own last operation verified (a refresh is not a write; its RepositoryStatus records the server).
    const verified = (stripSecrets(env.stack.get(urns[0]!)!.outputs) as Record<string, any>)["verified"];
    const rest = await withoutNetwork(env, "the other reads of the same refresh", () => Promise.all(urns.filter((u) => u !== delegationUrn).map((u) => engine.refresh(u))));
    assert.deepEqual((stripSecrets(rest[0]!.outputs) as Record<string, any>)["verified"], verified);

    // And the next `pulumi up` restores the declared keys (Diff from the refreshed state, Update in a new host).
    const r = await pulumiUp(env, await goal("delegation", "ci", { ...repoRef(repo), role: "targets/ci", keys: [ci.pub], parentKey: secret(repo.targets.pem) }));
    assert.equal(r.op, "update");
    assert.deepEqual(stripSecrets(r.outputs)["serverKeyIds"], [ci.id]);
  });
});
