// On Node.js older than 22.19 (machines still ship 20) every entry point stops at import with a message that says
// what is needed and how to get it, instead of undici's "Cannot read properties of undefined (reading 'bind')".
// Runs the built package under the machine's own older Node.js.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { nodeSupported } from "../../sdk/src/node-version.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const OLD_NODE = ["/usr/bin/node", "/usr/local/bin/node", "/bin/node"].find(
  (p) => existsSync(p) && !nodeSupported(execFileSync(p, ["--version"], { encoding: "utf8" }).trim()),
);

test("nodeSupported: 22.19.0 and later", () => {
  assert.deepEqual(["v20.20.2", "v22.18.9", "22.19.0", "v22.23.3", "v24.0.0", "v23.0.0"].map(nodeSupported), [false, false, true, true, true, true]);
});

for (const [what, entry, args] of [
  ["the SDK (pulumi-notary/sdk)", "dist/sdk/src/index.js", []],
  ["the resources (pulumi-notary)", "dist/provider/src/index.js", []],
  ["the provider host's runtime (pulumi-notary/runtime)", "dist/provider/src/runtime/index.js", []],
  ["the CLI", "dist/cli/main.js", ["--help"]],
] as const) {
  test(`${what} on Node.js 20 says what is needed`, () => {
    assert.ok(OLD_NODE, "this machine ships an older Node.js (20) beside the project's Node 22");
    const file = path.join(ROOT, entry);
    const code = args.length ? [file, ...args] : ["--input-type=module", "-e", `await import(${JSON.stringify(file)})`];
    const r = spawnSync(OLD_NODE, code, { encoding: "utf8", timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /pulumi-notary needs Node\.js 22\.19\.0 or newer; this is Node\.js 20\./);
    assert.match(r.stderr, /node@22/);
    assert.doesNotMatch(r.stderr, /reading 'bind'/);
  });
}
