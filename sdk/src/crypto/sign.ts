/**
 * Private keys and signing (`notary: tuf/data/keys.go › ECDSAPrivateKey.Sign` and friends). A PrivateKey never
 * shows its secret in `JSON.stringify`, `util.inspect`, template strings or error messages.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, constants, type KeyObject } from "node:crypto";
import { inspect } from "node:util";
import { NotaryError } from "../errors.ts";
import { keyId, publicKeyFromSpki, type PublicKey } from "./keys.ts";
import { encodePem } from "./pem.ts";
import type { KeyId, SignatureMethod } from "./key-types.ts";

export type PrivateKeyType = "ecdsa" | "ed25519" | "rsa";

const secrets = new WeakMap<PrivateKey, KeyObject>();

/** A signing key. `id` is its canonical key ID (the name notary gives its key file). */
export class PrivateKey {
  readonly keyType: PrivateKeyType;
  /** The plain public key (`ecdsa`, `ed25519` or `rsa`). */
  readonly publicKey: PublicKey;
  readonly id: KeyId;
  readonly method: SignatureMethod;

  private constructor(keyObject: KeyObject) {
    const t = keyObject.asymmetricKeyType;
    if (t === "ec") {
      if (keyObject.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
        throw new NotaryError("KEY_UNSUPPORTED", "only P-256 ECDSA keys are supported for signing (notary uses P-256)");
      }
      this.keyType = "ecdsa";
      this.method = "ecdsa";
    } else if (t === "ed25519") {
      this.keyType = "ed25519";
      this.method = "eddsa";
    } else if (t === "rsa") {
      if ((keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
        throw new NotaryError("KEY_UNSUPPORTED", "RSA keys must have at least 2048 bits");
      }
      this.keyType = "rsa";
      this.method = "rsapss";
    } else {
      throw new NotaryError("KEY_UNSUPPORTED", `unsupported private key algorithm ${t}`);
    }
    secrets.set(this, keyObject);
    const spki = new Uint8Array(createPublicKey(keyObject).export({ type: "spki", format: "der" }));
    this.publicKey = publicKeyFromSpki(spki);
    this.id = keyId(this.publicKey);
  }

  /** A new random ECDSA P-256 key, the only kind notary generates. */
  static generate(): PrivateKey {
    return new PrivateKey(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
  }

  /** From unencrypted PKCS#8 DER (RFC 8410 form for Ed25519). */
  static fromPkcs8(der: Uint8Array): PrivateKey {
    let k: KeyObject;
    try {
      k = createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
    } catch (cause) {
      throw new NotaryError("KEY_INVALID", "private key is not valid PKCS#8 DER", { cause: redact(cause) });
    }
    return new PrivateKey(k);
  }

  /** Sign `msg` the way notary does: ECDSA SHA-256 raw r‖s, pure Ed25519, or RSA-PSS SHA-256 with 32-byte salt. */
  sign(msg: Uint8Array): Uint8Array {
    const k = secrets.get(this)!;
    switch (this.keyType) {
      case "ecdsa":
        return new Uint8Array(nodeSign("sha256", msg, { key: k, dsaEncoding: "ieee-p1363" }));
      case "ed25519":
        return new Uint8Array(nodeSign(null, msg, k));
      case "rsa":
        return new Uint8Array(nodeSign("sha256", msg, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
    }
  }

  /** Unencrypted PKCS#8 DER. Secret: handle with care. */
  exportPkcs8(): Uint8Array {
    return new Uint8Array(secrets.get(this)!.export({ type: "pkcs8", format: "der" }));
  }

  /** Unencrypted PKCS#8 PEM. Secret: handle with care. */
  exportPkcs8Pem(): string {
    return encodePem("PRIVATE KEY", this.exportPkcs8());
  }

  toJSON(): { keyType: string; id: string } {
    return { keyType: this.keyType, id: this.id };
  }

  toString(): string {
    return `PrivateKey(${this.keyType} ${this.id})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Strip anything that might echo key bytes from a lower-level error. */
function redact(e: unknown): Error {
  const code = (e as { code?: string }).code;
  return new Error(code ? `crypto error ${code}` : "crypto error");
}
