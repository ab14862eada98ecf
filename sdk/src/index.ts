/**
 * pulumi-notary/sdk — a Notary v1 (Docker Content Trust) client that notary 0.7 and docker accept byte for byte.
 *
 * @example
 * import { NotaryClient, PrivateKey, targetMetaFor } from "pulumi-notary/sdk";
 * const client = new NotaryClient({ url: "https://notary.example.com:4443" });
 * const repo = client.repository("registry.example.com/team/app", { anchor: { rootKeyIds: [rootKeyId] } });
 * await repo.publish([{ type: "setTarget", role: "targets/releases", name: "v1", meta }], { keys: [releasesKey] });
 */
import "./node-version.ts"; // first: a clear message on an older Node.js, before any dependency loads
export { NotaryError, isNotaryError } from "./errors.ts";
export type { NotaryErrorCode } from "./errors.ts";

export { NotaryClient, Repository } from "./client.ts";
export type { ServerOptions, RepositoryOptions, InitializeOptions, PublishOptions, PublishResult, ReadOptions } from "./client.ts";

export { PrivateKey } from "./crypto/sign.ts";
/** notary's and docker's key files: read (encrypted or not) and write them as notary does. */
export { readPrivateKeyFile, readPrivateKeyFiles, writePrivateKeyFile, readPublicKeyPem, writePublicKeyPem } from "./crypto/keyfile.ts";
export type { PrivateKeyFile, PassphraseSource, KeyBlockInfo, WritePrivateKeyFileOptions, PublicKeyPem } from "./crypto/keyfile.ts";
export type { PrivateKeyType } from "./crypto/sign.ts";
export {
  keyId,
  canonicalKeyId,
  keyToJson,
  keyFromJson,
  keyJsonId,
  publicKeyFromSpki,
  publicKeyFromCertificatePem,
} from "./crypto/keys.ts";
export type { PublicKey } from "./crypto/keys.ts";
export { verifySignature } from "./crypto/verify.ts";
export { createRootCertificate, parseCertificate } from "./crypto/x509.ts";

export { canonicalJson, canonicalBytes, wireBytes } from "./canonical-json.ts";
export { formatGoTime, parseGoTime, DEFAULT_EXPIRY_MS } from "./metadata/time.ts";
export { fileMeta, targetMetaFor, checkFileMeta } from "./metadata/hashes.ts";
export { isDelegationName, isSignerName, RELEASES_ROLE, pathAllowed } from "./metadata/roles.ts";
export { applyChange, createDraft } from "./metadata/changes.ts";
export type { Change, Draft } from "./metadata/changes.ts";
export { finalizeDraft, expiryFor } from "./metadata/finalize.ts";
export type { ExpiryPolicy } from "./metadata/finalize.ts";
export type {
  Root,
  Targets,
  Snapshot,
  Timestamp,
  FileMeta,
  KeyJson,
  DelegationRole,
  SignedFile,
  Signature,
  KeyType,
} from "./metadata/types.ts";

export { updateRepository } from "./trust/update.ts";
export type { RepoState, TrustAnchor, MetadataFetcher, TargetsRoleState, VersionFloor } from "./trust/update.ts";
export { floorOf } from "./trust/update.ts";
export { listTargets, lookupTarget } from "./trust/read.ts";
export type { TargetEntry } from "./trust/read.ts";

export { parseImageReference } from "./remote/registry-ref.ts";
export type { ImageReference } from "./remote/registry-ref.ts";
export { resolveImage } from "./remote/registry.ts";
export type { ResolvedImage } from "./remote/registry.ts";
export { fetchBlob } from "./remote/registry-blob.ts";
export { resolveCredentials } from "./remote/credentials.ts";
export { inspectTrust, roleExpiries } from "./trust/inspect.ts";
export type { TrustInspection } from "./trust/inspect.ts";

/** Consumers pinned to verified digests: is a tag signed as required (signers, keys, threshold, unexpired)? */
export { verifyTag } from "./trust/verify-tag.ts";
export type { TagPolicy, VerifiedTag } from "./trust/verify-tag.ts";
export { verifyImage } from "./verify-image.ts";
export type { VerifyImageOptions, VerifiedImage } from "./verify-image.ts";
