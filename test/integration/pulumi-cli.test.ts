// The Pulumi CLI the tests, the demo and the benchmark run (scripts/pulumi-cli.sh): the pinned version, stamped as
// upstream's release build stamps it; programs run by our Node.js language host with the project's Node 22, config
// and secret config reaching them; a failing program reported with its own message; nothing downloaded (no plugin in
// PULUMI_HOME); and `npm run demo` printing the CLI's own update summary.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { PULUMI_BIN, PulumiStack, ROOT } from "../support/pulumi-cli.ts";
import { runProcess } from "../support/stack.ts";

const pinned = /github\.com\/pulumi\/pulumi\/pkg\/v3 (v\S+)/.exec(readFileSync(path.join(ROOT, "tools/pulumi/go.mod"), "utf8"))![1]!;

describe("the Pulumi CLI built from Go modules", () => {
  let stack: PulumiStack;
  before(async () => {
    stack = await PulumiStack.init({ dir: "test/fixtures/cli-program", stack: "t" });
  });
  after(async () => {
    await stack?.remove();
  });

  test("`pulumi version` prints the version pinned in tools/pulumi/go.mod; the language host reports it too", async () => {
    const r = await runProcess(path.join(PULUMI_BIN, "pulumi"), ["version"], { env: stack.env() });
    assert.equal(r.stdout.trim(), pinned);
    const h = await runProcess(path.join(PULUMI_BIN, "pulumi-language-nodejs"), ["-version"], { env: stack.env() });
    assert.equal(h.stdout.trim(), pinned.slice(1));
  });

  test("up runs the program with Node 22; plain and secret config reach it; outputs come back", async () => {
    await stack.setConfig({ "cli-program:name": "notary", "cli-program:token": { secret: "tok-5150" } });
    const r = await stack.up();
    assert.match(r.stdout, /Resources:\n\s+\+ 1 created/);
    assert.match(r.stdout, /Duration: /);
    const out = await stack.outputs();
    assert.equal(out["greeting"], "hello notary");
    assert.equal(out["token"], "tok-5150");
    assert.match(String(out["nodeVersion"]), /^v2[2-9]\./);
    assert.doesNotMatch(await stack.exportText(), /tok-5150/, "the secret is encrypted in the state");
  });

  test("a failing program fails the command with its own message", async () => {
    await stack.setConfig({ "cli-program:fail": "boom-42" });
    const r = await stack.preview([], { allowFailure: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /the program failed on purpose: boom-42/);
    await stack.removeConfig("cli-program:fail");
    await stack.preview(["--expect-no-changes"]);
  });

  test("nothing was downloaded: no plugin in PULUMI_HOME", () => {
    const plugins = path.join(stack.env()["PULUMI_HOME"]!, "plugins");
    assert.deepEqual(existsSync(plugins) ? readdirSync(plugins) : [], []);
  });
});

describe("npm run demo", () => {
  test("a real pulumi up and a preview without changes; notary and docker see the signed tag", async () => {
    const r = await runProcess(path.join(ROOT, "node_modules/.bin/node"), ["scripts/demo.ts"], { cwd: ROOT, env: { ...process.env } as Record<string, string>, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Resources:\n\s+\+ 8 created/);
    assert.match(r.stdout, /Duration: \d+s/);
    assert.match(r.stdout, /Resources:\n\s+8 unchanged/);
    assert.match(r.stdout, /^v1\s+[0-9a-f]{64}\s+512\s+targets\//m, "notary list shows the tag");
    assert.match(r.stdout, /SIGNED TAG\s+DIGEST\s+SIGNERS\nv1\s+[0-9a-f]{64}\s+ci/, "docker trust inspect shows it");
    assert.match(r.stdout, /pulumi config set notary:serverUrl https:\/\/notary\.example\.com:4443/);
    assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
  });
});
