/**
 * Legacy PEM encryption (RFC 1423: `Proc-Type: 4,ENCRYPTED` + `DEK-Info`), as Go's `x509.DecryptPEMBlock` reads it
 * for old notary and OpenSSL `EC`/`RSA`/`ED25519 PRIVATE KEY` files. Ours because OpenSSL does not know notary's
 * `ED25519 PRIVATE KEY` blocks; node:crypto then loads the decrypted ECDSA and RSA keys.
 */
import { createDecipheriv, createHash } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { fromHex } from "../encoding.ts";
import { pkcs7Unpadded } from "./pbes2.ts";
import type { PemBlock } from "./pem.ts";

const RFC1423_CIPHERS: Readonly<Record<string, { name: string; keySize: number; blockSize: number }>> = {
  "DES-CBC": { name: "des-cbc", keySize: 8, blockSize: 8 },
  "DES-EDE3-CBC": { name: "des-ede3-cbc", keySize: 24, blockSize: 8 },
  "AES-128-CBC": { name: "aes-128-cbc", keySize: 16, blockSize: 16 },
  "AES-192-CBC": { name: "aes-192-cbc", keySize: 24, blockSize: 16 },
  "AES-256-CBC": { name: "aes-256-cbc", keySize: 32, blockSize: 16 },
};

/**
 * Is this legacy block encrypted (has a `DEK-Info` header)?
 * @example isRfc1423Encrypted(decodePemBlocks(text)[0]) // true for `openssl ec -aes256` output
 */
export function isRfc1423Encrypted(block: PemBlock): boolean {
  return block.headers["DEK-Info"] !== undefined;
}

/** `DEK-Info: <cipher>,<hex IV>`. */
function readDekInfo(block: PemBlock): { cipher: { name: string; keySize: number; blockSize: number }; iv: Uint8Array } {
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
  return { cipher, iv };
}

/** OpenSSL's EVP_BytesToKey with MD5, one round, salt = IV[:8] (what Go's `DecryptPEMBlock` derives). */
function deriveKey(passphrase: string, salt: Uint8Array, size: number): Buffer {
  const pass = Buffer.from(passphrase, "utf8");
  const key = Buffer.alloc(size);
  let digest = Buffer.alloc(0);
  for (let off = 0; off < key.length; off += digest.length) {
    digest = createHash("md5").update(digest).update(pass).update(salt).digest();
    digest.copy(key, off);
  }
  return key;
}

/**
 * Go `x509.DecryptPEMBlock`: CBC with strict PKCS#7 padding; bad padding is `KEY_PASSPHRASE_INCORRECT`.
 * @example const der = decryptRfc1423(block, passphrase); // then SEC 1, PKCS#1 or notary Ed25519 bytes
 */
export function decryptRfc1423(block: PemBlock, passphrase: string): Uint8Array {
  const { cipher, iv } = readDekInfo(block);
  const data = block.bytes;
  if (data.length === 0 || data.length % cipher.blockSize !== 0) throw new NotaryError("KEY_FILE_INVALID", "encrypted PEM data has an invalid length");
  const key = deriveKey(passphrase, iv.subarray(0, 8), cipher.keySize);
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
