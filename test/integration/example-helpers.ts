/**
 * Shared helpers of the example tests (test/integration/example-*.test.ts). Each test runs one of the Pulumi programs
 * in examples/ unchanged, with the real Pulumi CLI (test/support/pulumi-cli.ts: built from Go modules, local file
 * backend, passphrase secrets), in the example's own directory, against a real notary-server with TLS, and checks every
 * step with the Go `notary` client and `docker trust inspect`.
 *
 * What a command did is read from the engine's event log (steps, diagnostics) and from `pulumi stack export` /
 * `pulumi stack output` afterwards (state, outputs), as a user would look at them.
 *
 * Secrets: every command's output and error is kept, and `assertNoLeaks` proves that no PEM private key (its marker,
 * or the key's private scalar in any usual encoding) appears in them, in the notary server's log, or in the raw
 * `pulumi stack export` outside a secret.
 */
import assert from "node:assert/strict";
import { createHash, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before } from "node:test";
import { writePrivateKeyFile } from "../../sdk/src/crypto/keyfile.ts";
import { lateBound } from "../support/per-file.ts";
import { requestsIn, type LoggedRequest } from "../support/server-log.ts";
import { PulumiStack, type PulumiResult } from "../support/pulumi-cli.ts";
import { dockerTrustInspect, makeTempDir, notaryCli, notaryOk, startNotaryServer, type DockerTrustInfo, type NotaryServer } from "../support/stack.ts";
import { isSecret, stripSecrets, UNKNOWN, type PropertyMap } from "../support/wire.ts";
import { assertAllOps, ops, previewOutputs, refreshOps, runOf, type RefreshRecord, type ResourceRun, type Run, type Step } from "./example-run.ts";
import { ExampleStack, type ConfigValue, type RunOptions, type StackEntry } from "./example-stack.ts";
import { KeyScanner } from "./example-secrets.ts";
import { parseDelegationList, parseNotaryList, serverFingerprint, serverRoles, type DelegationRow, type ListRow } from "./interop-helpers.ts";

export { UNKNOWN, isSecret, stripSecrets, assertAllOps, ops, refreshOps };
export type { ListRow, DelegationRow, PulumiResult, RefreshRecord, ResourceRun, Run, Step, StackEntry };

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, "../..");

/** Type tokens of the product's resources. */
export const T = {
  key: "pulumi-nodejs:dynamic/notary:Key",
  repository: "pulumi-nodejs:dynamic/notary:Repository",
  delegation: "pulumi-nodejs:dynamic/notary:Delegation",
  signer: "pulumi-nodejs:dynamic/notary:Signer",
  signedTag: "pulumi-nodejs:dynamic/notary:SignedTag",
  status: "pulumi-nodejs:dynamic/notary:RepositoryStatus",
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `name:` of an example's Pulumi.yaml (the project name that namespaces its config keys). */
export function projectName(dir: string): string {
  const m = /^name:\s*(\S+)\s*$/m.exec(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
  assert.ok(m, `${dir}/Pulumi.yaml has a name`);
  return m[1]!;
}

// ---------------------------------------------------------------------------------------------------------------------
// One example, one notary server, one main stack

export class ExampleEnv {
  readonly name: string;
  readonly dir: string;
  readonly project: string;
  readonly server: NotaryServer;
  readonly stack: ExampleStack;
  /** The stack config (`notary:*` and `<project>:*`); tests change it between commands like `pulumi config set`. */
  config: Record<string, ConfigValue>;
  /** A notary CLI trust dir kept for the whole file: it caches the root, so rotations must chain from it. */
  readonly trustDir: string;
  readonly dockerConfig: string;
  /** Output of every command, and error messages, scanned for leaks at the end. */
  readonly texts: { what: string; text: string }[] = [];
  readonly timings: { command: string; ms: number }[] = [];
  /** The private keys seen, for the leak scans. */
  readonly keys = new KeyScanner();
  private readonly stacks: ExampleStack[] = [];

  private constructor(name: string, dir: string, server: NotaryServer, trustDir: string, dockerConfig: string, stack: ExampleStack) {
    this.name = name;
    this.dir = dir;
    this.project = projectName(this.dir);
    this.server = server;
    this.trustDir = trustDir;
    this.dockerConfig = dockerConfig;
    this.stack = stack;
    this.stacks.push(stack);
    this.config = { "notary:serverUrl": server.url, "notary:caPem": server.caPem! };
  }

  /** Example `name` (examples/<name>), or the program in `dir` (relative to the repository root). */
  static async start(name: string, dir = path.join("examples", name)): Promise<ExampleEnv> {
    const server = await startNotaryServer({ tls: true });
    const stack = new ExampleStack(await PulumiStack.init({ dir, stack: "dev" }));
    return new ExampleEnv(name, path.resolve(ROOT, dir), server, await makeTempDir("notary-trust"), await makeTempDir("docker-config"), stack);
  }

  /** The test file's env for example `name`: started in `before` (then `setup`); in `after` checked for leaks, stopped. */
  static perFile(name: string, hooks: { setup?: (env: ExampleEnv) => Promise<void> | void; teardown?: () => Promise<void>; dir?: string } = {}): ExampleEnv {
    let started: ExampleEnv | undefined;
    before(async () => {
      started = await ExampleEnv.start(name, hooks.dir);
      await hooks.setup?.(started);
    });
    after(async () => {
      try {
        await started?.assertNoLeaks();
      } finally {
        await hooks.teardown?.();
        await started?.stop();
      }
    });
    return lateBound(() => {
      if (!started) throw new Error(`the ${name} example env is started in before(): use it inside tests`);
      return started;
    });
  }

  /**
   * A further stack (`pulumi stack init <name>`), in its own backend: of the same project, or of the program in `dir`
   * (relative to the repository root). Its commands' output and state are scanned for leaks, and it is removed at the end.
   */
  async newStack(name: string, dir = this.dir): Promise<ExampleStack> {
    const s = new ExampleStack(await PulumiStack.init({ dir, stack: name }));
    this.stacks.push(s);
    return s;
  }

  /** `127.0.0.1:<notary port>/<path>`: a GUN `docker trust inspect` resolves to this notary server. */
  gun(p: string): string {
    return `${this.server.host}/${p}`;
  }

  /** `pulumi config set <project>:<key>` (objects as JSON, as `pulumi config set --path` would build them). */
  set(key: string, value: string | number | object | { secret: string } | undefined): void {
    const k = key.includes(":") ? key : `${this.project}:${key}`;
    if (value === undefined) delete this.config[k];
    else if (typeof value === "object" && "secret" in value && Object.keys(value).length === 1) this.config[k] = value as { secret: string };
    else this.config[k] = typeof value === "string" ? value : JSON.stringify(value);
  }

  /** Runs one CLI command on a stack (config applied first), recording its output, time and resulting state. */
  async command(args: string[], o: RunOptions = {}): Promise<Run> {
    const stack = o.stack ?? this.stack;
    await stack.applyConfig(o.config ?? this.config);
    const what = `pulumi ${[...args, ...(o.args ?? [])].join(" ")} (${stack.name})`;
    const t0 = performance.now();
    let result: PulumiResult;
    try {
      result = await stack.pulumi.run([...args, ...(o.args ?? [])], o);
    } catch (e) {
      const r = (e as { result?: PulumiResult }).result;
      this.texts.push({ what, text: r ? `${r.stdout}\n${r.stderr}` : String(e) });
      await stack.reload();
      throw e;
    } finally {
      this.timings.push({ command: what, ms: Math.round(performance.now() - t0) });
    }
    this.texts.push({ what, text: `${result.stdout}\n${result.stderr}` });
    await stack.reload();
    const dry = args[0] === "preview";
    const outputs = dry || result.code !== 0 ? previewOutputs(result.events) : await stack.pulumi.outputs();
    return runOf(result, outputs, what);
  }

  /** `pulumi preview`. */
  preview(o: RunOptions = {}): Promise<Run> {
    return this.command(["preview"], o);
  }

  /** `pulumi up --yes`. */
  up(o: RunOptions = {}): Promise<Run> {
    return this.command(["up", "--yes"], o);
  }

  /** `pulumi refresh --yes`. */
  refresh(o: RunOptions = {}): Promise<Run> {
    return this.command(["refresh", "--yes"], o);
  }

  /** `pulumi preview --refresh` (with `--expect-no-changes` when asked: then a drift makes it fail). */
  previewRefresh(o: RunOptions & { expectNoChanges?: boolean } = {}): Promise<Run> {
    return this.command(["preview", "--refresh", ...(o.expectNoChanges ? ["--expect-no-changes"] : [])], o);
  }

  /** `pulumi up --refresh --yes`. */
  upRefresh(o: RunOptions = {}): Promise<Run> {
    return this.command(["up", "--refresh", "--yes"], o);
  }

  /** `pulumi destroy --yes`. */
  destroy(o: RunOptions = {}): Promise<Run> {
    return this.command(["destroy", "--yes"], o);
  }

  /** `pulumi preview --expect-no-changes` passes (exit 0, nothing to do). */
  async expectNoChanges(o: RunOptions = {}): Promise<Run> {
    const r = await this.command(["preview", "--expect-no-changes"], o);
    assertAllOps(r, "same", "preview --expect-no-changes");
    return r;
  }

  /** Runs `fn` (a command) and asserts the notary server got no request meanwhile. */
  async withoutNetwork<R>(what: string, fn: () => Promise<R>): Promise<R> {
    await sleep(100);
    const before = serverRequests(this.server).length;
    const r = await fn();
    await sleep(250);
    const after = serverRequests(this.server);
    assert.equal(after.length, before, `${what} made no request to the notary server (saw ${JSON.stringify(after.slice(before))})`);
    return r;
  }

  /** Record an error message seen by a test (scanned for leaks at the end). */
  recordError(e: unknown): void {
    this.texts.push({ what: "error", text: e instanceof Error ? e.message : String(e) });
  }

  // --- state access ------------------------------------------------------------------------------------------------

  entry(type: string, name: string, stack = this.stack): StackEntry {
    const e = [...stack.resources.values()].find((x) => x.type === type && x.name === name);
    assert.ok(e, `${type} ${name} is in the stack`);
    return e;
  }

  /** Plain outputs (secrets unwrapped) of a state entry. */
  outputs(type: string, name: string): Record<string, any> {
    return stripSecrets(this.entry(type, name).outputs) as Record<string, any>;
  }

  /** Names of the state's resources of a type. */
  names(type: string): string[] {
    return [...this.stack.resources.values()].filter((e) => e.type === type).map((e) => e.name);
  }

  // --- oracles and the team's out-of-band changes -------------------------------------------------------------------

  /**
   * Gives the notary CLI (the env's trust dir) a private key from the state, as a team member who holds it would
   * import it: `notary key import` of an unencrypted notary key file for `role`.
   */
  async importKeyToNotary(pem: string, role: string, gun?: string): Promise<void> {
    this.trackKey(pem);
    const der = new Uint8Array(createPrivateKey(pem).export({ format: "der", type: "pkcs8" }));
    const file = path.join(await makeTempDir("key-import"), "key.pem");
    const text = writePrivateKeyFile({ keyType: "ecdsa", pkcs8: der, role, ...(gun ? { gun } : {}) });
    await writeFile(file, text, { mode: 0o600 });
    await this.notary(["key", "import", file]);
  }

  /** A file of `text` to hand to `notary add` (its digest and size are what notary signs). */
  async fileOf(text: string): Promise<{ file: string; digest: string; size: number }> {
    const file = path.join(await makeTempDir("target"), "target.json");
    await writeFile(file, text);
    return { file, digest: `sha256:${createHash("sha256").update(text).digest("hex")}`, size: Buffer.byteLength(text) };
  }

  private cli(trustDir?: string) {
    return { trustDir: trustDir ?? this.trustDir, server: { url: this.server.url, caFile: this.server.caFile } };
  }

  /** `notary list GUN` (the file's trust dir by default: a client that cached earlier roots). */
  async notaryList(gun: string, trustDir?: string): Promise<ListRow[]> {
    return parseNotaryList(await notaryOk(["list", gun], this.cli(trustDir)));
  }

  async notaryDelegations(gun: string, trustDir?: string): Promise<DelegationRow[]> {
    return parseDelegationList(await notaryOk(["delegation", "list", gun], this.cli(trustDir)));
  }

  /** Any notary command against the server; throws unless it exits 0. */
  notary(args: string[], opts: { trustDir?: string; input?: string } = {}): Promise<string> {
    return notaryOk(args, { ...this.cli(opts.trustDir), ...(opts.input !== undefined ? { input: opts.input } : {}) });
  }

  notaryRaw(args: string[], opts: { trustDir?: string } = {}) {
    return notaryCli(args, this.cli(opts.trustDir));
  }

  async dockerInspect(gun: string): Promise<DockerTrustInfo> {
    const [info] = await dockerTrustInspect(gun, { configDir: this.dockerConfig, server: { url: this.server.url, caPem: this.server.caPem } });
    assert.ok(info, `docker trust inspect ${gun} printed one entry`);
    return info;
  }

  /** Version and expiry of every role the server holds for a GUN (raw files: what the Go tools would read). */
  serverRoles(gun: string): Promise<{ versions: Record<string, number>; expires: Record<string, string> }> {
    return serverRoles(this.server, gun);
  }

  /** The RepositoryStatus of repository `name` records exactly what the server holds. */
  async assertStatusTruthful(name: string, gun: string): Promise<void> {
    const o = this.outputs(T.status, `${name}-status`);
    const server = await this.serverRoles(gun);
    assert.deepEqual({ versions: o["versions"], expires: o["expires"] }, server, `${name}-status records what the server holds`);
  }

  /** Role versions the server holds for a GUN plus a hash of the timestamp: equal ⇒ nothing was published. */
  fingerprint(gun: string): Promise<Record<string, number | string>> {
    return serverFingerprint(this.server, gun);
  }

  // --- secrets (example-secrets.ts) -----------------------------------------------------------------------------------

  /** Every private key in the stack's state is inside a secret; `mustBeSecret` lists `[type, name, outputKey]`. */
  assertStateSecrets(mustBeSecret: [string, string, string][], stack = this.stack): void {
    this.keys.assertStateSecrets(stack.resources.values());
    for (const [type, name, key] of mustBeSecret) {
      assert.ok(isSecret(this.entry(type, name, stack).outputs[key]), `${type} ${name}.${key} is a secret output`);
    }
  }

  /** Remember a private key PEM that is not (or not yet) in the state, e.g. one handed to a failing command. */
  trackKey(pem: string): void {
    this.keys.track(pem);
  }

  holdsKeyMaterial(text: string): boolean {
    return this.keys.holds(text);
  }

  /**
   * No PEM private key marker, known key material or stack passphrase in any command's output, error message, the
   * server's log, or the raw `pulumi stack export` of any stack (where secrets are ciphertext).
   */
  async assertNoLeaks(): Promise<void> {
    for (const s of this.stacks) this.assertStateSecrets([], s);
    const texts = [...this.texts, { what: "notary-server log", text: this.server.log() }];
    for (const s of this.stacks) texts.push({ what: `pulumi stack export (${s.name})`, text: await s.pulumi.exportText() });
    this.keys.assertNoLeaks(texts, this.stacks.map((s) => s.pulumi.passphrase));
  }

  /** Stops the notary server and removes every stack (state and config file). */
  async stop(): Promise<void> {
    try {
      for (const s of this.stacks) await s.pulumi.remove();
    } finally {
      await this.server.stop();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The notary server's request log: the oracle for "no network"

export type { LoggedRequest };

/** Every request the notary server logged ("response completed" lines). */
export function serverRequests(server: NotaryServer): LoggedRequest[] {
  return requestsIn(server.log());
}


/** Values of a map, secrets unwrapped. */
export function plain<T = Record<string, any>>(m: PropertyMap): T {
  return stripSecrets(m) as T;
}

/** "sha256:<hex>" → "<hex>" (notary prints bare hex). */
export const hex = (d: string): string => d.replace(/^sha256:/, "");

/** A made-up manifest: its bytes, digest and size (quickstart signs digests directly). */
export function fakeManifest(label: string): { bytes: Buffer; digest: string; size: number } {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", label }));
  return { bytes, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`, size: bytes.length };
}

/** Prints the command timings of a file as a test diagnostic. */
export function timingReport(env: ExampleEnv): string {
  return env.timings.map((t) => `${t.command} ${t.ms}ms`).join(", ");
}
