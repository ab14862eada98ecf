// Fault (issue 10): `pulumi up` killed in the middle of its publishes (the CLI and everything it started, as a
// cancelled CI job is), through the real Pulumi CLI with bench/program (40 SignedTags). The state is left with
// pending creates and the stack locked; the user's way back — `pulumi cancel`, `pulumi refresh
// --clear-pending-creates`, then `pulumi up` — converges:
// every tag signed (verified read), the state says so, nothing left to do, and the tags published before the kill are
// not published again.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { benchStack, setupRepository, signedCount, type BenchRepo } from "../../bench/cli.ts";
import { PULUMI_BIN, PulumiStack } from "../support/pulumi-cli.ts";
import { isPublish, requestCursor } from "../support/server-log.ts";
import { startNotaryServer, type NotaryServer } from "../support/stack.ts";
import { NotaryClient } from "../../sdk/src/client.ts";
import { listTargets } from "../../sdk/src/trust/read.ts";

const N = 40;

/**
 * Kills every process that runs with `pulumiHome` as its PULUMI_HOME: the plugins a killed CLI leaves behind (the
 * engine starts each plugin in a process group of its own, so killing the CLI's group does not reach them).
 */
function killLeftovers(pulumiHome: string): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`PULUMI_HOME=${pulumiHome}`)) continue;
      process.kill(Number(pid), "SIGKILL");
      n++;
    } catch {
      /* gone, or not ours */
    }
  }
  return n;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("pulumi up killed in the middle of its publishes", () => {
  let server: NotaryServer;
  let repo: BenchRepo;
  let stack: PulumiStack;
  const names = [...Array(N).keys()].map((i) => `t${i}`);
  before(async () => {
    server = await startNotaryServer();
    repo = await setupRepository(server.url, "example.com/team/killed");
    stack = await benchStack("bench/program", "killed", server.url, repo, { tags: N });
  });
  after(async () => {
    await stack?.remove();
    await server?.stop();
  });

  const held = async () => {
    const c = new NotaryClient({ url: server.url });
    try {
      const st = await c.repository(repo.gun, { anchor: { trustedRoot: repo.trustedRoot } }).fetch();
      return new Set(listTargets(st, ["targets/releases"]).map((t) => t.name));
    } finally {
      await c.close();
    }
  };

  it("leaves pending creates; refresh --clear-pending-creates then up converges, nothing published twice", async () => {
    const cursor = requestCursor(() => server.log());
    // The CLI in a process group of its own, killed with everything it started once the first publish went through.
    const args = ["--non-interactive", "--color", "never", "--stack", stack.stack, "up", "--yes", "--skip-preview", "--parallel", "2"];
    const child = spawn(path.join(PULUMI_BIN, "pulumi"), args, { cwd: stack.dir, env: stack.env(), detached: true, stdio: "ignore" });
    const exited = new Promise<number | null>((r) => child.on("close", r));
    let publishes = 0;
    for (let i = 0; i < 600 && publishes === 0; i++) {
      await sleep(100);
      publishes += cursor.since().filter(isPublish).length;
    }
    assert.ok(publishes > 0, "a publish happened before the kill");
    process.kill(-child.pid!, "SIGKILL");
    await exited;
    killLeftovers(stack.env()["PULUMI_HOME"]!); // the provider host the CLI started, which a cancelled CI job loses too
    await sleep(500);

    const before = await held();
    // Usually some of the 40; all of them when the first publish carried every tag the engine had checked.
    assert.ok(before.size > 0, `tags were published before the kill (${before.size} of ${N})`);
    const pending = (await stack.exportState()).deployment.pending_operations ?? [];
    assert.ok(pending.length > 0, "the state has pending operations");

    cursor.since();
    // What the CLI tells the user to do: the lock of the killed update, then the pending creates.
    await stack.run(["cancel", "--yes"]);
    await stack.refresh(["--clear-pending-creates"]);
    const up = await stack.up();
    assert.match(up.stdout, /Resources:\n\s+\+ \d+ created/);
    assert.equal(await signedCount(server.url, repo, names), N, "every tag is signed");
    await stack.preview(["--expect-no-changes"]);
    assert.deepEqual((await stack.exportState()).deployment.pending_operations ?? [], [], "no pending operation left");

    // The publishes after the restart carried only what was missing: the tags already held were not signed again.
    const after = await held();
    assert.equal(after.size, N);
    const publishedAgain = cursor.since().filter(isPublish).length;
    assert.ok(publishedAgain <= N - before.size, `${publishedAgain} publishes for ${N - before.size} missing tags`);
  });
});
