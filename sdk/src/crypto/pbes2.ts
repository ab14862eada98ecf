/**
 * PKCS#5 v2 (PBES2) encryption of PKCS#8 keys: `ENCRYPTED PRIVATE KEY` blocks (reference §9.3).
 *
 * Writing must be notary's exact shape (`tuf/utils/pkcs8.go › convertTUFKeyToPKCS8Encrypted`): PBKDF2-HMAC-SHA1 with
 * no PRF or keyLength field, 8-byte salt, 2048 iterations, AES-256-CBC. Node's own PKCS#8 encryption writes an
 * hmacWithSHA256 PRF that notary ignores, so it is never used.
 *
 * Reading is ours too: node:crypto would open ECDSA and RSA files, but not notary's Ed25519 ones, and it would open
 * PBES1 files notary refuses and run any iteration count a file names. One decryption serves every key type.
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { TAG, decodeDer, decodeDerPrefix, readNull, readOctetString, readOid, readSmallInteger, relabelDerError, sequenceOf } from "./asn1-decode.ts";
import type { Asn1Element } from "./asn1-decode.ts";
import { encodeInteger, encodeOctetString, encodeOid, encodeSequence } from "./asn1-encode.ts";
import { OID } from "./oid.ts";

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
 * Decrypts an EncryptedPrivateKeyInfo. Returns the inner PrivateKeyInfo TLV and whether the rest was exactly valid
 * PKCS#7 padding (then a key that fails to parse is corrupt, not opened with a wrong passphrase). Unlike notary,
 * which always derives with HMAC-SHA1, an explicit PRF field is honoured. No DER at the start of the plaintext is
 * `KEY_PASSPHRASE_INCORRECT`; an unsupported scheme `KEY_UNSUPPORTED`; a malformed structure `KEY_FILE_INVALID`.
 * @example const { privateKeyInfo } = decryptPkcs8(decodePemBlocks(text)[0].bytes, passphrase);
 */
export function decryptPkcs8(der: Uint8Array, passphrase: string): { privateKeyInfo: Uint8Array; paddingValid: boolean } {
  let params: Pbes2Params;
  try {
    params = parsePbes2(der);
  } catch (e) {
    throw relabelDerError(e, "KEY_FILE_INVALID", "malformed encrypted PKCS#8 key");
  }
  const plain = pbes2Decrypt(params, passphrase);
  const privateKeyInfo = firstElementOf(plain);
  return { privateKeyInfo, paddingValid: pkcs7Unpadded(plain, 16) === privateKeyInfo.length };
}

interface Pbes2Params {
  salt: Uint8Array;
  iterations: number;
  hash: string;
  cipher: { name: string; keyLength: number };
  iv: Uint8Array;
  data: Uint8Array;
}

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

/** EncryptedPrivateKeyInfo ::= SEQUENCE { {pbes2, {kdf, encryptionScheme}}, encryptedData } (RFC 8018 A.4). */
function parsePbes2(der: Uint8Array): Pbes2Params {
  const [algId, dataEl, ...extra] = sequenceOf(decodeDer(der), "EncryptedPrivateKeyInfo");
  if (extra.length) throw new NotaryError("KEY_FILE_INVALID", "malformed encrypted PKCS#8 key");
  const [schemeOid, schemeParams] = sequenceOf(algId, "encryption algorithm");
  const scheme = readOid(schemeOid, "encryption scheme");
  if (scheme !== OID.pbes2) throw new NotaryError("KEY_UNSUPPORTED", `unsupported key encryption scheme ${scheme} (only PBES2 is supported)`);
  const [kdf, enc, ...more] = sequenceOf(schemeParams, "PBES2 parameters");
  if (more.length) throw new NotaryError("KEY_FILE_INVALID", "malformed PBES2 parameters");
  const { salt, iterations, keyLength, hash } = readPbkdf2(kdf);
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

/** PBKDF2-params ::= SEQUENCE { salt, iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1 }. */
function readPbkdf2(kdf: Asn1Element | undefined): { salt: Uint8Array; iterations: number; keyLength: number | undefined; hash: string } {
  const [kdfOid, kdfParams] = sequenceOf(kdf, "key derivation function");
  const kdfName = readOid(kdfOid, "key derivation function");
  if (kdfName !== OID.pbkdf2) throw new NotaryError("KEY_UNSUPPORTED", `unsupported key derivation function ${kdfName} (only PBKDF2)`);
  const p = sequenceOf(kdfParams, "PBKDF2 parameters");
  const salt = readOctetString(p[0], "PBKDF2 salt");
  const iterations = readSmallInteger(p[1], "PBKDF2 iteration count");
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) throw new NotaryError("KEY_UNSUPPORTED", "unsupported PBKDF2 iteration count");
  let i = 2;
  const keyLength = p[i]?.tag === TAG.INTEGER ? readSmallInteger(p[i++], "PBKDF2 key length") : undefined;
  const hash = p[i] === undefined ? "sha1" : readPrf(p[i++]!);
  if (i !== p.length) throw new NotaryError("KEY_FILE_INVALID", "malformed PBKDF2 parameters");
  return { salt, iterations, keyLength, hash };
}

function readPrf(el: Asn1Element): string {
  const [prfOid, prfParam] = sequenceOf(el, "PBKDF2 PRF");
  const prf = readOid(prfOid, "PBKDF2 PRF");
  if (prfParam !== undefined) readNull(prfParam, "PBKDF2 PRF parameters");
  const hash = PRF_HASH[prf];
  if (!hash) throw new NotaryError("KEY_UNSUPPORTED", `unsupported PBKDF2 PRF ${prf}`);
  return hash;
}

/**
 * The unpadded length when `plain` ends in valid PKCS#7 padding for `blockSize`, else -1.
 * @example pkcs7Unpadded(Uint8Array.of(7, 1), 16) // 1
 */
export function pkcs7Unpadded(plain: Uint8Array, blockSize: number): number {
  const last = plain[plain.length - 1];
  if (last === undefined || last === 0 || last > blockSize || last > plain.length) return -1;
  for (let k = plain.length - last; k < plain.length; k++) if (plain[k] !== last) return -1;
  return plain.length - last;
}

/**
 * The first TLV of decrypted data. Like Go, trailing bytes (the padding) are ignored; if there is no valid DER
 * at the start the passphrase was wrong.
 */
function firstElementOf(plain: Uint8Array): Uint8Array {
  try {
    const { element } = decodeDerPrefix(plain);
    if (element.tag !== TAG.SEQUENCE) throw new Error("not a SEQUENCE");
    return element.raw;
  } catch {
    throw new NotaryError("KEY_PASSPHRASE_INCORRECT", "incorrect passphrase: the key could not be decrypted");
  }
}
