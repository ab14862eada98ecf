/**
 * The verified read of a repository (reference §7): root (following a rotation chain), timestamp, snapshot,
 * targets, delegations. Pure apart from the injected `fetch`; time arrives as `now`.
 *
 * The rules, in the order they are applied (as python-tuf's `trusted_metadata_set.py` writes its own down). Nothing
 * is trusted, returned or re-signed before every rule above it held; each failure is a coded NotaryError naming the
 * role. Each rule is one step, in the file named after it.
 *
 * 1. Root (resolve-root.ts): the anchor decides the first trusted root (a root.json trusted before, its sha256, pinned
 *    root key IDs, or trust on first use only when asked). Each newer root `N+1` is fetched by version and must be
 *    signed by a threshold of root `N`'s keys and of its own; its version is exactly `N+1`; its root certificates are
 *    valid for the GUN (CN, not a CA, not SHA-1, RSA ≥ 2048, not expired); the final root is unexpired.
 * 2. Rollback floor (floor.ts): no role's version may be below what this process verified before, what it just
 *    uploaded, or the caller's floor (`RepositoryOptions.floor`, the versions a Pulumi state recorded):
 *    METADATA_ROLLBACK.
 * 3. Timestamp (below): size-capped; signed by a threshold of the timestamp keys root lists; not below the floor;
 *    unexpired.
 * 4. Snapshot (below): fetched by the sha256 the timestamp names (the timestamp vouches for exactly these bytes); its
 *    bytes match the timestamp's length and hashes; signed by the snapshot keys; not below the floor; unexpired; the
 *    root it lists, when it lists one, is the root of rule 1, byte for byte.
 * 5. Targets (targets-walk.ts): fetched by the sha256 the snapshot names, bytes match; signed by the targets keys
 *    root lists; unexpired (an expired targets is returned only to a writer that will renew it, `allowExpiredTargets`).
 * 6. Delegations (targets-walk.ts), walked in pre-order from targets: only roles the snapshot lists are fetched (by
 *    checksum, bytes match); each is signed by a threshold of the keys its parent delegates to it, or kept as
 *    "invalid" (skipped by readers, kept for re-signing after a key rotation, as notary's `witness`); an expired one
 *    is "expired"; its paths are restricted by every ancestor's; nothing below an invalid or expired role is walked.
 */
import { NotaryError } from "../errors.ts";
import { parseEnvelope, verifyThreshold } from "../metadata/signed.ts";
import { parseSnapshot, parseTimestamp } from "../metadata/schema.ts";
import { checkFileMeta, sha256HexOfMeta } from "../metadata/hashes.ts";
import type { Root, SignedFile, Snapshot, Timestamp } from "../metadata/types.ts";
import { toSignedRoot, type ParsedRoot } from "./root.ts";
import { checkExpiry, mustFetch } from "./checks.ts";
import { checkRollback, floorOf, maxFloor } from "./floor.ts";
import { resolveRoot } from "./resolve-root.ts";
import { verifyTargetsTree } from "./targets-walk.ts";
import { DEFAULT_LIMITS, type RepoState, type UpdateOptions, type VersionFloor } from "./state.ts";

export type { DelegationStatus, MetadataFetcher, RepoState, TargetsRoleState, TrustAnchor, UpdateLimits, UpdateOptions, VersionFloor } from "./state.ts";
export { DEFAULT_LIMITS } from "./state.ts";
export { belowFloor, floorOf, maxFloor, rollbackError } from "./floor.ts";
export { readableState } from "./checks.ts";
export { resolveRoot } from "./resolve-root.ts";

/**
 * Verified read of a whole repository.
 *
 * @example
 * const state = await updateRepository({ gun, fetch, now: new Date(), anchor: { rootKeyIds: ["41232c08…"] } });
 */
export async function updateRepository(opts: UpdateOptions): Promise<RepoState> {
  const floor = maxFloor(opts.previous ? floorOf(opts.previous) : undefined, opts.floor);
  const root = await resolveRoot(opts);
  const timestamp = await verifyTimestamp(opts, root.root, floor);
  const snapshot = await verifySnapshot(opts, root, timestamp.signed, floor);
  const roles = await verifyTargetsTree(opts, root.root, snapshot.signed, floor);
  return { gun: opts.gun, root: toSignedRoot(root), timestamp, snapshot, roles };
}

const keysOf = (root: Root, role: string) => ({ keys: root.keys, keyids: root.roles[role]!.keyids, threshold: root.roles[role]!.threshold });

/** Rule 3: always fetched, within its 1 MiB cap. */
async function verifyTimestamp(opts: UpdateOptions, root: Root, floor: VersionFloor): Promise<SignedFile<Timestamp>> {
  const max = opts.limits?.timestampMaxBytes ?? DEFAULT_LIMITS.timestampMaxBytes;
  const env = parseEnvelope(await mustFetch(opts.fetch, "timestamp", max, "timestamp", true), "timestamp");
  verifyThreshold(env, keysOf(root, "timestamp"), "timestamp");
  const signed = parseTimestamp(env.rawSigned);
  checkRollback("timestamp", signed.version, floor["timestamp"]);
  checkExpiry("timestamp", signed.expires, opts.now);
  return { bytes: env.bytes, signed, signatures: env.signatures };
}

/** Rule 4: by the checksum the timestamp names, reused when held already. */
async function verifySnapshot(opts: UpdateOptions, root: ParsedRoot, timestamp: Timestamp, floor: VersionFloor): Promise<SignedFile<Snapshot>> {
  const meta = timestamp.meta.snapshot;
  const hex = sha256HexOfMeta(meta);
  if (!hex) throw new NotaryError("METADATA_MALFORMED", "timestamp has no sha256 for snapshot", { details: { role: "timestamp" } });
  const bytes = opts.known?.(`snapshot.${hex}`) ?? (await mustFetch(opts.fetch, `snapshot.${hex}`, meta.length, "snapshot"));
  checkFileMeta(bytes, meta, "snapshot");
  const env = parseEnvelope(bytes, "snapshot");
  verifyThreshold(env, keysOf(root.root, "snapshot"), "snapshot");
  const signed = parseSnapshot(env.rawSigned);
  checkRollback("snapshot", signed.version, floor["snapshot"]);
  checkExpiry("snapshot", signed.expires, opts.now);
  const rootMeta = signed.meta["root"];
  if (rootMeta) checkFileMeta(root.env.bytes, rootMeta, "root");
  return { bytes, signed, signatures: env.signatures };
}
