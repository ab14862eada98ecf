/**
 * A publish to a repository whose top-level targets has expired also re-signs targets (a witness, with a fresh expiry)
 * when its keys can sign targets. Without them it is refused before anything is sent: what it published would stay
 * unreadable behind the expired targets. (notary 0.7 refuses every publish then, witness included: "targets expired".)
 */
import { NotaryError } from "../errors.ts";
import type { PrivateKey } from "../crypto/sign.ts";
import { applyChange, type Draft } from "../metadata/changes.ts";
import { holdsRoleKeys } from "../metadata/finalize.ts";
import type { RepoState } from "../trust/state.ts";

export function renewExpiredTargets(state: RepoState, draft: Draft, keys: readonly PrivateKey[]): void {
  const top = state.roles.get("targets");
  if (top?.status !== "expired" || draft.dirty.has("targets")) return;
  if (!holdsRoleKeys(draft.root, "targets", keys)) {
    const keyIds = [...draft.root.roles["targets"]!.keyids];
    throw new NotaryError(
      "METADATA_EXPIRED",
      `targets metadata of ${state.gun} expired at ${top.file.signed.expires}: nothing was published, because readers could not ` +
        `trust it behind the expired targets; re-sign targets first with the targets key ` +
        `(key ID ${keyIds.join(" or ")}), or pass that key with this publish`,
      { details: { gun: state.gun, role: "targets", expires: top.file.signed.expires, keyIds } },
    );
  }
  applyChange(draft, { type: "witness", role: "targets" });
}
