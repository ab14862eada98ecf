/**
 * A publisher's repository, made as a publisher would make it with the Go tools (no SDK, no Pulumi): docker adds the
 * signers (`docker trust key generate`, `docker trust signer add`, which initializes the repository with docker's
 * root and targets keys), and the notary CLI signs tags as a signer (`notary addhash --roles targets/releases,
 * targets/<signer>`) from docker's trust dir, where docker keeps the signers' keys. The consumer and promotion tests
 * verify, consume and promote from it.
 */
import { createPrivateKey } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import assert from "node:assert/strict";
import path from "node:path";
import { PulumiCommandError } from "../support/pulumi-cli.ts";
import { readPrivateKeyFile } from "../../sdk/src/crypto/keyfile.ts";
import { dockerOk, dockerTrustInspect, makeTempDir, notaryCli, notaryOk, DEFAULT_PASSPHRASES, type NotaryServer, type RunResult } from "../support/stack.ts";

const REPO_PASS = DEFAULT_PASSPHRASES["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"]!;
const ROOT_PASS = DEFAULT_PASSPHRASES["DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE"]!;

export type Publisher = {
  gun: string;
  /** The Root key ID `docker trust inspect` prints: what a consumer pins. */
  rootKeyId: string;
  /** Each signer's key ID as `docker trust inspect` lists it. */
  keyOf: Record<string, string>;
  /** DOCKER_CONFIG of the publisher (its trust dir is `trust/` inside). */
  configDir: string;
  /** `notary … ` on the publisher's trust dir (signer keys opened with docker's repository passphrase). */
  notary(args: string[]): Promise<string>;
  notaryRaw(args: string[]): Promise<RunResult>;
  /** `notary addhash GUN TAG SIZE --sha256 HEX --roles targets/releases,targets/<signer> -p`: sign a tag as `signer`. */
  sign(tag: string, digest: string, size: number, signer: string): Promise<void>;
  /** `notary remove GUN TAG --roles targets/releases,targets/<signer> -p`: revoke a tag as `signer`. */
  revoke(tag: string, signer: string): Promise<void>;
  /** Every private key of the publisher's trust dir, decrypted, as PKCS#8 PEM (for the leak scans: none may show). */
  privateKeyPems(): Promise<string[]>;
};

/** A repository with docker signers `signers`, on `server` (TLS), made by docker and the notary CLI. */
export async function startPublisher(server: NotaryServer, gun: string, signers: string[]): Promise<Publisher> {
  const configDir = await makeTempDir("publisher-docker");
  const keyDir = await makeTempDir("publisher-keys");
  const docker = { configDir, server: { url: server.url, caPem: server.caPem, caFile: server.caFile } };
  for (const name of signers) {
    await dockerOk(["trust", "key", "generate", name, "--dir", keyDir], { configDir });
    await dockerOk(["trust", "signer", "add", "--key", path.join(keyDir, `${name}.pub`), name, gun], docker);
  }
  const cli = { trustDir: path.join(configDir, "trust"), server, env: { NOTARY_DELEGATION_PASSPHRASE: REPO_PASS, NOTARY_TARGETS_PASSPHRASE: REPO_PASS } };
  const [info] = await dockerTrustInspect(gun, docker);
  const notary = (args: string[]) => notaryOk(args, cli);
  return {
    gun,
    rootKeyId: info!.AdministrativeKeys.find((k) => k.Name === "Root")!.Keys[0]!.ID,
    keyOf: Object.fromEntries(info!.Signers.map((s) => [s.Name, s.Keys[0]!.ID])),
    configDir,
    notary,
    notaryRaw: (args) => notaryCli(args, cli),
    sign: async (tag, digest, size, signer) => {
      await notary(["addhash", gun, tag, String(size), "--sha256", digest.replace(/^sha256:/, ""), "--roles", `targets/releases,targets/${signer}`, "-p"]);
    },
    revoke: async (tag, signer) => {
      await notary(["remove", gun, tag, "--roles", `targets/releases,targets/${signer}`, "-p"]);
    },
    privateKeyPems: () => privateKeyPems(path.join(configDir, "trust", "private")),
  };
}

async function privateKeyPems(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of (await readdir(dir)).filter((x) => x.endsWith(".key"))) {
    const file = readPrivateKeyFile(await readFile(path.join(dir, f), "utf8"), (block: { role?: string }) => (block.role === "root" ? ROOT_PASS : REPO_PASS));
    out.push(createPrivateKey({ key: Buffer.from(file.pkcs8), format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" }).toString());
  }
  return out;
}

/** A `pulumi` command (ExampleEnv) that must fail: its stdout and stderr. */
export async function failureOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (e) {
    assert.ok(e instanceof PulumiCommandError, String(e));
    return `${e.result.stdout}\n${e.result.stderr}`;
  }
  assert.fail("the command succeeded");
}
