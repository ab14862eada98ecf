/**
 * Signed envelopes: parsing fetched bytes (no trust yet), and building + signing new files with Go-identical bytes.
 */
import { NotaryError } from "../errors.ts";
import { canonicalBytes, canonicalJson, wireBytes } from "../canonical-json.ts";
import { fromUtf8, toBase64, fromBase64 } from "../encoding.ts";
import { envelopeSchema } from "./schema.ts";
import type { AnyRole, KeyJson, Signature, SignedFile } from "./types.ts";
import { keyFromJson, keyJsonId, canonicalKeyIdOfJson } from "../crypto/keys.ts";
import type { PrivateKey } from "../crypto/sign.ts";
import { verifySignature } from "../crypto/verify.ts";

/** A parsed but not yet verified envelope. */
export type Envelope = {
  bytes: Uint8Array;
  /** The raw `signed` value from JSON.parse (never the zod output). */
  rawSigned: Record<string, unknown>;
  /** Canonical bytes of rawSigned as Go's verifier re-encodes them (§1.1). */
  signedBytes: Uint8Array;
  signatures: Signature[];
};

/** bytes → JSON.parse → canonical bytes of the raw `signed` value. No signature is checked here. */
export function parseEnvelope(bytes: Uint8Array, role: string): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes));
  } catch (cause) {
    throw new NotaryError("METADATA_MALFORMED", `${role} metadata is not valid JSON`, { cause, details: { role } });
  }
  const env = envelopeSchema.safeParse(json);
  if (!env.success) {
    throw new NotaryError("METADATA_MALFORMED", `${role} metadata is not a signed envelope ({"signed":…,"signatures":[…]})`, {
      details: { role },
    });
  }
  const rawSigned = env.data.signed;
  let signedBytes: Uint8Array;
  try {
    signedBytes = canonicalBytes(rawSigned, { mode: "verify" });
  } catch (cause) {
    throw new NotaryError("METADATA_MALFORMED", `${role} metadata cannot be canonicalized: ${(cause as Error).message}`, {
      cause,
      details: { role },
    });
  }
  return { bytes, rawSigned, signedBytes, signatures: env.data.signatures };
}

export type RoleKeySet = { keys: Record<string, KeyJson>; keyids: readonly string[]; threshold: number };

/**
 * Threshold check, as `tuf/signed/verify.go › VerifySignatures`: signatures from keys outside the role are ignored,
 * a key whose computed ID differs from the signature's keyid is a hard error, invalid signatures are skipped, and
 * the count is of distinct valid key IDs.
 */
export function verifyThreshold(env: Envelope, roleKeys: RoleKeySet, role: string): void {
  if (roleKeys.threshold < 1) {
    throw new NotaryError("SIGNATURE_THRESHOLD_NOT_MET", `role ${role} has threshold ${roleKeys.threshold}; it must be at least 1`, {
      details: { role },
    });
  }
  if (env.signatures.length === 0) {
    throw new NotaryError("SIGNATURE_THRESHOLD_NOT_MET", `${role} metadata has no signatures`, { details: { role } });
  }
  const allowed = new Set(roleKeys.keyids);
  const valid = new Set<string>();
  for (const sig of env.signatures) {
    if (!allowed.has(sig.keyid) || valid.has(sig.keyid)) continue;
    const kj = roleKeys.keys[sig.keyid];
    if (!kj) continue;
    if (keyJsonId(kj) !== sig.keyid) {
      throw new NotaryError("SIGNATURE_KEY_ID_MISMATCH", `${role} lists key ${sig.keyid} but that key's content has another ID`, {
        details: { role, keyId: sig.keyid },
      });
    }
    let ok = false;
    try {
      ok = verifySignature(sig.method, keyFromJson(kj, `key ${sig.keyid}`), env.signedBytes, fromBase64(sig.sig, "sig"));
    } catch {
      ok = false; // unsupported method or key type: the signature does not count
    }
    if (ok) valid.add(sig.keyid);
  }
  if (valid.size < roleKeys.threshold) {
    throw new NotaryError(
      "SIGNATURE_THRESHOLD_NOT_MET",
      `${role} metadata has ${valid.size} valid signature(s) from its keys [${[...allowed].join(", ")}]; ${roleKeys.threshold} required`,
      { details: { role, valid: valid.size, threshold: roleKeys.threshold } },
    );
  }
}

/**
 * Sign `signed` with every given private key whose canonical ID matches one of `roleKeyIds` (as notary's `Sign`
 * maps TUF IDs to canonical IDs), and return the file with Go-identical bytes.
 */
export function signRole<T extends AnyRole>(
  signed: T,
  signing: { keys: Record<string, KeyJson>; keyids: readonly string[]; threshold: number; role: string },
  privateKeys: readonly PrivateKey[],
): SignedFile<T> {
  const canonical = canonicalJson(signed);
  const msg = new TextEncoder().encode(canonical);
  const byCanonical = new Map(privateKeys.map((k) => [k.id, k]));
  const signatures: Signature[] = [];
  for (const id of signing.keyids) {
    const kj = signing.keys[id];
    if (!kj) continue;
    const pk = byCanonical.get(canonicalKeyIdOfJson(kj));
    if (!pk) continue;
    signatures.push({ keyid: id, method: pk.method, sig: toBase64(pk.sign(msg)) });
  }
  const distinct = new Set(signatures.map((s) => s.keyid)).size;
  if (distinct < signing.threshold) {
    throw new NotaryError(
      "SIGNING_KEY_MISSING",
      `cannot sign ${signing.role}: it needs ${signing.threshold} signature(s) from keys [${signing.keyids.join(", ")}] ` +
        `but only ${distinct} of the given private keys match; pass the private key(s) for ${signing.role}`,
      { details: { role: signing.role, expectedKeyIds: [...signing.keyids] } },
    );
  }
  return { bytes: wireBytes(canonical, signatures), signed, signatures };
}
