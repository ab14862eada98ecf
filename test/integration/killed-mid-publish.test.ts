// Faults (issue 10): a process killed in the middle of a publish, through the real Pulumi CLI with bench/program (40
// SignedTags). A proxy holds the first publish (test/support/gate-proxy.ts), so the kill lands at a known point: the
// provider host killed while its publish is in flight (the server then applies it: published, but nobody was told),
// and the CLI killed with everything it started (a cancelled CI job) while its publish is held (then dropped). After
// each, the commands a user runs converge: every tag signed (verified read), the state says so, nothing left to do,
// and nothing already on the server is published again.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { benchStack, setupRepository, type BenchRepo } from "../../bench/cli.ts";
import { PULUMI_BIN, type PulumiStack } from "../support/pulumi-cli.ts";
import { startGateProxy, type GateProxy } from "../support/gate-proxy.ts";
import { isPublish, requestCursor } from "../support/server-log.ts";
import { startNotaryServer, type NotaryServer } from "../support/stack.ts";
import { NotaryClient } from "../../sdk/src/client.ts";
import { listTargets } from "../../sdk/src/trust/read.ts";

const N = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILL every process running with `pulumiHome` as its PULUMI_HOME whose command line matches `what`. */
function killByHome(pulumiHome: string, what: RegExp): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`PULUMI_HOME=${pulumiHome}`)) continue;
      if (!what.test(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "))) continue;
      process.kill(Number(pid), "SIGKILL");
      n++;
    } catch {
      /* gone, or not ours */
    }
  }
  return n;
}

let server: NotaryServer;
let gate: GateProxy;
before(async () => {
  server = await startNotaryServer();
});
after(async () => {
  await server?.stop();
});

describe("a process killed in the middle of a publish", () => {
  let repo: BenchRepo;
  let stack: PulumiStack;
  const names = [...Array(N).keys()].map((i) => `t${i}`);
  const stacks: PulumiStack[] = [];
  after(async () => {
    for (const s of stacks) await s.remove();
  });

  const setup = async (name: string) => {
    gate = await startGateProxy(server.url);
    repo = await setupRepository(server.url, `example.com/team/${name}`);
    stack = await benchStack("bench/program", name, gate.url, repo, { tags: N });
    stacks.push(stack);
  };
  const held = async () => {
    const c = new NotaryClient({ url: server.url });
    try {
      const st = await c.repository(repo.gun, { anchor: { trustedRoot: repo.trustedRoot } }).fetch();
      return new Set(listTargets(st, ["targets/releases"]).map((t) => t.name));
    } finally {
      await c.close();
    }
  };
  /** The user's way back, then: every tag signed once, the state in step, nothing left to do. */
  const converges = async (before: Set<string>, cursor: { since(): unknown[] }) => {
    cursor.since();
    const up = await stack.up([], { allowFailure: true });
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const after = await held();
    assert.deepEqual([...after].sort(), [...names].sort(), "every tag is signed");
    await stack.preview(["--expect-no-changes"]);
    assert.deepEqual((await stack.exportState()).deployment.pending_operations ?? [], [], "no pending operation left");
    const publishes = (cursor.since() as Parameters<typeof isPublish>[0][]).filter(isPublish).length;
    assert.ok(publishes <= N - before.size, `${publishes} publishes for the ${N - before.size} missing tags: none re-signs a tag already held`);
    return up;
  };

  it("the provider host killed while its publish is in flight (the server applies it): up fails, the next up converges", async () => {
    await setup("killed-host");
    const cursor = requestCursor(() => server.log());
    gate.arm();
    const running = stack.up(["--skip-preview"], { allowFailure: true });
    await gate.held();
    assert.ok(killByHome(stack.env()["PULUMI_HOME"]!, /dynamic-provider/) > 0, "a provider host was killed");
    assert.equal(await gate.release({ forward: true }), 200, "the server applied the publish");
    const failed = await running;
    assert.notEqual(failed.code, 0, "the up fails");
    const before = await held();
    assert.ok(before.size > 0, `the held publish signed tags nobody was told of (${before.size})`);
    await converges(before, cursor);
    await gate.close();
  });

  it("the CLI killed with everything it started while its publish is held (then lost): cancel, refresh, up converge", async () => {
    await setup("killed-cli");
    const cursor = requestCursor(() => server.log());
    gate.arm();
    const args = ["--non-interactive", "--color", "never", "--stack", stack.stack, "up", "--yes", "--skip-preview"];
    const child = spawn(path.join(PULUMI_BIN, "pulumi"), args, { cwd: stack.dir, env: stack.env(), detached: true, stdio: "ignore" });
    const exited = new Promise<number | null>((r) => child.on("close", r));
    await gate.held();
    await sleep(1000); // the engine is waiting on the publish: no checkpoint is being written
    process.kill(-child.pid!, "SIGKILL");
    await exited;
    killByHome(stack.env()["PULUMI_HOME"]!, /./); // the plugins, in process groups of their own, die with the job too
    await gate.release({ forward: false });
    const before = await held();
    assert.equal(before.size, 0, "nothing was published");
    const pending = (await stack.exportState()).deployment.pending_operations ?? [];
    assert.ok(pending.length > 0, "the state has pending creates");
    // What the CLI tells the user: the killed update's lock, then the pending creates.
    await stack.run(["cancel", "--yes"]);
    await stack.refresh(["--clear-pending-creates"]);
    await converges(before, cursor);
    await gate.close();
  });
});
