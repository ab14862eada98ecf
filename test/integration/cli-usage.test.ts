// The CLI's help and its refusals, as a user meets them: help on stdout with exit 0, explaining every command, option
// and environment variable; bad usage as one line on stderr with exit 2; failures as one line with exit 1; no stack
// traces anywhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inspectCommand } from "../../cli/inspect.ts";
import { graphCommand } from "../../cli/graph.ts";
import { expiryCommand } from "../../cli/expiry.ts";
import { keyGenerateCommand } from "../../cli/key.ts";
import { verifyCommand } from "../../cli/verify.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const COMMANDS = [inspectCommand, graphCommand, expiryCommand, verifyCommand, keyGenerateCommand];

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, nothing on stdout, no stack trace. */
function assertOneLine(r: { stdout: string; stderr: string }, what: string): void {
  assert.equal(r.stdout, "", `${what}: stdout`);
  assert.match(r.stderr, /^pulumi-notary: [^\n]+\n$/, `${what}: one line`);
  assert.doesNotMatch(r.stderr, /\bat .*\.(js|ts):\d+/, `${what}: no stack trace`);
}

test("--help, -h and help print the same full help on stdout and exit 0", () => {
  const runs = [["--help"], ["-h"], ["help"]].map((a) => cli(a));
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, runs[0]!.stdout);
  }
  assert.match(runs[0]!.stdout, /^usage: pulumi-notary <command>/);
});

test("the help explains every command, every option, and every environment variable the code reads", () => {
  const help = cli(["--help"]).stdout;
  for (const c of COMMANDS) {
    assert.ok(help.includes(`usage: pulumi-notary ${c.name} `), c.name);
    for (const [name, spec] of Object.entries(c.options)) {
      const line = help.split("\n").find((l) => l.startsWith(`    --${name}`));
      assert.ok(line, `${c.name} --${name} is listed`);
      assert.ok(spec.help.length > 20 && help.includes(spec.help.split(" ").slice(0, 3).join(" ")), `${c.name} --${name} is explained`);
    }
  }
  // Variables read by the CLI (io.env["…"]) and by the SDK code it runs (credentials): each has a line of its own.
  const sources = [...readdirSync(path.join(ROOT, "cli")).map((f) => path.join(ROOT, "cli", f)), path.join(ROOT, "sdk/src/remote/auth.ts"), path.join(ROOT, "sdk/src/remote/credentials.ts")];
  const read = new Set<string>();
  for (const f of sources) for (const m of readFileSync(f, "utf8").matchAll(/env\[\s*"([A-Z_]+)"\s*\]/g)) read.add(m[1]!);
  for (const v of ["DOCKER_CONTENT_TRUST_SERVER", "NOTARY_AUTH", "DOCKER_CONFIG", "NOTARY_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE"]) {
    read.add(v);
  }
  const envSection = help.slice(help.indexOf("\nenvironment:\n"));
  for (const v of read) assert.match(envSection, new RegExp(`^  ${v}(\\s|$)`, "m"), `${v} is explained`);
  assert.match(help, /exit status:\n {2}0 .*\n {2}1 .*\n.*\n {2}2 /);
});

test("<command> --help (and help <command>) print that command's help on stdout and exit 0", () => {
  for (const c of COMMANDS) {
    for (const args of [[...c.name.split(" "), "--help"], [...c.name.split(" "), "-h"], ["help", ...c.name.split(" ")]]) {
      const r = cli(args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`usage: pulumi-notary ${c.name} ${c.synopsis}\n`), args.join(" "));
      for (const name of Object.keys(c.options)) assert.ok(r.stdout.includes(`--${name}`), `${args.join(" ")} explains --${name}`);
    }
  }
  const key = cli(["key", "--help"]);
  assert.equal(key.code, 0);
  assert.match(key.stdout, /^usage: pulumi-notary key generate /);
});

test("bad usage: one line naming what was wrong and pointing to --help, exit 2", () => {
  const cases: [string[], RegExp][] = [
    [[], /no command given \(see: pulumi-notary --help\)/],
    [["frobnicate"], /unknown command "frobnicate" \(see: pulumi-notary --help\)/],
    [["key"], /key: missing subcommand \(generate\)/],
    [["key", "make"], /key: unknown subcommand "make"/],
    [["help", "nope"], /help: no command "nope"/],
    [["inspect"], /inspect: missing NAME\[:TAG\].*\(see: pulumi-notary inspect --help\)/],
    [["inspect", "example.com/app", "--tofu", "--bogus"], /inspect: unknown option --bogus \(see: pulumi-notary inspect --help\)/],
    [["inspect", "example.com/app", "-x"], /inspect: unknown option -x/],
    [["inspect", "example.com/app", "--server"], /inspect: option --server needs a value/],
    [["inspect", "example.com/app", "--tofu=yes"], /inspect: option --tofu takes no value/],
    [["inspect", `example.com/app@sha256:${"a".repeat(64)}`, "--tofu"], /digest references \(@sha256:…\) are not supported/],
    [["inspect", "example.com/app:v1", "--tag", "v2", "--tofu"], /the tag is given twice/],
    [["inspect", "example.com/app", "--tofu", "--root-key-id", "ab"], /either --root-key-id or --tofu/],
    [["graph", "example.com/app", "--tofu", "--format", "svg"], /graph: --format "svg": use mermaid or dot/],
    [["graph", "a", "b", "--tofu"], /graph: unexpected argument "b"/],
    [["expiry", "example.com/app", "--tofu"], /expiry: --within is required/],
    [["expiry", "example.com/app", "--tofu", "--within", "2w"], /--within "2w": give a whole number of days or hours/],
    [["expiry", "example.com/app", "--within", "30d"], /pin the root with --root-key-id/],
    [["key", "generate", "--unencrypted", "--frob"], /key generate: unknown option --frob/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertOneLine(r, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
  }
});

test("failures: one line, `CODE: message` for SDK errors, exit 1, no stack trace", () => {
  // Nothing listens on port 1: the SDK's coded network error, not a stack.
  const down = cli(["inspect", "127.0.0.1:1/team/app", "--tofu"]);
  assert.equal(down.code, 1, down.stderr);
  assertOneLine(down, "server down");
  assert.match(down.stderr, /^pulumi-notary: [A-Z_]+: /);
  const noCa = cli(["graph", "127.0.0.1:1/team/app", "--tofu", "--ca", "/nonexistent/ca.pem"]);
  assert.equal(noCa.code, 1);
  assertOneLine(noCa, "missing CA file");
  assert.match(noCa.stderr, /cannot read the CA file \/nonexistent\/ca\.pem: ENOENT/);
  // The server defaults as docker's does: DOCKER_CONTENT_TRUST_SERVER, else https://<registry>.
  const env = cli(["expiry", "example.com/team/app", "--tofu", "--within", "1d"], { DOCKER_CONTENT_TRUST_SERVER: "not a url" });
  assert.equal(env.code, 1);
  assert.match(env.stderr, /^pulumi-notary: INPUT_INVALID: server URL "not a url" must start with https:\/\/ or http:\/\//);
});
