/**
 * The names notary gives keys and signature methods on the wire (reference §3, §4). They live with the crypto code
 * that gives them meaning; metadata/types.ts re-exports them for the metadata models.
 */

export type KeyType = "ecdsa" | "ecdsa-x509" | "rsa" | "rsa-x509" | "ed25519";
export type SignatureMethod = "ecdsa" | "eddsa" | "rsapss" | "rsapkcs1v15";

/** A lowercase hex SHA-256 key ID. */
export type KeyId = string;

/** Key object as it appears in metadata: `{"keytype":…,"keyval":{"private":null,"public":<base64>}}`. */
export type KeyJson = { keytype: string; keyval: { private: null; public: string } };
