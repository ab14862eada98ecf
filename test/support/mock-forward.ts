// Test support: run a real Pulumi program (or a function) under `pulumi.runtime.setMocks`, forwarding every dynamic
// resource (`pulumi-nodejs:dynamic:*`) through the mini engine (minieng.ts) to the REAL dynamic provider host
// (dynhost.ts). Together they give `pulumi preview / up / destroy` semantics without the Pulumi CLI.
//
// Isolation. `setMocks` and the SDK's runtime state (settings, config, stack resource, pending registrations) live
// in a store that is process-global unless the code runs inside the SDK's AsyncLocalStorage (`withLocalStorage`,
// what the Automation API uses for inline programs). Two modes:
//   * "process" (default for a program path): every run is a fresh Node 22 child process (this file re-executed
//     as the child) that loads the program exactly once, like `pulumi up` does; the child's mocks send each
//     registration over IPC to the parent, where the host, the mini engine, the stack and the user handlers live.
//     Faithful: fresh module graph (module-level state, config read at import time, provider objects), no
//     leaking of runtime state, and program failures (unhandled rejections) cannot disturb node:test.
//   * "inline" (the only mode for a function; optional for a path): runs in this process inside
//     `withLocalStorage` (fresh SDK store per run); a path is imported with `?run=N` so the program module itself is
//     re-evaluated, but modules it imports are NOT (ESM cache). Faster (~no startup), but unhandled rejections
//     from a failing program are also seen by node:test (they are detached for the duration of a run).
//
// Usage (see test/integration/harness.test.ts):
//   const host = await startProviderHost({ cwd: ROOT, project: "proj", config: { "notary:serverUrl": url, "notary:pw": { secret: "…" } } });
//   const stack = new Stack("proj", "dev");
//   const pre = await runProgram("examples/basic/index.ts", { host, stack, preview: true, onOtherResource });
//   const up = await runProgram("examples/basic/index.ts", { host, stack, onOtherResource });   // ≈ pulumi up
//   up.get("repo").op === "create"; up.outputs.someExport; stack.get(urn)?.outputs
//   await destroyStack(stack, { host });  …  await host.stop();
import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as pulumiTypes from "@pulumi/pulumi";
import { clone, deepEqual, isSecret, secret, UNKNOWN, type ConfigValue, type DynamicHost, type PropertyMap } from "./dynhost.ts";
import { MiniEngine, Stack, type ResourceOptionsModel, type StackEntry, type StepOp, type StepRecord } from "./minieng.ts";

type PulumiModule = typeof pulumiTypes;
type Mocks = pulumiTypes.runtime.Mocks;
type MockResourceArgs = pulumiTypes.runtime.MockResourceArgs;
type MockResourceResult = pulumiTypes.runtime.MockResourceResult;
type MockCallArgs = pulumiTypes.runtime.MockCallArgs;
/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

export { Stack };

// ---------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------

/** Resource options and graph edges taken from the RegisterResourceRequest (MockResourceArgs lacks them). */
export interface RegistrationInfo {
  parent?: string;
  dependencies: string[];
  options: ResourceOptionsModel;
}

export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** id returned to the program ("" = unknown in preview / components). */
  id: string;
  /** Inputs as the mock received them, in wire form (secrets = sig objects, unknowns = UNKNOWN). */
  inputs: PropertyMap;
  /** State returned to the program (wire form). */
  state: PropertyMap;
  /** Summary op: create | same | update | replace (dynamic), create | same | update (other custom), register (components). */
  op: StepOp | "register" | "read";
  steps: StepRecord[];
  parent?: string;
  dependencies: string[];
  options: ResourceOptionsModel;
}

/** Arguments of the handler for non-dynamic custom resources. */
export interface OtherResourceArgs {
  type: string;
  name: string;
  urn: string;
  /** Wire-form inputs. */
  inputs: PropertyMap;
  custom: boolean;
  preview: boolean;
  /** The previous stack entry, if any. */
  old?: StackEntry;
  provider?: string;
  id?: string;
}
export type OtherResourceHandler = (args: OtherResourceArgs) => { id?: string; state?: PropertyMap } | Promise<{ id?: string; state?: PropertyMap }>;
export type CallHandler = (args: { token: string; inputs: PropertyMap; provider?: string }) => PropertyMap | Promise<PropertyMap>;
export type OtherDeleteHandler = (entry: StackEntry) => void | Promise<void>;

export interface ForwardingOptions {
  preview?: boolean;
  /**
   * Non-dynamic custom resources (e.g. `docker:index/image:Image`). Default: state = inputs,
   * id = `${name}-id` (preview: unknown id for creates).
   */
  onOtherResource?: OtherResourceHandler;
  /** Invokes (`pulumi.runtime.invoke`, e.g. `docker.getImage`). Default: throws. */
  onCall?: CallHandler;
}

export interface ForwardingMocks extends Mocks {
  readonly engine: MiniEngine;
  readonly stack: Stack;
  readonly preview: boolean;
  /** Every registration handled so far, in order. */
  readonly resources: RegisteredResource[];
  /** Errors thrown while handling registrations (the SDK turns them into failed resources). */
  readonly errors: Error[];
  /** Handle one registration (used by newResource and by the child-process bridge). */
  register(args: WireResourceArgs, info?: RegistrationInfo): Promise<{ id?: string; state: PropertyMap }>;
  /**
   * Call once after the program has finished registering: deletes the old halves of create-before-delete
   * replacements and every stack resource the program did not register (reverse dependency order), like the end of
   * `pulumi up`. In preview the deletes are only recorded.
   */
  finish(): Promise<StepRecord[]>;
  /** Record a captured RegisterResourceRequest (set by the monitor patch just before newResource runs). */
  captureRequest(req: unknown): void;
}

export interface WireResourceArgs {
  type: string;
  name: string;
  inputs: PropertyMap;
  provider?: string;
  custom?: boolean;
  id?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Value conversion (SDK mock values → engine wire form)
// ---------------------------------------------------------------------------------------------------------

/**
 * Convert a value deserialized by the mock monitor to the engine's wire form: the SDK's `Unknown` object → the
 * unknown sentinel; secret sig objects kept; undefined members dropped. Resource references and assets are not
 * supported (throws).
 */
export function toWire(v: unknown): unknown {
  if (v === undefined || v === null || typeof v !== "object") return v;
  if ((v as Record<string, unknown>).__pulumiUnknown === true) return UNKNOWN;
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : toWire(x)));
  const o = v as Record<string, unknown>;
  if ((o as Any).__pulumiResource === true || (o as Any).__pulumiCustomResource === true) {
    throw new Error("resource references in resource inputs are not supported by the test harness");
  }
  if ((o as Any).__pulumiAsset === true || (o as Any).__pulumiArchive === true) {
    throw new Error("assets/archives in resource inputs are not supported by the test harness");
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) if (x !== undefined) out[k] = toWire(x);
  return out;
}

function isDynamicType(type: string): boolean {
  return type.startsWith("pulumi-nodejs:dynamic");
}

/** Extract parent / dependencies / options from a pulumirpc.RegisterResourceRequest. */
export function registrationInfo(req: Any): RegistrationInfo {
  const opts: ResourceOptionsModel = {};
  const ic: string[] = req.getIgnorechangesList?.() ?? [];
  if (ic.length) opts.ignoreChanges = ic;
  if (req.getDeletebeforereplacedefined?.()) opts.deleteBeforeReplace = req.getDeletebeforereplace();
  const aso: string[] = req.getAdditionalsecretoutputsList?.() ?? [];
  if (aso.length) opts.additionalSecretOutputs = aso;
  const roc: string[] = req.getReplaceonchangesList?.() ?? [];
  if (roc.length) opts.replaceOnChanges = roc;
  if (req.getProtect?.()) opts.protect = true;
  if (req.getRetainondelete?.()) opts.retainOnDelete = true;
  const parent: string = req.getParent?.() ?? "";
  return { parent: parent || undefined, dependencies: [...(req.getDependenciesList?.() ?? [])], options: opts };
}

// ---------------------------------------------------------------------------------------------------------
// forwardingMocks
// ---------------------------------------------------------------------------------------------------------

function defaultOtherResource(a: OtherResourceArgs): { id?: string; state?: PropertyMap } {
  if (a.old) return { id: a.old.id, state: a.inputs };
  return { id: a.preview ? undefined : `${a.name}-id`, state: a.inputs };
}

/**
 * A `pulumi.runtime.Mocks` that forwards `pulumi-nodejs:dynamic:*` resources to the real host through a MiniEngine
 * over `stack`. Use with `pulumi.runtime.setMocks(mocks, stack.project, stack.name, preview)` and then
 * `patchMonitor(pulumi, mocks)` (runProgram does all of this).
 */
export function forwardingMocks(host: DynamicHost, stack: Stack, opts: ForwardingOptions = {}): ForwardingMocks {
  const preview = opts.preview ?? false;
  const engine = new MiniEngine(host, stack);
  const resources: RegisteredResource[] = [];
  const errors: Error[] = [];
  const registered = new Set<string>();
  let pendingReq: unknown;

  const register = async (args: WireResourceArgs, info: RegistrationInfo = { dependencies: [], options: {} }): Promise<{ id?: string; state: PropertyMap }> => {
    const inputs = toWire(args.inputs ?? {}) as PropertyMap;
    const custom = args.custom ?? true;
    const urn = stack.urn(args.type, args.name, info.parent);
    if (registered.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
    registered.add(urn);
    const base = { urn, type: args.type, name: args.name, custom, inputs, parent: info.parent, dependencies: info.dependencies, options: info.options };
    try {
      if (custom && isDynamicType(args.type)) {
        if (args.id) {
          // Resource.get / import of a dynamic resource: the engine sends Read without prior state.
          const r = await host.read(urn, args.id, {}, inputs);
          const rec: RegisteredResource = { ...base, id: r.id, state: r.properties, op: "read", steps: [] };
          resources.push(rec);
          return { id: r.id || undefined, state: r.properties };
        }
        const r = await engine.up(
          { type: args.type, name: args.name, inputs, parent: info.parent, dependencies: info.dependencies, urn, ...info.options },
          { preview, deferDeleteReplaced: true },
        );
        resources.push({ ...base, id: r.id, state: r.outputs, op: r.op, steps: r.steps });
        return { id: r.id || undefined, state: r.outputs };
      }
      // Components, the root stack and non-dynamic custom resources.
      const old = stack.get(urn);
      const handler = opts.onOtherResource ?? defaultOtherResource;
      // Components (and the root stack) have no provider: the mock convention is state = inputs.
      const res = custom ? await handler({ type: args.type, name: args.name, urn, inputs, custom, preview, old, provider: args.provider, id: args.id }) : { state: inputs };
      const state = clone(res.state ?? inputs);
      const id = res.id ?? "";
      let op: RegisteredResource["op"] = "register";
      if (custom) op = !old ? "create" : deepEqual(old.inputs, inputs) ? "same" : "update";
      const step: StepRecord = { op: op === "register" ? "same" : op, urn, type: args.type, preview, id };
      if (custom) engine.steps.push(step);
      if (!preview) stack.set({ urn, type: args.type, name: args.name, custom, id, inputs, outputs: state, parent: info.parent, dependencies: info.dependencies, options: info.options });
      resources.push({ ...base, id, state, op, steps: custom ? [step] : [] });
      return { id: id || undefined, state };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      errors.push(err);
      throw err;
    }
  };

  const mocks: ForwardingMocks = {
    engine,
    stack,
    preview,
    resources,
    errors,
    register,
    captureRequest(req: unknown) {
      pendingReq = req;
    },
    newResource(args: MockResourceArgs): Promise<MockResourceResult> {
      // Runs synchronously inside MockMonitor.registerResource, right after the patch stored the request.
      const req = pendingReq as Any;
      pendingReq = undefined;
      const info = req && req.getType?.() === args.type && req.getName?.() === args.name ? registrationInfo(req) : { dependencies: [], options: {} };
      return register({ type: args.type, name: args.name, inputs: args.inputs as PropertyMap, provider: args.provider, custom: args.custom, id: args.id }, info) as Promise<MockResourceResult>;
    },
    async call(args: MockCallArgs): Promise<Record<string, Any>> {
      if (!opts.onCall) throw new Error(`no onCall handler for invoke ${args.token}`);
      return await opts.onCall({ token: args.token, inputs: toWire(args.inputs) as PropertyMap, provider: args.provider });
    },
    async finish(): Promise<StepRecord[]> {
      const steps: StepRecord[] = [];
      // Old halves of create-before-delete replacements.
      steps.push(...(await engine.deletePendingReplaced({ preview })));
      // Resources that are in the stack but were not registered by this run.
      const gone = stack.deletionOrder([...stack.resources.values()].filter((e) => !registered.has(e.urn)));
      for (const e of gone) steps.push(...(await deleteStackEntry(engine, e, preview)));
      return steps;
    },
  };
  return mocks;
}

async function deleteStackEntry(engine: MiniEngine, e: StackEntry, preview: boolean, onOtherDelete?: OtherDeleteHandler): Promise<StepRecord[]> {
  if (e.custom && isDynamicType(e.type)) return await engine.destroy(e.urn, { preview });
  if (e.custom && onOtherDelete && !preview) await onOtherDelete(e);
  const step: StepRecord = { op: "delete", urn: e.urn, type: e.type, preview, id: e.id };
  if (e.custom) engine.steps.push(step);
  if (!preview) engine.stack.delete(e.urn);
  return e.custom ? [step] : [];
}

/**
 * Patch the active mock monitor: capture each RegisterResourceRequest for `mocks` (options, parent, dependencies)
 * and make its URNs engine-faithful (children of the root stack are not prefixed with the stack's type).
 */
export function patchMonitor(pulumi: PulumiModule, mocks: { captureRequest(req: unknown): void; stack: { urn(type: string, name: string, parent?: string): string } }): Any {
  const monitor: Any = (pulumi.runtime as Any).getMonitor();
  if (!monitor || typeof monitor.registerResource !== "function" || typeof monitor.newUrn !== "function") {
    throw new Error("patchMonitor: no mock monitor active (call pulumi.runtime.setMocks first)");
  }
  const orig = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: unknown, cb: unknown) => {
    mocks.captureRequest(req);
    try {
      return orig(req, cb);
    } finally {
      mocks.captureRequest(undefined);
    }
  };
  monitor.newUrn = (parent: string, type: string, name: string) => mocks.stack.urn(type, name, parent || undefined);
  return monitor;
}

// ---------------------------------------------------------------------------------------------------------
// Running a program
// ---------------------------------------------------------------------------------------------------------

export type ProgramFn = () => unknown;

export interface RunProgramOptions {
  host: DynamicHost;
  stack: Stack;
  preview?: boolean;
  /** Program config (namespaced keys). Default: the host's stack config. */
  config?: Record<string, ConfigValue>;
  /** "process" (default for a path) or "inline" (forced for a function). */
  isolation?: "process" | "inline";
  /** Project directory the program runs in (child cwd, @pulumi/pulumi resolution). Default: host.cwd. */
  cwd?: string;
  onOtherResource?: OtherResourceHandler;
  onCall?: CallHandler;
  /** Extra env for the child process. */
  env?: Record<string, string | undefined>;
  /** Kill the child after this many ms (default 120000). */
  timeoutMs?: number;
  /** Skip deleting unregistered / replaced resources at the end (default false). */
  skipFinish?: boolean;
}

export interface ProgramResult {
  preview: boolean;
  /** Registrations of this run in order (including components and the root stack). */
  resources: RegisteredResource[];
  /** Stack outputs (wire form: secrets as sig objects, preview unknowns as UNKNOWN). */
  outputs: PropertyMap;
  /** Steps of this run (registrations + final deletes), in order. */
  steps: StepRecord[];
  /** The final deletes done (or previewed) after the program finished. */
  deletes: StepRecord[];
  stack: Stack;
  /** Program stdout/stderr lines (process mode only). */
  log: string[];
  /** Milliseconds for the whole run. */
  ms: number;
  /** Find a registered resource by name (first match) — throws if absent. */
  get(name: string): RegisteredResource;
}

function splitConfig(config: Record<string, ConfigValue>): { values: Record<string, string>; secretKeys: string[] } {
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    if (typeof v === "string") values[k] = v;
    else {
      values[k] = v.secret;
      secretKeys.push(k);
    }
  }
  return { values, secretKeys };
}

function loadPulumi(cwd: string): PulumiModule {
  try {
    return createRequire(path.join(cwd, "__harness__.js"))("@pulumi/pulumi") as PulumiModule;
  } catch {
    return createRequire(import.meta.url)("@pulumi/pulumi") as PulumiModule;
  }
}

function loadState(cwd: string): Any {
  const req = createRequire(path.join(cwd, "__harness__.js"));
  return req(req.resolve("@pulumi/pulumi/runtime/state.js"));
}

let inlineRun = 0;

/** Import a program module (fresh instance per call) and run it as the language host does. */
async function importProgram(programPath: string, fresh: boolean): Promise<unknown> {
  const url = pathToFileURL(path.resolve(programPath)).href + (fresh ? `?run=${++inlineRun}` : "");
  let mod: Record<string, unknown> = (await import(url)) as Record<string, unknown>;
  let exported: unknown = mod;
  if (Object.getOwnPropertyDescriptor(mod, "default") !== undefined) {
    if (Object.keys(mod).length !== 1) throw new Error("expected entrypoint module to have either a default export or named exports but not both");
    exported = mod.default;
  } else {
    // Plain object copy of the namespace (the SDK walks it with Object.keys).
    mod = { ...mod };
    exported = mod;
  }
  const result = typeof exported === "function" ? (exported as () => unknown)() : exported;
  return await result;
}

/**
 * Run the program inside an SDK store configured with `mocks` (shared by both modes). Returns the stack outputs in
 * wire form. Registration errors and unhandled rejections make it throw.
 */
async function runWithMocks(
  pulumi: PulumiModule,
  mocks: Mocks & { captureRequest(req: unknown): void; stack: { urn(type: string, name: string, parent?: string): string } },
  o: { project: string; stackName: string; preview: boolean; config: Record<string, ConfigValue>; program: () => Promise<unknown> },
  errorsSink: () => Error[],
): Promise<PropertyMap> {
  await pulumi.runtime.setMocks(mocks, o.project, o.stackName, o.preview);
  const monitor = patchMonitor(pulumi, mocks);
  const { values, secretKeys } = splitConfig(o.config);
  pulumi.runtime.setAllConfig(values, secretKeys);

  // A failing registration rejects promises inside the SDK that nobody awaits: collect those unhandled rejections
  // as program errors. Other listeners (node:test's, when running inline) are detached meanwhile so they do not
  // report the same failure as a crash of the current test.
  const uncaught: Error[] = [];
  const onErr = (e: unknown) => uncaught.push(e instanceof Error ? e : new Error(String(e)));
  const saved = { uncaughtException: process.listeners("uncaughtException"), unhandledRejection: process.listeners("unhandledRejection") };
  process.removeAllListeners("uncaughtException");
  process.removeAllListeners("unhandledRejection");
  process.on("uncaughtException", onErr);
  process.on("unhandledRejection", onErr);
  try {
    let programError: unknown;
    try {
      await (pulumi.runtime as Any).runInPulumiStack(o.program);
    } catch (e) {
      programError = e;
    }
    await (pulumi.runtime as Any).waitForRPCs();
    // Let rejections of failed registrations surface.
    await new Promise((r) => setTimeout(r, 10));
    const errors = [...errorsSink(), ...(programError ? [programError as Error] : []), ...uncaught];
    if (errors.length) {
      const seen = new Set<string>();
      const msgs = errors.map((e) => (e instanceof Error ? e.message : String(e))).filter((m) => !seen.has(m) && seen.add(m));
      const err = new Error(`program failed: ${msgs.join("; ")}`);
      (err as Any).errors = errors;
      throw err;
    }
    const stackUrn = mocks.stack.urn(ROOT_STACK_TYPE, `${o.project}-${o.stackName}`);
    const rec = monitor.getRegisteredResources?.().get(stackUrn) ?? monitor.resources?.get(stackUrn);
    const st = rec?.state;
    const outputs = st && typeof st.toJavaScript === "function" ? (st.toJavaScript() as PropertyMap) : ((st ?? {}) as PropertyMap);
    return outputs;
  } finally {
    process.off("uncaughtException", onErr);
    process.off("unhandledRejection", onErr);
    for (const l of saved.uncaughtException) process.on("uncaughtException", l as (e: Error) => void);
    for (const l of saved.unhandledRejection) process.on("unhandledRejection", l as (r: unknown) => void);
  }
}

function makeResult(preview: boolean, mocks: ForwardingMocks, stepsBefore: number, outputs: PropertyMap, deletes: StepRecord[], log: string[], t0: number): ProgramResult {
  const resources = mocks.resources;
  return {
    preview,
    resources,
    outputs,
    steps: mocks.engine.steps.slice(stepsBefore),
    deletes,
    stack: mocks.stack,
    log,
    ms: performance.now() - t0,
    get(name: string) {
      const r = resources.find((x) => x.name === name);
      if (!r) throw new Error(`no resource named ${name} was registered (have: ${resources.map((x) => x.name).join(", ")})`);
      return r;
    },
  };
}

/**
 * Run a Pulumi program against the real dynamic provider host: `preview: true` ≈ `pulumi preview`, otherwise
 * ≈ `pulumi up` (the stack is updated in place). `program` is a module path (default export function, or named
 * exports = stack outputs) or a function (inline only).
 */
export async function runProgram(program: string | ProgramFn, opts: RunProgramOptions): Promise<ProgramResult> {
  const t0 = performance.now();
  const preview = opts.preview ?? false;
  const config = opts.config ?? opts.host.config;
  const cwd = path.resolve(opts.cwd ?? opts.host.cwd);
  const mocks = forwardingMocks(opts.host, opts.stack, { preview, onOtherResource: opts.onOtherResource, onCall: opts.onCall });
  const stepsBefore = mocks.engine.steps.length;
  const isolation = typeof program === "function" ? "inline" : (opts.isolation ?? "process");

  let outputs: PropertyMap;
  let log: string[] = [];
  if (isolation === "inline") {
    const pulumi = loadPulumi(cwd);
    const state = loadState(cwd);
    const fn = typeof program === "function" ? async () => await program() : () => importProgram(program, true);
    outputs = await state.withLocalStorage(() =>
      runWithMocks(pulumi, mocks, { project: opts.stack.project, stackName: opts.stack.name, preview, config, program: fn }, () => mocks.errors),
    );
  } else {
    const r = await runInChild(program as string, mocks, { cwd, preview, config, env: opts.env, timeoutMs: opts.timeoutMs ?? 120_000 });
    outputs = r.outputs;
    log = r.log;
  }
  const deletes = opts.skipFinish ? [] : await mocks.finish();
  if (!preview) {
    // Record the stack outputs on the root stack entry, like the state file does.
    const stackUrn = opts.stack.urn(ROOT_STACK_TYPE, `${opts.stack.project}-${opts.stack.name}`);
    const entry = opts.stack.get(stackUrn);
    if (entry) entry.outputs = clone(outputs);
  }
  return makeResult(preview, mocks, stepsBefore, outputs, deletes, log, t0);
}

/** Delete every resource of the stack (reverse dependency order) through the host — `pulumi destroy`. */
export async function destroyStack(stack: Stack, opts: { host: DynamicHost; preview?: boolean; onOtherDelete?: OtherDeleteHandler }): Promise<StepRecord[]> {
  const engine = new MiniEngine(opts.host, stack);
  const preview = opts.preview ?? false;
  const steps: StepRecord[] = [];
  steps.push(...(await engine.deletePendingReplaced({ preview })));
  for (const e of stack.deletionOrder()) steps.push(...(await deleteStackEntry(engine, e, preview, opts.onOtherDelete)));
  return steps;
}

// ---------------------------------------------------------------------------------------------------------
// Child-process mode
// ---------------------------------------------------------------------------------------------------------

interface ChildRunMessage {
  type: "run";
  programPath: string;
  project: string;
  stackName: string;
  preview: boolean;
  config: Record<string, ConfigValue>;
}
type ChildToParent =
  | { type: "newResource"; seq: number; args: WireResourceArgs; info: RegistrationInfo }
  | { type: "call"; seq: number; args: { token: string; inputs: PropertyMap; provider?: string } }
  | { type: "done"; outputs: PropertyMap }
  | { type: "failed"; message: string; stack?: string };
type ParentToChild = ChildRunMessage | { type: "reply"; seq: number; ok: true; value: unknown } | { type: "reply"; seq: number; ok: false; message: string };

const liveChildren = new Set<number>();
let childExitHook = false;

async function runInChild(
  programPath: string,
  mocks: ForwardingMocks,
  o: { cwd: string; preview: boolean; config: Record<string, ConfigValue>; env?: Record<string, string | undefined>; timeoutMs: number },
): Promise<{ outputs: PropertyMap; log: string[] }> {
  if (!childExitHook) {
    childExitHook = true;
    process.on("exit", () => {
      for (const pid of liveChildren) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    });
  }
  const env: Record<string, string | undefined> = { ...process.env };
  // No leftovers from a surrounding Pulumi run / test runner (the SDK reads PULUMI_NODEJS_* and PULUMI_CONFIG at load).
  for (const k of Object.keys(env)) if (k.startsWith("PULUMI_NODEJS_") || k.startsWith("PULUMI_CONFIG") || k === "NODE_TEST_CONTEXT") delete env[k];
  Object.assign(env, o.env ?? {}, { PULUMI_HARNESS_CHILD: "1" });
  const child: ChildProcess = fork(THIS_FILE, [], { cwd: o.cwd, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe", "ipc"], execPath: process.execPath, execArgv: [] });
  const pid = child.pid!;
  liveChildren.add(pid);
  const log: string[] = [];
  let buf = { out: "", err: "" };
  const collect = (which: "out" | "err") => (chunk: Buffer) => {
    buf[which] += chunk.toString("utf8");
    const lines = buf[which].split("\n");
    buf[which] = lines.pop() ?? "";
    log.push(...lines);
  };
  child.stdout!.on("data", collect("out"));
  child.stderr!.on("data", collect("err"));

  const send = (m: ParentToChild) => {
    if (child.connected) child.send(m);
  };
  try {
    return await new Promise<{ outputs: PropertyMap; log: string[] }>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, value?: { outputs: PropertyMap; log: string[] }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value!);
      };
      const timer = setTimeout(() => finish(new Error(`program ${programPath} did not finish within ${o.timeoutMs} ms\n${log.join("\n")}`)), o.timeoutMs);
      child.on("message", (raw) => {
        const m = raw as ChildToParent;
        if (m.type === "newResource") {
          mocks.register(m.args, m.info).then(
            (value) => send({ type: "reply", seq: m.seq, ok: true, value }),
            (e: unknown) => send({ type: "reply", seq: m.seq, ok: false, message: e instanceof Error ? e.message : String(e) }),
          );
        } else if (m.type === "call") {
          (mocks.call({ token: m.args.token, inputs: m.args.inputs, provider: m.args.provider } as MockCallArgs) as Promise<unknown>).then(
            (value) => send({ type: "reply", seq: m.seq, ok: true, value }),
            (e: unknown) => send({ type: "reply", seq: m.seq, ok: false, message: e instanceof Error ? e.message : String(e) }),
          );
        } else if (m.type === "done") {
          finish(undefined, { outputs: m.outputs, log });
        } else if (m.type === "failed") {
          const err = new Error(m.message);
          (err as Any).log = log;
          finish(err);
        }
      });
      child.on("exit", (code, signal) => {
        if (buf.out) log.push(buf.out);
        if (buf.err) log.push(buf.err);
        buf = { out: "", err: "" };
        finish(new Error(`program child exited early (code ${code}, signal ${signal})\n${log.join("\n")}`));
      });
      child.on("error", (e) => finish(e));
      send({ type: "run", programPath: path.resolve(programPath), project: mocks.stack.project, stackName: mocks.stack.name, preview: o.preview, config: o.config });
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      try {
        child.disconnect();
      } catch {
        /* already */
      }
      const t = setTimeout(() => {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }, 2000);
      await exited;
      clearTimeout(t);
    }
    liveChildren.delete(pid);
  }
}

/** Child side: run one program under mocks that forward every registration to the parent over IPC. */
async function childMain(): Promise<void> {
  // The parent (test process) went away: nothing can answer our registrations any more.
  process.on("disconnect", () => process.exit(1));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let seq = 0;
  const ask = (msg: { type: "newResource"; args: WireResourceArgs; info: RegistrationInfo } | { type: "call"; args: { token: string; inputs: PropertyMap; provider?: string } }) =>
    new Promise<unknown>((resolve, reject) => {
      const n = ++seq;
      pending.set(n, { resolve, reject });
      process.send!({ ...msg, seq: n });
    });

  const run = await new Promise<ChildRunMessage>((resolve) => {
    process.on("message", (raw) => {
      const m = raw as ParentToChild;
      if (m.type === "run") resolve(m);
      else if (m.type === "reply") {
        const p = pending.get(m.seq);
        pending.delete(m.seq);
        if (!p) return;
        if (m.ok) p.resolve(m.value);
        else p.reject(new Error(m.message));
      }
    });
  });

  const stack = new Stack(run.project, run.stackName);
  const errors: Error[] = [];
  let pendingReq: unknown;
  const mocks = {
    stack,
    captureRequest(req: unknown) {
      pendingReq = req;
    },
    newResource(args: MockResourceArgs): Promise<MockResourceResult> {
      const req = pendingReq as Any;
      pendingReq = undefined;
      const info = req && req.getType?.() === args.type && req.getName?.() === args.name ? registrationInfo(req) : { dependencies: [], options: {} };
      let wire: WireResourceArgs;
      try {
        wire = { type: args.type, name: args.name, inputs: toWire(args.inputs) as PropertyMap, provider: args.provider, custom: args.custom, id: args.id };
      } catch (e) {
        errors.push(e as Error);
        return Promise.reject(e);
      }
      return ask({ type: "newResource", args: wire, info }).then(
        (v) => v as MockResourceResult,
        (e: Error) => {
          errors.push(e);
          throw e;
        },
      );
    },
    call(args: MockCallArgs): Promise<Record<string, Any>> {
      return ask({ type: "call", args: { token: args.token, inputs: toWire(args.inputs) as PropertyMap, provider: args.provider } }) as Promise<Record<string, Any>>;
    },
  };

  try {
    const pulumi = loadPulumi(process.cwd());
    const outputs = await runWithMocks(
      pulumi,
      mocks,
      { project: run.project, stackName: run.stackName, preview: run.preview, config: run.config, program: () => importProgram(run.programPath, false) },
      () => errors,
    );
    // Exit once the message is flushed: open handles left by the program must not keep the child alive.
    process.send!({ type: "done", outputs } satisfies ChildToParent, () => process.exit(0));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    process.send!({ type: "failed", message: err.message, stack: err.stack } satisfies ChildToParent, () => process.exit(1));
  }
}

if (process.env.PULUMI_HARNESS_CHILD === "1" && typeof process.send === "function" && process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) {
  delete process.env.PULUMI_HARNESS_CHILD;
  void childMain();
}

// Re-exports so tests need a single import for the common helpers.
export { secret, isSecret, UNKNOWN };
