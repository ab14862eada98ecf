/**
 * What a Pulumi CLI command did, read from the engine's event log (`--event-log`): its steps, one op per resource,
 * the refresh verdicts, and the stack outputs a preview showed. Used by the example tests (example-helpers.ts).
 */
import assert from "node:assert/strict";
import type { EngineEvent, PulumiResult } from "../support/pulumi-cli.ts";
import type { PropertyMap } from "../support/wire.ts";

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

export const nameOf = (urn: string): string => urn.split("::").pop()!;
export const isProvider = (type: string): boolean => type.startsWith("pulumi:providers:");

export function stepsOf(events: EngineEvent[]): Step[] {
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
export function refreshOf(events: EngineEvent[]): RefreshRecord[] {
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

export function resourcesOf(steps: Step[]): ResourceRun[] {
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

export function previewOutputs(events: EngineEvent[]): Record<string, any> {
  let outs: PropertyMap = {};
  for (const e of events) {
    const m = e.resOutputsEvent?.metadata;
    if (m?.type === "pulumi:pulumi:Stack" && m.new) outs = m.new.outputs ?? {};
  }
  return outs;
}

/** The run of one command: its steps and resources from the event log, and the stack outputs given. */
export function runOf(result: PulumiResult, outputs: Record<string, any>, what: string): Run {
  const steps = stepsOf(result.events);
  const resources = resourcesOf(steps);
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

/** `{ name: resultOp }` of a refresh (custom resources only). */
export function refreshOps(rs: RefreshRecord[]): Record<string, string> {
  return Object.fromEntries(rs.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => [r.name, r.resultOp]));
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
