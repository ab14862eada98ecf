/**
 * The self-signed root certificate notary and docker generate (reference §3.4): notary `tuf/utils/x509.go ›
 * NewCertificate` + Go `x509.CreateCertificate`. It must match Go's in structure byte for byte, and its PEM must be
 * Go's: notary recomputes key IDs from its own re-encoding.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { encodeBitString, encodeBoolean, encodeExplicit, encodeInteger, encodeNull, encodeOctetString, encodeOid, encodeSequence, encodeSet } from "./asn1-encode.ts";
import { encodeGoString, encodeGoTime } from "./asn1-text.ts";
import { OID } from "./oid.ts";
import { certificateToPem } from "./pem.ts";

export interface CreateRootCertificateOptions {
  /** The GUN; becomes the subject and issuer CN. */
  gun: string;
  /** The root private key as PKCS#8 DER (P-256 as notary generates; P-384, P-521 and RSA >= 2048 also work). */
  privateKeyPkcs8: Uint8Array;
  /** Usually "now" (notary does not back-date). Truncated to whole seconds, as Go does. */
  notBefore: Date;
  /** Default: notBefore + 3650 days (notary's default root certificate lifetime). */
  notAfter?: Date;
  /** Default: uniformly random in [0, 2^128), as notary does. */
  serial?: bigint;
}

interface SigningParams {
  hash: "sha256" | "sha384" | "sha512";
  algorithmIdentifier: Uint8Array;
  dsaEncoding?: "der";
}

function signingParamsFor(key: KeyObject): SigningParams {
  const type = key.asymmetricKeyType;
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    // Go `x509.signingParamsForPublicKey`: the hash follows the curve size.
    if (curve === "prime256v1") return { hash: "sha256", algorithmIdentifier: encodeSequence(encodeOid(OID.ecdsaWithSha256)), dsaEncoding: "der" };
    if (curve === "secp384r1") return { hash: "sha384", algorithmIdentifier: encodeSequence(encodeOid(OID.ecdsaWithSha384)), dsaEncoding: "der" };
    if (curve === "secp521r1") return { hash: "sha512", algorithmIdentifier: encodeSequence(encodeOid(OID.ecdsaWithSha512)), dsaEncoding: "der" };
    throw new NotaryError("KEY_UNSUPPORTED", `unsupported elliptic curve ${curve ?? "(unknown)"} for a root certificate`);
  }
  if (type === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new NotaryError("KEY_UNSUPPORTED", "RSA root keys must be at least 2048 bits");
    return { hash: "sha256", algorithmIdentifier: encodeSequence(encodeOid(OID.sha256WithRsa), encodeNull()) };
  }
  throw new NotaryError("KEY_UNSUPPORTED", `unsupported root key type ${type ?? "(unknown)"}; notary root keys are ECDSA or RSA`);
}

function loadPkcs8(der: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
  } catch (cause) {
    throw new NotaryError("KEY_INVALID", "the private key is not valid PKCS#8 DER", { cause });
  }
}

/** RDNSequence with a single CN, string type chosen as Go's `encoding/asn1` does. */
function encodeCommonNameName(cn: string): Uint8Array {
  return encodeSequence(encodeSet(encodeSequence(encodeOid(OID.commonName), encodeGoString(cn))));
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  // Go omits `critical` when false (DEFAULT FALSE).
  return critical
    ? encodeSequence(encodeOid(oid), encodeBoolean(true), encodeOctetString(value))
    : encodeSequence(encodeOid(oid), encodeOctetString(value));
}

/** Go `x509.KeyUsage` bits. */
export const KEY_USAGE = {
  digitalSignature: 1 << 0,
  contentCommitment: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  certSign: 1 << 5,
  crlSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

/** Go `marshalKeyUsage`: bits reversed into a BIT STRING with trailing zero bits trimmed. */
function encodeKeyUsage(ku: number): Uint8Array {
  const reverse = (b: number) => {
    let r = 0;
    for (let i = 0; i < 8; i++) if (b & (1 << i)) r |= 0x80 >> i;
    return r;
  };
  const a0 = reverse(ku & 0xff);
  const a1 = reverse((ku >> 8) & 0xff);
  const bytes = a1 !== 0 ? Uint8Array.of(a0, a1) : Uint8Array.of(a0);
  const last = bytes[bytes.length - 1]!;
  let unused = 0;
  if (last !== 0) while (((last >> unused) & 1) === 0) unused++;
  return encodeBitString(bytes, unused);
}

function checkGun(gun: unknown): asserts gun is string {
  // Go's asn1 marshaller refuses invalid UTF-8; in JS that is a lone surrogate.
  if (typeof gun !== "string" || gun.length === 0 || /\p{Surrogate}/u.test(gun)) {
    throw new NotaryError("INPUT_INVALID", "the GUN must be a non-empty, well-formed string");
  }
}

/** Validity as Go encodes it (years 0..9999); notary's default lifetime is 3650 days. */
function validityOf(opts: CreateRootCertificateOptions): Uint8Array {
  const notBefore = opts.notBefore;
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + 3650 * 24 * 3600 * 1000);
  for (const d of [notBefore, notAfter]) {
    if (!(d instanceof Date) || Number.isNaN(d.getTime()) || d.getUTCFullYear() < 0 || d.getUTCFullYear() > 9999) {
      throw new NotaryError("INPUT_INVALID", "certificate validity dates must be valid dates with years 0..9999");
    }
  }
  if (notAfter.getTime() < notBefore.getTime()) throw new NotaryError("INPUT_INVALID", "notAfter is before notBefore");
  return encodeSequence(encodeGoTime(notBefore), encodeGoTime(notAfter));
}

/** The serial: random in [0, 2^128) unless given; RFC 5280 caps it at 20 octets. */
function serialOf(opts: CreateRootCertificateOptions): Uint8Array {
  const serial = opts.serial ?? BigInt("0x" + randomBytes(16).toString("hex"));
  if (typeof serial !== "bigint" || serial < 0n) throw new NotaryError("INPUT_INVALID", "the serial number must be a non-negative bigint");
  const serialDer = encodeInteger(serial);
  if (serialDer.length - 2 > 20) throw new NotaryError("INPUT_INVALID", "the serial number must fit in 20 octets");
  return serialDer;
}

/** notary `NewCertificate`: KeyUsage digitalSignature+keyEncipherment (critical), codeSigning, CA:FALSE (critical). */
function rootExtensions(): Uint8Array {
  return encodeSequence(
    extension(OID.keyUsage, true, encodeKeyUsage(KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment)),
    extension(OID.extKeyUsage, false, encodeSequence(encodeOid(OID.extKeyUsageCodeSigning))),
    // isCA=false and no path length: Go omits both fields, leaving an empty SEQUENCE.
    extension(OID.basicConstraints, true, encodeSequence()),
  );
}

/** Builds the DER of a notary-style self-signed root certificate. See `createRootCertificate`. */
export function createRootCertificateDer(opts: CreateRootCertificateOptions): Uint8Array {
  checkGun(opts.gun);
  const key = loadPkcs8(opts.privateKeyPkcs8);
  const params = signingParamsFor(key);
  const validity = validityOf(opts);
  const serial = serialOf(opts);
  const spki = new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  const name = encodeCommonNameName(opts.gun);
  const tbs = encodeSequence(
    encodeExplicit(0, encodeInteger(2)),
    serial,
    params.algorithmIdentifier,
    name,
    validity,
    name,
    spki,
    encodeExplicit(3, rootExtensions()),
  );
  const signature = nodeSign(params.hash, tbs, params.dsaEncoding ? { key, dsaEncoding: params.dsaEncoding } : key);
  return encodeSequence(tbs, params.algorithmIdentifier, encodeBitString(new Uint8Array(signature)));
}

/**
 * A self-signed root certificate exactly as notary/docker generate it (§3.4): v3, random 128-bit serial,
 * subject = issuer = CN=<gun>, critical KeyUsage digitalSignature+keyEncipherment, ExtKeyUsage codeSigning,
 * critical BasicConstraints CA:FALSE, ECDSA-SHA256 signature for P-256 keys. Returns Go-identical PEM.
 * @example
 * const pem = createRootCertificate({ gun: "example.com/app", privateKeyPkcs8, notBefore: now, notAfter: addDays(now, 3650) });
 * const key = { keytype: "ecdsa-x509", keyval: { private: null, public: toBase64(utf8(pem)) } };
 */
export function createRootCertificate(opts: CreateRootCertificateOptions): string {
  return certificateToPem(createRootCertificateDer(opts));
}
