/**
 * Typed models of Notary v1 metadata. Field names and values are notary's wire names (§5); the models hold exactly
 * the fields Go's structs hold, because the server re-serializes what it stores through those structs (§1.5).
 */

export type KeyType = "ecdsa" | "ecdsa-x509" | "rsa" | "rsa-x509" | "ed25519";
export type SignatureMethod = "ecdsa" | "eddsa" | "rsapss" | "rsapkcs1v15";
export type BaseRole = "root" | "targets" | "snapshot" | "timestamp";

/** A lowercase hex SHA-256 key ID. */
export type KeyId = string;

/** Key object as it appears in metadata: `{"keytype":…,"keyval":{"private":null,"public":<base64>}}`. */
export type KeyJson = { keytype: string; keyval: { private: null; public: string } };

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
