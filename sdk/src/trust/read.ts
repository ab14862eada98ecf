/** Reading targets out of a verified state (`tuf/tuf.go › WalkTargets`, `client/reader.go`). Pure. */
import { pathAllowed } from "../metadata/roles.ts";
import type { FileMeta } from "../metadata/types.ts";
import type { RepoState } from "./update.ts";

/**
 * A target as a role holds it. `custom` is the entry's custom data (`meta.custom`), signed by the role's keys like the
 * digest; absent when the entry has none (docker and notary write none). pulumi-notary's SignedTag signs provenance
 * there: `{"org.opencontainers.image.source":…,"org.opencontainers.image.revision":…,…}`.
 */
export type TargetEntry = { name: string; role: string; meta: FileMeta; custom?: unknown };

function entry(name: string, role: string, meta: FileMeta): TargetEntry {
  return meta.custom === undefined ? { name, role, meta } : { name, role, meta, custom: meta.custom };
}

/**
 * Every target visible through valid roles, breadth-first from `targets` (as `notary list`); a role's entries
 * count only within its effective paths.
 */
export function listTargets(state: RepoState, roles?: readonly string[]): TargetEntry[] {
  const out: TargetEntry[] = [];
  const order = breadthFirst(state);
  for (const role of order) {
    if (roles && !roles.includes(role)) continue;
    const r = state.roles.get(role)!;
    if (r.status !== "valid") continue;
    for (const [name, meta] of Object.entries(r.file.signed.targets)) {
      if (pathAllowed(r.paths, name)) out.push(entry(name, role, meta));
    }
  }
  return out;
}

/** Roles in breadth-first order from `targets`, following each file's delegation order. */
export function breadthFirst(state: RepoState): string[] {
  const out: string[] = [];
  const queue = ["targets"];
  while (queue.length) {
    const role = queue.shift()!;
    const r = state.roles.get(role);
    if (!r || out.includes(role)) continue;
    out.push(role);
    if (r.status === "valid") for (const d of r.file.signed.delegations.roles) queue.push(d.name);
  }
  return out;
}

/** The first matching target in the given role order (default: breadth-first walk), as `GetTargetByName`. */
export function lookupTarget(state: RepoState, name: string, roles?: readonly string[]): TargetEntry | undefined {
  // Nothing is trusted below an expired (or otherwise not valid) top-level targets, even through a named role.
  if (state.roles.get("targets")?.status !== "valid") return undefined;
  const order = roles ?? breadthFirst(state);
  for (const role of order) {
    const r = state.roles.get(role);
    if (!r || r.status !== "valid" || !pathAllowed(r.paths, name)) continue;
    const meta = r.file.signed.targets[name];
    if (meta) return entry(name, role, meta);
  }
  return undefined;
}
