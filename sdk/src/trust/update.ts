/**
 * The verified read of a repository (reference §7): root (following a rotation chain), timestamp, snapshot,
 * targets, delegations. Pure apart from the injected `fetch`; time arrives as `now`.
 *
 * The rules, in the order they are applied (as python-tuf's `trusted_metadata_set.py` writes its own down). Nothing
 * is trusted, returned or re-signed before every rule above it held; each failure is a coded NotaryError naming the
 * role.
 *
 * 1. Root: the anchor decides the first trusted root (a root.json trusted before, its sha256, pinned root key IDs, or
 *    trust on first use only when asked). Each newer root `N+1` is fetched by version and must be signed by a
 *    threshold of root `N`'s keys and of its own; its version is exactly `N+1`; its root certificates are valid for
 *    the GUN (CN, not a CA, not SHA-1, RSA ≥ 2048, not expired); the final root is unexpired.
 * 2. Rollback floor: no role's version may be below what this process verified before, what it just uploaded, or
 *    the caller's floor (`RepositoryOptions.floor`, the versions a Pulumi state recorded): METADATA_ROLLBACK.
 * 3. Timestamp: signed by a threshold of the timestamp keys root lists; unexpired; size-capped.
 * 4. Snapshot: fetched by the sha256 the timestamp names; its bytes match the timestamp's length and hashes; signed
 *    by the snapshot keys; unexpired; its version is the timestamp's.
 * 5. Targets: fetched by the sha256 the snapshot names, bytes match; signed by the targets keys root lists;
 *    unexpired (an expired targets is returned only to a writer that will renew it, `allowExpiredTargets`).
 * 6. Delegations, walked breadth-first from targets: only roles the snapshot lists are fetched (by checksum, bytes
 *    match); each is signed by a threshold of the keys its parent delegates to it, or kept as "invalid" (skipped by
 *    readers, kept for re-signing after a key rotation, as notary's `witness`); an expired one is "expired"; its
 *    paths are restricted by every ancestor's; nothing below an invalid or expired role is walked.
 */
import { NotaryError } from "../errors.ts";
import { parseEnvelope, verifyThreshold, type Envelope } from "../metadata/signed.ts";
import { parseSnapshot, parseTargets, parseTimestamp } from "../metadata/schema.ts";
import { parseGoTime } from "../metadata/time.ts";
import { checkFileMeta, sha256HexOfMeta } from "../metadata/hashes.ts";
import { restrictPaths } from "../metadata/roles.ts";
import type { Root, SignedFile, Snapshot, Targets, Timestamp } from "../metadata/types.ts";
import { parseRootFile, rootKeyIdPairs, rootMatchesPins, toSignedRoot, verifyRootSignatures, type ParsedRoot } from "./root.ts";
import { bytesEqual } from "../encoding.ts";
import { sha256Hex } from "../crypto/keys.ts";

/** Fetch a metadata file by name (`root`, `3.root`, `timestamp`, `snapshot.<sha256hex>`, `targets/x.<sha256hex>`). */
export type MetadataFetcher = (name: string, maxBytes: number) => Promise<Uint8Array | undefined>;

/** How to decide which root to trust. */
export type TrustAnchor = {
  /** A root.json the caller trusted before (e.g. from Pulumi state). Newer roots must chain to it. */
  trustedRoot?: Uint8Array;
  /**
   * The sha256 (hex) of a root.json the caller trusted before: the same anchor as `trustedRoot`, 64 characters instead
   * of the file. When the server's current root is another file, the pinned one is fetched by checksum
   * (`root.<sha256>.json`) and newer roots must chain to it.
   */
  trustedRootSha256?: string;
  /** Root key IDs (certificate IDs as `docker trust inspect` shows, or canonical private-key IDs) to pin. */
  rootKeyIds?: readonly string[];
  /** Trust whatever self-signed root the server has (trust on first use). Only when asked for. */
  tofu?: boolean;
};

export type DelegationStatus = "valid" | "expired" | "invalid";

export type TargetsRoleState = {
  readonly file: SignedFile<Targets>;
  readonly status: DelegationStatus;
  /** Effective paths (restricted by every ancestor). `[""]` for `targets`. */
  readonly paths: readonly string[];
  readonly problem?: string;
};

/** A verified repository: every file with its exact bytes. Treat as immutable. */
export type RepoState = {
  readonly gun: string;
  readonly root: SignedFile<Root>;
  readonly timestamp: SignedFile<Timestamp>;
  readonly snapshot: SignedFile<Snapshot>;
  /** `targets` and every delegation file present in the snapshot, in pre-order walk order. */
  readonly roles: ReadonlyMap<string, TargetsRoleState>;
};

export type UpdateLimits = { rootMaxBytes: number; timestampMaxBytes: number };
/** notary's caps: 100 MiB for root (`MaxDownloadSize`), 1 MiB for timestamp (`MaxTimestampSize`). */
export const DEFAULT_LIMITS: UpdateLimits = { rootMaxBytes: 100 << 20, timestampMaxBytes: 1 << 20 };

export type UpdateOptions = {
  gun: string;
  fetch: MetadataFetcher;
  now: Date;
  anchor: TrustAnchor;
  /** A state verified earlier: its versions are the rollback floor. */
  previous?: RepoState;
  /**
   * Versions trusted before, by role (`root`, `timestamp`, `snapshot`, `targets`, delegations), carried by the caller
   * from an earlier process: a file older than its role's floor fails with METADATA_ROLLBACK, as notary's client
   * refuses what is older than its cache.
   */
  floor?: VersionFloor;
  /**
   * Files already held, by `<role>.<sha256hex>` (e.g. what we uploaded ourselves, or a state fetched earlier): reused
   * instead of downloaded. They are checked against the hashes like downloaded bytes.
   */
  known?: (name: string) => Uint8Array | undefined;
  /**
   * Targets files this process signed and published itself, by `<role>.<sha256hex>`: when the snapshot lists exactly
   * those bytes they are used as signed, without parsing and verifying them again (a large role re-read after each
   * publish). Versions and expiry are still checked.
   */
  ownFiles?: (name: string) => SignedFile<Targets> | undefined;
  /**
   * For a writer that will re-sign it: an expired top-level targets file is returned with status "expired" instead of
   * failing. Everything else about it is verified as usual (signatures, threshold, version, and its hash and length
   * against a snapshot that must itself be unexpired, so it is the latest file and not a replay). Readers must not
   * trust the targets of such a state (listTargets skips it).
   */
  allowExpiredTargets?: boolean;
  limits?: Partial<UpdateLimits>;
  /** The server's URL, named in messages (e.g. when it holds no trust data for the GUN). */
  serverUrl?: string;
};

/**
 * Fetch or fail with METADATA_NOT_FOUND. `limit`: the cap is a size limit (root, timestamp), so a longer answer is
 * refused here whatever the fetcher did with the cap. For hashed files the cap is the expected length, and a longer
 * answer fails the length/hash check instead (METADATA_HASH_MISMATCH).
 */
async function mustFetch(fetch: MetadataFetcher, name: string, max: number, role: string, limit = false): Promise<Uint8Array> {
  const b = await fetch(name, max);
  if (!b) {
    throw new NotaryError("METADATA_NOT_FOUND", `${role} metadata (${name}.json) is missing on the server`, { details: { role } });
  }
  if (limit) checkLimit(b, name, max, role);
  return b;
}

function checkLimit(b: Uint8Array, name: string, max: number, role: string): void {
  if (b.length > max) {
    throw new NotaryError("METADATA_TOO_LARGE", `${role} metadata (${name}.json) is ${b.length} bytes, over the ${max}-byte limit`, {
      details: { role, limit: max, size: b.length },
    });
  }
}

function isExpired(expires: string, now: Date): boolean {
  return parseGoTime(expires).getTime() < now.getTime();
}

function checkExpiry(role: string, expires: string, now: Date): void {
  if (isExpired(expires, now)) throw expiredError(role, expires);
}

function expiredError(role: string, expires: string): NotaryError {
  return new NotaryError("METADATA_EXPIRED", `${role} metadata expired at ${expires}; it must be re-signed (witnessed) with the ${role} key`, {
    details: { role, expires },
  });
}

/**
 * A state fetched with `allowExpiredTargets` as readers may use it: fails with METADATA_EXPIRED (as a reader's fetch
 * does) while its top-level targets is expired.
 */
export function readableState(state: RepoState): RepoState {
  const top = state.roles.get("targets");
  if (top?.status === "expired") throw expiredError("targets", top.file.signed.expires);
  return state;
}

/** Versions already trusted, by role name. */
export type VersionFloor = Readonly<Record<string, number>>;

/** The higher of two floors, role by role. */
export function maxFloor(a: VersionFloor | undefined, b: VersionFloor | undefined): VersionFloor {
  const out: Record<string, number> = { ...a };
  for (const [role, v] of Object.entries(b ?? {})) if (Number.isSafeInteger(v) && v > (out[role] ?? 0)) out[role] = v;
  return out;
}

/** The versions of a verified state, as a floor for later reads. */
export function floorOf(state: RepoState): VersionFloor {
  const out: Record<string, number> = { root: state.root.signed.version, timestamp: state.timestamp.signed.version, snapshot: state.snapshot.signed.version };
  for (const [role, r] of state.roles) out[role] = r.file.signed.version;
  return out;
}

/** The first role of `state` older than `floor`, if any. */
export function belowFloor(state: RepoState, floor: VersionFloor): { role: string; version: number; trusted: number } | undefined {
  const have = floorOf(state);
  for (const [role, trusted] of Object.entries(floor)) {
    const version = have[role];
    if (version !== undefined && version < trusted) return { role, version, trusted };
  }
  return undefined;
}

export function rollbackError(role: string, version: number, trusted: number): NotaryError {
  return new NotaryError(
    "METADATA_ROLLBACK",
    `the server served ${role} version ${version}, older than version ${trusted} already trusted: it may be replaying old ` +
      `metadata (or it was restored from a backup). Nothing older than what was verified before is accepted; to accept ` +
      `it deliberately, read it without the earlier floor`,
    { details: { role, version, trusted } },
  );
}

function checkRollback(role: string, version: number, floor: number | undefined): void {
  if (floor !== undefined && version < floor) throw rollbackError(role, version, floor);
}

/** The root file whose sha256 is `pin`: the server's current root when it is that file, else fetched by checksum. */
async function rootByHash(gun: string, fetch: MetadataFetcher, max: number, pin: string, latest: ParsedRoot): Promise<ParsedRoot> {
  const hex = pin.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new NotaryError("INPUT_INVALID", `trustedRootSha256 must be 64 hex digits (the sha256 of a root.json), got ${JSON.stringify(pin.slice(0, 80))}`, {
      details: { gun, field: "trustedRootSha256" },
    });
  }
  if (sha256Hex(latest.env.bytes) === hex) return latest;
  const bytes = await fetch(`root.${hex}`, max);
  if (bytes) checkLimit(bytes, `root.${hex}`, max, "root");
  if (!bytes || sha256Hex(bytes) !== hex) {
    throw new NotaryError(
      "TRUST_ROOT_MISMATCH",
      `the server does not hold the pinned root of ${gun} (sha256 ${hex}): its trust data was replaced or deleted, or this is not the repository you pinned`,
      { details: { gun, expected: hex, found: sha256Hex(latest.env.bytes) } },
    );
  }
  return parseRootFile(bytes);
}

/**
 * No root.json for the GUN: notary's `ErrRepositoryNotExist` ("does not have trust data", reference §7.1). Either it
 * was never initialized on this server, or the client talks to another server (or path) than the one that has it.
 */
function notInitializedError(gun: string, serverUrl: string | undefined): NotaryError {
  const where = serverUrl ? ` on ${serverUrl}` : " on the notary server";
  return new NotaryError(
    "METADATA_NOT_FOUND",
    `${gun} has no trust data${where} (root.json not found): the repository is not initialized on this server, or the ` +
      `server URL is wrong. Initialize it (Repository.initialize), or check NotaryClient's url and the GUN`,
    { details: { role: "root", gun, reason: "not-initialized", ...(serverUrl ? { server: serverUrl } : {}) } },
  );
}

/** Establish the trusted root: chain from a trusted root, or match pinned key IDs, or TOFU. */
export async function resolveRoot(opts: UpdateOptions): Promise<ParsedRoot> {
  const { gun, fetch, now, anchor } = opts;
  const max = opts.limits?.rootMaxBytes ?? DEFAULT_LIMITS.rootMaxBytes;
  const rootBytes = await fetch("root", max);
  if (!rootBytes) throw notInitializedError(gun, opts.serverUrl);
  checkLimit(rootBytes, "root", max, "root");
  const latest = parseRootFile(rootBytes);
  let trusted: ParsedRoot | undefined = anchor.trustedRoot
    ? parseRootFile(anchor.trustedRoot)
    : anchor.trustedRootSha256
      ? await rootByHash(gun, fetch, max, anchor.trustedRootSha256, latest)
      : undefined;
  const floor = Math.max(opts.previous?.root.signed.version ?? 0, trusted?.root.version ?? 0, opts.floor?.["root"] ?? 0);
  checkRollback("root", latest.root.version, floor || undefined);

  if (!trusted && anchor.rootKeyIds && anchor.rootKeyIds.length > 0) {
    if (rootMatchesPins(latest.root, anchor.rootKeyIds)) {
      verifyRootSignatures(latest, gun, now, undefined, true);
      return latest;
    }
    // Rotated since the pin was taken: find the newest old root holding a pinned key, then chain forward from it.
    for (let v = latest.root.version - 1; v >= 1 && !trusted; v--) {
      const b = await fetch(`${v}.root`, max);
      if (!b) break;
      checkLimit(b, `${v}.root`, max, `root version ${v}`);
      const candidate = parseRootFile(b);
      if (rootMatchesPins(candidate.root, anchor.rootKeyIds)) {
        verifyRootSignatures(candidate, gun, now, undefined, false);
        trusted = candidate;
      }
    }
    if (!trusted) {
      const found = rootKeyIdPairs(latest.root).map((p) => `${p.certId} (canonical ${p.canonicalId})`);
      throw new NotaryError(
        "TRUST_ROOT_MISMATCH",
        `the root of ${gun} is signed by [${found.join(", ")}], not by a pinned root key [${anchor.rootKeyIds.join(", ")}]`,
        { details: { gun, expected: [...anchor.rootKeyIds], found: rootKeyIdPairs(latest.root) } },
      );
    }
  }
  if (!trusted) {
    if (!anchor.tofu) {
      throw new NotaryError(
        "TRUST_NO_ANCHOR",
        `no trust anchor for ${gun}: pin the root key IDs (rootKeyIds), pass a trusted root, or allow trust on first use (tofu)`,
        { details: { gun } },
      );
    }
    verifyRootSignatures(latest, gun, now, undefined, true);
    return latest;
  }
  if (latest.root.version === trusted.root.version) {
    if (!bytesEqual(latest.env.bytes, trusted.env.bytes)) {
      // Same version, different content: still must verify against the trusted keys.
      verifyRootSignatures(latest, gun, now, trusted.root, true);
    } else {
      verifyRootSignatures(latest, gun, now, undefined, true);
    }
    return latest;
  }
  // Walk N.root.json from trusted+1 to latest-1; intermediates may be expired (LoadRootForUpdate).
  let prev = trusted;
  for (let v = trusted.root.version + 1; v < latest.root.version; v++) {
    const next = parseRootFile(await mustFetch(fetch, `${v}.root`, max, `root version ${v}`, true));
    if (next.root.version !== v) {
      throw new NotaryError("METADATA_MALFORMED", `${v}.root.json holds root version ${next.root.version}`, { details: { role: "root" } });
    }
    verifyRootSignatures(next, gun, now, prev.root, false);
    prev = next;
  }
  verifyRootSignatures(latest, gun, now, prev.root, true);
  return latest;
}

/**
 * Verified read of a whole repository.
 *
 * @example
 * const state = await updateRepository({ gun, fetch, now: new Date(), anchor: { rootKeyIds: ["41232c08…"] } });
 */
export async function updateRepository(opts: UpdateOptions): Promise<RepoState> {
  const { gun, fetch, now, previous } = opts;
  const floor = maxFloor(previous ? floorOf(previous) : undefined, opts.floor);
  const trusted = (role: string): number | undefined => floor[role];
  const parsedRoot = await resolveRoot(opts);
  const root = parsedRoot.root;
  const roleOf = (r: string) => ({ keys: root.keys, keyids: root.roles[r]!.keyids, threshold: root.roles[r]!.threshold });

  // Timestamp: always fetched (1 MiB cap).
  const tsEnv = parseEnvelope(
    await mustFetch(fetch, "timestamp", opts.limits?.timestampMaxBytes ?? DEFAULT_LIMITS.timestampMaxBytes, "timestamp", true),
    "timestamp",
  );
  verifyThreshold(tsEnv, roleOf("timestamp"), "timestamp");
  const timestamp = parseTimestamp(tsEnv.rawSigned);
  checkRollback("timestamp", timestamp.version, trusted("timestamp"));
  checkExpiry("timestamp", timestamp.expires, now);

  // Snapshot: by checksum from the timestamp, reused when unchanged.
  const snapMeta = timestamp.meta.snapshot;
  const snapHex = sha256HexOfMeta(snapMeta);
  if (!snapHex) throw new NotaryError("METADATA_MALFORMED", "timestamp has no sha256 for snapshot", { details: { role: "timestamp" } });
  const snapBytes =
    opts.known?.(`snapshot.${snapHex}`) ?? (await mustFetch(fetch, `snapshot.${snapHex}`, snapMeta.length, "snapshot"));
  checkFileMeta(snapBytes, snapMeta, "snapshot");
  const snapEnv = parseEnvelope(snapBytes, "snapshot");
  verifyThreshold(snapEnv, roleOf("snapshot"), "snapshot");
  const snapshot = parseSnapshot(snapEnv.rawSigned);
  checkRollback("snapshot", snapshot.version, trusted("snapshot"));
  checkExpiry("snapshot", snapshot.expires, now);
  const rootMeta = snapshot.meta["root"];
  if (rootMeta) checkFileMeta(parsedRoot.env.bytes, rootMeta, "root");

  // Targets tree, pre-order, with paths restricted by ancestors.
  const roles = new Map<string, TargetsRoleState>();
  // A file this process signed itself (used as is), or the bytes parsed into an envelope still to be verified.
  const load = async (role: string): Promise<{ own: SignedFile<Targets> } | { env: Envelope } | undefined> => {
    const meta = snapshot.meta[role];
    if (!meta) return undefined;
    const hex = sha256HexOfMeta(meta);
    if (!hex) throw new NotaryError("METADATA_MALFORMED", `snapshot has no sha256 for ${role}`, { details: { role } });
    const own = opts.ownFiles?.(`${role}.${hex}`);
    if (own) {
      checkFileMeta(own.bytes, meta, role);
      return { own };
    }
    const bytes = opts.known?.(`${role}.${hex}`) ?? (await mustFetch(fetch, `${role}.${hex}`, meta.length, role));
    checkFileMeta(bytes, meta, role);
    return { env: parseEnvelope(bytes, role) };
  };
  const fileOf = (loaded: { own: SignedFile<Targets> } | { env: Envelope }, role: string): SignedFile<Targets> =>
    "own" in loaded ? loaded.own : { bytes: loaded.env.bytes, signed: parseTargets(loaded.env.rawSigned, role), signatures: loaded.env.signatures };

  const topLoaded = await load("targets");
  if (!topLoaded) throw new NotaryError("METADATA_NOT_FOUND", "snapshot does not list targets", { details: { role: "targets" } });
  if ("env" in topLoaded) verifyThreshold(topLoaded.env, roleOf("targets"), "targets");
  const topFile = fileOf(topLoaded, "targets");
  const top = topFile.signed;
  checkRollback("targets", top.version, trusted("targets"));
  const topExpired = isExpired(top.expires, now);
  if (topExpired && !opts.allowExpiredTargets) throw expiredError("targets", top.expires);
  roles.set("targets", topExpired ? { file: topFile, status: "expired", paths: [""], problem: `targets expired at ${top.expires}` } : { file: topFile, status: "valid", paths: [""] });

  const walk = async (parentName: string, parent: Targets, parentPaths: readonly string[]) => {
    for (const d of parent.delegations.roles) {
      if (roles.has(d.name)) continue;
      const loaded = await load(d.name);
      if (!loaded) continue; // declared but not published yet
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
      checkRollback(d.name, t.version, trusted(d.name));
      if (status === "valid" && isExpired(t.expires, now)) {
        status = "expired";
        problem = `${d.name} expired at ${t.expires}`;
      }
      roles.set(d.name, {
        file,
        status,
        paths,
        ...(problem ? { problem } : {}),
      });
      void parentName;
      if (status === "valid") await walk(d.name, t, paths);
    }
  };
  await walk("targets", top, [""]);

  return {
    gun,
    root: toSignedRoot(parsedRoot),
    timestamp: { bytes: tsEnv.bytes, signed: timestamp, signatures: tsEnv.signatures },
    snapshot: { bytes: snapBytes, signed: snapshot, signatures: snapEnv.signatures },
    roles,
  };
}
