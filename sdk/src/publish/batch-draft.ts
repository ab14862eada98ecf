/**
 * The draft of one merged publish: every pending item's changes applied to the verified state, in order. An item whose
 * changes cannot be applied, or whose own keys cannot sign the roles it changes, is rejected alone; the others go on.
 */
import { applyChange, createDraft, type Change, type Draft } from "../metadata/changes.ts";
import { assertCanSign, signabilityKey } from "./signability.ts";
import { validateChanges } from "../metadata/validate.ts";
import type { PrivateKey } from "../crypto/sign.ts";
import type { Targets } from "../metadata/types.ts";
import type { RepoState } from "../trust/state.ts";

export type BatchItem = {
  /** The changes, or a function computing them from the state the publish starts from. */
  changes: readonly Change[] | ((state: RepoState) => readonly Change[]);
  keys: readonly PrivateKey[];
  reject: (e: unknown) => void;
};

export function draftBatch<T extends BatchItem>(state: RepoState, items: readonly T[]): { draft: Draft; accepted: T[] } {
  // Resolve change sources against this state; an item whose source throws fails alone (a rider is dropped).
  const resolved = new Map<T, readonly Change[]>();
  for (const item of items) {
    try {
      const list = typeof item.changes === "function" ? item.changes(state) : item.changes;
      if (typeof item.changes === "function") validateChanges(list); // arrays were checked when published
      resolved.set(item, list);
    } catch (e) {
      item.reject(e);
    }
  }
  const batch = items.filter((i) => resolved.has(i));
  const changesOf = (p: T): readonly Change[] => resolved.get(p)!;
  // A file that failed verification (e.g. a re-created delegation whose stale file the server still lists, signed by
  // a key no longer delegated) is untrusted: changes start from an empty file one version above it, as notary starts
  // empty, and never re-sign its content. Only an explicit `witness` re-signs such content as it is (notary's witness).
  const witnessed = new Set(batch.flatMap((p) => changesOf(p)).flatMap((c) => (c.type === "witness" ? [c.role] : [])));
  const model = (role: string, r: { status: string; file: { signed: Targets } }): Targets =>
    r.status === "invalid" && !witnessed.has(role)
      ? { _type: "Targets", delegations: { keys: {}, roles: [] }, expires: r.file.signed.expires, targets: {}, version: r.file.signed.version }
      : r.file.signed;
  const fresh = (): Draft =>
    createDraft(
      state.root.signed,
      [...state.roles].map(([k, v]) => [k, model(k, v)]),
      [...state.roles].map(([k, v]) => [k, v.paths]),
    );
  let draft = fresh();
  const accepted: T[] = [];
  // While only target changes have been applied, who may sign which role is what the verified state says: the
  // answer for a (roles, keys) pair is computed once, not once per owner (a thousand tags, one signer key).
  const signable = new Set<string>();
  let keysAsVerified = true;
  for (const item of batch) {
    try {
      const changes = changesOf(item);
      for (const c of changes) applyChange(draft, c);
      keysAsVerified &&= changes.every((c) => c.type === "setTarget" || c.type === "removeTarget" || c.type === "witness");
      const key = keysAsVerified ? signabilityKey(changes, item.keys) : undefined;
      // Keys are pooled to sign a merged publish, but each owner may only change roles its own keys can sign.
      if (key === undefined || !signable.has(key)) {
        assertCanSign(draft, changes, item.keys);
        if (key !== undefined) signable.add(key);
      }
      accepted.push(item);
    } catch (e) {
      // Reject this item alone: rebuild from the verified state with the items accepted so far (rare path).
      item.reject(e);
      draft = fresh();
      for (const ok of accepted) for (const c of changesOf(ok)) applyChange(draft, c);
    }
  }
  return { draft, accepted };
}
