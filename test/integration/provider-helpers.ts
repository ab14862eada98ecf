/**
 * Shared helpers of the provider tests (test/integration/provider-*.test.ts): they drive the serialized providers
 * through the REAL dynamic provider host (test/support/dynhost.ts) and the mini engine (test/support/minieng.ts), the
 * way `pulumi preview/up/refresh/destroy` does, against a real notary-server, and check the result with the Go
 * `notary` client and `docker trust inspect`.
 *
 * - Each simulated `pulumi` command (preview, the update of `up`, refresh, destroy) runs in a NEW host process, as the
 *   engine does: whatever the providers keep in memory (verified state, staged SignedTag intents) lives for one
 *   command. The mini engine's Stack is the state file and carries over (`env.command`, `pulumiUp` and friends).
 * - Each provider object is serialized once per process, like the SDK's per-object cache does.
 * - Inputs are built in wire form as a program would send them: private keys as secrets (they come from
 *   `Key.privateKeyPem`, a secret output), unknown values as the UNKNOWN sentinel during preview.
 * - The notary server's log (one "response completed" JSON line per request) is the oracle for "no network".
 * - Every key, passphrase, host log line and error message is tracked so `assertNoLeaks` can prove none of the secrets
 *   was printed.
 */
import { after, before } from "node:test";
import { lateBound } from "../support/per-file.ts";
import { requestsIn, type LoggedRequest } from "../support/server-log.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { providers } from "../../dist/provider/src/providers.js";
import { NotaryClient } from "../../sdk/src/index.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { writePublicKeyPem, writePrivateKeyFile } from "../../sdk/src/crypto/keyfile.ts";
import { HostCallError, secret, startProviderHost, stripSecrets, UNKNOWN, type DynamicHost, type PropertyMap } from "../support/dynhost.ts";
import { CheckFailedError, MiniEngine, Stack, type RefreshResult, type ResourceGoal, type StepRecord, type UpResult } from "../support/minieng.ts";
import {
  DEFAULT_PASSPHRASES,
  dockerCli,
  dockerTrustInspect,
  makeTempDir,
  notaryCli,
  notaryOk,
  startNotaryServer,
  type DockerTrustInfo,
  type NotaryServer,
} from "../support/stack.ts";
import { parseDelegationList, parseLookup, parseNotaryList, serverFingerprint, type DelegationRow, type ListRow } from "./interop-helpers.ts";

export { UNKNOWN, secret, stripSecrets };

/** The repository root: the host's cwd, from which `pulumi-notary/runtime` resolves (package.json `exports`). */
export const ROOT = path.resolve(import.meta.dirname, "../..");

export type Kind = keyof typeof providers;

/** Type tokens, as `pulumi.dynamic.Resource` builds them from module "notary" and the class name. */
export const TYPES: Record<Kind, string> = {
  key: "pulumi-nodejs:dynamic/notary:Key",
  repository: "pulumi-nodejs:dynamic/notary:Repository",
  delegation: "pulumi-nodejs:dynamic/notary:Delegation",
  signer: "pulumi-nodejs:dynamic/notary:Signer",
  signedTag: "pulumi-nodejs:dynamic/notary:SignedTag",
  status: "pulumi-nodejs:dynamic/notary:RepositoryStatus",
};

/** additionalSecretOutputs of each resource class (provider/src/resources.ts). */
export const SECRET_OUTPUTS: Record<Kind, string[]> = {
  key: ["privateKeyPem", "pem", "passphrase"],
  repository: ["rootKey", "targetsKey", "snapshotKey"],
  delegation: ["parentKey", "signingKeys"],
  signer: ["targetsKey"],
  status: [],
  signedTag: ["signingKeys"],
};

const serialized = new Map<Kind, Promise<{ text: string; containsSecrets: boolean }>>();

/** `serializeFunction(() => provider, { allowSecrets: true })`, exactly what `pulumi.dynamic.Resource` does; cached. */
export function serializeProvider(kind: Kind): Promise<{ text: string; containsSecrets: boolean }> {
  let p = serialized.get(kind);
  if (!p) {
    const provider = providers[kind];
    p = pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true }).then((sf) => ({ text: sf.text, containsSecrets: sf.containsSecrets }));
    serialized.set(kind, p);
  }
  return p;
}

export async function providerText(kind: Kind): Promise<string> {
  return (await serializeProvider(kind)).text;
}

// ---------------------------------------------------------------------------------------------------------------------
// Secrets we must never see printed

const SECRETS = new Set<string>(Object.values(DEFAULT_PASSPHRASES));

/** Remember a secret string (a passphrase, or a private key PEM: its base64 body lines are tracked). */
export function trackSecret(s: string): void {
  if (s.includes("-----BEGIN")) {
    for (const line of s.split(/\r?\n/)) if (/^[A-Za-z0-9+/=]{40,}$/.test(line)) SECRETS.add(line.slice(0, 40));
  } else if (s.length >= 6) SECRETS.add(s);
}

export type TestKey = { key: PrivateKey; pem: string; pub: string; id: string };

/** A fresh ECDSA P-256 key: unencrypted PKCS#8 PEM (as `Key.privateKeyPem`), PUBLIC KEY PEM, canonical ID. */
export function newKey(role?: string): TestKey {
  const key = PrivateKey.generate();
  const pem = key.exportPkcs8Pem();
  trackSecret(pem);
  return { key, pem, pub: writePublicKeyPem(key.publicKey.public, role), id: key.id };
}

/** Fails if any text contains a PEM private key marker, a tracked key body or a tracked passphrase. */
export function assertNoLeaks(texts: Iterable<string>, what: string): void {
  let n = 0;
  for (const t of texts) {
    n++;
    assert.doesNotMatch(t, /PRIVATE KEY-----/, `${what} #${n} contains a PEM private key marker`);
    for (const s of SECRETS) assert.ok(!t.includes(s), `${what} #${n} contains a secret (key material or passphrase)`);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The test environment: notary-server (TLS) + one provider host per simulated `pulumi` command + a mini engine

/**
 * The `pulumi` commands a test simulates. The real engine starts a NEW dynamic provider host process for each of them
 * (and `pulumi up` runs its preview and its update as two deployments, each with its own host), so everything a
 * provider keeps in memory — the verified state of each repository, staged SignedTag intents — lives for one command.
 */
export type Command = "preview" | "up" | "refresh" | "destroy";

const COMPILE_CACHE = path.join(os.tmpdir(), "pulumi-notary-test-compile-cache");
let primed: Promise<void> | undefined;

/**
 * Fill V8's code cache for the modules a host loads (its own, and `pulumi-notary/runtime` that the providers load on
 * their first call). Hosts are SIGKILLed, so they never write the cache themselves; a process that loads the same
 * modules and exits does (the host module exits at once without an engine address). Failures only cost speed.
 */
function primeCompileCache(): Promise<void> {
  primed ??= new Promise<void>((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE };
    delete env["NODE_TEST_CONTEXT"];
    execFile(
      process.execPath,
      ["-e", 'import("pulumi-notary/runtime").then(() => require("@pulumi/pulumi/cmd/dynamic-provider/index.js"))'],
      { cwd: ROOT, env, timeout: 30_000 },
      () => resolve(),
    );
  });
  return primed;
}

export type Env = {
  server: NotaryServer;
  /** The host of the current command (the last one started; stopped when the next command starts). */
  readonly host: DynamicHost;
  /** The mini engine of the current command (bound to `host`); its `stack` is the shared state file. */
  readonly engine: MiniEngine;
  /** The state file: carried from one command (host) to the next. */
  readonly stack: Stack;
  /** Every host started so far, in order (their logs are leak-scanned). */
  readonly hosts: DynamicHost[];
  /** The commands run so far, in order (one host each). */
  readonly commands: Command[];
  /**
   * Start a `pulumi <cmd>`: stop the previous command's host (its process and all its in-memory state end) and
   * switch to a fresh host with the same cwd, project and config. Returns the command's engine.
   */
  command(cmd: Command): Promise<MiniEngine>;
  /** End the current command: stop its host (as the engine does when a command finishes). */
  endCommand(): Promise<void>;
  /** A notary CLI trust dir kept for the whole file (it caches roots: TOFU, then rotations must verify). */
  trustDir: string;
  /** docker's DOCKER_CONFIG (trust dir `<configDir>/trust`). */
  dockerConfig: string;
  /** `127.0.0.1:<notary port>/<path>`: docker derives nothing from it but `docker trust inspect` accepts it. */
  gun(pathPart: string): string;
  /** Error messages seen by the tests (scanned for secrets at the end). */
  errors: string[];
  stop(): Promise<void>;
};

export async function startEnv(project: string): Promise<Env> {
  // Serialize before anything else runs: the first serialization is the slow one.
  await Promise.all((Object.keys(providers) as Kind[]).map((k) => serializeProvider(k)));
  const [server] = await Promise.all([startNotaryServer({ tls: true }), primeCompileCache()]);
  const hostOptions = {
    cwd: ROOT,
    project,
    config: { "notary:serverUrl": server.url, "notary:caPem": server.caPem! },
    // V8's code cache for the host's modules (@pulumi/pulumi, grpc, the runtime; see primeCompileCache): a quarter
    // less CPU per host, no change in behaviour. Every command starts a host, so this adds up.
    env: { NODE_COMPILE_CACHE: COMPILE_CACHE },
  };
  const hosts: DynamicHost[] = [];
  const commands: Command[] = [];
  // Each command takes a host started ahead of time (so it does not wait for the spawn, ~0.7 s), and another one is
  // started at once.
  const startHost = (): Promise<DynamicHost> => {
    const p = startProviderHost(hostOptions).then((h) => {
      hosts.push(h);
      return h;
    });
    p.catch(() => {}); // awaited (and reported) by whoever takes it
    return p;
  };
  // The spare: a fresh process that has only been Configured — exactly what the engine has when a command starts. (A
  // second spare was measured: no faster, the spawns are CPU-bound.)
  const spares: Promise<DynamicHost>[] = [startHost()];
  try {
    await spares[0]; // fail early if no host can start
  } catch (e) {
    await server.stop();
    throw e;
  }
  let current: DynamicHost | undefined;
  let engine: MiniEngine | undefined;
  const stack = new Stack(project);
  let stopped = false;
  const noCommand = (): never => {
    throw new Error("no command started: call env.command(...) (or pulumiUp, pulumiPreview, ...) first");
  };

  if (process.env["PROVIDER_TEST_STATS"]) {
    process.on("exit", () => {
      const ms = hosts.map((h) => Math.round(h.startupMs));
      process.stderr.write(`[${project}] commands=${commands.length} hosts=${hosts.length} startupMs avg=${Math.round(ms.reduce((a, b) => a + b, 0) / ms.length)} max=${Math.max(...ms)}\n`);
    });
  }
  const env: Env = {
    server,
    get host() {
      return current ?? noCommand();
    },
    get engine() {
      return engine ?? noCommand();
    },
    stack,
    hosts,
    commands,
    async command(cmd) {
      if (stopped) throw new Error("the test environment is stopped");
      await current?.stop();
      const next = spares.shift() ?? startHost();
      spares.push(startHost());
      current = await next;
      engine = new MiniEngine(current, stack);
      commands.push(cmd);
      return engine;
    },
    async endCommand() {
      await current?.stop();
    },
    trustDir: await makeTempDir("notary-trust"),
    dockerConfig: await makeTempDir("docker-config"),
    gun: (p) => `${server.host}/${p}`,
    errors: [],
    stop: async () => {
      stopped = true;
      const left = spares.splice(0);
      await Promise.allSettled([current?.stop(), ...left.map((p) => p.then((h) => h.stop()))]);
      await server.stop();
    },
  };
  return env;
}

/** The leak scan every file runs in `after()`: every host's output, server log, and every error message seen. */
/**
 * The file's Env, usable from inside tests: started in `before`; in `after`, checked for leaked secrets (host logs,
 * error messages, the server log) and stopped. `setup` runs right after the start, in the same hook (a file's further
 * set-up that needs the Env goes there).
 */
export function envPerFile(project: string, setup?: (env: Env) => Promise<void>): Env {
  let started: Env | undefined;
  // One hook: node:test runs top-level hooks as they are registered, so a second `before` would not wait for this one.
  before(async () => {
    started = await startEnv(project);
    await setup?.(started);
  });
  after(async () => {
    if (!started) return;
    try {
      assertEnvLeakFree(started);
    } finally {
      await started.stop();
    }
  });
  return lateBound(() => {
    if (!started) throw new Error("the file's Env is started in before(): use it inside tests");
    return started;
  });
}

export function assertEnvLeakFree(env: Env): void {
  for (const h of env.hosts) assertNoLeaks(h.logs().split("\n"), "host log line");
  assertNoLeaks(env.errors, "error message");
  assertNoLeaks(env.server.log().split("\n"), "notary-server log line");
}

// ---------------------------------------------------------------------------------------------------------------------
// Commands: each one runs in a fresh host, like the real engine

/** `pulumi preview` of one resource (Check, Diff; no Create/Update): a host of its own. */
export async function pulumiPreview(env: Env, g: ResourceGoal): Promise<UpResult> {
  return (await env.command("preview")).up(g, { preview: true });
}

/** The update of `pulumi up` for one resource (its preview having run in a host of its own): a host of its own. */
export async function pulumiUp(env: Env, g: ResourceGoal): Promise<UpResult> {
  return (await env.command("up")).up(g);
}

/** `pulumi preview` (preview true) or the update of `pulumi up` of one resource. */
export function pulumiUpOrPreview(env: Env, g: ResourceGoal, preview: boolean): Promise<UpResult> {
  return preview ? pulumiPreview(env, g) : pulumiUp(env, g);
}

/** `pulumi refresh` of one resource (Read): a host of its own. */
export async function pulumiRefresh(env: Env, urn: string): Promise<RefreshResult> {
  return (await env.command("refresh")).refresh(urn);
}

/** `pulumi destroy` of one resource (Delete): a host of its own. */
export async function pulumiDestroy(env: Env, urn: string): Promise<StepRecord[]> {
  return (await env.command("destroy")).destroy(urn);
}

// ---------------------------------------------------------------------------------------------------------------------
// Goals (wire-form inputs, as the program would register them)

export async function goal(kind: Kind, name: string, inputs: PropertyMap): Promise<ResourceGoal> {
  return { type: TYPES[kind], name, inputs: { __provider: await providerText(kind), ...inputs }, additionalSecretOutputs: SECRET_OUTPUTS[kind] };
}

export function urnOf(env: Env, kind: Kind, name: string): string {
  return env.stack.urn(TYPES[kind], name);
}

/** Plain (secrets unwrapped) outputs of a resource in the mini engine's stack. */
export function outputsOf(env: Env, kind: Kind, name: string): Record<string, any> {
  const e = env.stack.get(urnOf(env, kind, name));
  assert.ok(e, `${kind} ${name} is in the stack`);
  return stripSecrets(e.outputs) as Record<string, any>;
}

/** Run a promise that must fail; records the message for the leak scan and returns the error. */
export async function expectFailure(env: Env, p: Promise<unknown>, check: RegExp): Promise<Error> {
  try {
    await p;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    env.errors.push(msg);
    if (e instanceof CheckFailedError) env.errors.push(...e.failures.map((f) => f.reason));
    assert.match(msg, check);
    return e as Error;
  }
  assert.fail(`expected a failure matching ${check}`);
}

export { HostCallError, CheckFailedError };

// ---------------------------------------------------------------------------------------------------------------------
// Network oracle: the notary server's request log

export type { LoggedRequest };

/** Every request the notary server logged ("response completed" lines). */
export function serverRequests(server: NotaryServer): LoggedRequest[] {
  return requestsIn(server.log());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` and asserts the notary server saw no request meanwhile (the log is read after a short settle time, since
 * the server writes its "response completed" line after answering).
 */
/**
 * Each case's Check fails without touching the network, naming exactly the given properties. One command's host runs
 * them all: a failing Check is pure (no state, nothing staged), so a host per case would only cost time.
 */
export async function expectCheckFailures(env: Env, engine: MiniEngine, kind: Kind, cases: [PropertyMap, string[]][]): Promise<void> {
  for (const [inputs, props] of cases) {
    const g = await goal(kind, "bad", inputs);
    const e = await withoutNetwork(env, `check ${JSON.stringify(props)}`, () => expectFailure(env, engine.up(g), /is invalid/));
    assert.ok(e instanceof CheckFailedError);
    assert.deepEqual(e.failures.map((f) => f.property), props, e.message);
  }
}

export async function withoutNetwork<T>(env: Env, what: string, fn: () => Promise<T>): Promise<T> {
  await sleep(100);
  const before = serverRequests(env.server).length;
  const r = await fn();
  await sleep(200);
  const after = serverRequests(env.server);
  assert.equal(after.length, before, `${what} made no request to the notary server (saw ${JSON.stringify(after.slice(before))})`);
  return r;
}

/** Versions of every role the server holds for a GUN, plus a hash of the timestamp (equal ⇒ nothing published). */
export function fingerprint(env: Env, gun: string): Promise<Record<string, number | string>> {
  return serverFingerprint(env.server, gun);
}

// ---------------------------------------------------------------------------------------------------------------------
// The oracles: the Go notary client and docker

function cli(env: Env, trustDir?: string) {
  return { trustDir: trustDir ?? env.trustDir, server: { url: env.server.url, caFile: env.server.caFile } };
}

export async function notaryList(env: Env, gun: string, trustDir?: string): Promise<ListRow[]> {
  return parseNotaryList(await notaryOk(["list", gun], cli(env, trustDir)));
}

/** `notary list` from a fresh trust dir that is expected to fail; returns what it printed. */
export async function notaryListFails(env: Env, gun: string): Promise<string> {
  const r = await notaryCli(["list", gun], cli(env, await makeTempDir("fresh")));
  assert.notEqual(r.code, 0, `notary list ${gun} should fail, printed: ${r.stdout}`);
  return r.stdout + r.stderr;
}

/** `notary list` that is expected to fail because the server has no trust data for the GUN (fresh trust dir). */
export async function assertNoTrustData(env: Env, gun: string): Promise<void> {
  assert.match(await notaryListFails(env, gun), /does not have trust data/);
}

export async function notaryDelegations(env: Env, gun: string, trustDir?: string): Promise<DelegationRow[]> {
  return parseDelegationList(await notaryOk(["delegation", "list", gun], cli(env, trustDir)));
}

export async function notaryLookup(env: Env, gun: string, tag: string, trustDir?: string): Promise<{ name: string; digest: string; size: number }> {
  return parseLookup(await notaryOk(["lookup", gun, tag], cli(env, trustDir)));
}

/** Any notary command against the server, in `trustDir` (default the file's trust dir); throws unless it exits 0. */
export function notary(env: Env, args: string[], opts: { trustDir?: string; input?: string } = {}): Promise<string> {
  return notaryOk(args, { ...cli(env, opts.trustDir), ...(opts.input !== undefined ? { input: opts.input } : {}) });
}

/** Import private keys into a notary trust dir (unencrypted role-labelled files; notary re-encrypts them). */
export async function importKeys(env: Env, trustDir: string, keys: { key: TestKey; role: string; gun?: string }[]): Promise<void> {
  const dir = await makeTempDir("import");
  for (const [i, k] of keys.entries()) {
    const file = path.join(dir, `k${i}.pem`);
    await writeFile(
      file,
      writePrivateKeyFile({ keyType: k.key.key.keyType, pkcs8: k.key.key.exportPkcs8(), role: k.role, ...(k.gun ? { gun: k.gun } : {}) }),
      { mode: 0o600 },
    );
    await notary(env, ["key", "import", file], { trustDir });
  }
}

/** Write a public key file for `notary delegation add`. */
export async function publicKeyFile(k: TestKey, name: string): Promise<string> {
  const file = path.join(await makeTempDir("pub"), `${name}.pem`);
  await writeFile(file, k.pub);
  return file;
}

/**
 * Another client re-signs `role` (as-is: a witness) with a short expiry — an out-of-band change no CLI can make (notary
 * always signs with its default expiries), so it is made with our SDK in the test process, pinned on the root key.
 * Returns the new expiry. Used to put a role inside its renewal window without waiting for time to pass.
 */
export async function resignElsewhere(env: Env, gun: string, root: TestKey, role: string, keys: TestKey[], days: number): Promise<string> {
  const client = new NotaryClient({ url: env.server.url, tls: { ca: env.server.caPem! }, dockerConfigDir: env.dockerConfig });
  try {
    const ms = days * 86_400_000;
    const repo = client.repository(gun, { anchor: { rootKeyIds: [root.id] }, expiry: { targets: ms, delegation: ms } });
    await repo.fetch();
    const { state } = await repo.publish([{ type: "witness", role }], { keys: keys.map((k) => k.key) });
    const expires = state.roles.get(role)?.file.signed.expires;
    assert.ok(expires, `${role} was re-signed`);
    return expires;
  } finally {
    await client.close();
  }
}

export async function dockerInspect(env: Env, gun: string): Promise<DockerTrustInfo> {
  const [info] = await dockerTrustInspect(gun, { configDir: env.dockerConfig, server: { url: env.server.url, caPem: env.server.caPem } });
  assert.ok(info, `docker trust inspect ${gun} printed one entry`);
  return info;
}

/**
 * `docker trust inspect` for a GUN without trust data exits 1 (reference §8.4). Run from a fresh DOCKER_CONFIG: with a
 * cache docker falls back to the cached trust data when the server has none.
 */
export async function dockerInspectFails(env: Env, gun: string): Promise<string> {
  const r = await dockerCli(["trust", "inspect", gun], { configDir: await makeTempDir("docker-fresh"), server: { url: env.server.url, caPem: env.server.caPem } });
  assert.notEqual(r.code, 0, `docker trust inspect ${gun} should fail, printed: ${r.stdout}`);
  assert.match(r.stderr, /no signatures or cannot access/);
  return r.stderr;
}

export function adminKeys(info: DockerTrustInfo): { root: string[]; repository: string[] } {
  const ids = (n: string) => info.AdministrativeKeys.find((k) => k.Name === n)?.Keys.map((k) => k.ID) ?? [];
  return { root: ids("Root"), repository: ids("Repository") };
}

// ---------------------------------------------------------------------------------------------------------------------
// A Repository to hang dependent resources on

export type RepoFixture = { gun: string; root: TestKey; targets: TestKey; outputs: Record<string, any> };

/** `up` a Repository named `name` for `gun` and return its keys and outputs. */
export async function upRepository(env: Env, name: string, gun: string, extra: PropertyMap = {}): Promise<RepoFixture> {
  const root = newKey();
  const targets = newKey();
  const r = await pulumiUp(env, await goal("repository", name, { gun, rootKey: secret(root.pem), targetsKey: secret(targets.pem), ...extra }));
  assert.equal(r.op, "create");
  return { gun, root, targets, outputs: stripSecrets(r.outputs) as Record<string, any> };
}

/**
 * What a dependent resource gets from `repository: repo` (resources.ts › repoInputs): gun, the sha256 of the trusted
 * root and the repository's expiry policy.
 */
export function repoRef(repo: RepoFixture): PropertyMap {
  return { gun: repo.gun, trustedRootSha256: repo.outputs["trustedRootSha256"], repositoryExpiry: repo.outputs["expiryPolicy"] };
}

/**
 * The repository pinned by its root key ID instead (as a stack that does not manage it would): no RepositoryStatus
 * renews its roles, so the resource renews its own.
 */
export function pinnedRef(repo: RepoFixture): PropertyMap {
  return { gun: repo.gun, rootKeyId: repo.outputs["rootKeyId"], repositoryExpiry: repo.outputs["expiryPolicy"] };
}

/** The same reference during a preview in which the Repository is created too: its computed outputs are unknown. */
export function repoRefPreview(gun: string): PropertyMap {
  return { gun, server: UNKNOWN, trustedRootSha256: UNKNOWN, repositoryExpiry: UNKNOWN };
}

export const sha256Hex = (digest: string): string => digest.replace(/^sha256:/, "");
