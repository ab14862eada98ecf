// Test support: drive the REAL Pulumi dynamic provider host
// (node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js) over gRPC, the way the Pulumi engine does.
//
// Engine behaviour reproduced here (pulumi/pulumi pkg/resource/plugin/provider_plugin.go, see
// /work/shared/docs/pulumi-dynamic-providers.md §1-§2):
//   * launch: `node <host> <engineAddress>` with cwd = project root; the host module is resolved from the cwd
//     exactly like the bundled `pulumi-resource-pulumi-nodejs` script does; env gets PULUMI_NODEJS_PROJECT,
//     PULUMI_PROJECT and PULUMI_CONFIG (= JSON of the `pulumi-nodejs:*` config keys only, un-namespaced —
//     pkg/host/host.go : Provider);
//   * the port is the first stdout line; later stdout/stderr lines are collected (the engine shows them as
//     diagnostics) so tests can scan them (e.g. for leaked secrets);
//   * Configure gets the whole stack config, namespaced keys, secrets as secret signature objects (KeepSecrets);
//   * the host answers acceptSecrets=false, so every later request is sent with secrets stripped, and the
//     secret bit is re-applied to returned values by key (annotateSecrets);
//   * Create/Update are not sent in preview (supportsPreview=false): the inputs are echoed as state;
//   * an empty id from Create is an error ("plugin returned empty resource.ID from create").
import { spawn, type ChildProcess } from "node:child_process";
import http2 from "node:http2";
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";
import { structField, splitStructFields } from "./struct-codec.ts";

export { UNKNOWN, SIG_KEY, SECRET_SIG, RESOURCE_SIG, secret, isSecret, containsSecrets, containsUnknowns, stripSecrets } from "./wire.ts";
export type { PropertyMap, SecretValue } from "./wire.ts";
import { UNKNOWN, secret, isSecret, containsSecrets, containsUnknowns, stripSecrets, isPlainObject, type PropertyMap } from "./wire.ts";

/** Deep copy through JSON-ish values (drops undefined object members, like the wire does). */
export function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => clone(x)) as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = clone(x);
    return out as T;
  }
  return v;
}

/**
 * The engine's `annotateSecrets(outs, ins)` (provider_plugin.go): for every key present in both maps, recurse when
 * both values are (non-secret) objects, otherwise mark the output secret if the input value contains a secret.
 * Returns a new map; neither argument is modified.
 */
export function annotateSecrets(outs: PropertyMap, ins: PropertyMap | undefined): PropertyMap {
  const result: PropertyMap = { ...outs };
  if (!ins) return result;
  for (const [key, inValue] of Object.entries(ins)) {
    if (!(key in result)) continue;
    const outValue = result[key];
    if (isPlainObject(outValue) && !isSecret(outValue) && isPlainObject(inValue) && !isSecret(inValue)) {
      result[key] = annotateSecrets(outValue, inValue);
    } else if (!isSecret(outValue) && containsSecrets(inValue)) {
      result[key] = secret(outValue);
    }
  }
  return result;
}

/** Drop object members whose value is the unknown sentinel (MarshalProperties with KeepUnknowns=false). */
export function dropUnknowns<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => (x === UNKNOWN ? null : dropUnknowns(x))) as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== UNKNOWN && x !== undefined) out[k] = dropUnknowns(x);
    return out as T;
  }
  return v;
}

/** Structural equality of two wire values (secret wrappers ignored, like the engine's input diff). */
export function deepEqual(a: unknown, b: unknown): boolean {
  const x = stripSecrets(a);
  const y = stripSecrets(b);
  if (x === y) return true;
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((e, i) => deepEqual(e, y[i]));
  if (isPlainObject(x) && isPlainObject(y)) {
    const kx = Object.keys(x).filter((k) => x[k] !== undefined);
    const ky = Object.keys(y).filter((k) => y[k] !== undefined);
    return kx.length === ky.length && kx.every((k) => Object.hasOwn(y, k) && deepEqual(x[k], y[k]));
  }
  return typeof x === "number" && typeof y === "number" && Number.isNaN(x) && Number.isNaN(y);
}

// ---------------------------------------------------------------------------------------------------------
// gRPC plumbing: use @pulumi/pulumi's own @grpc/grpc-js and google-protobuf instances
// ---------------------------------------------------------------------------------------------------------

const localRequire = createRequire(import.meta.url);
const pulumiPkgJson = localRequire.resolve("@pulumi/pulumi/package.json");
const pulumiRequire = createRequire(pulumiPkgJson);
/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const grpc: Any = pulumiRequire("@grpc/grpc-js");
const structproto: Any = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
const emptyproto: Any = pulumiRequire("google-protobuf/google/protobuf/empty_pb");
const provproto: Any = pulumiRequire("./proto/provider_pb");
const provrpc: Any = pulumiRequire("./proto/provider_grpc_pb");
const statusproto: Any = pulumiRequire("./proto/status_pb");

function toStruct(v: PropertyMap): Any {
  return structproto.Struct.fromJavaScript(clone(v));
}
function fromStruct(s: Any): PropertyMap {
  return s ? (s.toJavaScript() as PropertyMap) : {};
}

// ---------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------

export type ConfigValue = string | { secret: string };

export interface HostOptions {
  /** Project root: the host's cwd; `require`s in serialized providers resolve from here. */
  cwd: string;
  /** Pulumi project name (PULUMI_NODEJS_PROJECT / PULUMI_PROJECT; used to namespace un-prefixed config keys). */
  project: string;
  /** Stack name, only used to build URNs (default "dev"). */
  stack?: string;
  /** Extra environment for the host (merged over process.env; `undefined` deletes a variable). */
  env?: Record<string, string | undefined>;
  /** Whole stack config: namespaced keys (`notary:serverUrl`, `<project>:x`); `{secret}` for secret values. */
  config?: Record<string, ConfigValue>;
  /** Node binary for the host. Default: process.execPath (the engine would use whatever `node` is on PATH). */
  nodePath?: string;
  /** Engine address argument (never dialled by the host). Default "127.0.0.1:1". */
  engineAddress?: string;
  /** Deadline for each RPC, ms (default 60000). */
  rpcTimeoutMs?: number;
  /** Startup timeout, ms (default 30000). */
  startTimeoutMs?: number;
  /** Set false to skip the initial Configure (the engine always sends it). */
  configure?: boolean;
  /** Mirror host output lines to this process' stderr (debugging). */
  echo?: boolean;
  /** Preload a tiny parent-death watchdog into the host (default true). */
  orphanGuard?: boolean;
  /**
   * The gRPC client: "http2" (default) speaks unary gRPC over one node:http2 session with the protocol's own message
   * classes, about a third less CPU per call than @grpc/grpc-js (the engine's Go client costs far less than either);
   * "grpc-js" uses @pulumi/pulumi's own client.
   */
  client?: "http2" | "grpc-js";
}

export interface CheckFailure {
  property: string;
  reason: string;
}
export interface CheckResult {
  inputs: PropertyMap;
  failures: CheckFailure[];
}
export type DiffChanges = "DIFF_UNKNOWN" | "DIFF_NONE" | "DIFF_SOME";
export interface DiffResult {
  changes: DiffChanges;
  replaces: string[];
  stables: string[];
  diffs: string[];
  deleteBeforeReplace: boolean;
  hasDetailedDiff: boolean;
}
export interface CreateResult {
  id: string;
  properties: PropertyMap;
}
export interface ReadResult {
  id: string;
  properties: PropertyMap;
  /** Present when the provider's read() returned `inputs`. */
  inputs?: PropertyMap;
}
export interface UpdateResult {
  properties: PropertyMap;
}
export interface ConfigureResult {
  acceptSecrets: boolean;
  acceptResources: boolean;
  supportsPreview: boolean;
  acceptOutputs: boolean;
}

/** Partial failure (`ErrorResourceInitFailed`): the provider threw an error carrying `.id` from create/update. */
export interface InitFailure {
  id: string;
  properties: PropertyMap;
  inputs?: PropertyMap;
  reasons: string[];
}

/** A gRPC error from the host, surfaced with the provider's message. */
export class HostCallError extends Error {
  readonly method: string;
  readonly code: number;
  readonly details: string;
  readonly initFailure: InitFailure | undefined;
  constructor(method: string, code: number, details: string, initFailure?: InitFailure) {
    super(details);
    this.name = "HostCallError";
    this.method = method;
    this.code = code;
    this.details = details;
    this.initFailure = initFailure;
  }
}

export interface DynamicHost {
  readonly pid: number;
  readonly port: number;
  /** Milliseconds from spawn to a ready gRPC channel (Configure excluded). */
  readonly startupMs: number;
  readonly project: string;
  readonly stackName: string;
  readonly cwd: string;
  /** The stack config given to Configure (as passed in). */
  readonly config: Record<string, ConfigValue>;
  /** stdout lines after the port line / all stderr lines (live arrays). */
  readonly stdout: string[];
  readonly stderr: string[];
  /** All captured output (stdout then stderr lines interleaved in arrival order). */
  logs(): string;
  clearLogs(): void;
  waitForLog(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Exit info once the child exited (undefined while running). */
  readonly exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  urn(type: string, name: string): string;

  getPluginInfo(): Promise<string>;
  configure(config?: Record<string, ConfigValue>): Promise<ConfigureResult>;
  /** Check: unknown sentinels are passed through (the engine allows them in preview). */
  check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult>;
  diff(urn: string, id: string, oldOutputs: PropertyMap, news: PropertyMap, opts?: { oldInputs?: PropertyMap; ignoreChanges?: string[] }): Promise<DiffResult>;
  create(urn: string, props: PropertyMap, opts?: { preview?: boolean; timeout?: number }): Promise<CreateResult>;
  read(urn: string, id: string, state: PropertyMap, inputs?: PropertyMap): Promise<ReadResult>;
  update(urn: string, id: string, oldOutputs: PropertyMap, news: PropertyMap, opts?: { preview?: boolean; oldInputs?: PropertyMap; ignoreChanges?: string[]; timeout?: number }): Promise<UpdateResult>;
  delete(urn: string, id: string, state: PropertyMap, inputs?: PropertyMap): Promise<void>;
  /** Raw unary call for anything else (`method` is the client method name, e.g. "handshake"). */
  rawCall(method: string, request: unknown): Promise<unknown>;
  /** Close the channel and SIGKILL the host (by pid). Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Process bookkeeping: kill every live host when this process exits
// ---------------------------------------------------------------------------------------------------------

const liveHosts = new Set<number>();
let exitHookInstalled = false;
function killLiveHosts(): void {
  for (const pid of liveHosts) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", killLiveHosts);
  // Signals skip 'exit': kill the hosts, then let the signal take its normal course if nobody else handles it.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killLiveHosts();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/**
 * Preloaded into the host with `--import` (unless `orphanGuard: false`): the host never exits by itself, so if
 * this process dies without running its exit hooks (SIGKILL, crash) the host would live on, re-parented to init.
 * The guard only watches the parent pid; it does not touch the host's behaviour.
 */
const ORPHAN_GUARD =
  "data:text/javascript," + encodeURIComponent("const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.exit(129)},500).unref();");

/** pids of hosts started by this process and not yet stopped. */
export function liveHostPids(): number[] {
  return [...liveHosts];
}

// ---------------------------------------------------------------------------------------------------------
// startProviderHost
// ---------------------------------------------------------------------------------------------------------

function configArgs(config: Record<string, ConfigValue>): PropertyMap {
  const args: PropertyMap = {};
  for (const [k, v] of Object.entries(config)) args[k] = typeof v === "string" ? v : secret(v.secret);
  return args;
}

/** PULUMI_CONFIG as the engine computes it for a plugin: only keys of the plugin's own namespace, un-namespaced. */
function pluginEnvConfig(config: Record<string, ConfigValue>): string {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    const i = k.indexOf(":");
    if (i > 0 && k.slice(0, i) === "pulumi-nodejs") out[k.slice(i + 1)] = typeof v === "string" ? v : v.secret;
  }
  return JSON.stringify(out);
}

function mapDiffChanges(n: number): DiffChanges {
  const C = provproto.DiffResponse.DiffChanges;
  if (n === C.DIFF_NONE) return "DIFF_NONE";
  if (n === C.DIFF_SOME) return "DIFF_SOME";
  return "DIFF_UNKNOWN";
}

function parseInitFailure(err: Any): InitFailure | undefined {
  try {
    const bins: unknown[] = err?.metadata?.get?.("grpc-status-details-bin") ?? [];
    const bin = bins[0];
    if (!bin) return undefined;
    const status = statusproto.Status.deserializeBinary(new Uint8Array(bin as Buffer));
    for (const any of status.getDetailsList()) {
      if (!String(any.getTypeUrl()).endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
      const d = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
      return {
        id: d.getId(),
        properties: fromStruct(d.getProperties()),
        inputs: d.getInputs() ? fromStruct(d.getInputs()) : undefined,
        reasons: d.getReasonsList(),
      };
    }
  } catch {
    /* not a structured error */
  }
  return undefined;
}

/**
 * Unary gRPC over HTTP/2 (the wire protocol: `POST /<service>/<Method>`, 5-byte length-prefixed protobuf messages,
 * status in trailers), using the service definition's own serializers. Errors are shaped like @grpc/grpc-js errors
 * (`code`, `details`, `metadata.get("grpc-status-details-bin")`) so callers handle both clients alike.
 */
/** grpc-message is percent-encoded; a malformed escape is kept as sent rather than failing the call. */
function percentDecoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function leanUnaryClient(port: number) {
  const service: Any = provrpc.ResourceProviderService;
  let session: http2.ClientHttp2Session | undefined;
  const connect = () => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.on("error", () => {}); // surfaced on the streams
    s.unref();
    return (session = s);
  };
  const methodOf = (name: string): Any => {
    const def = service[name]; // keyed by the client method name ("check", "getPluginInfo", ...)
    if (!def || def.requestStream || def.responseStream) throw new Error(`no unary gRPC method ${name} in ResourceProvider`);
    return def;
  };
  const errorOf = (code: number, details: string, bin?: string) => ({
    code,
    details,
    metadata: { get: (k: string) => (k === "grpc-status-details-bin" && bin ? [Buffer.from(bin, "base64")] : []) },
  });
  return {
    /** One unary call with a serialized request; `done` gets the serialized response message. */
    call(method: string, body: Buffer, timeoutMs: number, done: (err: Any, resp?: Buffer) => void): void {
      const def = methodOf(method);
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame[0] = 0;
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      let settled = false;
      const finish = (err: Any, resp?: Any) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(err, resp);
      };
      const stream = connect().request({
        ":method": "POST",
        ":path": def.path,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": `${Math.max(1, Math.ceil(timeoutMs))}m`,
      });
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(errorOf(4, "Deadline exceeded"));
      }, timeoutMs);
      const chunks: Buffer[] = [];
      let status: { code: number; message: string; bin?: string } | undefined;
      const takeStatus = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] === undefined) return;
        const bin = h["grpc-status-details-bin"];
        status = {
          code: Number(h["grpc-status"]),
          message: percentDecoded(String(h["grpc-message"] ?? "")),
          ...(typeof bin === "string" ? { bin } : {}),
        };
      };
      stream.on("response", takeStatus);
      stream.on("trailers", takeStatus);
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", (e: Error) => finish(errorOf(14, e.message)));
      stream.on("close", () => {
        if (!status) return finish(errorOf(14, `stream closed without a gRPC status (http2 code ${stream.rstCode})`));
        if (status.code !== 0) return finish(errorOf(status.code, status.message, status.bin));
        const all = Buffer.concat(chunks);
        if (all.length < 5) return finish(errorOf(13, "no response message"));
        const len = all.readUInt32BE(1);
        if (all.length < 5 + len) return finish(errorOf(13, "truncated response message"));
        finish(null, all.subarray(5, 5 + len));
      });
      stream.end(frame);
    },
    close(): void {
      session?.close();
    },
  };
}

export async function startProviderHost(opts: HostOptions): Promise<DynamicHost> {
  installExitHook();
  const cwd = path.resolve(opts.cwd);
  const project = opts.project;
  const stackName = opts.stack ?? "dev";
  const config = { ...(opts.config ?? {}) };
  const rpcTimeoutMs = opts.rpcTimeoutMs ?? 60_000;

  // Resolve the host exactly like `pulumi-resource-pulumi-nodejs` does: from the project directory.
  const hostScript = createRequire(path.join(cwd, "__pulumi_host_resolve__.js")).resolve("@pulumi/pulumi/cmd/dynamic-provider");

  const env: Record<string, string | undefined> = { ...process.env };
  // node --test marks its children; the host must not believe it is a test-runner child.
  delete env.NODE_TEST_CONTEXT;
  env.PULUMI_NODEJS_PROJECT = project;
  env.PULUMI_PROJECT = project;
  env.PULUMI_CONFIG = pluginEnvConfig(config);
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  const t0 = performance.now();
  const guard = opts.orphanGuard === false ? [] : ["--import", ORPHAN_GUARD];
  const child: ChildProcess = spawn(opts.nodePath ?? process.execPath, [...guard, hostScript, opts.engineAddress ?? "127.0.0.1:1"], {
    cwd,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("failed to spawn the dynamic provider host");
  liveHosts.add(pid);

  const stdout: string[] = [];
  const stderr: string[] = [];
  const all: string[] = [];
  const waiters = new Set<{ re: RegExp; resolve: (l: string) => void }>();
  const onLine = (line: string, sink: string[], tag: string) => {
    sink.push(line);
    all.push(line);
    if (opts.echo) process.stderr.write(`[dynhost ${pid} ${tag}] ${line}\n`);
    for (const w of waiters) {
      if (w.re.test(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  };

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      liveHosts.delete(pid);
      resolve();
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    let gotPort = false;
    const timer = setTimeout(() => fail(new Error(`dynamic provider host did not print its port within ${opts.startTimeoutMs ?? 30_000} ms`)), opts.startTimeoutMs ?? 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
      reject(new Error(`${e.message}\nhost stderr:\n${stderr.join("\n")}`));
    };
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!gotPort) {
        gotPort = true;
        clearTimeout(timer);
        const p = Number.parseInt(line.trim(), 10);
        if (!Number.isInteger(p) || p <= 0) fail(new Error(`unexpected first stdout line from host: ${JSON.stringify(line)}`));
        else resolve(p);
        return;
      }
      onLine(line, stdout, "out");
    });
    readline.createInterface({ input: child.stderr! }).on("line", (line) => onLine(line, stderr, "err"));
    child.on("error", (e) => fail(e));
    child.on("exit", (code, signal) => {
      if (!gotPort) fail(new Error(`dynamic provider host exited before printing its port (code ${code}, signal ${signal})`));
    });
  });

  const client: Any = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  await new Promise<void>((resolve, reject) => {
    client.waitForReady(Date.now() + (opts.startTimeoutMs ?? 30_000), (err: Error | undefined) => (err ? reject(err) : resolve()));
  }).catch(async (e) => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
    throw e;
  });
  const startupMs = performance.now() - t0;

  const lean = opts.client !== "grpc-js" ? leanUnaryClient(port) : undefined;
  const service: Any = provrpc.ResourceProviderService;
  /** One unary call: serialized request in, serialized response out, over whichever client this host uses. */
  const callRaw = (method: string, body: Buffer, timeoutMs = rpcTimeoutMs): Promise<Buffer> =>
    new Promise<Buffer>((resolve, reject) => {
      if (exited) {
        reject(new Error(`dynamic provider host (pid ${pid}) has exited (code ${exited.code}, signal ${exited.signal}); cannot call ${method}`));
        return;
      }
      const def = service[method];
      const done = (err: Any, resp?: Buffer) => {
        if (err) {
          const details: string = err.details ?? err.message ?? String(err);
          reject(new HostCallError(method, err.code ?? 2, details, parseInitFailure(err)));
        } else resolve(resp!);
      };
      if (lean) lean.call(method, body, timeoutMs, done);
      else
        client[method](def.requestDeserialize(body), { deadline: Date.now() + timeoutMs }, (err: Any, resp: Any) =>
          done(err, err ? undefined : def.responseSerialize(resp)),
        );
    });
  const call = async <T>(method: string, req: Any, timeoutMs = rpcTimeoutMs): Promise<T> =>
    service[method].responseDeserialize(await callRaw(method, service[method].requestSerialize(req), timeoutMs)) as T;
  /**
   * A call whose property maps travel as google.protobuf.Struct fields, encoded and decoded by struct-codec (the
   * engine stand-in's hot path); every other field goes through the protocol's message classes.
   */
  const callStructs = async (
    method: string,
    req: Any,
    structs: [field: number, value: PropertyMap][],
    responseStructs: number[],
  ): Promise<{ resp: Any; structs: Map<number, PropertyMap> }> => {
    const def = service[method];
    const body = Buffer.concat([def.requestSerialize(req), ...structs.map(([f, v]) => structField(f, stripSecrets(v)))]);
    const split = splitStructFields(await callRaw(method, body), responseStructs);
    return { resp: def.responseDeserialize(split.rest), structs: split.structs };
  };

  const urnOf = (type: string, name: string) => `urn:pulumi:${stackName}::${project}::${type}::${name}`;

  const configure = async (cfg: Record<string, ConfigValue> = config): Promise<ConfigureResult> => {
    const req = new provproto.ConfigureRequest();
    // The default provider for package pulumi-nodejs, as the engine registers it.
    req.setUrn(urnOf("pulumi:providers:pulumi-nodejs", "default"));
    req.setName("default");
    req.setType("pulumi:providers:pulumi-nodejs");
    req.setId("00000000-0000-4000-8000-000000000000");
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setSendsOldInputs(true);
    req.setSendsOldInputsToDelete(true);
    const vars = req.getVariablesMap();
    for (const [k, v] of Object.entries(cfg)) vars.set(`pulumi-nodejs:config:${k}`, typeof v === "string" ? v : v.secret);
    req.setArgs(toStruct(configArgs(cfg)));
    const resp: Any = await call("configure", req);
    return {
      acceptSecrets: resp.getAcceptsecrets(),
      acceptResources: resp.getAcceptresources(),
      supportsPreview: resp.getSupportspreview(),
      acceptOutputs: resp.getAcceptoutputs(),
    };
  };

  const nameType = (req: Any, urn: string) => {
    const parts = urn.split("::");
    const qualified = parts[2] ?? "";
    req.setUrn(urn);
    req.setName(parts.slice(3).join("::"));
    req.setType(qualified.split("$").pop() ?? "");
  };

  const host: DynamicHost = {
    pid,
    port,
    startupMs,
    project,
    stackName,
    cwd,
    config,
    stdout,
    stderr,
    logs: () => all.join("\n"),
    clearLogs: () => {
      stdout.length = 0;
      stderr.length = 0;
      all.length = 0;
    },
    waitForLog: (pattern, timeoutMs = 5000) => {
      const re = typeof pattern === "string" ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) : pattern;
      const hit = all.find((l) => re.test(l));
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise<string>((resolve, reject) => {
        const w = { re, resolve: (l: string) => (clearTimeout(t), resolve(l)) };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no host log line matched ${re} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    get exited() {
      return exited;
    },
    urn: urnOf,

    async getPluginInfo() {
      const resp: Any = await call("getPluginInfo", new emptyproto.Empty());
      return resp.getVersion() as string;
    },

    configure,

    async check(urn, olds, news) {
      const req = new provproto.CheckRequest();
      nameType(req, urn);
      const { resp, structs } = await callStructs("check", req, [[2, olds], [3, news]], [1]);
      const inputs = annotateSecrets(structs.get(1) ?? {}, news);
      const failures: CheckFailure[] = resp.getFailuresList().map((f: Any) => ({ property: f.getProperty(), reason: f.getReason() }));
      return { inputs, failures };
    },

    async diff(urn, id, oldOutputs, news, o = {}) {
      const req = new provproto.DiffRequest();
      nameType(req, urn);
      req.setId(id);
      req.setIgnorechangesList(o.ignoreChanges ?? []);
      const { resp } = await callStructs("diff", req, [[3, oldOutputs], [4, news], [6, o.oldInputs ?? {}]], []);
      return {
        changes: mapDiffChanges(resp.getChanges()),
        replaces: resp.getReplacesList(),
        stables: resp.getStablesList(),
        diffs: resp.getDiffsList(),
        deleteBeforeReplace: resp.getDeletebeforereplace(),
        hasDetailedDiff: resp.getHasdetaileddiff(),
      };
    },

    async create(urn, props, o = {}) {
      // supportsPreview=false: the engine does not call the provider in preview and returns the inputs as state.
      if (o.preview) return { id: "", properties: clone(props) };
      if (containsUnknowns(props)) throw new Error(`create(${urn}): unknown values outside preview (the engine would never send these)`);
      const req = new provproto.CreateRequest();
      nameType(req, urn);
      if (o.timeout) req.setTimeout(o.timeout);
      req.setPreview(false);
      let resp: Any;
      let structs: Map<number, PropertyMap>;
      try {
        ({ resp, structs } = await callStructs("create", req, [[2, props]], [2]));
      } catch (e) {
        if (e instanceof HostCallError && e.initFailure) {
          e.initFailure.properties = annotateSecrets(e.initFailure.properties, props);
        }
        throw e;
      }
      const id: string = resp.getId();
      if (!id) throw new Error(`plugin returned empty resource.ID from create '${urn}'`);
      return { id, properties: annotateSecrets(structs.get(2) ?? {}, props) };
    },

    async read(urn, id, state, inputs) {
      const req = new provproto.ReadRequest();
      nameType(req, urn);
      req.setId(id);
      const { resp, structs } = await callStructs("read", req, [[3, state], ...(inputs ? [[4, inputs] as [number, PropertyMap]] : [])], [2, 3]);
      const result: ReadResult = { id: resp.getId(), properties: annotateSecrets(structs.get(2) ?? {}, state) };
      if (structs.has(3)) result.inputs = annotateSecrets(structs.get(3)!, inputs);
      return result;
    },

    async update(urn, id, oldOutputs, news, o = {}) {
      if (o.preview) return { properties: clone(news) };
      if (containsUnknowns(news)) throw new Error(`update(${urn}): unknown values outside preview (the engine would never send these)`);
      const req = new provproto.UpdateRequest();
      nameType(req, urn);
      req.setId(id);
      req.setIgnorechangesList(o.ignoreChanges ?? []);
      if (o.timeout) req.setTimeout(o.timeout);
      req.setPreview(false);
      let structs: Map<number, PropertyMap>;
      try {
        ({ structs } = await callStructs("update", req, [[3, oldOutputs], [4, news], [8, o.oldInputs ?? {}]], [1]));
      } catch (e) {
        if (e instanceof HostCallError && e.initFailure) {
          e.initFailure.properties = annotateSecrets(e.initFailure.properties, news);
        }
        throw e;
      }
      return { properties: annotateSecrets(structs.get(1) ?? {}, news) };
    },

    async delete(urn, id, state, inputs) {
      const req = new provproto.DeleteRequest();
      nameType(req, urn);
      req.setId(id);
      await callStructs("delete", req, [[3, state], [5, inputs ?? {}]], []);
    },

    rawCall: (method, request) => call(method, request),

    async stop() {
      lean?.close();
      try {
        client.close();
      } catch {
        /* ignore */
      }
      if (!exited) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
        await exitPromise;
      }
      liveHosts.delete(pid);
    },
  };

  if (opts.configure !== false) {
    try {
      await configure();
    } catch (e) {
      await host.stop();
      throw e;
    }
  }
  return host;
}
