/** SubjectPublicKeyInfo as Go's `x509.ParsePKIXPublicKey` judges it: what it accepts, and what kind of key it is. */
import { NotaryError } from "../errors.ts";
import { TAG, decodeDer, readBitStringBytes, readInteger, readOid, readUnsignedIntegerBytes, sequenceOf } from "./asn1-decode.ts";
import type { Asn1Element } from "./asn1-decode.ts";
import { EC_CURVES, OID } from "./oid.ts";

export type CertificateKeyAlgorithm = "ecdsa" | "rsa" | "ed25519" | "dsa" | "unknown";

export interface PublicKeyInfo {
  keyAlgorithm: CertificateKeyAlgorithm;
  ecCurve?: "P-224" | "P-256" | "P-384" | "P-521";
  rsaModulusBits?: number;
}

function bitLength(magnitude: Uint8Array): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

/**
 * Inspects an SPKI the way Go's `parsePublicKey` does, rejecting what it rejects (`KEY_INVALID`, `KEY_UNSUPPORTED`
 * for a curve Go lacks, `ENCODING_INVALID` for bad DER).
 * @example inspectSpki(spkiDer) // { keyAlgorithm: "ecdsa", ecCurve: "P-256" }
 */
export function inspectSpki(spki: Uint8Array | Asn1Element): PublicKeyInfo {
  const el = spki instanceof Uint8Array ? decodeDer(spki) : spki;
  const [algId, keyBits, ...extra] = sequenceOf(el, "SubjectPublicKeyInfo");
  if (extra.length) throw new NotaryError("ENCODING_INVALID", "DER: trailing fields in SubjectPublicKeyInfo");
  const [algOid, param, ...more] = sequenceOf(algId, "AlgorithmIdentifier");
  if (more.length) throw new NotaryError("ENCODING_INVALID", "DER: trailing fields in AlgorithmIdentifier");
  const alg = readOid(algOid, "key algorithm");
  const key = readBitStringBytes(keyBits, "subject public key");
  if (alg === OID.ecPublicKey) return inspectEcKey(param, key);
  if (alg === OID.rsaEncryption) return inspectRsaKey(param, key);
  if (alg === OID.ed25519) {
    if (param !== undefined) throw new NotaryError("KEY_INVALID", "Ed25519 public key must not have parameters");
    if (key.length !== 32) throw new NotaryError("KEY_INVALID", "Ed25519 public key must be 32 bytes");
    return { keyAlgorithm: "ed25519" };
  }
  if (alg === OID.dsa) return { keyAlgorithm: "dsa" };
  return { keyAlgorithm: "unknown" };
}

function inspectEcKey(param: Asn1Element | undefined, key: Uint8Array): PublicKeyInfo {
  const curve = EC_CURVES[readOid(param, "named curve")];
  if (!curve) throw new NotaryError("KEY_UNSUPPORTED", "unsupported elliptic curve");
  if (key.length !== 1 + 2 * curve.size || key[0] !== 0x04) {
    throw new NotaryError("KEY_INVALID", "EC public key is not an uncompressed point of the right size");
  }
  return { keyAlgorithm: "ecdsa", ecCurve: curve.name };
}

function inspectRsaKey(param: Asn1Element | undefined, key: Uint8Array): PublicKeyInfo {
  if (param?.tag !== TAG.NULL || param.content.length !== 0) throw new NotaryError("KEY_INVALID", "RSA public key is missing its NULL parameters");
  const [n, e, ...rest] = sequenceOf(decodeDer(key), "RSAPublicKey");
  if (rest.length) throw new NotaryError("ENCODING_INVALID", "DER: trailing fields in RSAPublicKey");
  const nBytes = readUnsignedIntegerBytes(n, "RSA modulus");
  const eVal = readInteger(e, "RSA exponent");
  if (nBytes.length === 0 || eVal <= 0n || eVal >= 1n << 31n) throw new NotaryError("KEY_INVALID", "invalid RSA public key");
  return { keyAlgorithm: "rsa", rsaModulusBits: bitLength(nBytes) };
}
