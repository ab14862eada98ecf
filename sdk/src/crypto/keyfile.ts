/**
 * Notary / Docker Content Trust private and public key files (reference §9).
 *
 * Reading accepts everything notary's `ParsePEMPrivateKey` accepts (encrypted and plain PKCS#8 including notary's own
 * Ed25519 form, legacy `EC`/`RSA`/`ED25519 PRIVATE KEY` blocks with optional RFC 1423 encryption) plus standard
 * PKCS#8 Ed25519 and PBES2 files whose PRF is not SHA-1. Keys come back as standard PKCS#8 that
 * `node:crypto.createPrivateKey` loads.
 *
 * Writing produces byte-for-byte what notary writes (`tuf/utils/pkcs8.go › convertTUFKeyToPKCS8Encrypted`): notary's
 * inner PrivateKeyInfo shape, PBES2 + PBKDF2-HMAC-SHA1 (8-byte salt, 2048 iterations, no PRF field) + AES-256-CBC.
 * Node's own PKCS#8 encryption is never used: it writes an hmacWithSHA256 PRF that notary ignores (§9.3).
 *
 * No error message contains key bytes or passphrases.
 */
import { createCipheriv, createDecipheriv, createECDH, createHash, createPrivateKey, createPublicKey, pbkdf2Sync, randomBytes } from "node:crypto";
import { NotaryError, isNotaryError } from "../errors.ts";
import type { NotaryErrorCode } from "../errors.ts";
import { bytesEqual, concatBytes, fromHex, toBase64 } from "../encoding.ts";
import {
  TAG,
  children,
  decodeDer,
  decodeDerPrefix,
  encodeBitString,
  encodeExplicit,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  expectTag,
  readOctetString,
  readOid,
  readSmallInteger,
  sequenceOf,
} from "./asn1.ts";
import type { Asn1Element } from "./asn1.ts";
import { EC_CURVES, OID, decodePemBlocks, encodePem, inspectSpki, parseCertificate } from "./x509.ts";
import type { PemBlock } from "./x509.ts";

import type { PrivateKeyType } from "./sign.ts";
export type { PrivateKeyType };

/** A private key as read from a key file. */
export interface PrivateKeyFile {
  keyType: PrivateKeyType;
  /** Standard PKCS#8 DER (RFC 8410 form for Ed25519), loadable with `createPrivateKey({format:'der',type:'pkcs8'})`. */
  pkcs8: Uint8Array;
  /** What notary puts in `keyval.public`: DER SPKI for ecdsa/rsa, the raw 32 bytes for ed25519. */
  publicKey: Uint8Array;
  /** The canonical key ID, i.e. the file name notary stores the key under (`<keyId>.key`). */
  keyId: string;
  role?: string;
  gun?: string;
  /** The `path` header written by `notary key export`. */
  path?: string;
  /** Every PEM header, verbatim. */
  headers: Record<string, string>;
  /** The PEM block type, e.g. "ENCRYPTED PRIVATE KEY". */
  blockType: string;
  encrypted: boolean;
}

/** What a passphrase callback is told about the block it must open. */
export interface KeyBlockInfo {
  blockType: string;
  role?: string;
  gun?: string;
  path?: string;
}

/** A passphrase, or a function choosing one per block (handy for multi-block `notary key export` files). */
export type PassphraseSource = string | ((block: KeyBlockInfo) => string | undefined);

/** Roles whose key files carry a `gun:` header (notary `trustmanager/keystore.go › AddKey`). */
const ROLES_WITH_GUN: ReadonlySet<string> = new Set(["targets", "snapshot", "timestamp"]);

// Decrypted or parsed key material, before choosing an output shape.
type KeyMaterial =
  | { keyType: "ecdsa"; curveOid: string; d: Uint8Array; point: Uint8Array }
  | { keyType: "rsa"; pkcs1: Uint8Array }
  | { keyType: "ed25519"; seed: Uint8Array; pub: Uint8Array };

// ---------------------------------------------------------------------------------------------------------------
// Key IDs
// ---------------------------------------------------------------------------------------------------------------

/**
 * The notary key ID of a public key: hex SHA-256 of the canonical JSON
 * `{"keytype":T,"keyval":{"private":null,"public":base64(publicKey)}}` (`tuf/data/keys.go › TUFKey.ID`). With a
 * plain `ecdsa`/`rsa` type and the leaf SPKI this is also the canonical ID of a certificate key.
 * @example keyIdOfPublicKey("ecdsa", spkiDer) // "830d7682…", the key's file name without ".key"
 */
export function keyIdOfPublicKey(keyType: string, publicKey: Uint8Array): string {
  if (!/^[a-z0-9-]+$/.test(keyType)) throw new NotaryError("INPUT_INVALID", "invalid key type");
  const json = `{"keytype":"${keyType}","keyval":{"private":null,"public":"${toBase64(publicKey)}"}}`;
  return createHash("sha256").update(json, "utf8").digest("hex");
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing key material
// ---------------------------------------------------------------------------------------------------------------

function invalid(message: string, cause?: unknown): NotaryError {
  return new NotaryError("KEY_INVALID", message, cause === undefined ? undefined : { cause });
}

/** Public point for scalar `d` (Go recomputes it and ignores any stored public key, so do we). */
function ecPublicPoint(curveOid: string, d: Uint8Array): Uint8Array {
  const curve = EC_CURVES[curveOid];
  if (!curve) throw new NotaryError("KEY_UNSUPPORTED", "unsupported elliptic curve");
  try {
    const ecdh = createECDH(curve.nodeName);
    ecdh.setPrivateKey(Buffer.from(d));
    return new Uint8Array(ecdh.getPublicKey());
  } catch (cause) {
    throw invalid("invalid elliptic curve private key value", cause);
  }
}

/** SEC 1 ECPrivateKey (`x509.ParseECPrivateKey` rules); `algCurveOid` is the curve from a PKCS#8 wrapper. */
function parseSec1(der: Uint8Array, algCurveOid: string | undefined): KeyMaterial {
  const fields = sequenceOf(decodeDer(der), "ECPrivateKey");
  if (readSmallInteger(fields[0], "ECPrivateKey version") !== 1) throw invalid("unknown EC private key version");
  let d = readOctetString(fields[1], "EC private key");
  let curveOid = algCurveOid;
  for (const f of fields.slice(2)) {
    if (f.tag === 0xa0 && curveOid === undefined) {
      const [oid, ...rest] = children(f);
      if (rest.length) throw invalid("malformed EC parameters");
      curveOid = readOid(oid, "named curve");
    } else if (f.tag !== 0xa0 && f.tag !== 0xa1) {
      throw invalid("unexpected field in ECPrivateKey");
    }
  }
  if (curveOid === undefined) throw invalid("EC private key does not name its curve");
  const curve = EC_CURVES[curveOid];
  if (!curve) throw new NotaryError("KEY_UNSUPPORTED", "unsupported elliptic curve");
  // Go tolerates extra leading zeros and missing leading zeros; normalise to the curve size.
  while (d.length > curve.size && d[0] === 0) d = d.subarray(1);
  if (d.length > curve.size) throw invalid("EC private key is too long for its curve");
  const padded = new Uint8Array(curve.size);
  padded.set(d, curve.size - d.length);
  return { keyType: "ecdsa", curveOid, d: padded, point: ecPublicPoint(curveOid, padded) };
}

function ed25519FromSeed(seed: Uint8Array): KeyMaterial {
  if (seed.length !== 32) throw invalid("Ed25519 seed must be 32 bytes");
  const jwk = createPrivateKey({ key: Buffer.from(rfc8410(seed)), format: "der", type: "pkcs8" }).export({ format: "jwk" });
  return { keyType: "ed25519", seed, pub: new Uint8Array(Buffer.from(jwk.x ?? "", "base64url")) };
}

/** Notary's Ed25519 private bytes: pub(32) ‖ seed(32) ‖ pub(32) (`GenerateED25519Key`). */
function parseNotaryEd25519(bytes: Uint8Array): KeyMaterial {
  if (bytes.length !== 96) throw invalid("malformed notary Ed25519 private key (expected 96 bytes)");
  const km = ed25519FromSeed(bytes.slice(32, 64));
  if (km.keyType !== "ed25519" || !bytesEqual(km.pub, bytes.subarray(0, 32)) || !bytesEqual(km.pub, bytes.subarray(64, 96))) {
    throw invalid("notary Ed25519 private key: the public key does not match the seed");
  }
  return km;
}

function rfc8410(seed: Uint8Array): Uint8Array {
  return encodeSequence(encodeInteger(0), encodeSequence(encodeOid(OID.ed25519)), encodeOctetString(encodeOctetString(seed)));
}

/** A PKCS#8 PrivateKeyInfo (standard or notary-shaped) as key material. Trailing bytes are the caller's business. */
function parsePrivateKeyInfo(el: Asn1Element): KeyMaterial {
  const fields = sequenceOf(el, "PrivateKeyInfo");
  const version = readSmallInteger(fields[0], "PrivateKeyInfo version");
  if (version !== 0 && version !== 1) throw invalid("unknown PKCS#8 version");
  const [algOid, param, ...more] = sequenceOf(fields[1], "private key algorithm");
  const alg = readOid(algOid, "private key algorithm");
  const privateKey = readOctetString(fields[2], "private key");
  for (const f of fields.slice(3)) if (f.tag !== 0xa0 && f.tag !== 0xa1 && f.tag !== 0x81) throw invalid("unexpected field in PrivateKeyInfo");
  if (alg === OID.ecPublicKey) {
    if (more.length) throw invalid("malformed EC algorithm identifier");
    const curve = param === undefined ? undefined : readOid(param, "named curve");
    return parseSec1(privateKey, curve);
  }
  if (alg === OID.rsaEncryption) {
    // Notary writes no NULL parameter; everyone else writes NULL. Both are accepted (Go ignores it).
    if (param !== undefined && (param.tag !== TAG.NULL || param.content.length !== 0)) throw invalid("malformed RSA algorithm identifier");
    if (more.length) throw invalid("malformed RSA algorithm identifier");
    return { keyType: "rsa", pkcs1: privateKey };
  }
  if (alg === OID.notaryEd25519) return parseNotaryEd25519(privateKey);
  if (alg === OID.ed25519) {
    if (param !== undefined) throw invalid("Ed25519 algorithm identifier must not have parameters");
    return ed25519FromSeed(readOctetString(decodeDer(privateKey), "Ed25519 seed"));
  }
  throw new NotaryError("KEY_UNSUPPORTED", `unsupported private key algorithm ${alg}`);
}

interface Normalized {
  keyType: PrivateKeyType;
  pkcs8: Uint8Array;
  publicKey: Uint8Array;
  /** Notary's inner (unencrypted) PKCS#8 shape. */
  notaryPkcs8: Uint8Array;
}

function normalize(km: KeyMaterial): Normalized {
  switch (km.keyType) {
    case "ecdsa": {
      const algId = encodeSequence(encodeOid(OID.ecPublicKey), encodeOid(km.curveOid));
      // OpenSSL 3 / Node form: curve only in the AlgorithmIdentifier.
      const pkcs8 = encodeSequence(
        encodeInteger(0),
        algId,
        encodeOctetString(encodeSequence(encodeInteger(1), encodeOctetString(km.d), encodeExplicit(1, encodeBitString(km.point)))),
      );
      // Go `x509.MarshalECPrivateKey` inside notary's `convertTUFKeyToPKCS8` (version 1, curve repeated in [0]).
      const notaryPkcs8 = encodeSequence(
        encodeInteger(1),
        algId,
        encodeOctetString(
          encodeSequence(encodeInteger(1), encodeOctetString(km.d), encodeExplicit(0, encodeOid(km.curveOid)), encodeExplicit(1, encodeBitString(km.point))),
        ),
      );
      checkLoadable(pkcs8);
      return { keyType: "ecdsa", pkcs8, publicKey: encodeSequence(algId, encodeBitString(km.point)), notaryPkcs8 };
    }
    case "rsa": {
      let key;
      try {
        key = createPrivateKey({ key: Buffer.from(km.pkcs1), format: "der", type: "pkcs1" });
      } catch (cause) {
        throw invalid("invalid RSA private key", cause);
      }
      const pkcs1 = new Uint8Array(key.export({ type: "pkcs1", format: "der" }));
      return {
        keyType: "rsa",
        pkcs8: new Uint8Array(key.export({ type: "pkcs8", format: "der" })),
        publicKey: new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" })),
        // Notary: version 0, rsaEncryption without the NULL parameter, PKCS#1 key.
        notaryPkcs8: encodeSequence(encodeInteger(0), encodeSequence(encodeOid(OID.rsaEncryption)), encodeOctetString(pkcs1)),
      };
    }
    case "ed25519":
      return {
        keyType: "ed25519",
        pkcs8: rfc8410(km.seed),
        publicKey: km.pub,
        notaryPkcs8: encodeSequence(
          encodeInteger(0),
          encodeSequence(encodeOid(OID.notaryEd25519)),
          encodeOctetString(concatBytes(km.pub, km.seed, km.pub)),
        ),
      };
  }
}

function checkLoadable(pkcs8: Uint8Array): void {
  try {
    createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
  } catch (cause) {
    throw invalid("the private key cannot be loaded", cause);
  }
}

/** Re-labels low-level DER errors with `code`; keeps other NotaryErrors. */
function relabel(e: unknown, code: NotaryErrorCode, message: string): NotaryError {
  if (isNotaryError(e) && (e as NotaryError).code !== "ENCODING_INVALID") return e as NotaryError;
  return new NotaryError(code, message, { cause: e });
}

/**
 * Describes an unencrypted PKCS#8 DER key (standard, RFC 8410 Ed25519, or notary's own shapes): its type, its
 * standard PKCS#8 form, its public key as notary encodes it, and its canonical key ID.
 * @example const { keyId } = parsePrivateKeyPkcs8(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "der" }));
 */
export function parsePrivateKeyPkcs8(der: Uint8Array): { keyType: PrivateKeyType; pkcs8: Uint8Array; publicKey: Uint8Array; keyId: string } {
  let n: Normalized;
  try {
    n = normalize(parsePrivateKeyInfo(decodeDer(der)));
  } catch (e) {
    throw relabel(e, "KEY_INVALID", "malformed PKCS#8 private key");
  }
  return { keyType: n.keyType, pkcs8: n.pkcs8, publicKey: n.publicKey, keyId: keyIdOfPublicKey(n.keyType, n.publicKey) };
}

/**
 * Notary's unencrypted inner PKCS#8 for a key (what `convertTUFKeyToPKCS8` marshals).
 * @example encodePem("PRIVATE KEY", toNotaryPkcs8(pkcs8), { role: "root" })
 */
export function toNotaryPkcs8(pkcs8: Uint8Array): Uint8Array {
  try {
    return normalize(parsePrivateKeyInfo(decodeDer(pkcs8))).notaryPkcs8;
  } catch (e) {
    throw relabel(e, "KEY_INVALID", "malformed PKCS#8 private key");
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PBES2 (PKCS#5 v2) encryption
// ---------------------------------------------------------------------------------------------------------------

const PRF_HASH: Readonly<Record<string, string>> = {
  [OID.hmacWithSha1]: "sha1",
  [OID.hmacWithSha224]: "sha224",
  [OID.hmacWithSha256]: "sha256",
  [OID.hmacWithSha384]: "sha384",
  [OID.hmacWithSha512]: "sha512",
};

const PBES2_CIPHERS: Readonly<Record<string, { name: string; keyLength: number }>> = {
  [OID.aes128Cbc]: { name: "aes-128-cbc", keyLength: 16 },
  [OID.aes192Cbc]: { name: "aes-192-cbc", keyLength: 24 },
  [OID.aes256Cbc]: { name: "aes-256-cbc", keyLength: 32 },
};

/** Upper bound on PBKDF2 iterations we are willing to run for a file (notary uses 2048; OpenSSL 3 uses 2048). */
const MAX_PBKDF2_ITERATIONS = 10_000_000;

/**
 * Encrypts an (unencrypted) PKCS#8 DER exactly as notary does: PBES2, PBKDF2 with HMAC-SHA1 and no PRF/keyLength
 * fields, 2048 iterations, AES-256-CBC with PKCS#7 padding. `salt` (8 bytes) and `iv` (16 bytes) default to random.
 * @example encodePem("ENCRYPTED PRIVATE KEY", encryptPkcs8(toNotaryPkcs8(pkcs8), passphrase), { role: "root" })
 */
export function encryptPkcs8(der: Uint8Array, passphrase: string, opts: { salt?: Uint8Array; iv?: Uint8Array } = {}): Uint8Array {
  const salt = opts.salt ?? new Uint8Array(randomBytes(8));
  const iv = opts.iv ?? new Uint8Array(randomBytes(16));
  if (salt.length !== 8 || iv.length !== 16) throw new NotaryError("INPUT_INVALID", "salt must be 8 bytes and iv 16 bytes");
  const iterations = 2048;
  // notary `convertTUFKeyToPKCS8Encrypted`: pbkdf2.Key(password, salt, 2048, 32, sha1.New)
  const key = pbkdf2Sync(Buffer.from(passphrase, "utf8"), salt, iterations, 32, "sha1");
  const cipher = createCipheriv("aes-256-cbc", key, iv); // PKCS#7 padding, as notary pads
  const encrypted = Buffer.concat([cipher.update(der), cipher.final()]);
  key.fill(0);
  return encodeSequence(
    encodeSequence(
      encodeOid(OID.pbes2),
      encodeSequence(
        encodeSequence(encodeOid(OID.pbkdf2), encodeSequence(encodeOctetString(salt), encodeInteger(iterations))),
        encodeSequence(encodeOid(OID.aes256Cbc), encodeOctetString(iv)),
      ),
    ),
    encodeOctetString(encrypted),
  );
}

/**
 * Decrypts an EncryptedPrivateKeyInfo and returns the inner PrivateKeyInfo TLV (padding dropped). Unlike notary,
 * which always derives with HMAC-SHA1, an explicit PRF field is honoured. A wrong passphrase gives
 * `KEY_PASSPHRASE_INCORRECT`; an unsupported scheme `KEY_UNSUPPORTED`; a malformed structure `KEY_FILE_INVALID`.
 * @example const privateKeyInfo = decryptPkcs8(decodePemBlocks(text)[0].bytes, passphrase);
 */
export function decryptPkcs8(der: Uint8Array, passphrase: string): Uint8Array {
  let params: Pbes2Params;
  try {
    params = parsePbes2(der);
  } catch (e) {
    throw relabel(e, "KEY_FILE_INVALID", "malformed encrypted PKCS#8 key");
  }
  return extractDecrypted(pbes2Decrypt(params, passphrase));
}

type Pbes2Params = ReturnType<typeof parsePbes2>;

function pbes2Decrypt(params: Pbes2Params, passphrase: string): Uint8Array {
  const key = pbkdf2Sync(Buffer.from(passphrase, "utf8"), params.salt, params.iterations, params.cipher.keyLength, params.hash);
  try {
    const decipher = createDecipheriv(params.cipher.name, key, params.iv);
    decipher.setAutoPadding(false); // notary does not check the padding (Go's ASN.1 parser ignores trailing bytes)
    return new Uint8Array(Buffer.concat([decipher.update(params.data), decipher.final()]));
  } finally {
    key.fill(0);
  }
}

function parsePbes2(der: Uint8Array) {
  const [algId, dataEl, ...extra] = sequenceOf(decodeDer(der), "EncryptedPrivateKeyInfo");
  if (extra.length) throw new NotaryError("KEY_FILE_INVALID", "malformed encrypted PKCS#8 key");
  const [schemeOid, schemeParams] = sequenceOf(algId, "encryption algorithm");
  const scheme = readOid(schemeOid, "encryption scheme");
  if (scheme !== OID.pbes2) throw new NotaryError("KEY_UNSUPPORTED", `unsupported key encryption scheme ${scheme} (only PBES2 is supported)`);
  const [kdf, enc, ...more] = sequenceOf(schemeParams, "PBES2 parameters");
  if (more.length) throw new NotaryError("KEY_FILE_INVALID", "malformed PBES2 parameters");
  const [kdfOid, kdfParams] = sequenceOf(kdf, "key derivation function");
  const kdfName = readOid(kdfOid, "key derivation function");
  if (kdfName !== OID.pbkdf2) throw new NotaryError("KEY_UNSUPPORTED", `unsupported key derivation function ${kdfName} (only PBKDF2)`);
  const p = sequenceOf(kdfParams, "PBKDF2 parameters");
  const salt = readOctetString(p[0], "PBKDF2 salt");
  const iterations = readSmallInteger(p[1], "PBKDF2 iteration count");
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) throw new NotaryError("KEY_UNSUPPORTED", "unsupported PBKDF2 iteration count");
  let i = 2;
  let keyLength: number | undefined;
  if (p[i]?.tag === TAG.INTEGER) keyLength = readSmallInteger(p[i++], "PBKDF2 key length");
  let hash = "sha1";
  if (p[i] !== undefined) {
    const [prfOid, prfParam] = sequenceOf(p[i++], "PBKDF2 PRF");
    const prf = readOid(prfOid, "PBKDF2 PRF");
    if (prfParam !== undefined && (prfParam.tag !== TAG.NULL || prfParam.content.length !== 0)) throw new NotaryError("KEY_FILE_INVALID", "malformed PRF");
    const h = PRF_HASH[prf];
    if (!h) throw new NotaryError("KEY_UNSUPPORTED", `unsupported PBKDF2 PRF ${prf}`);
    hash = h;
  }
  if (i !== p.length) throw new NotaryError("KEY_FILE_INVALID", "malformed PBKDF2 parameters");
  const [cipherOid, ivEl] = sequenceOf(enc, "encryption scheme");
  const cipherName = readOid(cipherOid, "cipher");
  const cipher = PBES2_CIPHERS[cipherName];
  if (!cipher) throw new NotaryError("KEY_UNSUPPORTED", `unsupported cipher ${cipherName} (AES-CBC only)`);
  if (keyLength !== undefined && keyLength !== cipher.keyLength) throw new NotaryError("KEY_FILE_INVALID", "PBKDF2 key length does not match the cipher");
  const iv = readOctetString(ivEl, "IV");
  if (iv.length !== 16) throw new NotaryError("KEY_FILE_INVALID", "the IV must be 16 bytes");
  const data = readOctetString(dataEl, "encrypted data");
  if (data.length === 0 || data.length % 16 !== 0) throw new NotaryError("KEY_FILE_INVALID", "encrypted data is not a whole number of blocks");
  return { salt, iterations, hash, cipher, iv, data };
}

/** True when `plain` ends in valid PKCS#7 padding for `blockSize`; returns the unpadded length or -1. */
function pkcs7Unpadded(plain: Uint8Array, blockSize: number): number {
  const last = plain[plain.length - 1];
  if (last === undefined || last === 0 || last > blockSize || last > plain.length) return -1;
  for (let k = plain.length - last; k < plain.length; k++) if (plain[k] !== last) return -1;
  return plain.length - last;
}

/**
 * The first TLV of decrypted data. Like Go, trailing bytes (the padding) are ignored; if there is no valid DER
 * at the start the passphrase was wrong.
 */
function extractDecrypted(plain: Uint8Array): Uint8Array {
  try {
    const { element } = decodeDerPrefix(plain);
    if (element.tag !== TAG.SEQUENCE) throw new Error("not a SEQUENCE");
    return element.raw;
  } catch {
    throw new NotaryError("KEY_PASSPHRASE_INCORRECT", "incorrect passphrase: the key could not be decrypted");
  }
}

/** Whether decrypted data is exactly one TLV plus correct padding (then a parse failure means a corrupt key). */
function looksCorrectlyDecrypted(plain: Uint8Array, tlv: Uint8Array, blockSize: number): boolean {
  return pkcs7Unpadded(plain, blockSize) === tlv.length;
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 1423 (legacy "Proc-Type: 4,ENCRYPTED" + "DEK-Info") blocks
// ---------------------------------------------------------------------------------------------------------------

const RFC1423_CIPHERS: Readonly<Record<string, { name: string; keySize: number; blockSize: number }>> = {
  "DES-CBC": { name: "des-cbc", keySize: 8, blockSize: 8 },
  "DES-EDE3-CBC": { name: "des-ede3-cbc", keySize: 24, blockSize: 8 },
  "AES-128-CBC": { name: "aes-128-cbc", keySize: 16, blockSize: 16 },
  "AES-192-CBC": { name: "aes-192-cbc", keySize: 24, blockSize: 16 },
  "AES-256-CBC": { name: "aes-256-cbc", keySize: 32, blockSize: 16 },
};

/** Go `x509.DecryptPEMBlock`: EVP_BytesToKey(MD5, salt = IV[:8], 1 round), CBC, strict PKCS#7 padding. */
function decryptRfc1423(block: PemBlock, passphrase: string): Uint8Array {
  const dek = block.headers["DEK-Info"] ?? "";
  const comma = dek.indexOf(",");
  const cipher = RFC1423_CIPHERS[dek.slice(0, comma < 0 ? undefined : comma)];
  if (comma < 0 || !cipher) throw new NotaryError("KEY_UNSUPPORTED", "unsupported DEK-Info cipher");
  let iv: Uint8Array;
  try {
    iv = fromHex(dek.slice(comma + 1), "DEK-Info IV");
  } catch (cause) {
    throw new NotaryError("KEY_FILE_INVALID", "malformed DEK-Info IV", { cause });
  }
  if (iv.length !== cipher.blockSize) throw new NotaryError("KEY_FILE_INVALID", "malformed DEK-Info IV");
  const data = block.bytes;
  if (data.length === 0 || data.length % cipher.blockSize !== 0) throw new NotaryError("KEY_FILE_INVALID", "encrypted PEM data has an invalid length");
  const pass = Buffer.from(passphrase, "utf8");
  const key = Buffer.alloc(cipher.keySize);
  let digest = Buffer.alloc(0);
  for (let off = 0; off < key.length; off += digest.length) {
    digest = createHash("md5").update(digest).update(pass).update(iv.subarray(0, 8)).digest();
    digest.copy(key, off);
  }
  let plain: Uint8Array;
  try {
    const d = createDecipheriv(cipher.name, key, iv);
    d.setAutoPadding(false);
    plain = new Uint8Array(Buffer.concat([d.update(data), d.final()]));
  } catch (cause) {
    throw new NotaryError("KEY_UNSUPPORTED", `cipher ${cipher.name} is not available`, { cause });
  } finally {
    key.fill(0);
  }
  const n = pkcs7Unpadded(plain, cipher.blockSize);
  if (n < 0) throw new NotaryError("KEY_PASSPHRASE_INCORRECT", "incorrect passphrase: the key could not be decrypted");
  return plain.subarray(0, n);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading key files
// ---------------------------------------------------------------------------------------------------------------

function blockInfo(block: PemBlock): KeyBlockInfo {
  const info: KeyBlockInfo = { blockType: block.type };
  const { role, gun, path } = block.headers;
  if (role !== undefined) info.role = role;
  if (gun !== undefined) info.gun = gun;
  if (path !== undefined) info.path = path;
  return info;
}

function requirePassphrase(source: PassphraseSource | undefined, info: KeyBlockInfo): string {
  const p = typeof source === "function" ? source(info) : source;
  if (p === undefined || p === "") {
    throw new NotaryError("KEY_PASSPHRASE_REQUIRED", `a passphrase is required to open this ${info.role ?? "private"} key`, {
      details: { ...info },
    });
  }
  return p;
}

/** Parses decrypted inner bytes; a failure right after a clean decryption is a corrupt key, else a wrong passphrase. */
function parseDecrypted(parse: () => KeyMaterial, cleanlyDecrypted: boolean): KeyMaterial {
  try {
    return parse();
  } catch (e) {
    if (isNotaryError(e) && (e as NotaryError).code === "KEY_UNSUPPORTED") throw e;
    if (cleanlyDecrypted) throw relabel(e, "KEY_INVALID", "malformed private key");
    throw new NotaryError("KEY_PASSPHRASE_INCORRECT", "incorrect passphrase: the key could not be decrypted", { cause: e });
  }
}

function readBlock(block: PemBlock, passphrase: PassphraseSource | undefined): PrivateKeyFile {
  const info = blockInfo(block);
  let km: KeyMaterial;
  let encrypted = false;
  switch (block.type) {
    case "ENCRYPTED PRIVATE KEY": {
      encrypted = true;
      const pass = requirePassphrase(passphrase, info);
      let params: Pbes2Params;
      try {
        params = parsePbes2(block.bytes);
      } catch (e) {
        throw relabel(e, "KEY_FILE_INVALID", "malformed encrypted PKCS#8 key");
      }
      const plain = pbes2Decrypt(params, pass);
      const tlv = extractDecrypted(plain);
      km = parseDecrypted(() => parsePrivateKeyInfo(decodeDer(tlv)), looksCorrectlyDecrypted(plain, tlv, 16));
      break;
    }
    case "PRIVATE KEY":
      try {
        km = parsePrivateKeyInfo(decodeDer(block.bytes));
      } catch (e) {
        throw relabel(e, "KEY_INVALID", "malformed PKCS#8 private key");
      }
      break;
    case "EC PRIVATE KEY":
    case "RSA PRIVATE KEY":
    case "ED25519 PRIVATE KEY": {
      let bytes = block.bytes;
      encrypted = block.headers["DEK-Info"] !== undefined;
      if (encrypted) bytes = decryptRfc1423(block, requirePassphrase(passphrase, info));
      const parse = (): KeyMaterial =>
        block.type === "EC PRIVATE KEY"
          ? parseSec1(bytes, undefined)
          : block.type === "RSA PRIVATE KEY"
            ? { keyType: "rsa", pkcs1: expectTag(decodeDer(bytes), TAG.SEQUENCE, "RSAPrivateKey").raw }
            : parseNotaryEd25519(bytes);
      km = encrypted ? parseDecrypted(parse, isSingleTlv(bytes) || block.type === "ED25519 PRIVATE KEY") : relabelled(parse);
      break;
    }
    default:
      throw new NotaryError(
        block.type.endsWith("PRIVATE KEY") ? "KEY_UNSUPPORTED" : "KEY_FILE_INVALID",
        `unsupported PEM block type "${block.type}" (expected a private key)`,
      );
  }
  let n: Normalized;
  try {
    n = normalize(km);
  } catch (e) {
    throw relabel(e, "KEY_INVALID", "malformed private key");
  }
  const out: PrivateKeyFile = {
    keyType: n.keyType,
    pkcs8: n.pkcs8,
    publicKey: n.publicKey,
    keyId: keyIdOfPublicKey(n.keyType, n.publicKey),
    headers: { ...block.headers },
    blockType: block.type,
    encrypted,
  };
  if (info.role !== undefined) out.role = info.role;
  if (info.gun !== undefined) out.gun = info.gun;
  if (info.path !== undefined) out.path = info.path;
  return out;
}

function isSingleTlv(b: Uint8Array): boolean {
  try {
    decodeDer(b);
    return true;
  } catch {
    return false;
  }
}

function relabelled(parse: () => KeyMaterial): KeyMaterial {
  try {
    return parse();
  } catch (e) {
    throw relabel(e, "KEY_INVALID", "malformed private key");
  }
}

function privateKeyBlocks(pemText: string): PemBlock[] {
  if (typeof pemText !== "string") throw new NotaryError("INPUT_INVALID", "the key file must be given as text");
  const blocks = decodePemBlocks(pemText, "KEY_FILE_INVALID");
  if (blocks.length === 0) throw new NotaryError("KEY_FILE_INVALID", "no PEM block found in the key file");
  return blocks;
}

/**
 * Reads the first PEM block of a private key file (as notary's `ParsePEMPrivateKey` does). `passphrase` is needed
 * only for encrypted blocks; a missing one gives `KEY_PASSPHRASE_REQUIRED`, a wrong one `KEY_PASSPHRASE_INCORRECT`.
 * @example const key = readPrivateKeyFile(readFileSync(`${trustDir}/private/${id}.key`, "utf8"), "targetspass123");
 */
export function readPrivateKeyFile(pemText: string, passphrase?: PassphraseSource): PrivateKeyFile {
  const first = privateKeyBlocks(pemText)[0]!;
  return readBlock(first, passphrase);
}

/**
 * Reads every PEM block (e.g. `notary key export` output); each must be a private key. Pass a function as
 * `passphrase` when blocks use different passphrases.
 * @example readPrivateKeyFiles(text, (b) => (b.role === "root" ? rootPass : repoPass))
 */
export function readPrivateKeyFiles(pemText: string, passphrase?: PassphraseSource): PrivateKeyFile[] {
  return privateKeyBlocks(pemText).map((b) => readBlock(b, passphrase));
}

// ---------------------------------------------------------------------------------------------------------------
// Writing key files
// ---------------------------------------------------------------------------------------------------------------

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
  const { role } = opts;
  if (typeof role !== "string" || role === "" || /[\r\n]/.test(role)) throw new NotaryError("INPUT_INVALID", "a key file needs a role");
  const headers: Record<string, string> = { role };
  if (ROLES_WITH_GUN.has(role)) {
    if (!opts.gun || /[\r\n]/.test(opts.gun)) throw new NotaryError("INPUT_INVALID", `a ${role} key file needs a GUN`);
    headers["gun"] = opts.gun;
  }
  let n: Normalized;
  try {
    n = normalize(parsePrivateKeyInfo(decodeDer(opts.pkcs8)));
  } catch (e) {
    throw relabel(e, "KEY_INVALID", "malformed PKCS#8 private key");
  }
  if (n.keyType !== opts.keyType) throw new NotaryError("INPUT_INVALID", `the key is ${n.keyType}, not ${opts.keyType}`);
  if (!opts.passphrase) return encodePem("PRIVATE KEY", n.notaryPkcs8, headers);
  const encOpts: { salt?: Uint8Array; iv?: Uint8Array } = {};
  if (opts.salt) encOpts.salt = opts.salt;
  if (opts.iv) encOpts.iv = opts.iv;
  return encodePem("ENCRYPTED PRIVATE KEY", encryptPkcs8(n.notaryPkcs8, opts.passphrase, encOpts), headers);
}

// ---------------------------------------------------------------------------------------------------------------
// Public key files
// ---------------------------------------------------------------------------------------------------------------

export interface PublicKeyPem {
  /** `spki` for a PUBLIC KEY block, `certificate` for a CERTIFICATE block. */
  kind: "spki" | "certificate";
  /** The SPKI DER, or the certificate DER. */
  der: Uint8Array;
  /** The key's type (the leaf key's for a certificate). Notary accepts only ecdsa and rsa here. */
  keyType: "ecdsa" | "rsa" | "ed25519";
  role?: string;
  headers: Record<string, string>;
}

/**
 * Reads the first block of a docker `.pub` / `notary key generate` `.pem` file (PUBLIC KEY with a `role:` header) or
 * a certificate, like notary's `ParsePEMPublicKey`.
 * @example const { der, role } = readPublicKeyPem(readFileSync("alice.pub", "utf8"));
 */
export function readPublicKeyPem(text: string): PublicKeyPem {
  const blocks = decodePemBlocks(text, "KEY_FILE_INVALID");
  const block = blocks[0];
  if (!block) throw new NotaryError("KEY_FILE_INVALID", "no PEM block found");
  let keyType: string;
  if (block.type === "PUBLIC KEY") {
    try {
      keyType = inspectSpki(block.bytes).keyAlgorithm;
    } catch (e) {
      throw relabel(e, "KEY_INVALID", "malformed public key");
    }
  } else if (block.type === "CERTIFICATE") {
    keyType = parseCertificate(block.bytes).keyAlgorithm;
  } else {
    throw new NotaryError("KEY_FILE_INVALID", `unsupported PEM block type "${block.type}", expected CERTIFICATE or PUBLIC KEY`);
  }
  if (keyType !== "ecdsa" && keyType !== "rsa" && keyType !== "ed25519") throw new NotaryError("KEY_UNSUPPORTED", `unsupported public key type ${keyType}`);
  const out: PublicKeyPem = { kind: block.type === "PUBLIC KEY" ? "spki" : "certificate", der: block.bytes, keyType, headers: { ...block.headers } };
  const role = block.headers["role"];
  if (role !== undefined) out.role = role;
  return out;
}

/**
 * A PUBLIC KEY PEM with an optional `role:` header, byte-identical to `docker trust key generate`'s `<name>.pub`
 * and `notary key generate`'s `<name>.pem`.
 * @example writeFileSync("alice.pub", writePublicKeyPem(spki, "alice"), { mode: 0o600 });
 */
export function writePublicKeyPem(spkiDer: Uint8Array, role?: string): string {
  try {
    inspectSpki(spkiDer);
  } catch (e) {
    throw relabel(e, "KEY_INVALID", "malformed public key");
  }
  return encodePem("PUBLIC KEY", spkiDer, role ? { role } : {});
}
