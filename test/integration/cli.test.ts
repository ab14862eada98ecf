// The CLI against the real binaries: `inspect` prints exactly what `docker trust inspect` prints (JSON plus expiries,
// and `--pretty` byte for byte), and `key generate` makes encrypted files docker and notary use.
import { test } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { makeTempDir, dockerOk, dockerTrustInspect, notaryOk, DEFAULT_PASSPHRASES } from "../support/stack.ts";
import { clientPerSuite, manifest } from "./interop-helpers.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { keyToJson } from "../../sdk/src/crypto/keys.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const server = notaryServerPerFile({ tls: true });
const client = clientPerSuite(server);
const REPO_PASS = DEFAULT_PASSPHRASES["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"]!;

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const remote = (rootId: string) => ["--server", server.url, "--ca", server.caFile!, "--root-key-id", rootId];

test("key generate writes an encrypted key pair docker adds as a signer and notary signs with; inspect matches docker trust inspect", async () => {
  const dir = await makeTempDir("cli");
  const configDir = await makeTempDir("cli-docker");
  const gun = `${server.host}/cli/app`;
  // docker's variable: notary opens a signer key with NOTARY_DELEGATION_PASSPHRASE, so both are given the same value.
  const gen = cli(["key", "generate", "alice", "--out", dir], { DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS });
  assert.equal(gen.code, 0, gen.stderr);
  const made = JSON.parse(gen.stdout) as { keyId: string; privateKeyFile: string; publicKeyFile: string; encrypted: boolean; passphraseFrom: string };
  assert.equal(made.encrypted, true);
  assert.equal(made.passphraseFrom, "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE");
  assert.match(await readFile(made.privateKeyFile, "utf8"), /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n\n/);

  await dockerOk(["trust", "signer", "add", "--key", made.publicKeyFile, "alice", gun], { configDir, server });
  const docker = await dockerTrustInspect(gun, { configDir, server });
  assert.deepEqual(docker[0]!.Signers, [{ Name: "alice", Keys: [{ ID: made.keyId }] }], "docker lists the generated key under its ID");

  // notary decrypts the generated private key file and signs the signer's roles with it.
  const trustDir = path.join(configDir, "trust");
  await mkdir(path.join(trustDir, "private"), { recursive: true });
  await copyFile(made.privateKeyFile, path.join(trustDir, "private", `${made.keyId}.key`));
  const digest = "a".repeat(64);
  const notaryEnv = { NOTARY_DELEGATION_PASSPHRASE: REPO_PASS };
  await notaryOk(["addhash", gun, "v1", "321", "--sha256", digest, "--roles", "targets/releases,targets/alice", "-p"], { trustDir, server, env: notaryEnv });

  const rootId = docker[0]!.AdministrativeKeys.find((k) => k.Name === "Root")!.Keys[0]!.ID;
  const out = cli(["inspect", gun, ...remote(rootId)]);
  assert.equal(out.code, 0, out.stderr);
  const ours = JSON.parse(out.stdout) as (Record<string, unknown> & { Expiries: { role: string; version: number; expires: string }[] })[];
  const expected = await dockerTrustInspect(gun, { configDir, server });
  const { Expiries, ...view } = ours[0]!;
  assert.deepEqual([view], expected);
  assert.deepEqual(Expiries.map((e) => e.role).sort(), ["root", "snapshot", "targets", "targets/alice", "targets/releases", "timestamp"]);

  // docker's NAME:TAG form, JSON and --pretty, compared with docker's own output for the same argument.
  const tagged = cli(["inspect", `${gun}:v1`, ...remote(rootId)]);
  assert.equal(tagged.code, 0, tagged.stderr);
  const { Expiries: _e, ...taggedView } = (JSON.parse(tagged.stdout) as Record<string, unknown>[])[0]!;
  assert.deepEqual([taggedView], await dockerTrustInspect(`${gun}:v1`, { configDir, server }));
  for (const arg of [gun, `${gun}:v1`, `${gun}:nope`]) {
    const pretty = cli(["inspect", arg, "--pretty", ...remote(rootId)]);
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.equal(pretty.stdout, await dockerOk(["trust", "inspect", "--pretty", arg], { configDir, server }), `--pretty ${arg}`);
  }
  assert.equal(cli(["inspect", gun, "--tag", "v1", "--pretty", ...remote(rootId)]).stdout, await dockerOk(["trust", "inspect", "--pretty", `${gun}:v1`], { configDir, server }));

  const wrongPin = cli(["inspect", gun, ...remote("0".repeat(64))]);
  assert.equal(wrongPin.code, 1);
  assert.match(wrongPin.stderr, /^pulumi-notary: TRUST_ROOT_MISMATCH: [^\n]+\n$/);
  const all = gen.stdout + gen.stderr + out.stdout + out.stderr + wrongPin.stderr;
  assert.doesNotMatch(all, /PRIVATE KEY/);
  assert.ok(!all.includes(REPO_PASS), "the passphrase is never printed");
});

test("inspect --pretty equals docker's on a repository with nested and threshold-2 signers, natural tag order and Repo Admin rows", async () => {
  const configDir = await makeTempDir("cli-docker-pretty");
  const gun = `${server.host}/cli/rich`;
  const other = `${server.host}/cli/other`;
  const [rootKey, targetsKey, alice, bob, qa] = Array.from({ length: 5 }, () => PrivateKey.generate());
  // ci's two keys listed in ascending ID order: docker keeps that order in its JSON (it does not sort a signer's keys).
  const [ci1, ci2] = [PrivateKey.generate(), PrivateKey.generate()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const repo = client.repository(gun, { anchor: { tofu: true } });
  const init = await repo.initialize({ rootKey: rootKey!, targetsKey: targetsKey! });
  const pub = (k: PrivateKey | undefined) => keyToJson(k!.publicKey);
  await repo.publish(
    [
      { type: "setDelegation", name: "targets/releases", keys: [pub(alice), pub(bob)], threshold: 1, paths: [""] },
      { type: "setDelegation", name: "targets/alice", keys: [pub(alice)], threshold: 1, paths: [""] },
      { type: "setDelegation", name: "targets/bob", keys: [pub(bob)], threshold: 1, paths: [""] },
      { type: "setDelegation", name: "targets/ci", keys: [pub(ci1), pub(ci2)], threshold: 2, paths: [""] },
    ],
    { keys: [targetsKey!] },
  );
  await repo.publish([{ type: "setDelegation", name: "targets/ci/qa", keys: [pub(qa)], threshold: 1, paths: [""] }], { keys: [ci1!, ci2!] });
  const m = (label: string) => manifest(label).meta;
  const sign = (role: string, name: string, label: string) => ({ type: "setTarget" as const, role, name, meta: m(label) });
  await repo.publish(
    [
      ...["targets/releases", "targets/alice", "targets/bob", "targets/ci", "targets/ci/qa"].map((r) => sign(r, "v1", "one")),
      sign("targets/releases", "v2", "two"),
      sign("targets", "v10", "ten"),
      ...["targets/releases", "targets/ci"].map((r) => sign(r, "v9", "nine")),
      sign("targets/alice", "unreleased", "x"),
      sign("targets/releases", "latest-build", "lb"),
    ],
    { keys: [targetsKey!, alice!, bob!, ci1!, ci2!, qa!] },
  );
  const otherRepo = client.repository(other, { anchor: { tofu: true } });
  await otherRepo.initialize({ rootKey: rootKey!, targetsKey: targetsKey! });

  const rootId = init.root.signed.roles["root"]!.keyids[0]!;
  const ours = cli(["inspect", gun, "--pretty", "--tofu", "--server", server.url, "--ca", server.caFile!]);
  assert.equal(ours.code, 0, ours.stderr);
  const docker = await dockerOk(["trust", "inspect", "--pretty", gun], { configDir, server });
  assert.equal(ours.stdout, docker);
  assert.match(docker, /SIGNER {4}KEYS\nalice .*\nbob .*\nci {8}\w{12}, \w{12}\nci\/qa /, "the oracle shows the nested and threshold-2 signers");
  assert.match(docker, /latest-build[^\n]*\nv1 [^\n]*alice, bob, ci, ci\/qa\nv2 [^\n]*\(Repo Admin\)\nv9 [^\n]*ci\nv10 [^\n]*\(Repo Admin\)\n/);

  // Several names, as docker takes them: one block each, separated by a blank line pair.
  const both = cli(["inspect", `${gun}:v9`, other, "--pretty", ...remote(rootId).slice(0, 4), "--tofu"]);
  assert.equal(both.code, 0, both.stderr);
  assert.equal(both.stdout, await dockerOk(["trust", "inspect", "--pretty", `${gun}:v9`, other], { configDir, server }));
  const json = cli(["inspect", gun, other, ...remote(rootId).slice(0, 4), "--tofu"]);
  assert.deepEqual(
    (JSON.parse(json.stdout) as Record<string, unknown>[]).map(({ Expiries: _x, ...v }) => v),
    await dockerTrustInspect([gun, other], { configDir, server }),
  );
});

test("inspect refuses to run without a trust anchor, and says how to give one", () => {
  const r = cli(["inspect", "example.com/x", "--server", "https://127.0.0.1:1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--root-key-id|--tofu/);
  assert.equal(r.stdout, "");
});
