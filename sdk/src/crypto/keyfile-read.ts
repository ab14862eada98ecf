/**
 * Reading notary's and docker's private key files (reference §9): everything notary's `ParsePEMPrivateKey` accepts
 * (encrypted and plain PKCS#8 including notary's own Ed25519 form, legacy `EC`/`RSA`/`ED25519 PRIVATE KEY` blocks
 * with optional RFC 1423 encryption) plus standard PKCS#8 Ed25519 and PBES2 files whose PRF is not SHA-1.
 *
 * We decrypt (pbes2.ts, rfc1423.ts); node:crypto loads the keys (private-key-der.ts). No error message contains
 * key bytes or passphrases.
 */
import type { KeyObject } from "node:crypto";
import { NotaryError, isNotaryError } from "../errors.ts";
import { decodeDer, relabelDerError } from "./asn1-decode.ts";
import { keyBlockInfo, requirePassphrase } from "./keyfile-headers.ts";
import type { KeyBlockInfo, PassphraseSource } from "./keyfile-headers.ts";
import { decryptPkcs8 } from "./pbes2.ts";
import { decodePemBlocks } from "./pem.ts";
import type { PemBlock } from "./pem.ts";
import { describePrivateKey, loadLegacyKey, loadPkcs8 } from "./private-key-der.ts";
import type { LegacyKeyBlockType, PrivateKeyFacts } from "./private-key-der.ts";
import { decryptRfc1423, isRfc1423Encrypted } from "./rfc1423.ts";

/** A private key as read from a key file. */
export interface PrivateKeyFile extends PrivateKeyFacts {
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

/**
 * Reads the first PEM block of a private key file (as notary's `ParsePEMPrivateKey` does). `passphrase` is needed
 * only for encrypted blocks; a missing one gives `KEY_PASSPHRASE_REQUIRED`, a wrong one `KEY_PASSPHRASE_INCORRECT`.
 * @example const key = readPrivateKeyFile(readFileSync(`${trustDir}/private/${id}.key`, "utf8"), "targetspass123");
 */
export function readPrivateKeyFile(pemText: string, passphrase?: PassphraseSource): PrivateKeyFile {
  return readKeyBlock(privateKeyBlocks(pemText)[0]!, passphrase);
}

/**
 * Reads every PEM block (e.g. `notary key export` output); each must be a private key. Pass a function as
 * `passphrase` when blocks use different passphrases.
 * @example readPrivateKeyFiles(text, (b) => (b.role === "root" ? rootPass : repoPass))
 */
export function readPrivateKeyFiles(pemText: string, passphrase?: PassphraseSource): PrivateKeyFile[] {
  return privateKeyBlocks(pemText).map((b) => readKeyBlock(b, passphrase));
}

function privateKeyBlocks(pemText: string): PemBlock[] {
  if (typeof pemText !== "string") throw new NotaryError("INPUT_INVALID", "the key file must be given as text");
  const blocks = decodePemBlocks(pemText, "KEY_FILE_INVALID");
  if (blocks.length === 0) throw new NotaryError("KEY_FILE_INVALID", "no PEM block found in the key file");
  return blocks;
}

function readKeyBlock(block: PemBlock, passphrase: PassphraseSource | undefined): PrivateKeyFile {
  const info = keyBlockInfo(block);
  const { key, encrypted } = openKeyBlock(block, passphrase, info);
  const { blockType: _, ...headerFields } = info;
  return { ...describePrivateKey(key), ...headerFields, headers: { ...block.headers }, blockType: block.type, encrypted };
}

function openKeyBlock(block: PemBlock, passphrase: PassphraseSource | undefined, info: KeyBlockInfo): { key: KeyObject; encrypted: boolean } {
  switch (block.type) {
    case "ENCRYPTED PRIVATE KEY":
      return { key: openEncryptedPkcs8(block.bytes, requirePassphrase(passphrase, info)), encrypted: true };
    case "PRIVATE KEY":
      return { key: loadRelabelled(() => loadPkcs8(block.bytes)), encrypted: false };
    case "EC PRIVATE KEY":
    case "RSA PRIVATE KEY":
    case "ED25519 PRIVATE KEY":
      return openLegacyBlock(block, block.type, passphrase, info);
    default:
      throw new NotaryError(
        block.type.endsWith("PRIVATE KEY") ? "KEY_UNSUPPORTED" : "KEY_FILE_INVALID",
        `unsupported PEM block type "${block.type}" (expected a private key)`,
      );
  }
}

function openEncryptedPkcs8(der: Uint8Array, passphrase: string): KeyObject {
  const { privateKeyInfo, paddingValid } = decryptPkcs8(der, passphrase);
  return loadDecrypted(() => loadPkcs8(privateKeyInfo), paddingValid);
}

function openLegacyBlock(
  block: PemBlock,
  type: LegacyKeyBlockType,
  passphrase: PassphraseSource | undefined,
  info: KeyBlockInfo,
): { key: KeyObject; encrypted: boolean } {
  if (!isRfc1423Encrypted(block)) return { key: loadRelabelled(() => loadLegacyKey(type, block.bytes)), encrypted: false };
  const der = decryptRfc1423(block, requirePassphrase(passphrase, info));
  // The padding was valid; one whole DER element (or notary's raw Ed25519 bytes) means the right passphrase too.
  const cleanlyDecrypted = type === "ED25519 PRIVATE KEY" || isOneElement(der);
  return { key: loadDecrypted(() => loadLegacyKey(type, der), cleanlyDecrypted), encrypted: true };
}

/** A key that fails to load right after a clean decryption is corrupt; otherwise the passphrase was wrong. */
function loadDecrypted(load: () => KeyObject, cleanlyDecrypted: boolean): KeyObject {
  try {
    return load();
  } catch (e) {
    if (isNotaryError(e, "KEY_UNSUPPORTED")) throw e;
    if (cleanlyDecrypted) throw relabelDerError(e, "KEY_INVALID", "malformed private key");
    throw new NotaryError("KEY_PASSPHRASE_INCORRECT", "incorrect passphrase: the key could not be decrypted", { cause: e });
  }
}

function loadRelabelled(load: () => KeyObject): KeyObject {
  try {
    return load();
  } catch (e) {
    throw relabelDerError(e, "KEY_INVALID", "malformed private key");
  }
}

function isOneElement(der: Uint8Array): boolean {
  try {
    decodeDer(der);
    return true;
  } catch {
    return false;
  }
}
