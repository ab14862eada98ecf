/**
 * Changes to a repository as plain data, and the pure transforms that apply them to verified metadata.
 * Data (not closures) so that concurrent changes can be merged into one publish and re-applied to fresh state
 * after a version conflict.
 */
import { NotaryError } from "../errors.ts";
import { canonicalJson } from "../canonical-json.ts";
import { assertDelegationName, isTargetsRole, parentRole, pathAllowed, restrictPaths } from "./roles.ts";
import { keyJsonId, canonicalKeyIdOfJson } from "../crypto/keys.ts";
import { validateChange } from "./validate.ts";
import type { DelegationRole, FileMeta, KeyJson, Root, Targets } from "./types.ts";

export type Change =
  /** Add or replace a target in a targets role (`targets` or a delegation). */
  | { type: "setTarget"; role: string; name: string; meta: FileMeta }
  | { type: "removeTarget"; role: string; name: string }
  /** Create or replace a delegation: exactly these keys, threshold and paths (`""` = all paths). */
  | { type: "setDelegation"; name: string; keys: KeyJson[]; threshold: number; paths: string[] }
  | { type: "removeDelegation"; name: string }
  /** Add keys to a delegation, creating it (threshold 1, given paths or all paths) when missing: docker's signer add. */
  | { type: "addDelegationKeys"; name: string; keys: KeyJson[]; paths?: string[] }
  /** Remove keys (TUF or canonical IDs) from a delegation: docker's signer remove on targets/releases. */
  | { type: "removeDelegationKeys"; name: string; keyIds: string[] }
  /**
   * Re-sign a role with a new version and a fresh expiry (`notary witness`; root too, as notary's publish does; the
   * snapshot when the client holds its key).
   */
  | { type: "witness"; role: string }
  /** Replace the keys of a base role in root (targets, snapshot, timestamp, or root with certificate keys). */
  | { type: "rotateKey"; role: "root" | "targets" | "snapshot" | "timestamp"; keys: KeyJson[]; threshold?: number };

/** A working copy: models of every role touched so far, which of them must be re-signed, and which were removed. */
export type Draft = {
  root: Root;
  /** Root before any change in this draft: its keys must also sign a rotated root. */
  readonly originalRoot: Root;
  targets: Map<string, Targets>;
  dirty: Set<string>;
  removed: Set<string>;
  /** Effective paths per role, known from the verified state. */
  paths: Map<string, readonly string[]>;
  /** Roles already copied in this draft (copy-on-write happens once per role, so many changes stay linear). */
  owned: Set<string>;
};

/** A clean draft over verified models. */
export function createDraft(root: Root, targets: Iterable<[string, Targets]>, paths: Iterable<[string, readonly string[]]>): Draft {
  return {
    root,
    originalRoot: root,
    targets: new Map(targets),
    dirty: new Set(),
    removed: new Set(),
    paths: new Map(paths),
    owned: new Set(),
  };
}

export function newTargets(): Targets {
  return { _type: "Targets", delegations: { keys: {}, roles: [] }, expires: "", targets: {}, version: 0 };
}

function invalid(message: string, details: Record<string, unknown>): never {
  throw new NotaryError("METADATA_INVALID_CHANGE", message, { details });
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a, { mode: "verify" }) === canonicalJson(b, { mode: "verify" });
}

/** Find a delegation's entry in its parent, if the parent is known. */
export function findDelegation(draft: Draft, name: string): { parent: Targets; index: number; role: DelegationRole } | undefined {
  const parent = draft.targets.get(parentRole(name));
  if (!parent) return undefined;
  const index = parent.delegations.roles.findIndex((r) => r.name === name);
  return index < 0 ? undefined : { parent, index, role: parent.delegations.roles[index]! };
}

function effectivePaths(draft: Draft, role: string): readonly string[] {
  if (role === "targets") return [""];
  const known = draft.paths.get(role);
  const entry = findDelegation(draft, role);
  if (!entry) return known ?? [];
  return restrictPaths(effectivePaths(draft, parentRole(role)), entry.role.paths ?? []);
}

/** Copy-on-write access to a targets role; a declared delegation without a file starts as an empty file. */
function editTargets(draft: Draft, role: string): Targets {
  const cur = draft.targets.get(role);
  if (cur && draft.owned.has(role)) return cur;
  if (cur) {
    draft.owned.add(role);
    const copy: Targets = {
      ...cur,
      targets: { ...cur.targets },
      delegations: { keys: { ...cur.delegations.keys }, roles: cur.delegations.roles.map((r) => ({ ...r })) },
    };
    draft.targets.set(role, copy);
    return copy;
  }
  if (role !== "targets" && findDelegation(draft, role)) {
    const t = newTargets();
    draft.targets.set(role, t);
    draft.owned.add(role);
    return t;
  }
  return invalid(
    role === "targets"
      ? "the repository has no targets metadata"
      : `role ${role} does not exist: create the delegation (in ${parentRole(role)}) first`,
    { role },
  );
}

function removeUnusedKeys(t: Targets): void {
  const used = new Set(t.delegations.roles.flatMap((r) => r.keyids));
  for (const id of Object.keys(t.delegations.keys)) if (!used.has(id)) delete t.delegations.keys[id];
}

function keysById(keys: readonly KeyJson[]): Map<string, KeyJson> {
  return new Map(keys.map((k) => [keyJsonId(k), { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } }]));
}

function checkThreshold(threshold: number, nKeys: number, role: string): void {
  if (!Number.isInteger(threshold) || threshold < 1) invalid(`threshold of ${role} must be an integer of at least 1`, { role });
  if (threshold > nKeys) invalid(`threshold of ${role} is ${threshold} but it has only ${nKeys} key(s)`, { role });
}

function setDelegationEntry(draft: Draft, name: string, keys: Map<string, KeyJson>, threshold: number, paths: string[]): void {
  assertDelegationName(name);
  checkThreshold(threshold, keys.size, name);
  const parentName = parentRole(name);
  if (!isTargetsRole(parentName)) invalid(`parent ${parentName} of ${name} is not a targets role`, { role: name });
  const before = findDelegation(draft, name);
  const next: DelegationRole = { keyids: [...keys.keys()], name, threshold, ...(paths.length ? { paths: [...paths] } : {}) };
  canonicalJson(next); // paths with control characters or lone surrogates could never be signed
  if (before && sameJson(before.role, next) && [...keys.keys()].every((id) => before.parent.delegations.keys[id])) return;
  const parent = editTargets(draft, parentName);
  for (const [id, k] of keys) parent.delegations.keys[id] = k;
  const i = parent.delegations.roles.findIndex((r) => r.name === name);
  if (i >= 0) parent.delegations.roles[i] = next;
  else parent.delegations.roles.push(next); // append order is signed (§5.2)
  removeUnusedKeys(parent);
  draft.dirty.add(parentName);
  draft.removed.delete(name);
}

/** The change of one type. */
type ChangeOf<T extends Change["type"]> = Extract<Change, { type: T }>;

/**
 * Apply one change to the draft. Idempotent: a change that is already in effect leaves the draft clean. The change is
 * validated first (validate.ts), so nothing malformed is ever signed.
 *
 * @example
 * const draft = createDraft(state.root, targetsByRole, pathsByRole);
 * applyChange(draft, { type: "setTarget", role: "targets/releases", name: "v1", meta });
 */
export function applyChange(draft: Draft, change: Change): void {
  validateChange(change);
  switch (change.type) {
    case "setTarget":
      return setTarget(draft, change);
    case "removeTarget":
      return removeTarget(draft, change);
    case "setDelegation":
      return setDelegationEntry(draft, change.name, keysById(change.keys), change.threshold, change.paths);
    case "addDelegationKeys":
      return addDelegationKeys(draft, change);
    case "removeDelegationKeys":
      return removeDelegationKeys(draft, change);
    case "removeDelegation":
      return removeDelegation(draft, change.name);
    case "witness":
      return witness(draft, change);
    case "rotateKey":
      return rotateKey(draft, change);
  }
}

/** A target in a role that exists and whose effective paths allow its name. */
function setTarget(draft: Draft, change: ChangeOf<"setTarget">): void {
  const { role, name, meta } = change;
  if (!isTargetsRole(role)) invalid(`role ${role} cannot hold targets`, { role });
  if (role !== "targets" && !draft.targets.has(role) && !findDelegation(draft, role)) {
    // Not "outside the paths []": the role is simply not delegated (yet).
    invalid(`role ${role} does not exist: create the delegation (in ${parentRole(role)}) first`, { role });
  }
  const paths = effectivePaths(draft, role);
  if (!pathAllowed(paths, name)) {
    throw new NotaryError(
      "TARGET_NOT_ALLOWED",
      `target ${JSON.stringify(name)} is outside the paths of ${role} [${paths.map((p) => JSON.stringify(p)).join(", ")}]`,
      { details: { role, target: name } },
    );
  }
  const existing = draft.targets.get(role)?.targets[name];
  if (existing && sameJson(existing, meta)) return;
  canonicalJson({ [name]: meta }); // reject what Go cannot represent (name too) before anything is signed
  editTargets(draft, role).targets[name] = meta;
  draft.dirty.add(role);
}

function removeTarget(draft: Draft, change: ChangeOf<"removeTarget">): void {
  if (!draft.targets.get(change.role)?.targets[change.name]) return;
  delete editTargets(draft, change.role).targets[change.name];
  draft.dirty.add(change.role);
}

/** docker's signer add: the delegation keeps its threshold and paths, or is created (threshold 1) when missing. */
function addDelegationKeys(draft: Draft, change: ChangeOf<"addDelegationKeys">): void {
  const cur = findDelegation(draft, change.name);
  const keys = new Map<string, KeyJson>();
  if (cur) for (const id of cur.role.keyids) keys.set(id, cur.parent.delegations.keys[id]!);
  for (const [id, k] of keysById(change.keys)) keys.set(id, k);
  const paths = cur ? [...(cur.role.paths ?? [])] : (change.paths ?? [""]);
  setDelegationEntry(draft, change.name, keys, cur?.role.threshold ?? 1, paths);
}

/** docker's signer remove: keys named by TUF or canonical ID; the threshold shrinks with them; no key left removes it. */
function removeDelegationKeys(draft: Draft, change: ChangeOf<"removeDelegationKeys">): void {
  const cur = findDelegation(draft, change.name);
  if (!cur) return;
  const drop = new Set(change.keyIds);
  const keys = new Map<string, KeyJson>();
  for (const id of cur.role.keyids) {
    const k = cur.parent.delegations.keys[id]!;
    if (drop.has(id) || drop.has(canonicalKeyIdOfJson(k))) continue;
    keys.set(id, k);
  }
  if (keys.size === cur.role.keyids.length) return;
  if (keys.size === 0) return removeDelegation(draft, change.name);
  setDelegationEntry(draft, change.name, keys, Math.min(cur.role.threshold, keys.size), [...(cur.role.paths ?? [])]);
}

/** The delegation leaves its parent, and the role and its nested roles leave the draft. */
function removeDelegation(draft: Draft, name: string): void {
  if (!findDelegation(draft, name)) return;
  const parent = editTargets(draft, parentRole(name));
  parent.delegations.roles = parent.delegations.roles.filter((r) => r.name !== name);
  removeUnusedKeys(parent);
  draft.dirty.add(parentRole(name));
  for (const role of [...draft.targets.keys()]) {
    if (role === name || role.startsWith(name + "/")) {
      draft.targets.delete(role);
      draft.dirty.delete(role);
      draft.removed.add(role);
    }
  }
}

function witness(draft: Draft, change: ChangeOf<"witness">): void {
  // Root and a client-held snapshot are re-signed by finalizeDraft when marked dirty.
  if (change.role === "root" || change.role === "snapshot") return void draft.dirty.add(change.role);
  if (!isTargetsRole(change.role)) invalid(`only root, targets and delegations can be witnessed, not ${change.role}`, { role: change.role });
  editTargets(draft, change.role);
  draft.dirty.add(change.role);
}

/** New keys for a base role in root; rotating targets re-signs targets with them. */
function rotateKey(draft: Draft, change: ChangeOf<"rotateKey">): void {
  const keys = keysById(change.keys);
  const cur = draft.root.roles[change.role]!;
  const threshold = change.threshold ?? Math.min(cur.threshold, keys.size);
  checkThreshold(threshold, keys.size, change.role);
  if (change.role === "root" && change.keys.some((k) => k.keytype !== "ecdsa-x509" && k.keytype !== "rsa-x509")) {
    invalid("root keys must be certificates (ecdsa-x509 or rsa-x509)", { role: "root" });
  }
  const ids = [...keys.keys()];
  if (sameJson(cur.keyids.slice().sort(), ids.slice().sort()) && cur.threshold === threshold) return;
  const root: Root = { ...draft.root, keys: { ...draft.root.keys }, roles: { ...draft.root.roles } }; // small: copy
  for (const [id, k] of keys) root.keys[id] = k;
  root.roles[change.role] = { keyids: ids, threshold };
  // Drop keys no role uses, except old root certificates, which Go keeps (tuf/tuf.go › RemoveBaseKeys).
  const used = new Set(Object.values(root.roles).flatMap((r) => r.keyids));
  const oldRoot = new Set(draft.originalRoot.roles["root"]!.keyids);
  for (const id of Object.keys(root.keys)) if (!used.has(id) && !oldRoot.has(id)) delete root.keys[id];
  draft.root = root;
  draft.dirty.add("root");
  if (change.role === "targets") {
    editTargets(draft, "targets");
    draft.dirty.add("targets");
  }
}
