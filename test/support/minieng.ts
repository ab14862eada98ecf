// Test support: a mini Pulumi engine driving a real dynamic provider host (dynhost.ts) one resource at a time, with the
// engine's step logic (pulumi/pulumi pkg/resource/deploy/step_generator.go, step.go) as far as the provider tests need:
//   up:      ignoreChanges → Check(olds = previous inputs, {} for a create) → no old state: Create
//            old state: Diff(old outputs, checked inputs); DIFF_UNKNOWN → the engine compares old and new inputs;
//            DIFF_SOME with replaces → Check again with olds = {}, then delete-before-replace (the resource option
//              overrides the provider's answer): delete-replaced, replace, create-replacement; or create-before-delete:
//              create-replacement, replace, delete-replaced;
//            DIFF_SOME → Update; otherwise same (old outputs kept, new inputs recorded).
//            preview: Create/Update are not sent (inputs echoed as state, id ""), Delete is skipped, the stack is kept.
//   refresh: Read(id, old outputs, old inputs); a blank id means gone (dropped); `inputs` from read() replace the old.
//   destroy: Delete(id, old outputs, old inputs).
import { clone, deepEqual, isSecret, secret, type DiffResult, type DynamicHost, type PropertyMap } from "./dynhost.ts";

export interface StepRecord {
  op: "create" | "same" | "update" | "replace" | "create-replacement" | "delete-replaced" | "delete" | "refresh" | "read-gone";
  urn: string;
  preview: boolean;
  /** id after the step (for deletes: the id deleted). */
  id: string;
}

/** A resource as the state file records it. */
export interface StackEntry {
  urn: string;
  id: string;
  inputs: PropertyMap;
  outputs: PropertyMap;
  additionalSecretOutputs?: string[] | undefined;
}

/** The state file: resources by URN. */
export class Stack extends Map<string, StackEntry> {
  readonly project: string;
  readonly name: string;

  constructor(project: string, name = "dev") {
    super();
    this.project = project;
    this.name = name;
  }

  urn(type: string, name: string): string {
    return `urn:pulumi:${this.name}::${this.project}::${type}::${name}`;
  }
}

export interface ResourceGoal {
  type: string;
  name: string;
  /** Wire-form inputs (secrets as signature objects, unknowns as the UNKNOWN sentinel), `__provider` included. */
  inputs: PropertyMap;
  ignoreChanges?: string[];
  /** Resource option; overrides the provider's deleteBeforeReplace when set. */
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs?: string[];
}

export interface UpResult {
  urn: string;
  op: "create" | "same" | "update" | "replace";
  steps: StepRecord[];
  id: string;
  /** Checked inputs (secrets re-annotated) and the outputs the program sees (preview: the inputs echoed). */
  inputs: PropertyMap;
  outputs: PropertyMap;
  diff?: DiffResult;
}

export interface RefreshResult {
  urn: string;
  op: "refresh" | "read-gone";
  id: string;
  outputs: PropertyMap;
  inputs: PropertyMap;
  /** True if the state changed. */
  changed: boolean;
}

/** A Check that failed, like the engine's "resource X is invalid". */
export class CheckFailedError extends Error {
  readonly failures: { property: string; reason: string }[];
  constructor(urn: string, failures: { property: string; reason: string }[]) {
    super(`resource ${urn} is invalid: ${failures.map((f) => `${f.property ? `${f.property}: ` : ""}${f.reason}`).join("; ")}`);
    this.name = "CheckFailedError";
    this.failures = failures;
  }
}

/** processIgnoreChanges: the old input value for each ignored (dotted) path. */
function processIgnoreChanges(inputs: PropertyMap, oldInputs: PropertyMap, ignoreChanges: string[] = []): PropertyMap {
  const result = clone(inputs);
  for (const p of ignoreChanges) {
    const parts = p.split(".");
    const last = parts.pop()!;
    let src: unknown = oldInputs;
    let dst: unknown = result;
    for (const k of parts) [src, dst] = [(src as PropertyMap | undefined)?.[k], (dst as PropertyMap | undefined)?.[k]];
    // The engine skips paths into added or removed elements.
    if (typeof dst !== "object" || dst === null || typeof src !== "object" || src === null) continue;
    if (Object.hasOwn(src, last)) (dst as PropertyMap)[last] = clone((src as PropertyMap)[last]);
    else delete (dst as PropertyMap)[last];
  }
  return result;
}

function markSecret(outs: PropertyMap, keys: string[] | undefined): PropertyMap {
  const result = { ...outs };
  for (const k of keys ?? []) if (k in result && !isSecret(result[k])) result[k] = secret(result[k]);
  return result;
}

type Target = string | { type: string; name: string };

export class MiniEngine {
  readonly host: DynamicHost;
  readonly stack: Stack;

  constructor(host: DynamicHost, stack?: Stack) {
    this.host = host;
    this.stack = stack ?? new Stack(host.project, host.stackName);
  }

  urnOf(target: Target): string {
    return typeof target === "string" ? target : this.stack.urn(target.type, target.name);
  }

  private async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<PropertyMap> {
    const { inputs, failures } = await this.host.check(urn, olds, news);
    if (failures.length) throw new CheckFailedError(urn, failures);
    return inputs;
  }

  /** Register one resource (`pulumi up`, or `pulumi preview` with `preview`). */
  async up(goal: ResourceGoal, opts: { preview?: boolean } = {}): Promise<UpResult> {
    const preview = opts.preview ?? false;
    const urn = this.urnOf(goal);
    const old = this.stack.get(urn);
    const aso = goal.additionalSecretOutputs;
    const steps: StepRecord[] = [];
    const step = (op: StepRecord["op"], id: string) => steps.push({ op, urn, preview, id });
    const save = (id: string, inputs: PropertyMap, outputs: PropertyMap) => preview || this.stack.set(urn, { urn, id, inputs, outputs, additionalSecretOutputs: aso });
    const create = async (inputs: PropertyMap) => {
      const r = preview ? { id: "", properties: clone(inputs) } : await this.host.create(urn, inputs);
      return { id: r.id, outputs: markSecret(r.properties, aso) };
    };

    if (!old) {
      const inputs = await this.check(urn, {}, goal.inputs);
      const { id, outputs } = await create(inputs);
      step("create", id);
      save(id, inputs, outputs);
      return { urn, op: "create", steps, id, inputs, outputs };
    }

    let inputs = await this.check(urn, old.inputs, processIgnoreChanges(goal.inputs, old.inputs, goal.ignoreChanges));
    const diff = await this.host.diff(urn, old.id, old.outputs, inputs, { oldInputs: old.inputs, ignoreChanges: goal.ignoreChanges ?? [] });
    const unchanged = diff.changes === "DIFF_UNKNOWN" ? deepEqual(old.inputs, processIgnoreChanges(inputs, old.inputs, goal.ignoreChanges)) : diff.changes === "DIFF_NONE";

    if (!unchanged && diff.replaces.length > 0) {
      // The replacement's defaults are computed afresh: Check again with no old inputs.
      inputs = await this.check(urn, {}, goal.inputs);
      const dbr = goal.deleteBeforeReplace ?? diff.deleteBeforeReplace;
      const deleteOld = async () => {
        if (!preview) await this.host.delete(urn, old.id, old.outputs, old.inputs);
        step("delete-replaced", old.id);
      };
      if (dbr) {
        await deleteOld();
        if (!preview) this.stack.delete(urn);
        step("replace", old.id);
      }
      const { id, outputs } = await create(inputs);
      step("create-replacement", id);
      if (!dbr) step("replace", id);
      save(id, inputs, outputs);
      if (!dbr) await deleteOld();
      return { urn, op: "replace", steps, id, inputs, outputs, diff };
    }

    if (!unchanged) {
      const updated = preview ? clone(inputs) : await this.host.update(urn, old.id, old.outputs, inputs, { oldInputs: old.inputs, ignoreChanges: goal.ignoreChanges ?? [] });
      const outputs = markSecret(updated, aso);
      step("update", old.id);
      save(old.id, inputs, outputs);
      return { urn, op: "update", steps, id: old.id, inputs, outputs, diff };
    }

    step("same", old.id);
    const outputs = clone(old.outputs);
    save(old.id, inputs, outputs);
    return { urn, op: "same", steps, id: old.id, inputs, outputs, diff };
  }

  /** `pulumi refresh` of one resource (Read). A blank id: the resource is gone and leaves the stack. */
  async refresh(target: Target): Promise<RefreshResult> {
    const urn = this.urnOf(target);
    const old = this.stack.get(urn);
    if (!old) throw new Error(`refresh: ${urn} is not in the stack`);
    const r = await this.host.read(urn, old.id, old.outputs, old.inputs);
    if (!r.id) {
      this.stack.delete(urn);
      return { urn, op: "read-gone", id: "", outputs: {}, inputs: old.inputs, changed: true };
    }
    const outputs = markSecret(r.properties, old.additionalSecretOutputs);
    const inputs = r.inputs ?? old.inputs;
    const changed = !deepEqual(outputs, old.outputs) || !deepEqual(inputs, old.inputs) || r.id !== old.id;
    this.stack.set(urn, { ...old, id: r.id, outputs, inputs });
    return { urn, op: "refresh", id: r.id, outputs, inputs, changed };
  }

  /** `pulumi destroy` of one resource (Delete). */
  async destroy(target: Target): Promise<StepRecord[]> {
    const urn = this.urnOf(target);
    const old = this.stack.get(urn);
    if (!old) throw new Error(`destroy: ${urn} is not in the stack`);
    await this.host.delete(urn, old.id, old.outputs, old.inputs);
    this.stack.delete(urn);
    return [{ op: "delete", urn, preview: false, id: old.id }];
  }
}
