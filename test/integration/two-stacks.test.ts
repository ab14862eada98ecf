// Fault (issue 10): two stacks (two CI jobs) run `pulumi up` on one GUN at the same time, through the real Pulumi CLI
// (bench/program, 6 SignedTags each, signed with the same release key into targets/releases). Both succeed, every tag
// of both is signed (a verified read and the notary CLI agree), and each stack's `preview --expect-no-changes` passes
// afterwards: nothing lost to the version race, nothing to sign again.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { benchStack, setupRepository, signedCount, type BenchRepo } from "../../bench/cli.ts";
import { PulumiStack } from "../support/pulumi-cli.ts";
import { makeTempDir, notaryOk, startNotaryServer, type NotaryServer } from "../support/stack.ts";
import { parseNotaryList } from "./interop-helpers.ts";

const N = 6;

describe("two stacks signing on one GUN at once", () => {
  let server: NotaryServer;
  let repo: BenchRepo;
  const stacks: PulumiStack[] = [];
  before(async () => {
    server = await startNotaryServer();
    repo = await setupRepository(server.url, "example.com/team/two-stacks");
    for (const prefix of ["a", "b"]) stacks.push(await benchStack("bench/program", `two-${prefix}`, server.url, repo, { tags: N, salt: prefix, prefix }));
  });
  after(async () => {
    for (const s of stacks) await s.remove();
    await server?.stop();
  });

  it("both ups succeed and every tag of both is signed; nothing is left to do", async () => {
    const results = await Promise.all(stacks.map((s) => s.up()));
    for (const r of results) assert.match(r.stdout, new RegExp(`Resources:\\n\\s+\\+ ${N + 1} created`));
    const names = ["a", "b"].flatMap((p) => [...Array(N).keys()].map((i) => `${p}${i}`));
    assert.equal(await signedCount(server.url, repo, names), 2 * N, "a verified read finds all of them");
    const listed = parseNotaryList(await notaryOk(["list", repo.gun], { trustDir: await makeTempDir("two-stacks"), server }));
    assert.deepEqual(listed.map((x) => x.name).sort(), names.sort(), "and so does the notary CLI");
    for (const s of stacks) await s.preview(["--expect-no-changes"]);
  });
});
