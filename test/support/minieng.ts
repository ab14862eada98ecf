// Test support: a mini Pulumi engine for dynamic resources, one resource at a time, driving a real dynamic
// provider host (dynhost.ts). It models the engine's step logic (pulumi/pulumi pkg/resource/deploy/
// step_generator.go, step.go) closely enough for contract tests:
//
//   up:      ignoreChanges → Check(olds = previous inputs, or {} for a create) → no old state: Create
//            old state: Diff(old outputs, checked inputs) — DIFF_UNKNOWN → compare old/new inputs
//                       DIFF_NONE → same (keeps old outputs, records new inputs)
//                       DIFF_SOME + replaces (or replaceOnChanges hit) → replace: Check again with olds = {},
//                         then delete-before-replace (resource option overrides the provider's answer):
//                           delete-replaced → replace → create-replacement
//                         or create-before-delete: create-replacement → replace → delete-replaced (the engine does
//                           the delete at the end of the deployment; see `deferDeleteReplaced`)
//                       DIFF_SOME → update
//            preview: Create/Update are not sent (inputs echoed as state, id ""), Delete is skipped, and the
//            stack is not modified.
//   refresh: Read(id, old outputs, old inputs) — blank id = gone → dropped from the stack; `inputs` returned by
//            read() replace the recorded inputs.
//   destroy: Delete(id, old outputs, old inputs) → dropped.
//
// The stack is an in-memory, JSON-serialisable map keyed by URN (like a state file).
import {
  clone,
  deepEqual,
  HostCallError,
  isSecret,
  secret,
  type DiffResult,
  type DynamicHost,
  type PropertyMap,
} from "./dynhost.ts";

export type StepOp =
  | "create"
  | "same"
  | "update"
  | "replace"
  | "create-replacement"
  | "delete-replaced"
  | "delete"
  | "refresh"
  | "read-gone";

export interface StepRecord {
  op: StepOp;
  urn: string;
  type: string;
  preview: boolean;
  /** id after the step (for deletes: the id that was deleted). */
  id: string;
  diff?: DiffResult;
  /** Keys that caused a replacement. */
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

export interface ResourceOptionsModel {
  ignoreChanges?: string[];
  /** Resource option; overrides the provider's deleteBeforeReplace when set. */
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs?: string[];
  replaceOnChanges?: string[];
  protect?: boolean;
  retainOnDelete?: boolean;
}

/** A resource as recorded in the stack ("state file" entry). */
export interface StackEntry {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  id: string;
  inputs: PropertyMap;
  outputs: PropertyMap;
  parent?: string;
  dependencies: string[];
  options: ResourceOptionsModel;
  /** Set after a partial failure (ErrorResourceInitFailed). */
  initErrors?: string[];
}

export interface StackSnapshot {
  project: string;
  stack: string;
  resources: StackEntry[];
  pendingDeletes: StackEntry[];
}

/** In-memory stack state (ordered like a state file: dependencies before dependents). */
export class Stack {
  readonly project: string;
  readonly name: string;
  readonly resources = new Map<string, StackEntry>();
  /** Old instances condemned by create-before-delete replacements, deleted at the end of a deployment. */
  pendingDeletes: StackEntry[] = [];

  constructor(project: string, name = "dev") {
    this.project = project;
    this.name = name;
  }

  urn(type: string, name: string, parentUrn?: string): string {
    let qualified = type;
    if (parentUrn) {
      const parentQualified = parentUrn.split("::")[2] ?? "";
      // The engine does not prefix the root stack's type (step_generator.go : generateURN).
      if (parentQualified !== "pulumi:pulumi:Stack") qualified = `${parentQualified}$${type}`;
    }
    return `urn:pulumi:${this.name}::${this.project}::${qualified}::${name}`;
  }

  get(urn: string): StackEntry | undefined {
    return this.resources.get(urn);
  }

  byName(name: string): StackEntry | undefined {
    for (const r of this.resources.values()) if (r.name === name) return r;
    return undefined;
  }

  /** Replace or append (a replaced entry keeps its position). */
  set(entry: StackEntry): void {
    this.resources.set(entry.urn, entry);
  }

  delete(urn: string): void {
    this.resources.delete(urn);
  }

  get size(): number {
    return this.resources.size;
  }

  toJSON(): StackSnapshot {
    return clone({ project: this.project, stack: this.name, resources: [...this.resources.values()], pendingDeletes: this.pendingDeletes });
  }

  static fromJSON(s: StackSnapshot): Stack {
    const st = new Stack(s.project, s.stack);
    for (const r of s.resources) st.resources.set(r.urn, clone(r));
    st.pendingDeletes = clone(s.pendingDeletes ?? []);
    return st;
  }

  /**
   * Entries in deletion order: reverse topological order over parent + dependencies, ties broken by reverse
   * stack (registration) order.
   */
  deletionOrder(entries: StackEntry[] = [...this.resources.values()]): StackEntry[] {
    const byUrn = new Map(entries.map((e) => [e.urn, e] as const));
    const order: StackEntry[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (e: StackEntry) => {
      if (state.get(e.urn) === "done") return;
      if (state.get(e.urn) === "visiting") return; // cycle: ignore (cannot happen for well-formed stacks)
      state.set(e.urn, "visiting");
      for (const d of [...(e.parent ? [e.parent] : []), ...e.dependencies]) {
        const dep = byUrn.get(d);
        if (dep) visit(dep);
      }
      state.set(e.urn, "done");
      order.push(e);
    };
    for (const e of entries) visit(e);
    return order.reverse();
  }
}

export interface ResourceGoal extends ResourceOptionsModel {
  type: string;
  name: string;
  /** Wire-form inputs (secrets as sig objects, unknowns as the UNKNOWN sentinel). Must include `__provider`. */
  inputs: PropertyMap;
  parent?: string;
  dependencies?: string[];
  /** Explicit URN (otherwise computed from type/name/parent). */
  urn?: string;
}

export interface UpOptions {
  preview?: boolean;
  /** Create-before-delete replacements: put the old instance on stack.pendingDeletes instead of deleting now. */
  deferDeleteReplaced?: boolean;
}

export interface UpResult {
  urn: string;
  /** Summary of what happened: create | same | update | replace. */
  op: "create" | "same" | "update" | "replace";
  steps: StepRecord[];
  id: string;
  /** Checked inputs (secrets re-annotated). */
  inputs: PropertyMap;
  /** Outputs the program would see (preview: echoed inputs for create/update). */
  outputs: PropertyMap;
  diff?: DiffResult;
}

export interface RefreshResult {
  urn: string;
  op: "refresh" | "read-gone";
  id: string;
  outputs: PropertyMap;
  inputs: PropertyMap;
  /** True if the outputs changed compared to the previous state. */
  changed: boolean;
}

/** Error for check failures, like the engine's "resource X is invalid". */
export class CheckFailedError extends Error {
  readonly failures: { property: string; reason: string }[];
  constructor(urn: string, failures: { property: string; reason: string }[]) {
    super(`resource ${urn} is invalid: ${failures.map((f) => `${f.property ? `${f.property}: ` : ""}${f.reason}`).join("; ")}`);
    this.name = "CheckFailedError";
    this.failures = failures;
  }
}

/** processIgnoreChanges: copy old input values for ignored paths (dotted top-level/nested object paths). */
export function processIgnoreChanges(inputs: PropertyMap, oldInputs: PropertyMap, ignoreChanges: string[] = []): PropertyMap {
  const result = clone(inputs);
  for (const p of ignoreChanges) {
    const parts = p.split(".");
    let src: unknown = oldInputs;
    let dst: Record<string, unknown> = result;
    for (let i = 0; i < parts.length; i++) {
      const k = parts[i]!;
      const srcObj = src as Record<string, unknown> | undefined;
      if (i === parts.length - 1) {
        if (srcObj && typeof srcObj === "object" && Object.hasOwn(srcObj, k)) dst[k] = clone(srcObj[k]);
        else if (Object.hasOwn(dst, k)) delete dst[k];
        break;
      }
      src = srcObj && typeof srcObj === "object" ? srcObj[k] : undefined;
      const next = dst[k];
      // The engine reports (and skips) paths into added/removed elements.
      if (typeof next !== "object" || next === null || typeof src !== "object" || src === null) break;
      dst = next as Record<string, unknown>;
    }
  }
  return result;
}

function applyAdditionalSecretOutputs(outs: PropertyMap, keys: string[] | undefined): PropertyMap {
  if (!keys?.length) return outs;
  const result = { ...outs };
  for (const k of keys) if (k in result && !isSecret(result[k])) result[k] = secret(result[k]);
  return result;
}

function changedTopLevelKeys(olds: PropertyMap, news: PropertyMap): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => !deepEqual(olds[k], news[k]));
}

export class MiniEngine {
  readonly host: DynamicHost;
  readonly stack: Stack;
  /** Every step executed or previewed, in order. */
  readonly steps: StepRecord[] = [];

  constructor(host: DynamicHost, stack?: Stack) {
    this.host = host;
    this.stack = stack ?? new Stack(host.project, host.stackName);
  }

  urnOf(goal: { type: string; name: string; parent?: string; urn?: string }): string {
    return goal.urn ?? this.stack.urn(goal.type, goal.name, goal.parent);
  }

  private record(s: StepRecord, out: StepRecord[]): void {
    this.steps.push(s);
    out.push(s);
  }

  private async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<PropertyMap> {
    const { inputs, failures } = await this.host.check(urn, olds, news);
    if (failures.length) throw new CheckFailedError(urn, failures);
    return inputs;
  }

  /** Register one resource (pulumi up / preview for it). */
  async up(goal: ResourceGoal, opts: UpOptions = {}): Promise<UpResult> {
    const preview = opts.preview ?? false;
    const urn = this.urnOf(goal);
    const old = this.stack.get(urn);
    const steps: StepRecord[] = [];
    const options: ResourceOptionsModel = {
      ignoreChanges: goal.ignoreChanges,
      deleteBeforeReplace: goal.deleteBeforeReplace,
      additionalSecretOutputs: goal.additionalSecretOutputs,
      replaceOnChanges: goal.replaceOnChanges,
      protect: goal.protect,
      retainOnDelete: goal.retainOnDelete,
    };
    const base = {
      urn,
      type: goal.type,
      name: goal.name,
      custom: true,
      parent: goal.parent,
      dependencies: [...(goal.dependencies ?? [])],
      options: clone(options),
    };
    const aso = goal.additionalSecretOutputs;

    const doCreate = async (inputs: PropertyMap, op: "create" | "create-replacement"): Promise<{ id: string; outputs: PropertyMap }> => {
      try {
        const r = await this.host.create(urn, inputs, { preview });
        return { id: r.id, outputs: applyAdditionalSecretOutputs(r.properties, aso) };
      } catch (e) {
        // Partial failure: the engine keeps the resource (with init errors) in the state and fails the step.
        if (e instanceof HostCallError && e.initFailure && !preview) {
          this.stack.set({ ...base, id: e.initFailure.id, inputs, outputs: applyAdditionalSecretOutputs(e.initFailure.properties, aso), initErrors: e.initFailure.reasons });
          this.record({ op, urn, type: goal.type, preview, id: e.initFailure.id }, steps);
        }
        throw e;
      }
    };

    // --- create ---
    if (!old) {
      const inputs = await this.check(urn, {}, goal.inputs);
      const { id, outputs } = await doCreate(inputs, "create");
      this.record({ op: "create", urn, type: goal.type, preview, id }, steps);
      if (!preview) this.stack.set({ ...base, id, inputs, outputs });
      return { urn, op: "create", steps, id, inputs, outputs };
    }

    // --- existing resource ---
    const news = processIgnoreChanges(goal.inputs, old.inputs, goal.ignoreChanges);
    let inputs = await this.check(urn, old.inputs, news);
    const diff = await this.host.diff(urn, old.id, old.outputs, inputs, { oldInputs: old.inputs, ignoreChanges: goal.ignoreChanges });
    const effective: DiffResult = { ...diff, replaces: [...diff.replaces], diffs: [...diff.diffs] };
    if (effective.changes === "DIFF_UNKNOWN") {
      const changed = changedTopLevelKeys(old.inputs, processIgnoreChanges(inputs, old.inputs, goal.ignoreChanges));
      effective.changes = changed.length ? "DIFF_SOME" : "DIFF_NONE";
      effective.diffs = changed;
    }
    // applyReplaceOnChanges: only ChangedKeys (diffs) count — the dynamic host never reports them, so this only has
    // an effect when the provider has no diff() (DIFF_UNKNOWN → input comparison).
    if (effective.changes === "DIFF_SOME" && goal.replaceOnChanges?.length) {
      for (const k of effective.diffs) {
        if (goal.replaceOnChanges.some((p) => p === "*" || p === k || k.startsWith(`${p}.`)) && !effective.replaces.includes(k)) effective.replaces.push(k);
      }
    }
    const hasInitErrors = (old.initErrors?.length ?? 0) > 0;

    if (effective.changes === "DIFF_SOME" && effective.replaces.length > 0) {
      // --- replace ---
      if (goal.protect && old.options.protect) throw new Error(`unable to replace resource "${urn}" as it is currently marked for protection`);
      // The engine recomputes defaults for the replacement: Check again with no old inputs.
      inputs = await this.check(urn, {}, goal.inputs);
      const dbr = goal.deleteBeforeReplace ?? effective.deleteBeforeReplace;
      const common = { urn, type: goal.type, preview, replaces: effective.replaces, deleteBeforeReplace: dbr, diff };
      if (dbr) {
        if (!preview) {
          await this.host.delete(urn, old.id, old.outputs, old.inputs);
          this.stack.delete(urn);
        }
        this.record({ ...common, op: "delete-replaced", id: old.id }, steps);
        this.record({ ...common, op: "replace", id: old.id }, steps);
        const { id, outputs } = await doCreate(inputs, "create-replacement");
        this.record({ ...common, op: "create-replacement", id }, steps);
        if (!preview) this.stack.set({ ...base, id, inputs, outputs });
        return { urn, op: "replace", steps, id, inputs, outputs, diff };
      }
      const { id, outputs } = await doCreate(inputs, "create-replacement");
      this.record({ ...common, op: "create-replacement", id }, steps);
      this.record({ ...common, op: "replace", id }, steps);
      if (!preview) {
        this.stack.set({ ...base, id, inputs, outputs });
        if (opts.deferDeleteReplaced) this.stack.pendingDeletes.push(old);
        else await this.deleteEntry(old, "delete-replaced", steps, false, { replaces: effective.replaces, deleteBeforeReplace: false });
      } else {
        this.record({ ...common, op: "delete-replaced", id: old.id }, steps);
      }
      return { urn, op: "replace", steps, id, inputs, outputs, diff };
    }

    if (effective.changes === "DIFF_SOME" || hasInitErrors) {
      // --- update ---
      let r;
      try {
        r = await this.host.update(urn, old.id, old.outputs, inputs, { preview, oldInputs: old.inputs, ignoreChanges: goal.ignoreChanges });
      } catch (e) {
        if (e instanceof HostCallError && e.initFailure && !preview) {
          this.stack.set({ ...base, id: old.id, inputs, outputs: applyAdditionalSecretOutputs(e.initFailure.properties, aso), initErrors: e.initFailure.reasons });
          this.record({ op: "update", urn, type: goal.type, preview, id: old.id, diff }, steps);
        }
        throw e;
      }
      const outputs = applyAdditionalSecretOutputs(r.properties, aso);
      this.record({ op: "update", urn, type: goal.type, preview, id: old.id, diff }, steps);
      if (!preview) this.stack.set({ ...base, id: old.id, inputs, outputs });
      return { urn, op: "update", steps, id: old.id, inputs, outputs, diff };
    }

    // --- same ---
    this.record({ op: "same", urn, type: goal.type, preview, id: old.id, diff }, steps);
    const outputs = clone(old.outputs);
    if (!preview) this.stack.set({ ...base, id: old.id, inputs, outputs });
    return { urn, op: "same", steps, id: old.id, inputs, outputs, diff };
  }

  /** pulumi refresh for one resource (Read). Blank id → resource is gone and dropped from the stack. */
  async refresh(target: string | { type: string; name: string; parent?: string; urn?: string }, opts: { preview?: boolean } = {}): Promise<RefreshResult> {
    const urn = typeof target === "string" ? target : this.urnOf(target);
    const old = this.stack.get(urn);
    if (!old) throw new Error(`refresh: ${urn} is not in the stack`);
    if (!old.custom) return { urn, op: "refresh", id: old.id, outputs: old.outputs, inputs: old.inputs, changed: false };
    let r;
    let initErrors: string[] | undefined;
    try {
      r = await this.host.read(urn, old.id, old.outputs, old.inputs);
    } catch (e) {
      // A partial failure does not fail a refresh; the init errors are kept.
      if (e instanceof HostCallError && e.initFailure) {
        r = { id: e.initFailure.id, properties: e.initFailure.properties, inputs: e.initFailure.inputs };
        initErrors = e.initFailure.reasons;
      } else throw e;
    }
    const preview = opts.preview ?? false;
    if (!r.id) {
      this.steps.push({ op: "read-gone", urn, type: old.type, preview, id: old.id });
      if (!preview) this.stack.delete(urn);
      return { urn, op: "read-gone", id: "", outputs: {}, inputs: old.inputs, changed: true };
    }
    const outputs = applyAdditionalSecretOutputs(r.properties, old.options.additionalSecretOutputs);
    const inputs = r.inputs ?? old.inputs;
    const changed = !deepEqual(outputs, old.outputs) || !deepEqual(inputs, old.inputs) || r.id !== old.id;
    this.steps.push({ op: "refresh", urn, type: old.type, preview, id: r.id });
    if (!preview) this.stack.set({ ...old, id: r.id, outputs, inputs, initErrors });
    return { urn, op: "refresh", id: r.id, outputs, inputs, changed };
  }

  private async deleteEntry(entry: StackEntry, op: "delete" | "delete-replaced", out: StepRecord[], preview: boolean, extra: Partial<StepRecord> = {}): Promise<void> {
    if (!preview && entry.custom && !entry.options.retainOnDelete) {
      await this.host.delete(entry.urn, entry.id, entry.outputs, entry.inputs);
    }
    this.record({ ...extra, op, urn: entry.urn, type: entry.type, preview, id: entry.id }, out);
  }

  /** Delete one resource (pulumi destroy for it). */
  async destroy(target: string | { type: string; name: string; parent?: string; urn?: string }, opts: { preview?: boolean } = {}): Promise<StepRecord[]> {
    const urn = typeof target === "string" ? target : this.urnOf(target);
    const old = this.stack.get(urn);
    if (!old) throw new Error(`destroy: ${urn} is not in the stack`);
    if (old.options.protect) throw new Error(`resource "${urn}" cannot be deleted because it is protected`);
    const steps: StepRecord[] = [];
    await this.deleteEntry(old, "delete", steps, opts.preview ?? false);
    if (!opts.preview) this.stack.delete(urn);
    return steps;
  }

  /** Delete the old instances of create-before-delete replacements (end of a deployment). */
  async deletePendingReplaced(opts: { preview?: boolean } = {}): Promise<StepRecord[]> {
    const steps: StepRecord[] = [];
    const pending = this.stack.deletionOrder(this.stack.pendingDeletes);
    for (const e of pending) {
      await this.deleteEntry(e, "delete-replaced", steps, opts.preview ?? false);
      if (!opts.preview) this.stack.pendingDeletes = this.stack.pendingDeletes.filter((p) => p !== e && !(p.urn === e.urn && p.id === e.id));
    }
    return steps;
  }
}
