/**
 * Checking a certificate's signature. Root validation does not need it (notary trusts root certificates by key ID
 * when no CA is pinned); it checks that the certificates `createRootCertificate` makes verify as Go's would.
 */
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { OID } from "./oid.ts";
import { parseCertificate } from "./x509-parse.ts";
import type { ParsedCertificate } from "./x509-parse.ts";

const VERIFY_HASH: Readonly<Record<string, string | null>> = {
  [OID.ecdsaWithSha256]: "sha256",
  [OID.ecdsaWithSha384]: "sha384",
  [OID.ecdsaWithSha512]: "sha512",
  [OID.sha256WithRsa]: "sha256",
  [OID.sha384WithRsa]: "sha384",
  [OID.sha512WithRsa]: "sha512",
  [OID.ed25519]: null,
};

/**
 * True when `cert`'s signature verifies with `issuerSpkiDer` (the certificate's own key when omitted, i.e. a
 * self-signed check). Supports ECDSA-SHA256/384/512, SHA256/384/512-RSA (PKCS#1 v1.5) and Ed25519; anything
 * else (notably SHA-1 algorithms, which notary rejects) throws `X509_INVALID`.
 * @example verifyCertificateSignature(parseCertificate(pem)) // true for a notary root certificate
 */
export function verifyCertificateSignature(cert: ParsedCertificate | Uint8Array | string, issuerSpkiDer?: Uint8Array): boolean {
  const c = cert instanceof Uint8Array || typeof cert === "string" ? parseCertificate(cert) : cert;
  const hash = VERIFY_HASH[c.signatureAlgorithmOid];
  if (hash === undefined) throw new NotaryError("X509_INVALID", `unsupported certificate signature algorithm ${c.signatureAlgorithm}`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(issuerSpkiDer ?? c.publicKeySpkiDer), format: "der", type: "spki" });
  } catch (cause) {
    throw new NotaryError("X509_INVALID", "the issuer public key cannot be loaded", { cause });
  }
  try {
    return key.asymmetricKeyType === "ec"
      ? nodeVerify(hash, c.tbsDer, { key, dsaEncoding: "der" }, c.signature)
      : nodeVerify(hash, c.tbsDer, key, c.signature);
  } catch {
    return false;
  }
}
