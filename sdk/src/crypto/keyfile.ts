/**
 * Notary / Docker Content Trust key files (reference §9), as the SDK, the CLI and the provider use them: reading
 * (keyfile-read.ts), writing as notary writes (keyfile-write.ts), their headers (keyfile-headers.ts) and public
 * key files (public-key-file.ts).
 */
import type { KeyId, KeyType } from "./key-types.ts";
import { keyId } from "./keys.ts";

export { readPrivateKeyFile, readPrivateKeyFiles } from "./keyfile-read.ts";
export type { PrivateKeyFile } from "./keyfile-read.ts";
export { writePrivateKeyFile, toNotaryPkcs8 } from "./keyfile-write.ts";
export type { WritePrivateKeyFileOptions } from "./keyfile-write.ts";
export type { KeyBlockInfo, PassphraseSource } from "./keyfile-headers.ts";
export { readPublicKeyPem, writePublicKeyPem } from "./public-key-file.ts";
export type { PublicKeyPem } from "./public-key-file.ts";
export { parsePrivateKeyPkcs8 } from "./private-key-der.ts";
export type { PrivateKeyType } from "./sign.ts";

/**
 * The key ID of a key file's `(type, public bytes)` pair: `keyId` in keys.ts, for callers holding the two apart.
 * @example keyIdOfPublicKey("ecdsa", spkiDer) // "830d7682…", the key's file name without ".key"
 */
export function keyIdOfPublicKey(keyType: KeyType, publicKey: Uint8Array): KeyId {
  return keyId({ keyType, public: publicKey });
}
