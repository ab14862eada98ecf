/**
 * Is a publish already done? A caller whose target changes are all in effect in the verified state, and which no
 * queued or in-flight publish of the same handle could undo, needs no publish of its own: it can be answered at once
 * instead of waiting for the next group commit (an engine creating tags whose changes already rode along with an
 * earlier publish).
 */
import { sameJson, type Change } from "../metadata/changes.ts";
import type { RepoState } from "./update.ts";

/**
 * True when every change is a `setTarget` / `removeTarget` already in effect in `state` (in a role whose file verified),
 * and no change in `pending` touches the same target or could remove the role.
 */
export function targetsInEffect(state: RepoState, changes: readonly Change[], pending: readonly Change[]): boolean {
  if (changes.length === 0) return false;
  const touched = new Set<string>();
  for (const c of pending) {
    if (c.type === "setTarget" || c.type === "removeTarget") touched.add(key(c.role, c.name));
    else if (c.type !== "witness") return false; // delegation or key changes may remove roles or paths: no shortcut
  }
  for (const c of changes) {
    if (c.type !== "setTarget" && c.type !== "removeTarget") return false;
    if (touched.has(key(c.role, c.name))) return false;
    const role = state.roles.get(c.role);
    if (!role || role.status !== "valid") return false;
    const entry = role.file.signed.targets[c.name];
    if (c.type === "removeTarget" ? entry !== undefined : entry === undefined || !sameMeta(entry, c.meta)) return false;
  }
  return true;
}

const key = (role: string, name: string) => `${role}\u0000${name}`;

function sameMeta(a: unknown, b: unknown): boolean {
  try {
    return sameJson(a, b);
  } catch {
    return false; // not representable: let the normal publish path reject it
  }
}
