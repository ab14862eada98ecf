/**
 * Writing key files byte for byte as notary does (`tuf/utils/pkcs8.go › convertTUFKeyToPKCS8(Encrypted)`): notary's
 * inner PrivateKeyInfo shape for each key type, encrypted with notary's PBES2 parameters (pbes2.ts).
 */
import type { KeyObject } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { concatBytes } from "../encoding.ts";
import { relabelDerError } from "./asn1-decode.ts";
import { encodeBitString, encodeExplicit, encodeInteger, encodeOctetString, encodeOid, encodeSequence } from "./asn1-encode.ts";
import { keyFileHeaders } from "./keyfile-headers.ts";
import { EC_CURVES, OID } from "./oid.ts";
import { encryptPkcs8 } from "./pbes2.ts";
import { encodePem } from "./pem.ts";
import { loadPkcs8, privateKeyTypeOf } from "./private-key-der.ts";
import type { PrivateKeyType } from "./sign.ts";

export interface WritePrivateKeyFileOptions {
  keyType: PrivateKeyType;
  /** The key as PKCS#8 DER (standard, RFC 8410 Ed25519, or notary's shapes). */
  pkcs8: Uint8Array;
  /** `root`, `targets`, `snapshot`, `timestamp`, a delegation name or a docker signer name. */
  role: string;
  /** Required for targets/snapshot/timestamp keys, dropped for every other role (as notary's `AddKey` does). */
  gun?: string;
  /** Encrypts when non-empty; an empty or missing passphrase writes an unencrypted `PRIVATE KEY` block. */
  passphrase?: string;
  /** Deterministic encryption for tests: 8-byte salt and 16-byte IV (random by default). */
  salt?: Uint8Array;
  iv?: Uint8Array;
}

/**
 * A key file notary and docker can open, as notary itself writes it (§9.1, §9.2). Store it as
 * `<trustdir>/private/<keyId>.key` with mode 0600 (`keyId` from `parsePrivateKeyPkcs8`).
 * @example writeFileSync(`${dir}/private/${keyId}.key`, writePrivateKeyFile({ keyType: "ecdsa", pkcs8, role: "targets", gun, passphrase }), { mode: 0o600 });
 */
export function writePrivateKeyFile(opts: WritePrivateKeyFileOptions): string {
  const headers = keyFileHeaders(opts.role, opts.gun);
  const inner = toNotaryPkcs8(opts.pkcs8, opts.keyType);
  if (!opts.passphrase) return encodePem("PRIVATE KEY", inner, headers);
  const encOpts: { salt?: Uint8Array; iv?: Uint8Array } = {};
  if (opts.salt) encOpts.salt = opts.salt;
  if (opts.iv) encOpts.iv = opts.iv;
  return encodePem("ENCRYPTED PRIVATE KEY", encryptPkcs8(inner, opts.passphrase, encOpts), headers);
}

/**
 * Notary's unencrypted inner PKCS#8 for a key (what `convertTUFKeyToPKCS8` marshals). With `expectedType`, a key of
 * another type is `INPUT_INVALID`.
 * @example encodePem("PRIVATE KEY", toNotaryPkcs8(pkcs8), { role: "root" })
 */
export function toNotaryPkcs8(pkcs8: Uint8Array, expectedType?: PrivateKeyType): Uint8Array {
  let key: KeyObject;
  let keyType: PrivateKeyType;
  try {
    key = loadPkcs8(pkcs8);
    keyType = privateKeyTypeOf(key);
  } catch (e) {
    throw relabelDerError(e, "KEY_INVALID", "malformed PKCS#8 private key");
  }
  if (expectedType !== undefined && keyType !== expectedType) throw new NotaryError("INPUT_INVALID", `the key is ${keyType}, not ${expectedType}`);
  if (keyType === "ecdsa") return notaryEcdsaPkcs8(key);
  if (keyType === "rsa") {
    // Notary: version 0, rsaEncryption without the NULL parameter, the PKCS#1 key.
    const pkcs1 = new Uint8Array(key.export({ type: "pkcs1", format: "der" }));
    return encodeSequence(encodeInteger(0), encodeSequence(encodeOid(OID.rsaEncryption)), encodeOctetString(pkcs1));
  }
  // Notary's private Ed25519 OID around pub ‖ seed ‖ pub (`GenerateED25519Key`).
  const jwk = key.export({ format: "jwk" });
  const pub = fromBase64Url(jwk.x, 32);
  const privateBytes = concatBytes(pub, fromBase64Url(jwk.d, 32), pub);
  return encodeSequence(encodeInteger(0), encodeSequence(encodeOid(OID.notaryEd25519)), encodeOctetString(privateBytes));
}

/** Go `x509.MarshalECPrivateKey` inside PKCS#8 version 1: the curve both in the algorithm and in SEC 1's [0]. */
function notaryEcdsaPkcs8(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  const curveOid = Object.keys(EC_CURVES).find((oid) => EC_CURVES[oid]!.name === jwk.crv)!;
  const size = EC_CURVES[curveOid]!.size;
  const point = concatBytes(Uint8Array.of(4), fromBase64Url(jwk.x, size), fromBase64Url(jwk.y, size));
  const sec1 = encodeSequence(
    encodeInteger(1),
    encodeOctetString(fromBase64Url(jwk.d, size)),
    encodeExplicit(0, encodeOid(curveOid)),
    encodeExplicit(1, encodeBitString(point)),
  );
  return encodeSequence(encodeInteger(1), encodeSequence(encodeOid(OID.ecPublicKey), encodeOid(curveOid)), encodeOctetString(sec1));
}

/** A JWK number as exactly `size` big-endian bytes (Go pads the private scalar to the curve size). */
function fromBase64Url(value: string | undefined, size: number): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(value ?? "", "base64url"));
  const out = new Uint8Array(size);
  out.set(bytes.subarray(Math.max(0, bytes.length - size)), Math.max(0, size - bytes.length));
  return out;
}
