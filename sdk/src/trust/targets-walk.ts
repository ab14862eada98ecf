/**
 * Rules 5 and 6 of the verified read (update.ts): the top-level targets, then its delegations in pre-order (a role,
 * then the roles it delegates to), each fetched by the checksum the snapshot names and verified against the keys its
 * parent gives it. Files this process signed itself are taken as signed (their bytes still match the snapshot).
 */
import { NotaryError } from "../errors.ts";
import { parseEnvelope, verifyThreshold, type Envelope } from "../metadata/signed.ts";
import { parseTargets } from "../metadata/schema.ts";
import { checkFileMeta, sha256HexOfMeta } from "../metadata/hashes.ts";
import { restrictPaths } from "../metadata/roles.ts";
import type { DelegationRole, Root, SignedFile, Snapshot, Targets } from "../metadata/types.ts";
import { expiredError, isExpired, mustFetch } from "./checks.ts";
import { checkRollback } from "./floor.ts";
import type { DelegationStatus, TargetsRoleState, UpdateOptions, VersionFloor } from "./state.ts";

/** A file this process signed itself (used as is), or the bytes parsed into an envelope still to be verified. */
type Loaded = { own: SignedFile<Targets> } | { env: Envelope };

type Walk = { opts: UpdateOptions; snapshot: Snapshot; floor: VersionFloor; roles: Map<string, TargetsRoleState> };

/** Every targets file the snapshot lists and the delegations reach, with its status and effective paths. */
export async function verifyTargetsTree(opts: UpdateOptions, root: Root, snapshot: Snapshot, floor: VersionFloor): Promise<Map<string, TargetsRoleState>> {
  const walk: Walk = { opts, snapshot, floor, roles: new Map() };
  const top = await verifyTopTargets(walk, root);
  await walkDelegations(walk, top, [""]);
  return walk.roles;
}

/** Targets: signed by the targets keys root lists; an expired one only for a writer that will renew it. */
async function verifyTopTargets(walk: Walk, root: Root): Promise<Targets> {
  const loaded = await loadRole(walk, "targets");
  if (!loaded) throw new NotaryError("METADATA_NOT_FOUND", "snapshot does not list targets", { details: { role: "targets" } });
  const r = root.roles["targets"]!;
  if ("env" in loaded) verifyThreshold(loaded.env, { keys: root.keys, keyids: r.keyids, threshold: r.threshold }, "targets");
  const file = fileOf(loaded, "targets");
  const top = file.signed;
  checkRollback("targets", top.version, walk.floor["targets"]);
  const expired = isExpired(top.expires, walk.opts.now);
  if (expired && !walk.opts.allowExpiredTargets) throw expiredError("targets", top.expires);
  walk.roles.set(
    "targets",
    expired ? { file, status: "expired", paths: [""], problem: `targets expired at ${top.expires}` } : { file, status: "valid", paths: [""] },
  );
  return top;
}

/** Delegations of `parent` in pre-order; nothing below an invalid or expired role is walked. */
async function walkDelegations(walk: Walk, parent: Targets, parentPaths: readonly string[]): Promise<void> {
  for (const d of parent.delegations.roles) {
    if (walk.roles.has(d.name)) continue;
    const loaded = await loadRole(walk, d.name);
    if (!loaded) continue; // declared but not published yet
    const entry = delegatedRole(walk, loaded, parent, d, parentPaths);
    walk.roles.set(d.name, entry);
    if (entry.status === "valid") await walkDelegations(walk, entry.file.signed, entry.paths);
  }
}

/** A delegation's file judged: valid, expired, or invalid (kept for re-signing, as notary's `witness`). */
function delegatedRole(walk: Walk, loaded: Loaded, parent: Targets, d: DelegationRole, parentPaths: readonly string[]): TargetsRoleState {
  const file = fileOf(loaded, d.name);
  const t = file.signed;
  const paths = restrictPaths(parentPaths, d.paths ?? []);
  let status: DelegationStatus = "valid";
  let problem: string | undefined;
  try {
    if ("env" in loaded) verifyThreshold(loaded.env, { keys: parent.delegations.keys, keyids: d.keyids, threshold: d.threshold }, d.name);
  } catch (e) {
    // Invalid delegations are skipped when reading, kept for witnessing (tuf/builder.go › loadDelegation).
    status = "invalid";
    problem = (e as Error).message;
  }
  checkRollback(d.name, t.version, walk.floor[d.name]);
  if (status === "valid" && isExpired(t.expires, walk.opts.now)) {
    status = "expired";
    problem = `${d.name} expired at ${t.expires}`;
  }
  return { file, status, paths, ...(problem ? { problem } : {}) };
}

/** The role's file by the checksum the snapshot names: our own signed file, a held copy, or downloaded. */
async function loadRole(walk: Walk, role: string): Promise<Loaded | undefined> {
  const { opts } = walk;
  const meta = walk.snapshot.meta[role];
  if (!meta) return undefined;
  const hex = sha256HexOfMeta(meta);
  if (!hex) throw new NotaryError("METADATA_MALFORMED", `snapshot has no sha256 for ${role}`, { details: { role } });
  const own = opts.ownFiles?.(`${role}.${hex}`);
  if (own) {
    checkFileMeta(own.bytes, meta, role);
    return { own };
  }
  const bytes = opts.known?.(`${role}.${hex}`) ?? (await mustFetch(opts.fetch, `${role}.${hex}`, meta.length, role));
  checkFileMeta(bytes, meta, role);
  return { env: parseEnvelope(bytes, role) };
}

function fileOf(loaded: Loaded, role: string): SignedFile<Targets> {
  return "own" in loaded ? loaded.own : { bytes: loaded.env.bytes, signed: parseTargets(loaded.env.rawSigned, role), signatures: loaded.env.signatures };
}
