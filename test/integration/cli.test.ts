// The CLI against the real binaries: `inspect` prints exactly what `docker trust inspect` prints (plus expiries),
// and `key generate` makes files docker and notary use.
import { test } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { makeTempDir, dockerOk, dockerTrustInspect, notaryOk } from "../support/stack.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const server = notaryServerPerFile({ tls: true });

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("key generate writes a key pair docker adds as a signer and notary signs with; inspect matches docker trust inspect", async () => {
  const dir = await makeTempDir("cli");
  const configDir = await makeTempDir("cli-docker");
  const gun = `${server.host}/cli/app`;
  const gen = cli(["key", "generate", "--role", "alice", "--out", dir]);
  assert.equal(gen.code, 0, gen.stderr);
  const made = JSON.parse(gen.stdout) as { keyId: string; privateKeyFile: string; publicKeyFile: string; encrypted: boolean };
  assert.equal(made.encrypted, false);

  await dockerOk(["trust", "signer", "add", "--key", made.publicKeyFile, "alice", gun], { configDir, server });
  const docker = (await dockerTrustInspect(gun, { configDir, server })) as { AdministrativeKeys: { Name: string; Keys: { ID: string }[] }[]; Signers: { Name: string; Keys: { ID: string }[] }[] }[];
  assert.deepEqual(docker[0]!.Signers, [{ Name: "alice", Keys: [{ ID: made.keyId }] }], "docker lists the generated key under its ID");

  // notary signs into the signer's roles with the generated private key file.
  const trustDir = path.join(configDir, "trust");
  await mkdir(path.join(trustDir, "private"), { recursive: true });
  await copyFile(made.privateKeyFile, path.join(trustDir, "private", `${made.keyId}.key`));
  const digest = "a".repeat(64);
  await notaryOk(["addhash", gun, "v1", "321", "--sha256", digest, "--roles", "targets/releases,targets/alice", "-p"], { trustDir, server });

  const rootId = docker[0]!.AdministrativeKeys.find((k) => k.Name === "Root")!.Keys[0]!.ID;
  const out = cli(["inspect", gun, "--server", server.url, "--ca", server.caFile!, "--root-key-id", rootId]);
  assert.equal(out.code, 0, out.stderr);
  const ours = JSON.parse(out.stdout) as (Record<string, unknown> & { Expiries: { role: string; version: number; expires: string }[] })[];
  const expected = await dockerTrustInspect(gun, { configDir, server });
  const { Expiries, ...view } = ours[0]!;
  assert.deepEqual([view], expected);
  assert.deepEqual(Expiries.map((e) => e.role).sort(), ["root", "snapshot", "targets", "targets/alice", "targets/releases", "timestamp"]);

  const wrongPin = cli(["inspect", gun, "--server", server.url, "--ca", server.caFile!, "--root-key-id", "0".repeat(64)]);
  assert.equal(wrongPin.code, 1);
  assert.match(wrongPin.stderr, /TRUST_ROOT_MISMATCH/);
  assert.doesNotMatch(gen.stdout + out.stdout + out.stderr + wrongPin.stderr, /PRIVATE KEY/);
});

test("inspect refuses to run without a trust anchor, and says how to give one", () => {
  const r = cli(["inspect", "example.com/x", "--server", "https://127.0.0.1:1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--root-key-id|--tofu/);
});
