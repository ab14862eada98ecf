/**
 * Typed models of Notary v1 metadata. Field names and values are notary's wire names (§5); the models hold exactly
 * the fields Go's structs hold, because the server re-serializes what it stores through those structs (§1.5).
 */

import type { KeyId, KeyJson } from "../crypto/key-types.ts";

// Key names belong to crypto (which must not import metadata); re-exported for the models' users.
export type { KeyType, SignatureMethod, KeyId, KeyJson } from "../crypto/key-types.ts";
export type BaseRole = "root" | "targets" | "snapshot" | "timestamp";

export type RoleKeys = { keyids: KeyId[]; threshold: number };

/** Target or file entry: `hashes` are base64 std of raw digests (`sha256`, optional `sha512`). */
export type FileMeta = { length: number; hashes: Record<string, string>; custom?: unknown };

export type Root = {
  _type: "Root";
  consistent_snapshot: boolean;
  expires: string;
  keys: Record<KeyId, KeyJson>;
  roles: Record<string, RoleKeys>;
  version: number;
};

export type DelegationRole = { keyids: KeyId[]; name: string; paths?: string[]; threshold: number };

export type Targets = {
  _type: "Targets";
  delegations: { keys: Record<KeyId, KeyJson>; roles: DelegationRole[] };
  expires: string;
  targets: Record<string, FileMeta>;
  version: number;
};

export type Snapshot = { _type: "Snapshot"; expires: string; meta: Record<string, FileMeta>; version: number };

export type Timestamp = { _type: "Timestamp"; expires: string; meta: { snapshot: FileMeta }; version: number };

export type Signature = { keyid: KeyId; method: string; sig: string };

export type AnyRole = Root | Targets | Snapshot | Timestamp;

/** A metadata file: the exact bytes, the verified or built `signed` model and its signatures. */
export type SignedFile<T extends AnyRole = AnyRole> = {
  /** Exact bytes as served / uploaded. Hashes in snapshot and timestamp cover these. */
  readonly bytes: Uint8Array;
  readonly signed: T;
  readonly signatures: readonly Signature[];
};
