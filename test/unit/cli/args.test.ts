// The CLI's argument layer: docker's NAME[:TAG] form, time windows, and strict options with short messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError, formatDuration, parseCommandArgs, parseRepoRef, parseWindow } from "../../../cli/args.ts";
import type { Command } from "../../../cli/args.ts";
import { checkKeyName, choosePassphrase } from "../../../cli/key.ts";

test("parseRepoRef reads docker's NAME[:TAG]: a registry port is not a tag, names are normalised", () => {
  const cases: [string, { typed: string; gun: string; registry: string; tag?: string }][] = [
    ["127.0.0.1:5000/team/app:v1", { typed: "127.0.0.1:5000/team/app", gun: "127.0.0.1:5000/team/app", registry: "127.0.0.1:5000", tag: "v1" }],
    ["127.0.0.1:5000/team/app", { typed: "127.0.0.1:5000/team/app", gun: "127.0.0.1:5000/team/app", registry: "127.0.0.1:5000" }],
    ["localhost:5000/app:1.2.3", { typed: "localhost:5000/app", gun: "localhost:5000/app", registry: "localhost:5000", tag: "1.2.3" }],
    ["alpine", { typed: "alpine", gun: "docker.io/library/alpine", registry: "docker.io" }],
    ["team/app:latest", { typed: "team/app", gun: "docker.io/team/app", registry: "docker.io", tag: "latest" }],
    ["example.com/vectors/notary-deleg", { typed: "example.com/vectors/notary-deleg", gun: "example.com/vectors/notary-deleg", registry: "example.com" }],
  ];
  for (const [arg, want] of cases) assert.deepEqual(parseRepoRef(arg), want, arg);
});

test("parseRepoRef refuses digests with a message that says why, and bad names with docker's reason", () => {
  assert.throws(() => parseRepoRef(`127.0.0.1:5000/team/app@sha256:${"a".repeat(64)}`), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /digest references \(@sha256:…\) are not supported: trust data is looked up by tag, use NAME\[:TAG\]/);
    return true;
  });
  assert.throws(() => parseRepoRef("example.com/Team/App"), (e: unknown) => e instanceof UsageError && /must be lowercase/.test(e.message));
  assert.throws(() => parseRepoRef("app:bad tag"), (e: unknown) => e instanceof UsageError && /invalid image reference/.test(e.message));
});

test("parseWindow takes whole days (30d, or plain 30) and hours (72h); anything else is a usage error", () => {
  const DAY = 86_400_000;
  assert.equal(parseWindow("30d"), 30 * DAY);
  assert.equal(parseWindow("30"), 30 * DAY);
  assert.equal(parseWindow("72h"), 72 * 3_600_000);
  assert.equal(parseWindow("0d"), 0);
  for (const bad of ["3w", "-1d", "1.5d", "", "d", "30 d", "30D", "99999999d", "40000d"]) {
    assert.throws(() => parseWindow(bad), UsageError, bad);
  }
});

test("formatDuration is days and hours, rounded down", () => {
  assert.equal(formatDuration(9 * 86_400_000 + 4 * 3_600_000 + 59_000), "9d 4h");
  assert.equal(formatDuration(2 * 86_400_000), "2d");
  assert.equal(formatDuration(3 * 3_600_000 + 1), "3h");
  assert.equal(formatDuration(-26 * 3_600_000), "1d 2h");
});

const sample: Command = {
  name: "sample",
  synopsis: "NAME",
  summary: "",
  details: [],
  options: { server: { type: "string", help: "" }, tofu: { type: "boolean", help: "" }, id: { type: "string", multiple: true, help: "" } },
  positionals: { min: 1, max: 1, what: "NAME" },
  run: async () => 0,
};

test("parseCommandArgs is strict and its messages are one short sentence naming the culprit", () => {
  const message = (argv: string[]): string => {
    try {
      parseCommandArgs(sample, argv);
    } catch (e) {
      assert.ok(e instanceof UsageError, String(e));
      return e.message;
    }
    assert.fail(`no error for ${argv.join(" ")}`);
  };
  assert.equal(message(["x", "--bogus"]), "sample: unknown option --bogus");
  assert.equal(message(["x", "-q"]), "sample: unknown option -q");
  assert.equal(message(["x", "--server"]), "sample: option --server needs a value");
  assert.equal(message(["x", "--tofu=yes"]), "sample: option --tofu takes no value");
  assert.equal(message([]), "sample: missing NAME");
  assert.equal(message(["x", "y"]), 'sample: unexpected argument "y"');
  assert.equal(parseCommandArgs(sample, ["--help"]), "help");
  assert.equal(parseCommandArgs(sample, ["-h"]), "help");
  const p = parseCommandArgs(sample, ["x", "--id", "a", "--id", "b", "--tofu"]);
  assert.ok(p !== "help");
  assert.deepEqual({ ...p.values }, { id: ["a", "b"], tofu: true });
  assert.deepEqual(p.positionals, ["x"]);
});

test("key names follow docker trust key generate's rule and message, plus notary's delegation length", () => {
  for (const ok of ["a", "alice", "a-b_c", "0x", "ci-2", "root", "a".repeat(247)]) assert.doesNotThrow(() => checkKeyName(ok), ok);
  for (const bad of ["Bad Role", "-lead", "_lead", "UPPER", "a.b", "a/b", "", "é"]) {
    assert.throws(
      () => checkKeyName(bad),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === `key name "${bad}" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character`,
      bad,
    );
  }
  assert.throws(() => checkKeyName("a".repeat(248)), /at most 247, so that "targets\/NAME" is a valid delegation name/);
});

test("the passphrase comes from NOTARY_PASSPHRASE, else docker's repository (or root) variable; empty counts as unset", () => {
  const env = { NOTARY_PASSPHRASE: "", DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: "repo", DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: "root" };
  assert.deepEqual(choosePassphrase(env, "alice"), { value: "repo", from: "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE" });
  assert.deepEqual(choosePassphrase(env, "root"), { value: "root", from: "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE" });
  assert.deepEqual(choosePassphrase({ ...env, NOTARY_PASSPHRASE: "mine" }, "root"), { value: "mine", from: "NOTARY_PASSPHRASE" });
  assert.equal(choosePassphrase({ DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: "root" }, "alice"), undefined);
  assert.equal(choosePassphrase({}, "root"), undefined);
});
