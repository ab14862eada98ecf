/** Key parsing for the resources: private keys (PEM, notary and docker key files, cached per process) and public keys. */
import { createHash, createPrivateKey } from "node:crypto";
import { NotaryError, PrivateKey, publicKeyFromSpki, publicKeyFromCertificatePem, type PublicKey } from "../../../sdk/src/index.ts";
import { readPrivateKeyFile } from "../../../sdk/src/crypto/keyfile.ts";
import { certificateToPem, decodePemBlocks, encodePem } from "../../../sdk/src/crypto/pem.ts";
import { inputError } from "./failures.ts";

const parsedKeys = new Map<string, PrivateKey>();

/**
 * Parse a private key PEM: PKCS#8 (plain or encrypted notary/docker files), SEC1 `EC PRIVATE KEY`, notary Ed25519.
 * Parsed keys are kept per process (keyed by a hash of PEM and passphrase): every resource of a run signs with the
 * same few keys, and parsing costs about a millisecond.
 */
export function parsePrivateKey(pem: string, field: string, passphrase?: string): PrivateKey {
  // The key of the previous call first: a run signs its many tags with the same key (the comparison is of the
  // strings' contents, cheaper than hashing them).
  if (lastParsed && lastParsed.pem === pem && lastParsed.passphrase === passphrase) return lastParsed.key;
  const key = parsePrivateKeyCached(pem, field, passphrase);
  if (typeof pem === "string") lastParsed = { pem, passphrase, key };
  return key;
}

let lastParsed: { pem: string; passphrase: string | undefined; key: PrivateKey } | undefined;

function parsePrivateKeyCached(pem: string, field: string, passphrase?: string): PrivateKey {
  const cacheKey = typeof pem === "string" ? createHash("sha256").update(pem).update("\0").update(passphrase ?? "").digest("hex") : "";
  const hit = cacheKey ? parsedKeys.get(cacheKey) : undefined;
  if (hit) return hit;
  const key = parsePrivateKeyUncached(pem, field, passphrase);
  if (parsedKeys.size > 1000) parsedKeys.clear();
  parsedKeys.set(cacheKey, key);
  return key;
}

function parsePrivateKeyUncached(pem: string, field: string, passphrase?: string): PrivateKey {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN")) throw inputError(field, "expected a PEM private key");
  try {
    // An encrypted notary/docker key file without an explicit passphrase: the CLIs' environment variables, chosen by
    // the file's `role:` header as notary and docker choose them.
    const parsed = readPrivateKeyFile(pem, passphrase ?? ((block: { role?: string }) => envPassphrase(block.role)));
    return PrivateKey.fromPkcs8(parsed.pkcs8);
  } catch (e) {
    if (e instanceof NotaryError && e.code !== "KEY_FILE_INVALID") {
      throw new NotaryError(e.code, `${field}: ${e.message}`, { details: { field } });
    }
    try {
      const k = createPrivateKey({ key: pem, format: "pem" });
      return PrivateKey.fromPkcs8(new Uint8Array(k.export({ type: "pkcs8", format: "der" })));
    } catch {
      throw inputError(field, "is not a private key that can be read (PKCS#8, EC PRIVATE KEY, or a notary/docker key file)");
    }
  }
}

/**
 * notary's `NOTARY_<ROLE>_PASSPHRASE` (delegation for any other alias), then docker's
 * `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE` / `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE` (reference §9.4).
 */
export function envPassphrase(role: string | undefined, env: Record<string, string | undefined> = process.env): string | undefined {
  const r = role ?? "";
  const notaryVar = r === "root" || r === "targets" || r === "snapshot" ? `NOTARY_${r.toUpperCase()}_PASSPHRASE` : "NOTARY_DELEGATION_PASSPHRASE";
  const dockerVar = r === "root" ? "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE" : "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE";
  return env[notaryVar] || env[dockerVar] || undefined;
}

/** Parse a public key PEM (`PUBLIC KEY`, docker `.pub` with `role:` header) or certificate. */
export function parsePublicKey(pem: string, field: string): PublicKey {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN")) throw inputError(field, "expected a PEM public key or certificate");
  let blocks;
  try {
    blocks = decodePemBlocks(pem);
  } catch (e) {
    throw inputError(field, `is not valid PEM: ${(e as Error).message}`);
  }
  const certificates = blocks.filter((b) => b.type === "CERTIFICATE");
  if (certificates.length > 0) {
    try {
      // Re-encoded the way Go's pem.Encode writes them, as notary does before computing key IDs.
      return publicKeyFromCertificatePem(certificates.map((b) => certificateToPem(b.bytes)).join(""));
    } catch (e) {
      throw inputError(field, `certificate cannot be read: ${(e as Error).message}`);
    }
  }
  const spki = blocks.find((b) => b.type === "PUBLIC KEY");
  if (!spki) throw inputError(field, "expected a PUBLIC KEY or CERTIFICATE PEM block");
  try {
    return publicKeyFromSpki(spki.bytes);
  } catch (e) {
    throw inputError(field, `public key cannot be read: ${(e as Error).message}`);
  }
}

export function publicKeyPem(key: PublicKey): string {
  if (key.keyType.endsWith("-x509")) return Buffer.from(key.public).toString("utf8");
  return encodePem("PUBLIC KEY", key.public);
}
