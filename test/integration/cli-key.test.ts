// `key generate`: encrypted by default with the passphrase from the environment, docker's name rule and message (docker
// itself is the oracle), refusals that name what is missing, and a fast failure for a directory the OS will not create.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { dockerCli, makeTempDir } from "../support/stack.ts";
import { readPrivateKeyFile, readPublicKeyPem } from "../../sdk/src/crypto/keyfile.ts";
import { isNotaryError } from "../../sdk/src/errors.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const PASS = "s3cret-Passphrase-Value";

function cli(args: string[], env: Record<string, string> = {}, timeout = 60_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", ...env }, timeout });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, error: r.error };
}

type Made = { keyId: string; role: string; privateKeyFile: string; publicKeyFile: string; encrypted: boolean; passphraseFrom?: string };

function assertNoSecret(r: { stdout: string; stderr: string }, ...secrets: string[]): void {
  for (const s of secrets) assert.ok(!(r.stdout + r.stderr).includes(s), "a passphrase was printed");
  assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY|MIG[A-Za-z0-9+/]{20}/, "key material was printed");
}

test("the private key is encrypted by default with NOTARY_PASSPHRASE; the files are docker's", async () => {
  const dir = await makeTempDir("cli-key");
  const r = cli(["key", "generate", "alice", "--out", dir], { NOTARY_PASSPHRASE: PASS, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: "other-pass" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assertNoSecret(r, PASS, "other-pass");
  const made = JSON.parse(r.stdout) as Made;
  assert.deepEqual(
    { ...made, privateKeyFile: path.basename(made.privateKeyFile), publicKeyFile: path.basename(made.publicKeyFile) },
    { keyId: made.keyId, role: "alice", privateKeyFile: `${made.keyId}.key`, publicKeyFile: "alice.pub", encrypted: true, passphraseFrom: "NOTARY_PASSPHRASE" },
  );
  const text = readFileSync(made.privateKeyFile, "utf8");
  assert.match(text, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n\n/);
  const opened = readPrivateKeyFile(text, PASS);
  assert.equal(opened.keyId, made.keyId);
  assert.equal(PrivateKey.fromPkcs8(opened.pkcs8).id, made.keyId);
  assert.throws(() => readPrivateKeyFile(text, "other-pass"), (e: unknown) => isNotaryError(e, "KEY_PASSPHRASE_INCORRECT"));
  assert.throws(() => readPrivateKeyFile(text), (e: unknown) => isNotaryError(e, "KEY_PASSPHRASE_REQUIRED"));
  const pub = readPublicKeyPem(readFileSync(made.publicKeyFile, "utf8"));
  assert.equal(pub.role, "alice");
  assert.equal((readdirSync(dir).sort().join(",")), [`${made.keyId}.key`, "alice.pub"].sort().join(","));
});

test("docker's variables: REPOSITORY for signer keys, ROOT for root; --role is the same as NAME", async () => {
  const dir = await makeTempDir("cli-key-docker");
  const env = { DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: "repo-pass-1", DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: "root-pass-2" };
  const signer = cli(["key", "generate", "--role", "ci-bot", "--out", dir], env);
  assert.equal(signer.code, 0, signer.stderr);
  const s = JSON.parse(signer.stdout) as Made;
  assert.equal(s.passphraseFrom, "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE");
  assert.equal(readPrivateKeyFile(readFileSync(s.privateKeyFile, "utf8"), "repo-pass-1").keyId, s.keyId);
  const root = cli(["key", "generate", "root", "--out", dir], env);
  assert.equal(root.code, 0, root.stderr);
  const r = JSON.parse(root.stdout) as Made;
  assert.equal(r.passphraseFrom, "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE");
  assert.equal(readPrivateKeyFile(readFileSync(r.privateKeyFile, "utf8"), "root-pass-2").role, "root");
  for (const x of [signer, root]) assertNoSecret(x, "repo-pass-1", "root-pass-2");
  const targets = cli(["key", "generate", "targets", "--gun", "127.0.0.1:5000/team/app", "--out", dir], env);
  assert.equal(targets.code, 0, targets.stderr);
  const t = readPrivateKeyFile(readFileSync((JSON.parse(targets.stdout) as Made).privateKeyFile, "utf8"), "repo-pass-1");
  assert.deepEqual([t.role, t.gun], ["targets", "127.0.0.1:5000/team/app"]);
  assert.equal(cli(["key", "generate", "targets", "--out", dir], env).code, 2, "a targets key needs --gun");
  assert.equal(cli(["key", "generate", "a", "b"], env).code, 2);
  assert.match(cli(["key", "generate", "alice", "--role", "bob"], env).stderr, /the name is given twice/);
});

test("with no passphrase set it refuses, naming the variables, and writes nothing; --unencrypted warns", async () => {
  const dir = await makeTempDir("cli-key-none");
  const refused = cli(["key", "generate", "alice", "--out", dir], { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: "only-root" });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^pulumi-notary: key generate: no passphrase to encrypt the private key with: set NOTARY_PASSPHRASE or DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, or pass --unencrypted/);
  assert.equal(refused.stdout, "");
  assert.deepEqual(readdirSync(dir), []);
  assert.match(cli(["key", "generate", "root", "--out", dir]).stderr, /set NOTARY_PASSPHRASE or DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE/);

  const plain = cli(["key", "generate", "alice", "--out", dir, "--unencrypted"], { NOTARY_PASSPHRASE: PASS });
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /^pulumi-notary: warning: writing the private key UNENCRYPTED \(--unencrypted\) \(NOTARY_PASSPHRASE is set and ignored\)/);
  assertNoSecret(plain, PASS);
  const made = JSON.parse(plain.stdout) as Made;
  assert.equal(made.encrypted, false);
  assert.equal(made.passphraseFrom, undefined);
  assert.match(readFileSync(made.privateKeyFile, "utf8"), /^-----BEGIN PRIVATE KEY-----\nrole: alice\n\n/);

  // docker refuses to replace NAME.pub, and so do we: nothing else is written either.
  const again = cli(["key", "generate", "alice", "--out", dir], { NOTARY_PASSPHRASE: PASS });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /alice\.pub already exists: not overwriting it/);
  assert.equal(readdirSync(dir).length, 2);
});

test("names follow docker trust key generate: the same names are refused with docker's own message", async () => {
  const configDir = await makeTempDir("cli-key-docker-names");
  for (const bad of ["Bad Role", "-lead", "UPPER", "a.b", "team/ci"]) {
    const docker = await dockerCli(["trust", "key", "generate", "--dir", configDir, "--", bad], { configDir });
    assert.equal(docker.code, 1, `docker refuses ${bad}`);
    const ours = cli(["key", "generate", "--out", configDir, "--", bad], { NOTARY_PASSPHRASE: PASS });
    assert.equal(ours.code, 2, bad);
    const dockerLine = docker.stderr.trim().split("\n").at(-1)!;
    assert.ok(ours.stderr.includes(dockerLine), `${bad}: ours ${JSON.stringify(ours.stderr)} vs docker ${JSON.stringify(dockerLine)}`);
  }
  const long = cli(["key", "generate", "a".repeat(248)], { NOTARY_PASSPHRASE: PASS });
  assert.equal(long.code, 2);
  assert.match(long.stderr, /at most 247/);
});

test("an output directory the OS refuses fails at once (exit 1) naming the directory and the OS error", async () => {
  const tmp = await makeTempDir("cli-key-dirs");
  writeFileSync(path.join(tmp, "plainfile"), "x");
  const cases: [string, RegExp][] = [
    // Node's recursive mkdir loops forever on /proc (ENOENT for a parent that exists); the CLI must not.
    ["/proc/nope", /cannot create the directory \/proc\/nope: ENOENT/],
    ["/proc/nope/deeper/still", /cannot create the directory \/proc\/nope: ENOENT/],
    ["/sys/nope", /cannot create the directory \/sys\/nope: (EPERM|EACCES|EROFS|ENOENT)/],
    ["/proc", /cannot write \/proc\/alice\.pub: (ENOENT|EACCES|EPERM)/],
    [path.join(tmp, "plainfile", "sub"), /cannot use the directory .*plainfile: it exists and is not a directory/],
  ];
  for (const [dir, message] of cases) {
    // A generous bound on the child, not a timing assertion: the old CLI never returned here.
    const r = cli(["key", "generate", "alice", "--out", dir], { NOTARY_PASSPHRASE: PASS }, 20_000);
    assert.equal(r.error, undefined, `${dir}: ${String(r.error)}`);
    assert.equal(r.signal, null, `${dir}: killed by ${r.signal}`);
    assert.equal(r.code, 1, `${dir}: ${r.stderr}`);
    assert.match(r.stderr, /^pulumi-notary: [^\n]+\n$/);
    assert.match(r.stderr, message, dir);
    assertNoSecret(r, PASS);
  }
  assert.equal(existsSync("/proc/alice.pub"), false);
  const nested = path.join(tmp, "a", "b", "c");
  const ok = cli(["key", "generate", "alice", "--out", nested], { NOTARY_PASSPHRASE: PASS });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(readdirSync(nested).length, 2);
});
