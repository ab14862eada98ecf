/**
 * Turn a draft into signed files ready to upload: bump versions, set fresh expiries, sign with the given keys, and
 * build the snapshot when the client holds the snapshot key. Pure: time and keys are passed in.
 */
import { NotaryError } from "../errors.ts";
import { signRole } from "./signed.ts";
import { fileMeta } from "./hashes.ts";
import { formatGoTime, DEFAULT_EXPIRY_MS } from "./time.ts";
import { parentRole } from "./roles.ts";
import { assertLifetime } from "./validate.ts";
import { findDelegation, type Draft } from "./changes.ts";
import type { PrivateKey } from "../crypto/sign.ts";
import { canonicalKeyIdOfJson } from "../crypto/keys.ts";
import type { Root, SignedFile, Snapshot, Targets } from "./types.ts";

/** Lifetimes in milliseconds per role; notary's defaults otherwise (delegations use the targets lifetime). */
export type ExpiryPolicy = { root?: number; targets?: number; snapshot?: number; delegation?: number };

export type UploadFile = { role: string; bytes: Uint8Array };
export type FinalizedDraft = {
  files: UploadFile[];
  root?: SignedFile<Root>;
  targets: Map<string, SignedFile<Targets>>;
  snapshot?: SignedFile<Snapshot>;
};

/** The expiry of a role re-signed at `now`: now + its lifetime (refused unless that lies in the future, validate.ts). */
export function expiryFor(role: string, now: Date, policy: ExpiryPolicy = {}): string {
  const ms =
    role === "root"
      ? policy.root ?? DEFAULT_EXPIRY_MS.root
      : role === "snapshot"
        ? policy.snapshot ?? DEFAULT_EXPIRY_MS.snapshot
        : role === "targets"
          ? policy.targets ?? DEFAULT_EXPIRY_MS.targets
          : policy.delegation ?? policy.targets ?? DEFAULT_EXPIRY_MS.targets;
  const key = role === "root" || role === "snapshot" || role === "targets" ? role : policy.delegation !== undefined ? "delegation" : "targets";
  assertLifetime(ms, now, key === role ? `expiry.${key}` : `expiry.${key} (the lifetime of ${role})`);
  return formatGoTime(new Date(now.getTime() + ms));
}

/** Does the caller hold enough keys to sign the snapshot itself? */
export function holdsSnapshotKey(root: Root, keys: readonly PrivateKey[]): boolean {
  return holdsRoleKeys(root, "snapshot", keys);
}

/** Do `keys` meet the threshold of a top-level role (root, targets, snapshot, timestamp) as `root` lists it? */
export function holdsRoleKeys(root: Root, roleName: string, keys: readonly PrivateKey[]): boolean {
  const have = new Set(keys.map((k) => k.id));
  const role = root.roles[roleName];
  if (!role) return false;
  const n = role.keyids.filter((id) => {
    const kj = root.keys[id];
    return kj !== undefined && have.has(canonicalKeyIdOfJson(kj));
  }).length;
  return n >= role.threshold;
}

/**
 * Sign every dirty role of `draft`. `snapshot`: the current snapshot when the client manages it (holds its key),
 * undefined when the server does.
 */
export function finalizeDraft(
  draft: Draft,
  opts: { keys: readonly PrivateKey[]; now: Date; expiry?: ExpiryPolicy; snapshot?: Snapshot },
): FinalizedDraft {
  const { keys, now } = opts;
  const out: FinalizedDraft = { files: [], targets: new Map() };
  if (draft.dirty.has("root")) {
    const prev = draft.originalRoot;
    const root: Root = { ...draft.root, version: prev.version + 1, expires: expiryFor("root", now, opts.expiry) };
    const newIds = root.roles["root"]!.keyids;
    const oldIds = prev.roles["root"]!.keyids;
    const rotated = newIds.length !== oldIds.length || newIds.some((id) => !oldIds.includes(id));
    // A rotated root must carry a threshold of the old root's signatures too (tuf/tuf.go › SignRoot).
    const signingKeys = { ...prev.keys, ...root.keys };
    const signed = signRole(
      root,
      { keys: signingKeys, keyids: rotated ? [...newIds, ...oldIds.filter((i) => !newIds.includes(i))] : newIds, threshold: root.roles["root"]!.threshold, role: "root" },
      keys,
    );
    if (rotated) {
      const oldSigned = new Set(signed.signatures.map((s) => s.keyid).filter((id) => oldIds.includes(id)));
      const newSigned = new Set(signed.signatures.map((s) => s.keyid).filter((id) => newIds.includes(id)));
      if (oldSigned.size < prev.roles["root"]!.threshold || newSigned.size < root.roles["root"]!.threshold) {
        throw new NotaryError(
          "SIGNING_KEY_MISSING",
          `a root rotation must be signed by the old root key(s) [${oldIds.join(", ")}] and the new one(s) [${newIds.join(", ")}]; pass both private keys`,
          { details: { role: "root", oldKeyIds: oldIds, newKeyIds: newIds } },
        );
      }
    }
    out.root = signed;
    out.files.push({ role: "root", bytes: signed.bytes });
  }
  const root = out.root?.signed ?? draft.root;
  // Delegations are signed with keys listed in their parent; the parent may itself be in the draft.
  for (const role of [...draft.dirty].filter((r) => r !== "root" && r !== "snapshot").sort()) {
    const t = draft.targets.get(role);
    if (!t) continue;
    const next: Targets = { ...t, version: t.version + 1, expires: expiryFor(role, now, opts.expiry) };
    let signing;
    if (role === "targets") {
      signing = { keys: root.keys, keyids: root.roles["targets"]!.keyids, threshold: root.roles["targets"]!.threshold, role };
    } else {
      const entry = findDelegation(draft, role);
      if (!entry) throw new NotaryError("ROLE_NOT_FOUND", `role ${role} is not delegated by ${parentRole(role)}`, { details: { role } });
      signing = { keys: entry.parent.delegations.keys, keyids: entry.role.keyids, threshold: entry.role.threshold, role };
    }
    const signed = signRole(next, signing, keys);
    out.targets.set(role, signed);
    out.files.push({ role, bytes: signed.bytes });
  }
  if (opts.snapshot && (out.files.length > 0 || draft.removed.size > 0 || draft.dirty.has("snapshot"))) {
    const meta = { ...opts.snapshot.meta };
    for (const f of out.files) meta[f.role] = fileMeta(f.bytes);
    for (const r of draft.removed) delete meta[r];
    const snap: Snapshot = {
      _type: "Snapshot",
      expires: expiryFor("snapshot", now, opts.expiry),
      meta,
      version: opts.snapshot.version + 1,
    };
    const r = root.roles["snapshot"]!;
    const signed = signRole(snap, { keys: root.keys, keyids: r.keyids, threshold: r.threshold, role: "snapshot" }, keys);
    out.snapshot = signed;
    out.files.push({ role: "snapshot", bytes: signed.bytes });
  }
  return out;
}
