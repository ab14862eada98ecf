/**
 * The first files of a repository (notary's `init`): root v1 with a root certificate whose CN is the GUN, targets v1,
 * and snapshot v1 when the client holds the snapshot key; the server signs the timestamp (and by default the snapshot).
 */
import { NotaryError } from "../errors.ts";
import { keyJsonId, keyToJson, publicKeyFromCertificatePem } from "../crypto/keys.ts";
import { PrivateKey } from "../crypto/sign.ts";
import { createRootCertificate } from "../crypto/x509.ts";
import { expiryFor, type ExpiryPolicy } from "../metadata/finalize.ts";
import { fileMeta } from "../metadata/hashes.ts";
import { signRole } from "../metadata/signed.ts";
import { DEFAULT_EXPIRY_MS } from "../metadata/time.ts";
import type { KeyJson, Root, Snapshot, Targets } from "../metadata/types.ts";

export type InitialFilesOptions = {
  gun: string;
  now: Date;
  expiry: ExpiryPolicy;
  /** ECDSA P-256 (notary's root certificates are ECDSA). */
  rootKey: PrivateKey;
  /** PEM certificate for the root key; made (10 years, CN = GUN) when absent. */
  rootCertificate?: string;
  targetsKey: PrivateKey;
  /** The client's snapshot key, or the server's public snapshot key (the server then signs snapshots). */
  snapshotKey: PrivateKey | KeyJson;
  /** The server's public timestamp key. */
  timestampKey: KeyJson;
};

/** Signed files to upload, in upload order, and the root's bytes (the new trust anchor). */
export function initialFiles(o: InitialFilesOptions): { files: { role: string; bytes: Uint8Array }[]; root: Uint8Array } {
  if (o.rootKey.keyType !== "ecdsa") {
    throw new NotaryError("KEY_UNSUPPORTED", "the root key must be an ECDSA P-256 key (notary's root certificates are ECDSA)");
  }
  const certPem =
    o.rootCertificate ??
    createRootCertificate({
      gun: o.gun,
      privateKeyPkcs8: o.rootKey.exportPkcs8(),
      notBefore: o.now,
      notAfter: new Date(o.now.getTime() + DEFAULT_EXPIRY_MS.root),
    });
  const clientSnapshot = o.snapshotKey instanceof PrivateKey ? o.snapshotKey : undefined;
  const json = {
    root: keyToJson(publicKeyFromCertificatePem(certPem)),
    targets: keyToJson(o.targetsKey.publicKey),
    snapshot: clientSnapshot ? keyToJson(clientSnapshot.publicKey) : (o.snapshotKey as KeyJson),
    timestamp: o.timestampKey,
  };
  const ids = { root: keyJsonId(json.root), targets: keyJsonId(json.targets), snapshot: keyJsonId(json.snapshot), timestamp: keyJsonId(json.timestamp) };
  const keys: Record<string, KeyJson> = { [ids.root]: json.root, [ids.targets]: json.targets, [ids.snapshot]: json.snapshot, [ids.timestamp]: json.timestamp };
  const root: Root = {
    _type: "Root",
    consistent_snapshot: false,
    expires: expiryFor("root", o.now, o.expiry),
    keys,
    roles: {
      root: { keyids: [ids.root], threshold: 1 },
      snapshot: { keyids: [ids.snapshot], threshold: 1 },
      targets: { keyids: [ids.targets], threshold: 1 },
      timestamp: { keyids: [ids.timestamp], threshold: 1 },
    },
    version: 1,
  };
  const signedRoot = signRole(root, { keys, keyids: [ids.root], threshold: 1, role: "root" }, [o.rootKey]);
  const targets: Targets = {
    _type: "Targets",
    delegations: { keys: {}, roles: [] },
    expires: expiryFor("targets", o.now, o.expiry),
    targets: {},
    version: 1,
  };
  const signedTargets = signRole(targets, { keys, keyids: [ids.targets], threshold: 1, role: "targets" }, [o.targetsKey]);
  const files = [
    { role: "root", bytes: signedRoot.bytes },
    { role: "targets", bytes: signedTargets.bytes },
  ];
  if (clientSnapshot) {
    const snap: Snapshot = {
      _type: "Snapshot",
      expires: expiryFor("snapshot", o.now, o.expiry),
      meta: { root: fileMeta(signedRoot.bytes), targets: fileMeta(signedTargets.bytes) },
      version: 1,
    };
    files.push({ role: "snapshot", bytes: signRole(snap, { keys, keyids: [ids.snapshot], threshold: 1, role: "snapshot" }, [clientSnapshot]).bytes });
  }
  return { files, root: signedRoot.bytes };
}
