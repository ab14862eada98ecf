/** Object identifiers and named curves shared by certificates and key files. */

/** Object identifiers (dotted form) used by certificates and key files. */
export const OID = {
  commonName: "2.5.4.3",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  basicConstraints: "2.5.29.19",
  extKeyUsageCodeSigning: "1.3.6.1.5.5.7.3.3",
  ecPublicKey: "1.2.840.10045.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  dsa: "1.2.840.10040.4.1",
  ed25519: "1.3.101.112",
  /** Notary's private Ed25519 OID (used only inside its PKCS#8 files). */
  notaryEd25519: "1.3.6.1.4.1.11591.15.1",
  p224: "1.3.132.0.33",
  p256: "1.2.840.10045.3.1.7",
  p384: "1.3.132.0.34",
  p521: "1.3.132.0.35",
  ecdsaWithSha1: "1.2.840.10045.4.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
  md5WithRsa: "1.2.840.113549.1.1.4",
  sha1WithRsa: "1.2.840.113549.1.1.5",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  sha384WithRsa: "1.2.840.113549.1.1.12",
  sha512WithRsa: "1.2.840.113549.1.1.13",
  rsassaPss: "1.2.840.113549.1.1.10",
  dsaWithSha1: "1.2.840.10040.4.3",
  dsaWithSha256: "2.16.840.1.101.3.4.3.2",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSha1: "1.2.840.113549.2.7",
  hmacWithSha224: "1.2.840.113549.2.8",
  hmacWithSha256: "1.2.840.113549.2.9",
  hmacWithSha384: "1.2.840.113549.2.10",
  hmacWithSha512: "1.2.840.113549.2.11",
  aes128Cbc: "2.16.840.1.101.3.4.1.2",
  aes192Cbc: "2.16.840.1.101.3.4.1.22",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
} as const;

/** Named curves Go supports, by OID. */
export const EC_CURVES: Readonly<Record<string, { name: "P-224" | "P-256" | "P-384" | "P-521"; nodeName: string; size: number }>> = {
  [OID.p224]: { name: "P-224", nodeName: "secp224r1", size: 28 },
  [OID.p256]: { name: "P-256", nodeName: "prime256v1", size: 32 },
  [OID.p384]: { name: "P-384", nodeName: "secp384r1", size: 48 },
  [OID.p521]: { name: "P-521", nodeName: "secp521r1", size: 66 },
};
