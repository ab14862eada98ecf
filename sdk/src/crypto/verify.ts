/**
 * Signature verification, mirroring `notary: tuf/signed/verifiers.go`. Unsupported method/key pairs fail with a code.
 */
import { createPublicKey, verify as nodeVerify, constants } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { NotaryError } from "../errors.ts";
import { plainKeyOf, type PublicKey } from "./keys.ts";

function nodeKey(spki: Uint8Array) {
  return createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
}

/** Raw P-256 point from an SPKI, or undefined when the key is on another curve. */
function p256Point(spki: Uint8Array): Uint8Array | undefined {
  const jwk = nodeKey(spki).export({ format: "jwk" });
  if (jwk.crv !== "P-256" || !jwk.x || !jwk.y) return undefined;
  return Uint8Array.from([4, ...Buffer.from(jwk.x, "base64url"), ...Buffer.from(jwk.y, "base64url")]);
}

/**
 * Verify `sig` over `msg` with `key` using notary's `method`. Returns false for a wrong signature and throws
 * SIGNATURE_UNSUPPORTED_METHOD for a method the key type cannot use.
 */
export function verifySignature(method: string, key: PublicKey, msg: Uint8Array, sig: Uint8Array): boolean {
  const m = method.toLowerCase(); // Go lowercases `method` when decoding (tuf/data/types.go › Signature.UnmarshalJSON)
  try {
    if (m === "ecdsa" && (key.keyType === "ecdsa" || key.keyType === "ecdsa-x509")) {
      const spki = plainKeyOf(key).public;
      const point = p256Point(spki);
      if (point) {
        // ECDSAVerifier: raw r‖s of exactly 2*32 bytes, SHA-256 of the message. Go does not normalise S, so high-S
        // signatures are valid: lowS must be false.
        if (sig.length !== 64) return false;
        return p256.verify(sig, msg, point, { lowS: false, prehash: true, format: "compact" });
      }
      // Other curves: SHA-256 whatever the curve, raw r‖s (node checks the length for the curve).
      return nodeVerify("sha256", msg, { key: nodeKey(spki), dsaEncoding: "ieee-p1363" }, sig);
    }
    if (m === "eddsa" && key.keyType === "ed25519") {
      // Ed25519Verifier: 32-byte key, 64-byte signature, pure Ed25519 (no pre-hash). Strict RFC 8032 checks as Go.
      if (key.public.length !== 32 || sig.length !== 64) return false;
      return ed25519.verify(sig, msg, key.public, { zip215: false });
    }
    if ((m === "rsapss" || m === "rsapkcs1v15") && (key.keyType === "rsa" || key.keyType === "rsa-x509")) {
      const k = nodeKey(plainKeyOf(key).public);
      // verifyPSS / RSAPKCS1v15Verifier: modulus of at least 2048 bits, SHA-256, PSS salt length exactly 32.
      if ((k.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return false;
      const padding = m === "rsapss" ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
      return nodeVerify("sha256", msg, { key: k, padding, saltLength: 32 }, sig);
    }
  } catch (cause) {
    if (cause instanceof NotaryError) throw cause;
    return false;
  }
  throw new NotaryError(
    "SIGNATURE_UNSUPPORTED_METHOD",
    `signature method ${JSON.stringify(method)} cannot be used with a ${key.keyType} key`,
  );
}
