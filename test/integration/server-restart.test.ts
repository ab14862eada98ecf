// Fault (issue 10): notary-server on its production storage (PostgreSQL, with notary-signer holding the timestamp key
// in PostgreSQL too) restarted in the middle of a `pulumi up` of 40 SignedTags (bench/program, real CLI). A proxy holds
// one publish (test/support/gate-proxy.ts) so the restart lands there; the held request then dies with the old server
// process (dropped). The tags published before the restart survive it; that `up` finishes (the SDK retries the lost
// publish with its own changes) or fails, and the next `up` converges: every
// tag signed (verified read, and the Go notary client agrees), nothing published twice, no pending operation, nothing
// left to do.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { benchStack, setupRepository, signedCount, type BenchRepo } from "../../bench/cli.ts";
import { startGateProxy, type GateProxy } from "../support/gate-proxy.ts";
import { startNotarySigner, untilServerSigns, type NotarySigner } from "../support/notary-signer.ts";
import { startPostgres, type Postgres } from "../support/postgres.ts";
import type { PulumiStack } from "../support/pulumi-cli.ts";
import { isPublish, requestCursor } from "../support/server-log.ts";
import { makeTempDir, notaryOk, startNotaryServer, type NotaryServer } from "../support/stack.ts";

const N = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("notary-server on PostgreSQL restarted in the middle of an up", () => {
  let pg: Postgres;
  let signer: NotarySigner;
  let server: NotaryServer;
  let gate: GateProxy;
  let repo: BenchRepo;
  let stack: PulumiStack;
  const names = [...Array(N).keys()].map((i) => `t${i}`);

  before(async () => {
    pg = await startPostgres();
    signer = await startNotarySigner({ postgres: pg });
    server = await startNotaryServer({ postgresUrl: pg.url, signer });
    gate = await startGateProxy(server.url);
    repo = await setupRepository(server.url, "example.com/team/restarted");
    stack = await benchStack("bench/program", "restarted", gate.url, repo, { tags: N });
  });
  after(async () => {
    await stack?.remove();
    await gate?.close();
    await server?.stop();
    await signer?.stop();
    await pg?.stop();
  });

  const notaryListed = async () => {
    const out = await notaryOk(["list", repo.gun], { trustDir: await makeTempDir("restart-notary"), server });
    return names.filter((n) => new RegExp(`^${n}\\s`, "m").test(out)).length;
  };

  it("what was published survives the restart; the next up converges with nothing signed twice", async () => {
    const cursor = requestCursor(() => server.log());
    const running = stack.up(["--skip-preview", "--parallel", "2"], { allowFailure: true });
    let done = false;
    void running.then(() => (done = true));
    for (let i = 0; i < 1200 && !done && !cursor.since().some(isPublish); i++) await sleep(50); // the first publish went through
    assert.ok(!done, `the up was still running at its first publish: ${done ? JSON.stringify((await running).stdout.slice(-2000)) : ""}`);
    gate.arm();
    await gate.held();
    await server.restart(); // the held publish's connection dies with the old process
    await gate.release({ forward: false });
    const first = await running;
    // The lost publish carried other resources' changes too: the SDK retries it with its own changes only, which the
    // restarted server takes, so this up usually succeeds; when it does not, the next one must finish the work.
    await untilServerSigns(server, repo.gun);
    const survived = await signedCount(server.url, repo, names);
    assert.ok(survived > 0, `tags published before the restart are still served (${survived} of ${N})`);
    assert.equal(await notaryListed(), survived, "the Go notary client reads the same");
    if (first.code === 0) assert.equal(survived, N, "an up that succeeded signed every tag");

    cursor.since();
    await stack.up();
    assert.equal(await signedCount(server.url, repo, names), N, "every tag is signed");
    assert.equal(await notaryListed(), N);
    const publishes = cursor.since().filter(isPublish).length;
    assert.ok(publishes <= N - survived, `${publishes} publishes for the ${N - survived} missing tags: none re-signs a tag already held`);
    await stack.preview(["--expect-no-changes"]);
    assert.deepEqual((await stack.exportState()).deployment.pending_operations ?? [], [], "no pending operation left");
  });
});
