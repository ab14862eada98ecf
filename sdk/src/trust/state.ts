/**
 * What the verified read starts from (a trust anchor, a floor, fetched bytes) and what it returns (a state holding each
 * file's exact bytes). Types only, so that every step of the read can name them without importing another step.
 */
import type { Root, SignedFile, Snapshot, Targets, Timestamp } from "../metadata/types.ts";

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

/** Versions already trusted, by role name. */
export type VersionFloor = Readonly<Record<string, number>>;

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
