/**
 * Who may make a change: the role whose signature a change needs, and whether given keys meet its threshold. Keys are
 * pooled to sign a merged publish, but each owner may only change roles its own keys can sign.
 */
import { NotaryError } from "../errors.ts";
import { canonicalKeyIdOfJson } from "../crypto/keys.ts";
import type { PrivateKey } from "../crypto/sign.ts";
import { createDraft, findDelegation, type Change, type Draft } from "../metadata/changes.ts";
import { parentRole } from "../metadata/roles.ts";
import type { KeyJson } from "../metadata/types.ts";
import type { RepoState } from "../trust/state.ts";

/** The role whose signature a change needs: the role itself, a delegation's parent, or root. */
export function signingRoles(c: Change): string[] {
  switch (c.type) {
    case "setTarget":
    case "removeTarget":
      return [c.role];
    case "witness":
      return c.role === "snapshot" ? [] : [c.role];
    case "setDelegation":
    case "removeDelegation":
    case "addDelegationKeys":
    case "removeDelegationKeys":
      return [parentRole(c.name)];
    case "rotateKey":
      return c.role === "targets" ? ["root", "targets"] : ["root"];
  }
}

/** Identifies the question "may these keys make these changes" (the roles they touch and the key IDs), for caching. */
export function signabilityKey(changes: readonly Change[], keys: readonly PrivateKey[]): string {
  return `${[...new Set(changes.flatMap(signingRoles))].sort().join(",")}|${keys.map((k) => k.id).sort().join(",")}`;
}

/** Does `keys` meet the threshold of `role` as the draft now delegates it (root: old and new root keys)? */
export function assertCanSign(draft: Draft, changes: readonly Change[], keys: readonly PrivateKey[]): void {
  const have = new Set(keys.map((k) => k.id));
  const meets = (ids: readonly string[], threshold: number, keyJson: (id: string) => KeyJson | undefined) =>
    ids.filter((id) => {
      const kj = keyJson(id);
      return kj !== undefined && have.has(canonicalKeyIdOfJson(kj));
    }).length >= threshold;
  for (const role of new Set(changes.flatMap(signingRoles))) {
    let ok: boolean;
    let ids: readonly string[];
    if (role === "root" || role === "targets") {
      const r = draft.root.roles[role]!;
      ids = r.keyids;
      ok = meets(r.keyids, r.threshold, (id) => draft.root.keys[id]);
      if (ok && role === "root") {
        const old = draft.originalRoot.roles["root"]!;
        ok = meets(old.keyids, old.threshold, (id) => draft.originalRoot.keys[id]);
      }
    } else {
      const entry = findDelegation(draft, role);
      ids = entry?.role.keyids ?? [];
      ok = entry !== undefined && meets(entry.role.keyids, entry.role.threshold, (id) => entry.parent.delegations.keys[id]);
    }
    if (!ok) {
      throw new NotaryError(
        "SIGNING_KEY_MISSING",
        `cannot sign ${role}: the keys given [${[...have].join(", ")}] do not meet its threshold of keys [${ids.join(", ")}]`,
        { details: { role, expectedKeyIds: [...ids] } },
      );
    }
  }
}

/**
 * Whether keys can make changes, as a verified state delegates the roles: answered once per state and question, since
 * many owners ask the same one (a thousand tags, one signer key).
 */
export class SignabilityAnswers {
  readonly #answers = new WeakMap<RepoState, Map<string, boolean>>();

  canSign(state: RepoState, changes: readonly Change[], keys: readonly PrivateKey[]): boolean {
    const key = signabilityKey(changes, keys);
    let answers = this.#answers.get(state);
    if (!answers) this.#answers.set(state, (answers = new Map()));
    let ok = answers.get(key);
    if (ok === undefined) {
      const draft = createDraft(state.root.signed, [...state.roles].map(([k, v]) => [k, v.file.signed]), [...state.roles].map(([k, v]) => [k, v.paths]));
      try {
        assertCanSign(draft, changes, keys);
        ok = true;
      } catch {
        ok = false;
      }
      answers.set(key, ok);
    }
    return ok;
  }
}
