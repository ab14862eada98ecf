/**
 * A publish answered at once instead of waiting for the next group commit: its changes are target changes already in
 * effect in the verified state, no queued or in-flight publish could undo them, and its keys could sign them. Anything
 * else (no state yet, other kinds of change, an error) takes the queue.
 */
import type { PrivateKey } from "../crypto/sign.ts";
import type { Change } from "../metadata/changes.ts";
import { targetsInEffect } from "./in-effect.ts";
import type { RepoState } from "../trust/state.ts";
import { changesAt, type ChangeSource, type Pending } from "./pending.ts";
import type { SignabilityAnswers } from "./signability.ts";

export function answeredEarly(
  state: RepoState | undefined,
  changes: ChangeSource,
  keys: readonly PrivateKey[],
  pending: readonly Pending[],
  signability: SignabilityAnswers,
): RepoState | undefined {
  if (!state || state.roles.get("targets")?.status !== "valid") return undefined;
  try {
    const list = changesAt(changes, state);
    if (!targetsInEffect(state, list, pendingChanges(pending, state))) return undefined;
    return signability.canSign(state, list, keys) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** What the queued and in-flight publishes would change, as of `state`. */
function pendingChanges(pending: readonly Pending[], state: RepoState): Change[] {
  const out: Change[] = [];
  for (const p of pending) {
    try {
      out.push(...changesAt(p.changes, state));
    } catch {
      /* that item will be rejected when its batch is drafted: it changes nothing */
    }
  }
  return out;
}
