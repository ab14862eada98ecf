/**
 * Unencrypted private key DER → a node:crypto KeyObject, and the facts notary files a key under.
 *
 * node:crypto loads every ECDSA and RSA shape notary and docker write (PKCS#8 v0 and notary's v1, RSA without the
 * NULL parameter, SEC1, PKCS#1) and RFC 8410 Ed25519. Only notary's own Ed25519 form (a private OID holding
 * pub ‖ seed ‖ pub, `GenerateED25519Key`) is read here, because OpenSSL does not know it.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { bytesEqual } from "../encoding.ts";
import { decodeDer, readOctetString, readOid, readSmallInteger, relabelDerError, sequenceOf } from "./asn1-decode.ts";
import { encodeInteger, encodeOctetString, encodeOid, encodeSequence } from "./asn1-encode.ts";
import type { KeyId } from "./key-types.ts";
import { keyId } from "./keys.ts";
import { EC_CURVES, OID } from "./oid.ts";
import type { PrivateKeyType } from "./sign.ts";

/** The legacy (pre-PKCS#8) PEM block types notary's `ParsePEMPrivateKey` reads. */
export type LegacyKeyBlockType = "EC PRIVATE KEY" | "RSA PRIVATE KEY" | "ED25519 PRIVATE KEY";

/** A private key as notary knows it: type, standard PKCS#8, `keyval.public` bytes and canonical key ID. */
export interface PrivateKeyFacts {
  keyType: PrivateKeyType;
  /** Standard PKCS#8 DER (RFC 8410 form for Ed25519), loadable with `createPrivateKey({format:'der',type:'pkcs8'})`. */
  pkcs8: Uint8Array;
  /** What notary puts in `keyval.public`: DER SPKI for ecdsa/rsa, the raw 32 bytes for ed25519. */
  publicKey: Uint8Array;
  /** The canonical key ID, i.e. the file name notary stores the key under (`<keyId>.key`). */
  keyId: KeyId;
}

/** Algorithms handed to node:crypto; anything else but notary's Ed25519 is `KEY_UNSUPPORTED`, as in Go. */
const NODE_ALGORITHMS: ReadonlySet<string> = new Set([OID.ecPublicKey, OID.rsaEncryption, OID.ed25519]);

const GO_CURVES: ReadonlySet<string> = new Set(Object.values(EC_CURVES).map((c) => c.nodeName));

function invalid(message: string, cause?: unknown): NotaryError {
  return new NotaryError("KEY_INVALID", message, cause === undefined ? undefined : { cause });
}

function loadWithNode(der: Uint8Array, type: "pkcs8" | "sec1" | "pkcs1"): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der), format: "der", type });
  } catch (cause) {
    throw invalid("the private key cannot be loaded", cause);
  }
}

/** The algorithm and key octets of a PrivateKeyInfo (version 0, or 1 as notary writes ECDSA keys). */
function readPrivateKeyInfo(der: Uint8Array): { algorithm: string; privateKey: Uint8Array } {
  const fields = sequenceOf(decodeDer(der), "PrivateKeyInfo");
  const version = readSmallInteger(fields[0], "PrivateKeyInfo version");
  if (version !== 0 && version !== 1) throw invalid("unknown PKCS#8 version");
  const [algorithm] = sequenceOf(fields[1], "private key algorithm");
  return { algorithm: readOid(algorithm, "private key algorithm"), privateKey: readOctetString(fields[2], "private key") };
}

/**
 * A PKCS#8 PrivateKeyInfo: standard, RFC 8410 Ed25519, or notary's shapes.
 * @example const key = loadPkcs8(generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "der" }));
 */
export function loadPkcs8(der: Uint8Array): KeyObject {
  const { algorithm, privateKey } = readPrivateKeyInfo(der);
  if (algorithm === OID.notaryEd25519) return loadNotaryEd25519(privateKey);
  if (!NODE_ALGORITHMS.has(algorithm)) throw new NotaryError("KEY_UNSUPPORTED", `unsupported private key algorithm ${algorithm}`);
  return loadWithNode(der, "pkcs8");
}

/**
 * The body of a legacy `EC`/`RSA`/`ED25519 PRIVATE KEY` block (SEC 1, PKCS#1, notary's 96 Ed25519 bytes).
 * @example loadLegacyKey("EC PRIVATE KEY", block.bytes)
 */
export function loadLegacyKey(type: LegacyKeyBlockType, der: Uint8Array): KeyObject {
  if (type === "ED25519 PRIVATE KEY") return loadNotaryEd25519(der);
  decodeDer(der); // one whole DER element, as Go's parsers require
  return loadWithNode(der, type === "EC PRIVATE KEY" ? "sec1" : "pkcs1");
}

/** Notary's Ed25519 private bytes: pub(32) ‖ seed(32) ‖ pub(32), both copies of pub matching the seed. */
function loadNotaryEd25519(bytes: Uint8Array): KeyObject {
  if (bytes.length !== 96) throw invalid("malformed notary Ed25519 private key (expected 96 bytes)");
  const key = loadWithNode(rfc8410(bytes.subarray(32, 64)), "pkcs8");
  const pub = rawEd25519Public(key);
  if (!bytesEqual(pub, bytes.subarray(0, 32)) || !bytesEqual(pub, bytes.subarray(64, 96))) {
    throw invalid("notary Ed25519 private key: the public key does not match the seed");
  }
  return key;
}

function rfc8410(seed: Uint8Array): Uint8Array {
  return encodeSequence(encodeInteger(0), encodeSequence(encodeOid(OID.ed25519)), encodeOctetString(encodeOctetString(seed)));
}

function rawEd25519Public(key: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: "jwk" }).x ?? "", "base64url"));
}

/**
 * Notary's name for a key's type; a curve Go lacks or any other algorithm is `KEY_UNSUPPORTED`.
 * @example privateKeyTypeOf(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey) // "ecdsa"
 */
export function privateKeyTypeOf(key: KeyObject): PrivateKeyType {
  const type = key.asymmetricKeyType;
  if (type === "ec") {
    if (!GO_CURVES.has(key.asymmetricKeyDetails?.namedCurve ?? "")) throw new NotaryError("KEY_UNSUPPORTED", "unsupported elliptic curve");
    return "ecdsa";
  }
  if (type === "rsa" || type === "ed25519") return type;
  throw new NotaryError("KEY_UNSUPPORTED", `unsupported private key algorithm ${type ?? "(unknown)"}`);
}

/**
 * The facts notary files a key under: its type, standard PKCS#8, public key and canonical key ID.
 * @example describePrivateKey(loadPkcs8(der)).keyId // the key file's name without ".key"
 */
export function describePrivateKey(key: KeyObject): PrivateKeyFacts {
  const keyType = privateKeyTypeOf(key);
  const publicKey =
    keyType === "ed25519" ? rawEd25519Public(key) : new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  return {
    keyType,
    pkcs8: new Uint8Array(key.export({ type: "pkcs8", format: "der" })),
    publicKey,
    keyId: keyId({ keyType, public: publicKey }),
  };
}

/**
 * Describes an unencrypted PKCS#8 DER key (standard, RFC 8410 Ed25519, or notary's own shapes).
 * @example const { keyId } = parsePrivateKeyPkcs8(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "der" }));
 */
export function parsePrivateKeyPkcs8(der: Uint8Array): PrivateKeyFacts {
  try {
    return describePrivateKey(loadPkcs8(der));
  } catch (e) {
    throw relabelDerError(e, "KEY_INVALID", "malformed PKCS#8 private key");
  }
}
