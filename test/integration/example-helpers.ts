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
import { PulumiStack, type CommandOptions, type EngineEvent, type PulumiResult } from "../support/pulumi-cli.ts";
import { dockerTrustInspect, makeTempDir, notaryCli, notaryOk, startNotaryServer, type DockerTrustInfo, type NotaryServer } from "../support/stack.ts";
import { fromExport, isSecret, stripSecrets, UNKNOWN, type PropertyMap } from "../support/wire.ts";
import { parseDelegationList, parseNotaryList, serverFingerprint, type DelegationRow, type ListRow } from "./interop-helpers.ts";

export { UNKNOWN, isSecret, stripSecrets };
export type { ListRow, DelegationRow, PulumiResult };

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, "../..");

/** Type tokens of the product's resources. */
export const T = {
  key: "pulumi-nodejs:dynamic/notary:Key",
  repository: "pulumi-nodejs:dynamic/notary:Repository",
  delegation: "pulumi-nodejs:dynamic/notary:Delegation",
  signer: "pulumi-nodejs:dynamic/notary:Signer",
  signedTag: "pulumi-nodejs:dynamic/notary:SignedTag",
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `name:` of an example's Pulumi.yaml (the project name that namespaces its config keys). */
export function projectName(dir: string): string {
  const m = /^name:\s*(\S+)\s*$/m.exec(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
  assert.ok(m, `${dir}/Pulumi.yaml has a name`);
  return m[1]!;
}

// ---------------------------------------------------------------------------------------------------------------------
// What a command did, from its event log

/** One step of the engine (a `resourcePreEvent`). */
export interface Step {
  op: string;
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  old: { inputs: PropertyMap; outputs: PropertyMap } | undefined;
  new: { inputs: PropertyMap; outputs: PropertyMap } | undefined;
}

/** A resource of a run: its steps, and one op for the lot (`replace` for the three steps of a replacement). */
export interface ResourceRun {
  name: string;
  type: string;
  urn: string;
  custom: boolean;
  op: string;
  steps: Step[];
}

/** A refresh of one resource, with the verdict `pulumi refresh` prints: same, update (drift) or delete (gone). */
export interface RefreshRecord {
  name: string;
  type: string;
  resultOp: "same" | "update" | "delete" | "refreshed";
  /** The refreshed outputs (secrets masked by the engine). */
  outputs: PropertyMap;
}

export interface Run {
  result: PulumiResult;
  steps: Step[];
  resources: ResourceRun[];
  refresh: RefreshRecord[];
  /** Stack outputs: plain values after an up (from `pulumi stack output`), the preview's (unknowns as UNKNOWN). */
  outputs: Record<string, any>;
  get(name: string): ResourceRun;
}

const nameOf = (urn: string): string => urn.split("::").pop()!;
const isProvider = (type: string): boolean => type.startsWith("pulumi:providers:");

function stepsOf(events: EngineEvent[]): Step[] {
  const out: Step[] = [];
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m || isProvider(m.type) || m.type === "pulumi:pulumi:Stack") continue;
    const state = (s: typeof m.old) => (s ? { inputs: s.inputs ?? {}, outputs: s.outputs ?? {} } : undefined);
    out.push({ op: m.op, urn: m.urn, type: m.type, name: nameOf(m.urn), custom: (m.new ?? m.old)?.custom !== false, old: state(m.old), new: state(m.new) });
  }
  return out;
}

/**
 * The refreshes of a run. `pulumi refresh` reports the engine's verdict (RefreshStep.ResultOp: the provider's diff of
 * the refreshed state against the recorded inputs) as the op of its output event: same, update (drift) or delete
 * (gone). Inside `preview --refresh` / `up --refresh` the op stays `refresh` (the verdict shows as the update step
 * that follows), so only a resource that is gone is told apart there.
 */
function refreshOf(events: EngineEvent[]): RefreshRecord[] {
  const refreshed = new Set<string>();
  const out: RefreshRecord[] = [];
  for (const e of events) {
    const pre = e.resourcePreEvent?.metadata;
    if (pre?.op === "refresh") refreshed.add(pre.urn);
    const m = e.resOutputsEvent?.metadata;
    if (!m || !refreshed.has(m.urn) || isProvider(m.type)) continue;
    const gone = !m.new || !m.new.id;
    const resultOp = m.op === "same" || m.op === "update" || m.op === "delete" ? m.op : gone ? "delete" : "refreshed";
    out.push({ name: nameOf(m.urn), type: m.type, resultOp, outputs: m.new?.outputs ?? {} });
  }
  return out;
}

function resourcesOf(steps: Step[]): ResourceRun[] {
  const byUrn = new Map<string, ResourceRun>();
  for (const s of steps) {
    if (s.op === "refresh") continue;
    const r = byUrn.get(s.urn) ?? { name: s.name, type: s.type, urn: s.urn, custom: s.custom, op: s.op, steps: [] };
    r.steps.push(s);
    if (["replace", "create-replacement", "delete-replaced"].includes(s.op)) r.op = "replace";
    byUrn.set(s.urn, r);
  }
  return [...byUrn.values()];
}

function previewOutputs(events: EngineEvent[]): Record<string, any> {
  let outs: PropertyMap = {};
  for (const e of events) {
    const m = e.resOutputsEvent?.metadata;
    if (m?.type === "pulumi:pulumi:Stack" && m.new) outs = m.new.outputs ?? {};
  }
  return outs;
}

// ---------------------------------------------------------------------------------------------------------------------
// One stack of an example, with the config it was last given

/** A state entry (from `pulumi stack export --show-secrets`, secrets as wire secrets). */
export interface StackEntry {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  inputs: PropertyMap;
  outputs: PropertyMap;
  options: { retainOnDelete: boolean };
}

export class ExampleStack {
  private applied = new Map<string, string>();
  /** The state after the last command. */
  resources = new Map<string, StackEntry>();

  readonly pulumi: PulumiStack;

  constructor(pulumi: PulumiStack) {
    this.pulumi = pulumi;
  }

  get name(): string {
    return this.pulumi.stack;
  }

  /** Custom resources in the state (the root stack and providers left out). */
  get size(): number {
    return this.resources.size;
  }

  /** `pulumi config set` / `config rm` for what changed since the last command. */
  async applyConfig(config: Record<string, ConfigValue>): Promise<void> {
    for (const [k, v] of Object.entries(config)) {
      const text = JSON.stringify(v);
      if (this.applied.get(k) === text) continue;
      await this.pulumi.setConfig({ [k]: v });
      this.applied.set(k, text);
    }
    for (const k of [...this.applied.keys()]) {
      if (!(k in config)) {
        await this.pulumi.removeConfig(k);
        this.applied.delete(k);
      }
    }
  }

  async reload(): Promise<void> {
    const d = await this.pulumi.exportState({ showSecrets: true });
    this.resources = new Map();
    for (const r of d.deployment.resources ?? []) {
      if (isProvider(r.type) || r.type === "pulumi:pulumi:Stack") continue;
      this.resources.set(r.urn, {
        urn: r.urn,
        type: r.type,
        name: nameOf(r.urn),
        custom: r.custom !== false,
        inputs: fromExport(r.inputs ?? {}) as PropertyMap,
        outputs: fromExport(r.outputs ?? {}) as PropertyMap,
        options: { retainOnDelete: r.retainOnDelete === true },
      });
    }
  }
}

export type ConfigValue = string | { secret: string };

export interface RunOptions extends CommandOptions {
  /** Config for this command only (default: the env's current config). */
  config?: Record<string, ConfigValue>;
  /** Another stack of the same project (default: the env's main stack). */
  stack?: ExampleStack;
  /** Extra CLI arguments. */
  args?: string[];
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

  /** A further stack of the same project (`pulumi stack init <name>`), in its own backend. */
  async newStack(name: string): Promise<ExampleStack> {
    const s = new ExampleStack(await PulumiStack.init({ dir: this.dir, stack: name }));
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
    const steps = stepsOf(result.events);
    const resources = resourcesOf(steps);
    const dry = args[0] === "preview";
    const outputs = dry || result.code !== 0 ? previewOutputs(result.events) : await stack.pulumi.outputs();
    return {
      result,
      steps,
      resources,
      refresh: refreshOf(result.events),
      outputs,
      get(name: string) {
        const r = resources.find((x) => x.name === name);
        assert.ok(r, `${name} took part in ${what}`);
        return r;
      },
    };
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

  /** Role versions the server holds for a GUN plus a hash of the timestamp: equal ⇒ nothing was published. */
  fingerprint(gun: string): Promise<Record<string, number | string>> {
    return serverFingerprint(this.server, gun);
  }

  // --- secrets -------------------------------------------------------------------------------------------------------

  /**
   * Every PEM private key in the state (inputs and outputs of every resource) is inside a secret, and no non-secret
   * value holds a known private key in any encoding; `mustBeSecret` lists `[type, name, outputKey]` that must be secret
   * outputs. The keys found are remembered for `assertNoLeaks`.
   */
  assertStateSecrets(mustBeSecret: [string, string, string][], stack = this.stack): void {
    const walk = (v: unknown, where: string, inSecret: boolean): void => {
      if (isSecret(v)) return walk(v.value, where, true);
      if (typeof v === "string") {
        if (/PRIVATE KEY-----/.test(v)) {
          assert.ok(inSecret, `${where} holds a PEM private key outside a secret`);
          for (const f of keyFragments(v)) this.keyFragments.add(f);
        } else if (!inSecret) assert.ok(!this.holdsKeyMaterial(v), `${where} holds private key material outside a secret`);
        return;
      }
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${where}[${i}]`, inSecret));
      if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`, inSecret);
    };
    for (const e of stack.resources.values()) {
      walk(e.inputs, `${e.name} (${e.type}) inputs`, false);
      walk(e.outputs, `${e.name} (${e.type}) outputs`, false);
    }
    for (const [type, name, key] of mustBeSecret) {
      assert.ok(isSecret(this.entry(type, name, stack).outputs[key]), `${type} ${name}.${key} is a secret output`);
    }
  }

  readonly keyFragments = new Set<string>();

  /** Remember a private key PEM that is not (or not yet) in the state, e.g. one handed to a failing command. */
  trackKey(pem: string): void {
    for (const f of keyFragments(pem)) this.keyFragments.add(f);
  }

  /** Does `text` contain a known private key (PEM body, raw scalar in hex/base64/base64url), line breaks ignored? */
  holdsKeyMaterial(text: string): boolean {
    const flat = text.replace(/\\r|\\n|\s/g, "");
    for (const f of this.keyFragments) if (flat.includes(f)) return true;
    return false;
  }

  /**
   * No PEM private key marker, known key material or stack passphrase in any command's output, error message, the
   * server's log, or the raw `pulumi stack export` of any stack (where secrets are ciphertext).
   */
  async assertNoLeaks(): Promise<void> {
    for (const s of this.stacks) this.assertStateSecrets([], s);
    assert.ok(this.keyFragments.size > 0, "private keys were seen (the scan is not vacuous)");
    const texts = [...this.texts, { what: "notary-server log", text: this.server.log() }];
    for (const s of this.stacks) texts.push({ what: `pulumi stack export (${s.name})`, text: await s.pulumi.exportText() });
    const passphrases = this.stacks.map((s) => s.pulumi.passphrase);
    for (const { what, text } of texts) {
      assert.doesNotMatch(text, /PRIVATE KEY-----/, `${what} contains a PEM private key`);
      assert.ok(!this.holdsKeyMaterial(text), `${what} contains private key material`);
      for (const p of passphrases) assert.ok(!text.includes(p), `${what} contains a stack passphrase`);
    }
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

/** `{ name: resultOp }` of a refresh (custom resources only). */
export function refreshOps(rs: RefreshRecord[]): Record<string, string> {
  return Object.fromEntries(rs.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => [r.name, r.resultOp]));
}

/**
 * Strings that betray a private key PEM: its private scalar as hex, base64 and base64url, and the part of the PEM's
 * base64 body that encodes only the scalar (the rest of a PKCS#8 body is a constant header and the public key, which
 * legitimately appears in certificates and key IDs). Unreadable (e.g. encrypted) PEMs give none.
 */
export function keyFragments(pem: string): string[] {
  let d: Buffer;
  try {
    const jwk = createPrivateKey(pem).export({ format: "jwk" });
    if (!jwk.d) return [];
    d = Buffer.from(jwk.d, "base64url");
  } catch {
    return [];
  }
  const out = [d.toString("hex"), d.toString("base64").slice(0, 40), d.toString("base64url").slice(0, 40)];
  const m = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/.exec(pem);
  if (m) {
    const b64 = m[1]!.split(/\r?\n/).filter((l) => !l.includes(":")).join("").replace(/\s/g, "");
    const der = Buffer.from(b64, "base64");
    const at = der.indexOf(d);
    if (at >= 0) {
      const from = Math.ceil(at / 3);
      const to = Math.floor((at + d.length) / 3);
      if (to - from >= 6) out.push(b64.slice(from * 4, to * 4));
    }
  }
  return out;
}

/**
 * Ops of the custom resources of a run, by name: `{ root: "create", … }`; a name used by several resources (a Key and
 * a Signer both called "ci") is qualified by the type's last segment: `"Key:ci"`, `"Signer:ci"`.
 */
export function ops(r: Run): Record<string, string> {
  const custom = r.resources.filter((x) => x.custom);
  const count = new Map<string, number>();
  for (const x of custom) count.set(x.name, (count.get(x.name) ?? 0) + 1);
  const key = (x: ResourceRun) => (count.get(x.name)! > 1 ? `${x.type.split(":").pop()}:${x.name}` : x.name);
  return Object.fromEntries(custom.map((x) => [key(x), x.op]));
}

/** Asserts every custom resource of a run had `op`. */
export function assertAllOps(r: Run, op: string, what: string): void {
  const bad = r.resources.filter((x) => x.custom && x.op !== op).map((x) => `${x.name}:${x.op}`);
  assert.deepEqual(bad, [], `${what}: every resource is ${op}`);
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
