/**
 * Shared helpers of the example tests (test/integration/example-*.test.ts). Each test runs one of the real Pulumi
 * programs in examples/ (unchanged, as `pulumi up` would run it) under `pulumi.runtime.setMocks`, forwarding every
 * dynamic resource to the REAL dynamic provider host (test/support/mock-forward.ts), against a real notary-server with
 * TLS, and checks the result with the Go `notary` client and `docker trust inspect`.
 *
 * Like the real engine, every simulated `pulumi` command (preview, up, refresh, destroy) gets a NEW provider host
 * process (same cwd and config); the Stack object plays the state file and is kept across commands. The provider
 * caches verified repository state for the lifetime of its host process, so reusing a host across commands would hide
 * bugs (e.g. after out-of-band changes).
 *
 * Secrets: every host log, program log and error message is kept, and `assertNoLeaks` proves that no PEM private key
 * (its marker, or the key's private scalar in any usual encoding) appears in them, nor in any non-secret value of the
 * recorded state.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { lateBound } from "../support/per-file.ts";
import { createHash, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { deepEqual, isSecret, liveHostPids, startProviderHost, stripSecrets, UNKNOWN, type ConfigValue, type DynamicHost, type PropertyMap } from "../support/dynhost.ts";
import { MiniEngine, Stack, type RefreshResult, type StackEntry, type StepRecord } from "../support/minieng.ts";
import { destroyStack, runProgram, type OtherDeleteHandler, type OtherResourceHandler, type ProgramResult } from "../support/mock-forward.ts";
import {
  dockerTrustInspect,
  makeTempDir,
  notaryCli,
  notaryOk,
  startNotaryServer,
  type DockerTrustInfo,
  type NotaryServer,
} from "../support/stack.ts";
import { parseDelegationList, parseNotaryList, serverFingerprint, type DelegationRow, type ListRow } from "./interop-helpers.ts";

export { UNKNOWN, isSecret, stripSecrets };
export type { ListRow, DelegationRow, ProgramResult, StepRecord, RefreshResult };

/** The repository root (where `pulumi-notary` resolves from, via package.json `exports` to `dist/`). */
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

/** The `main:` of an example's Pulumi.yaml (default index.ts). */
function mainOf(dir: string): string {
  const m = /^main:\s*(\S+)\s*$/m.exec(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
  return path.join(dir, m?.[1] ?? "index.ts");
}

// ---------------------------------------------------------------------------------------------------------------------
// The notary server's request log: the oracle for "no network"

export type LoggedRequest = { method: string; uri: string; status: number };

/** Every request the notary server logged ("response completed" lines). */
export function serverRequests(server: NotaryServer): LoggedRequest[] {
  const out: LoggedRequest[] = [];
  for (const line of server.log().split("\n")) {
    if (!line.includes('"response completed"')) continue;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      out.push({ method: String(j["http.request.method"]), uri: String(j["http.request.uri"]), status: Number(j["http.response.status"]) });
    } catch {
      /* a torn last line */
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// One example, one notary server, one stack

export interface CommandOptions {
  /** Config for this command only (default: the env's current config). */
  config?: Record<string, ConfigValue>;
  onOtherResource?: OtherResourceHandler;
  /** Another stack (state) of the same project (default: the env's stack). */
  stack?: Stack;
}

export class ExampleEnv {
  readonly name: string;
  readonly dir: string;
  readonly program: string;
  readonly project: string;
  readonly server: NotaryServer;
  readonly stack: Stack;
  /** The stack config (`notary:*` and `<project>:*`); tests change it between commands like `pulumi config set`. */
  config: Record<string, ConfigValue>;
  /** Default handler for non-dynamic resources (e.g. docker.Image). */
  onOtherResource: OtherResourceHandler | undefined;
  onOtherDelete: OtherDeleteHandler | undefined;
  /** A notary CLI trust dir kept for the whole file: it caches the root, so rotations must chain from it. */
  readonly trustDir: string;
  readonly dockerConfig: string;
  /** Output of every host started so far (one per command), program logs, and error messages. */
  readonly texts: { what: string; text: string }[] = [];
  /** Host startup and command times, for the report. */
  readonly timings: { command: string; ms: number }[] = [];
  private hosts = 0;

  private constructor(name: string, server: NotaryServer, trustDir: string, dockerConfig: string) {
    this.name = name;
    this.dir = path.join(ROOT, "examples", name);
    this.program = mainOf(this.dir);
    this.project = projectName(this.dir);
    this.server = server;
    this.stack = new Stack(this.project, "dev");
    this.trustDir = trustDir;
    this.dockerConfig = dockerConfig;
    this.config = { "notary:serverUrl": server.url, "notary:caPem": server.caPem! };
  }

  static async start(name: string): Promise<ExampleEnv> {
    const server = await startNotaryServer({ tls: true });
    return new ExampleEnv(name, server, await makeTempDir("notary-trust"), await makeTempDir("docker-config"));
  }

  /**
   * The test file's env for example `name`, usable from inside tests: started in `before` (then `setup`, in the same
   * hook: node:test runs top-level hooks as they are registered); in `after`, checked for leaked secrets, `teardown`,
   * stopped.
   */
  static perFile(name: string, hooks: { setup?: (env: ExampleEnv) => Promise<void> | void; teardown?: () => Promise<void> } = {}): ExampleEnv {
    let started: ExampleEnv | undefined;
    before(async () => {
      started = await ExampleEnv.start(name);
      await hooks.setup?.(started);
    });
    after(async () => {
      try {
        started?.assertNoLeaks();
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

  /** `127.0.0.1:<notary port>/<path>`: a GUN `docker trust inspect` resolves to this notary server. */
  gun(p: string): string {
    return `${this.server.host}/${p}`;
  }

  /** `pulumi config set <project>:<key>` (objects are stored as JSON like `pulumi config set --path`/`--json`). */
  set(key: string, value: string | number | object | { secret: string } | undefined): void {
    const k = key.includes(":") ? key : `${this.project}:${key}`;
    if (value === undefined) delete this.config[k];
    else if (typeof value === "object" && "secret" in value && Object.keys(value).length === 1) this.config[k] = value as { secret: string };
    else this.config[k] = typeof value === "string" ? value : JSON.stringify(value);
  }

  /** Runs one `pulumi` command with a fresh provider host (like the CLI does), recording its output. */
  async command<R>(what: string, fn: (host: DynamicHost) => Promise<R>, config = this.config): Promise<R> {
    const t0 = performance.now();
    const host = await startProviderHost({ cwd: this.dir, project: this.project, config });
    this.hosts++;
    try {
      return await fn(host);
    } catch (e) {
      this.texts.push({ what: `${what} error`, text: e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e) });
      throw e;
    } finally {
      await host.stop();
      this.texts.push({ what: `${what} host #${this.hosts} log`, text: host.logs() });
      this.timings.push({ command: what, ms: Math.round(performance.now() - t0) });
    }
  }

  private async run(what: string, preview: boolean, o: CommandOptions): Promise<ProgramResult> {
    const config = o.config ?? this.config;
    return await this.command(what, (host) => this.runOn(host, what, preview, o), config);
  }

  /** Run the program with an already started host (one step of a command). */
  private async runOn(host: DynamicHost, what: string, preview: boolean, o: CommandOptions): Promise<ProgramResult> {
    try {
      const r = await runProgram(this.program, {
        host,
        stack: o.stack ?? this.stack,
        preview,
        config: o.config ?? this.config,
        cwd: this.dir,
        onOtherResource: o.onOtherResource ?? this.onOtherResource,
      });
      this.texts.push({ what: `${what} program log`, text: r.log.join("\n") });
      return r;
    } catch (e) {
      const log = (e as { log?: string[] }).log;
      if (log) this.texts.push({ what: `${what} program log`, text: log.join("\n") });
      throw e;
    }
  }

  /** `pulumi preview`. */
  preview(o: CommandOptions = {}): Promise<ProgramResult> {
    return this.run("preview", true, o);
  }

  /** `pulumi up --yes`. */
  up(o: CommandOptions = {}): Promise<ProgramResult> {
    return this.run("up", false, o);
  }

  /** `pulumi refresh --yes`: Read of every custom dynamic resource in the stack, one fresh host. */
  refresh(o: { stack?: Stack } = {}): Promise<RefreshRecord[]> {
    return this.command("refresh", (host) => refreshAll(host, o.stack ?? this.stack));
  }

  /**
   * `pulumi preview --refresh` (what `--expect-no-changes` checks): one host reads every resource, then previews the
   * program against the refreshed state, which is not saved (the env's stack is untouched).
   */
  previewRefresh(o: CommandOptions = {}): Promise<{ refresh: RefreshRecord[]; preview: ProgramResult }> {
    const scratch = Stack.fromJSON((o.stack ?? this.stack).toJSON());
    return this.command(
      "preview --refresh",
      async (host) => {
        const refresh = await refreshAll(host, scratch);
        const preview = await this.runOn(host, "preview --refresh", true, { ...o, stack: scratch });
        return { refresh, preview };
      },
      o.config ?? this.config,
    );
  }

  /** `pulumi up --refresh --yes`: one host reads every resource, then runs the program against the refreshed state. */
  upRefresh(o: CommandOptions = {}): Promise<{ refresh: RefreshRecord[]; up: ProgramResult }> {
    return this.command(
      "up --refresh",
      async (host) => {
        const refresh = await refreshAll(host, o.stack ?? this.stack);
        const up = await this.runOn(host, "up --refresh", false, o);
        return { refresh, up };
      },
      o.config ?? this.config,
    );
  }

  /** `pulumi destroy --yes`. */
  destroy(o: { stack?: Stack } = {}): Promise<StepRecord[]> {
    return this.command("destroy", (host) => destroyStack(o.stack ?? this.stack, { host, ...(this.onOtherDelete ? { onOtherDelete: this.onOtherDelete } : {}) }));
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

  // --- stack access ------------------------------------------------------------------------------------------------

  entry(type: string, name: string): StackEntry {
    const e = [...this.stack.resources.values()].find((x) => x.type === type && x.name === name);
    assert.ok(e, `${type} ${name} is in the stack`);
    return e;
  }

  /** Plain outputs (secrets unwrapped) of a stack entry. */
  outputs(type: string, name: string): Record<string, any> {
    return stripSecrets(this.entry(type, name).outputs) as Record<string, any>;
  }

  /** The stack outputs recorded by the last `up` (wire form). */
  stackOutputs(): PropertyMap {
    const e = this.stack.get(this.stack.urn("pulumi:pulumi:Stack", `${this.project}-${this.stack.name}`));
    assert.ok(e, "the root stack is in the state");
    return e.outputs;
  }

  /** Custom resources of the stack by type (names). */
  names(type: string): string[] {
    return [...this.stack.resources.values()].filter((e) => e.type === type).map((e) => e.name);
  }

  // --- oracles ---------------------------------------------------------------------------------------------------------

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
   * Every PEM private key in the recorded state (inputs and outputs of every resource, the stack outputs) is inside a
   * secret, and no non-secret value holds a known private key in any encoding; `mustBeSecret` lists
   * `[type, name, outputKey]` that must be secret outputs. The keys found are remembered for `assertNoLeaks`.
   */
  assertStateSecrets(mustBeSecret: [string, string, string][]): void {
    const walk = (v: unknown, where: string, inSecret: boolean): void => {
      if (isSecret(v)) return walk((v as { value: unknown }).value, where, true);
      if (typeof v === "string") {
        if (/PRIVATE KEY-----/.test(v)) {
          assert.ok(inSecret, `${where} holds a PEM private key outside a secret`);
          for (const f of keyFragments(v)) this.keyFragments.add(f);
        }
        return;
      }
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${where}[${i}]`, inSecret));
      if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`, inSecret);
    };
    for (const e of this.stack.resources.values()) {
      walk(e.inputs, `${e.name} (${e.type}) inputs`, false);
      walk(e.outputs, `${e.name} (${e.type}) outputs`, false);
    }
    const scan = (v: unknown, where: string): void => {
      if (isSecret(v)) return;
      if (typeof v === "string") assert.ok(!this.holdsKeyMaterial(v), `${where} holds private key material outside a secret`);
      else if (Array.isArray(v)) v.forEach((x, i) => scan(x, `${where}[${i}]`));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) scan(x, `${where}.${k}`);
    };
    for (const e of this.stack.resources.values()) {
      scan(e.inputs, `${e.name} (${e.type}) inputs`);
      scan(e.outputs, `${e.name} (${e.type}) outputs`);
    }
    for (const [type, name, key] of mustBeSecret) {
      const v = this.entry(type, name).outputs[key];
      assert.ok(isSecret(v), `${type} ${name}.${key} is a secret output`);
    }
  }

  /** Fragments of the private scalars of every private key seen in the state (see `keyFragments`). */
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

  /** No PEM private key marker or known key material in any host log, program log, error message or the server's log. */
  assertNoLeaks(extra: { what: string; text: string }[] = []): void {
    this.assertStateSecrets([]);
    assert.ok(this.keyFragments.size > 0, "private keys were seen (the scan is not vacuous)");
    const texts = [...this.texts, ...extra, { what: "notary-server log", text: this.server.log() }];
    for (const { what, text } of texts) {
      assert.doesNotMatch(text, /PRIVATE KEY-----/, `${what} contains a PEM private key`);
      assert.ok(!this.holdsKeyMaterial(text), `${what} contains private key material`);
    }
  }

  /** Stop the notary server; every provider host was already stopped by its command. */
  async stop(): Promise<void> {
    await this.server.stop();
    assert.deepEqual(liveHostPids(), [], "every provider host was stopped");
  }
}

/**
 * A refresh of one resource, with the engine's verdict (`RefreshStep.ResultOp`, pulumi/pulumi
 * pkg/resource/deploy/step.go): `delete` when the resource is gone, else the provider's Diff of the refreshed state
 * (new inputs/outputs as the olds) against the inputs recorded before (as the news) — `same` unless it reports changes.
 * That verdict, not a mere change of outputs, is what `pulumi refresh/preview --refresh --expect-no-changes` counts.
 */
export type RefreshRecord = RefreshResult & { name: string; resultOp: "same" | "update" | "delete" };

/** Read of every custom dynamic resource of `stack` (state order), as `pulumi refresh` does. */
async function refreshAll(host: DynamicHost, stack: Stack): Promise<RefreshRecord[]> {
  const engine = new MiniEngine(host, stack);
  const out: RefreshRecord[] = [];
  for (const e of [...stack.resources.values()]) {
    if (!(e.custom && e.type.startsWith("pulumi-nodejs:dynamic"))) continue;
    const oldInputs = e.inputs;
    const r = await engine.refresh(e.urn);
    let resultOp: RefreshRecord["resultOp"] = "delete";
    if (r.op !== "read-gone") {
      const d = await host.diff(e.urn, r.id, r.outputs, oldInputs, { oldInputs: r.inputs, ...(e.options.ignoreChanges ? { ignoreChanges: e.options.ignoreChanges } : {}) });
      const changed = d.changes === "DIFF_SOME" || (d.changes === "DIFF_UNKNOWN" && !deepEqual(r.inputs, oldInputs));
      resultOp = changed ? "update" : "same";
    }
    out.push({ ...r, name: e.name, resultOp });
  }
  return out;
}

/** `{ name: resultOp }` of a refresh. */
export function refreshOps(rs: RefreshRecord[]): Record<string, string> {
  return Object.fromEntries(rs.map((r) => [r.name, r.resultOp]));
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
      // Whole base64 quanta (3 bytes → 4 chars) that lie inside the scalar.
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
export function ops(r: ProgramResult): Record<string, string> {
  const custom = r.resources.filter((x) => x.custom);
  const count = new Map<string, number>();
  for (const x of custom) count.set(x.name, (count.get(x.name) ?? 0) + 1);
  const key = (x: (typeof custom)[number]) => (count.get(x.name)! > 1 ? `${x.type.split(":").pop()}:${x.name}` : x.name);
  return Object.fromEntries(custom.map((x) => [key(x), x.op]));
}

/** Asserts every custom resource of a run had `op`. */
export function assertAllOps(r: ProgramResult, op: string, what: string): void {
  const bad = r.resources.filter((x) => x.custom && x.op !== op).map((x) => `${x.name}:${x.op}`);
  assert.deepEqual(bad, [], `${what}: every resource is ${op}`);
}

/** Values of a wire-form map, secrets unwrapped. */
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
