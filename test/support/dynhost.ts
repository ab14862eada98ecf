// Test support: the REAL Pulumi dynamic provider host (@pulumi/pulumi/cmd/dynamic-provider) driven over gRPC as the
// engine drives it (../shared/docs/pulumi-dynamic-providers.md §1-§2), for what the Pulumi CLI cannot show: requests per
// engine call, a fault or a crafted state between two calls, what travels on the wire.
//   * launch: `node <host> <engineAddress>` in the project directory, the module resolved from there as the bundled
//     `pulumi-resource-pulumi-nodejs` script does; PULUMI_CONFIG holds only the `pulumi-nodejs:*` keys, un-namespaced;
//   * the port is the first stdout line; later stdout/stderr lines are kept (the engine shows them as diagnostics);
//   * Configure gets the whole stack config, keys namespaced, secrets as signature objects;
//   * the host answers acceptSecrets=false, so requests carry secrets in plain and the secret bit is put back on
//     returned values by key (the engine's annotateSecrets);
//   * an empty id from Create is an error ("plugin returned empty resource.ID from create").
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";
import { containsSecrets, containsUnknowns, isPlainObject, isSecret, secret, stripSecrets, type PropertyMap } from "./wire.ts";

export { UNKNOWN, secret, isSecret, stripSecrets } from "./wire.ts";
export type { PropertyMap } from "./wire.ts";

/** Deep copy through JSON-ish values (drops undefined object members, like the wire does). */
export function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => clone(x)) as T;
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, clone(x)])) as T;
}

/**
 * The engine's `annotateSecrets(outs, ins)` (provider_plugin.go): for every key in both maps, recurse when both values
 * are (non-secret) objects, otherwise mark the output secret if the input value contains a secret.
 */
export function annotateSecrets(outs: PropertyMap, ins: PropertyMap | undefined): PropertyMap {
  const result: PropertyMap = { ...outs };
  for (const [key, inValue] of Object.entries(ins ?? {})) {
    if (!(key in result)) continue;
    const outValue = result[key];
    if (isPlainObject(outValue) && !isSecret(outValue) && isPlainObject(inValue) && !isSecret(inValue)) result[key] = annotateSecrets(outValue, inValue);
    else if (!isSecret(outValue) && containsSecrets(inValue)) result[key] = secret(outValue);
  }
  return result;
}

/** Structural equality of two wire values (secret wrappers ignored, like the engine's input diff). */
export function deepEqual(a: unknown, b: unknown): boolean {
  const [x, y] = [stripSecrets(a), stripSecrets(b)];
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((e, i) => deepEqual(e, y[i]));
  if (isPlainObject(x) && isPlainObject(y)) {
    const kx = Object.keys(x);
    return kx.length === Object.keys(y).length && kx.every((k) => Object.hasOwn(y, k) && deepEqual(x[k], y[k]));
  }
  return Object.is(x, y) || x === y;
}

// @pulumi/pulumi's own grpc-js and protocol classes; property maps travel as google.protobuf.Struct, whose
// fromJavaScript/toJavaScript carry the wire forms as they are (secrets are signature objects, unknowns a string).
const pulumiRequire = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi/package.json"));
/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const grpc: Any = pulumiRequire("@grpc/grpc-js");
const { Struct }: Any = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
const { Empty }: Any = pulumiRequire("google-protobuf/google/protobuf/empty_pb");
const provproto: Any = pulumiRequire("./proto/provider_pb");
const { ResourceProviderClient }: Any = pulumiRequire("./proto/provider_grpc_pb");

/** A request's property map as the engine sends it to a host that accepts no secrets. */
const plainStruct = (v: PropertyMap): Any => Struct.fromJavaScript(stripSecrets(v));
const fromStruct = (s: Any): PropertyMap => (s ? (s.toJavaScript() as PropertyMap) : {});

export type ConfigValue = string | { secret: string };

export interface HostOptions {
  /** Project root: the host's cwd; `require`s in serialized providers resolve from here. */
  cwd: string;
  /** Pulumi project name (PULUMI_NODEJS_PROJECT / PULUMI_PROJECT; namespaces un-prefixed config keys). */
  project: string;
  /** Extra environment for the host (merged over process.env; `undefined` deletes a variable). */
  env?: Record<string, string | undefined>;
  /** Whole stack config: namespaced keys (`notary:serverUrl`); `{secret}` for secret values. */
  config?: Record<string, ConfigValue>;
}

export interface CheckResult {
  inputs: PropertyMap;
  failures: { property: string; reason: string }[];
}
export interface DiffResult {
  changes: "DIFF_UNKNOWN" | "DIFF_NONE" | "DIFF_SOME";
  replaces: string[];
  deleteBeforeReplace: boolean;
}
export interface ReadResult {
  id: string;
  properties: PropertyMap;
  /** Present when the provider's read() returned `inputs`. */
  inputs?: PropertyMap;
}

/** A gRPC error from the host, surfaced with the provider's message. */
export class HostCallError extends Error {
  readonly method: string;
  readonly code: number;
  constructor(method: string, code: number, details: string) {
    super(details);
    this.name = "HostCallError";
    this.method = method;
    this.code = code;
  }
}

/**
 * Preloaded into the host, which never exits by itself: it exits within 0.5 s once this process is gone (however it
 * ended) instead of living on under init.
 */
const ORPHAN_GUARD = "data:text/javascript," + encodeURIComponent("const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.exit(129)},500).unref();");

const liveHosts = new Set<number>();
/** pids of hosts started by this process and not yet stopped. */
export function liveHostPids(): number[] {
  return [...liveHosts];
}

const DIFF_CHANGES = ["DIFF_UNKNOWN", "DIFF_NONE", "DIFF_SOME"] as const;

type OldState = { oldInputs?: PropertyMap; ignoreChanges?: string[] };
/** The fields Diff and Update share: old outputs and inputs, the checked new inputs, ignoreChanges. */
const changeFields = (id: string, olds: PropertyMap, news: PropertyMap, o: OldState) =>
  ({ Id: id, Olds: plainStruct(olds), News: plainStruct(news), OldInputs: plainStruct(o.oldInputs ?? {}), IgnorechangesList: o.ignoreChanges ?? [] });
const RPC_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 30_000;

export class DynamicHost {
  readonly project: string;
  readonly stackName = "dev";
  readonly config: Record<string, ConfigValue>;
  readonly pid: number;
  port = 0;
  /** Milliseconds from spawn to a ready gRPC channel (Configure excluded). */
  startupMs = 0;
  /** stdout lines after the port line / all stderr lines. */
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  /** Exit info once the child exited (undefined while running). */
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly all: string[] = [];
  private readonly child: ChildProcess;
  private readonly exit: Promise<void>;
  private client: Any;

  constructor(child: ChildProcess, project: string, config: Record<string, ConfigValue>) {
    this.child = child;
    this.project = project;
    this.config = config;
    if (child.pid === undefined) throw new Error("failed to spawn the dynamic provider host");
    this.pid = child.pid;
    liveHosts.add(this.pid);
    this.exit = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        this.exited = { code, signal };
        liveHosts.delete(this.pid);
        resolve();
      }),
    );
  }

  /** Reads the port line, connects, and sends Configure. */
  async start(): Promise<void> {
    const t0 = performance.now();
    this.port = await new Promise<number>((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`dynamic provider host: ${why}\nhost stderr:\n${this.stderr.join("\n")}`));
      const timer = setTimeout(() => fail(`no port within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      let first = true;
      readline.createInterface({ input: this.child.stdout! }).on("line", (line) => {
        if (!first) return this.keep(line, this.stdout);
        first = false;
        clearTimeout(timer);
        const port = Number.parseInt(line.trim(), 10);
        if (port > 0) resolve(port);
        else fail(`unexpected first stdout line ${JSON.stringify(line)}`);
      });
      readline.createInterface({ input: this.child.stderr! }).on("line", (line) => this.keep(line, this.stderr));
      this.child.on("error", (e) => fail(e.message));
      this.child.on("exit", (code, signal) => first && fail(`exited before printing its port (code ${code}, signal ${signal})`));
    });
    this.client = new ResourceProviderClient(`127.0.0.1:${this.port}`, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) => this.client.waitForReady(Date.now() + START_TIMEOUT_MS, (e?: Error) => (e ? reject(e) : resolve())));
    this.startupMs = performance.now() - t0;
    await this.configure();
  }

  private keep(line: string, sink: string[]): void {
    sink.push(line);
    this.all.push(line);
  }

  /** All captured output lines, in arrival order. */
  logs(): string {
    return this.all.join("\n");
  }

  clearLogs(): void {
    for (const lines of [this.stdout, this.stderr, this.all]) lines.length = 0;
  }

  async waitForLog(pattern: RegExp | string, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.all.find((l) => (typeof pattern === "string" ? l.includes(pattern) : pattern.test(l)));
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new Error(`no host log line matched ${pattern} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  urn(type: string, name: string): string {
    return `urn:pulumi:${this.stackName}::${this.project}::${type}::${name}`;
  }

  private call(method: string, req: Any): Promise<Any> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`dynamic provider host (pid ${this.pid}) has exited; cannot call ${method}`));
      this.client[method](req, { deadline: Date.now() + RPC_TIMEOUT_MS }, (e: Any, resp: Any) =>
        e ? reject(new HostCallError(method, e.code ?? 2, e.details ?? e.message)) : resolve(resp),
      );
    });
  }

  /** A request message for `urn` (name and type taken from it) with the given fields set. */
  private request(message: string, urn: string, fields: Record<string, unknown>): Any {
    const req = new provproto[message]();
    const parts = urn.split("::");
    req.setUrn(urn);
    req.setName(parts.slice(3).join("::"));
    req.setType((parts[2] ?? "").split("$").pop());
    for (const [field, value] of Object.entries(fields)) req[`set${field}`](value);
    return req;
  }

  async getPluginInfo(): Promise<string> {
    return (await this.call("getPluginInfo", new Empty())).getVersion();
  }

  /** Configure, as the engine sends it to the default provider of package pulumi-nodejs. */
  async configure(): Promise<{ acceptSecrets: boolean; supportsPreview: boolean }> {
    const req = this.request("ConfigureRequest", this.urn("pulumi:providers:pulumi-nodejs", "default"), {
      Id: "00000000-0000-4000-8000-000000000000",
      Acceptsecrets: true,
      Acceptresources: true,
      SendsOldInputs: true,
      SendsOldInputsToDelete: true,
    });
    const plain = (v: ConfigValue) => (typeof v === "string" ? v : v.secret);
    for (const [k, v] of Object.entries(this.config)) req.getVariablesMap().set(`pulumi-nodejs:config:${k}`, plain(v));
    req.setArgs(Struct.fromJavaScript(Object.fromEntries(Object.entries(this.config).map(([k, v]) => [k, typeof v === "string" ? v : secret(v.secret)]))));
    const resp = await this.call("configure", req);
    return { acceptSecrets: resp.getAcceptsecrets(), supportsPreview: resp.getSupportspreview() };
  }

  /** Check: unknown sentinels pass through (the engine allows them in preview). */
  async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
    const resp = await this.call("check", this.request("CheckRequest", urn, { Olds: plainStruct(olds), News: plainStruct(news) }));
    const failures = resp.getFailuresList().map((f: Any) => ({ property: f.getProperty(), reason: f.getReason() }));
    return { inputs: annotateSecrets(fromStruct(resp.getInputs()), news), failures };
  }

  async diff(urn: string, id: string, oldOutputs: PropertyMap, news: PropertyMap, o: OldState = {}): Promise<DiffResult> {
    const resp = await this.call("diff", this.request("DiffRequest", urn, changeFields(id, oldOutputs, news, o)));
    return { changes: DIFF_CHANGES[resp.getChanges() as 0 | 1 | 2] ?? "DIFF_UNKNOWN", replaces: resp.getReplacesList(), deleteBeforeReplace: resp.getDeletebeforereplace() };
  }

  async create(urn: string, props: PropertyMap): Promise<{ id: string; properties: PropertyMap }> {
    if (containsUnknowns(props)) throw new Error(`create(${urn}): unknown values outside preview (the engine would never send these)`);
    const resp = await this.call("create", this.request("CreateRequest", urn, { Properties: plainStruct(props) }));
    if (!resp.getId()) throw new Error(`plugin returned empty resource.ID from create '${urn}'`);
    return { id: resp.getId(), properties: annotateSecrets(fromStruct(resp.getProperties()), props) };
  }

  async read(urn: string, id: string, state: PropertyMap, inputs?: PropertyMap): Promise<ReadResult> {
    const resp = await this.call("read", this.request("ReadRequest", urn, { Id: id, Properties: plainStruct(state), ...(inputs ? { Inputs: plainStruct(inputs) } : {}) }));
    const result: ReadResult = { id: resp.getId(), properties: annotateSecrets(fromStruct(resp.getProperties()), state) };
    if (resp.getInputs()) result.inputs = annotateSecrets(fromStruct(resp.getInputs()), inputs);
    return result;
  }

  async update(urn: string, id: string, oldOutputs: PropertyMap, news: PropertyMap, o: OldState = {}): Promise<PropertyMap> {
    if (containsUnknowns(news)) throw new Error(`update(${urn}): unknown values outside preview (the engine would never send these)`);
    const resp = await this.call("update", this.request("UpdateRequest", urn, changeFields(id, oldOutputs, news, o)));
    return annotateSecrets(fromStruct(resp.getProperties()), news);
  }

  async delete(urn: string, id: string, state: PropertyMap, inputs?: PropertyMap): Promise<void> {
    await this.call("delete", this.request("DeleteRequest", urn, { Id: id, Properties: plainStruct(state), OldInputs: plainStruct(inputs ?? {}) }));
  }

  /** Close the channel and SIGKILL the host (by pid). Idempotent. */
  async stop(): Promise<void> {
    this.client?.close();
    if (!this.exited) {
      this.child.kill("SIGKILL");
      await this.exit;
    }
  }
}

export async function startProviderHost(opts: HostOptions): Promise<DynamicHost> {
  const cwd = path.resolve(opts.cwd);
  const config = { ...opts.config };
  const hostScript = createRequire(path.join(cwd, "__pulumi_host_resolve__.js")).resolve("@pulumi/pulumi/cmd/dynamic-provider");
  const pluginConfig = Object.entries(config).filter(([k]) => k.startsWith("pulumi-nodejs:"));
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_TEST_CONTEXT: undefined, // the host is no test-runner child
    PULUMI_NODEJS_PROJECT: opts.project,
    PULUMI_PROJECT: opts.project,
    PULUMI_CONFIG: JSON.stringify(Object.fromEntries(pluginConfig.map(([k, v]) => [k.slice("pulumi-nodejs:".length), typeof v === "string" ? v : v.secret]))),
    ...opts.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, ["--import", ORPHAN_GUARD, hostScript, "127.0.0.1:1"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const host = new DynamicHost(child, opts.project, config);
  try {
    await host.start();
  } catch (e) {
    await host.stop();
    throw e;
  }
  return host;
}
