/**
 * Public keys as notary represents them (reference §3): key objects, TUF key IDs and canonical key IDs.
 */
import { createHash, X509Certificate, createPublicKey } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { canonicalJson } from "../canonical-json.ts";
import { fromBase64, fromUtf8, toBase64, utf8 } from "../encoding.ts";
import { certificateBlocksOf } from "./pem.ts";
import type { KeyId, KeyJson, KeyType } from "./key-types.ts";

export const KEY_TYPES: readonly KeyType[] = ["ecdsa", "ecdsa-x509", "rsa", "rsa-x509", "ed25519"];

/** A public key: its notary key type and the decoded `keyval.public` bytes (DER SPKI, cert PEM text, or raw ed25519). */
export type PublicKey = { readonly keyType: KeyType; readonly public: Uint8Array };

export function sha256Hex(b: Uint8Array | string): string {
  return createHash("sha256").update(b).digest("hex");
}

/** The key object exactly as it appears in metadata. */
export function keyToJson(key: PublicKey): KeyJson {
  return { keytype: key.keyType, keyval: { private: null, public: toBase64(key.public) } };
}

export function keyFromJson(json: KeyJson, where = "key"): PublicKey {
  if (!(KEY_TYPES as readonly string[]).includes(json.keytype)) {
    throw new NotaryError("KEY_UNSUPPORTED", `${where} has unsupported key type ${JSON.stringify(json.keytype)}`);
  }
  return { keyType: json.keytype as KeyType, public: fromBase64(json.keyval.public, `${where} keyval.public`) };
}

/**
 * TUF key ID: lowercase hex SHA-256 of the canonical key object with `private: null` (`tuf/data/keys.go › ID`).
 *
 * @example
 * keyId({ keyType: "ecdsa", public: spkiDer }) // "3164dc79…"
 */
export function keyId(key: PublicKey): KeyId {
  return sha256Hex(canonicalJson(keyToJson(key)));
}

/** Key ID of a key object as found in metadata (same computation, without decoding the base64). */
export function keyJsonId(json: KeyJson): KeyId {
  return sha256Hex(canonicalJson({ keytype: json.keytype, keyval: { private: null, public: json.keyval.public } }));
}

const canonicalIdsByJson = new WeakMap<KeyJson, KeyId>();
/**
 * Canonical (private-key file) ID of a key object found in metadata, memoized per object: a publish or a thousand
 * resources checking the same delegation ask for the same few keys over and over.
 */
export function canonicalKeyIdOfJson(json: KeyJson): KeyId {
  let id = canonicalIdsByJson.get(json);
  if (id === undefined) canonicalIdsByJson.set(json, (id = canonicalKeyId(keyFromJson(json))));
  return id;
}

export function isX509Key(key: PublicKey): boolean {
  return key.keyType === "ecdsa-x509" || key.keyType === "rsa-x509";
}

/** Certificates in a PEM bundle (leaf first), parsed by node:crypto. */
export function certificatesOf(key: PublicKey): X509Certificate[] {
  const ders = certificateBlocksOf(fromUtf8(key.public));
  if (ders.length === 0) throw new NotaryError("X509_INVALID", `${key.keyType} key holds no PEM certificate`);
  try {
    return ders.map((der) => new X509Certificate(der));
  } catch (cause) {
    throw new NotaryError("X509_INVALID", `${key.keyType} key holds an unparseable certificate`, { cause });
  }
}

/** The plain key behind a key: for x509 keys, the leaf certificate's public key as `ecdsa`/`rsa` DER SPKI. */
export function plainKeyOf(key: PublicKey): PublicKey {
  if (!isX509Key(key)) return key;
  const leaf = certificatesOf(key)[0]!;
  const spki = new Uint8Array(leaf.publicKey.export({ type: "spki", format: "der" }));
  return { keyType: key.keyType === "ecdsa-x509" ? "ecdsa" : "rsa", public: spki };
}

/**
 * Canonical key ID (`tuf/utils/x509.go › CanonicalKeyID`): the ID of the private key, used as its file name.
 * Equal to the TUF ID except for x509 keys, where it is the ID of the certificate's public key.
 */
export function canonicalKeyId(key: PublicKey): KeyId {
  return keyId(plainKeyOf(key));
}

/** Build an `ecdsa`/`rsa` key from DER SPKI, or an `ed25519` key from its raw 32 bytes. */
export function publicKeyFromSpki(spki: Uint8Array): PublicKey {
  let k;
  try {
    k = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch (cause) {
    throw new NotaryError("KEY_INVALID", "public key is not valid DER SubjectPublicKeyInfo", { cause });
  }
  switch (k.asymmetricKeyType) {
    case "ec":
      return { keyType: "ecdsa", public: spki };
    case "rsa":
      return { keyType: "rsa", public: spki };
    case "ed25519": {
      const raw = spki.slice(spki.length - 32);
      return { keyType: "ed25519", public: raw };
    }
    default:
      throw new NotaryError("KEY_UNSUPPORTED", `unsupported public key algorithm ${k.asymmetricKeyType}`);
  }
}

/** A key from a certificate PEM (leaf first): `ecdsa-x509` or `rsa-x509`, encoded exactly as given. */
export function publicKeyFromCertificatePem(pem: string): PublicKey {
  const probe = { keyType: "ecdsa-x509" as KeyType, public: utf8(pem) };
  const leaf = certificatesOf(probe)[0]!;
  const t = leaf.publicKey.asymmetricKeyType;
  if (t !== "ec" && t !== "rsa") throw new NotaryError("KEY_UNSUPPORTED", `certificate key type ${t} is not supported`);
  return { keyType: t === "ec" ? "ecdsa-x509" : "rsa-x509", public: utf8(pem) };
}
