/**
 * Is a publish already done? A caller whose target changes are all in effect in the verified state, and which no
 * queued or in-flight publish of the same handle could undo, needs no publish of its own: it can be answered at once
 * instead of waiting for the next group commit (an engine creating tags whose changes already rode along with an
 * earlier publish).
 */
import type { Change } from "../metadata/changes.ts";
import type { RepoState } from "../trust/update.ts";

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

/** Equality of two JSON values (object members in any order; an undefined member is absent, as in canonical JSON). */
function sameMeta(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameMeta(x, b[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const kx = Object.keys(x).filter((k) => x[k] !== undefined);
  const ky = Object.keys(y).filter((k) => y[k] !== undefined);
  return kx.length === ky.length && kx.every((k) => Object.hasOwn(y, k) && sameMeta(x[k], y[k]));
}
