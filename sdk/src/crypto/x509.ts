/**
 * X.509 and PEM for Notary v1: the self-signed root certificate notary/docker generate (reference §3.4), a strict
 * certificate parser exposing what notary's validation looks at, and Go-compatible PEM encoding/decoding.
 *
 * Root certificates must be byte-for-byte what Go would produce in structure, and PEM must be exactly Go's
 * `pem.EncodeToMemory` output: notary recomputes key IDs from its own PEM re-encoding of the certificate.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { NotaryError, isNotaryError } from "../errors.ts";
import type { NotaryErrorCode } from "../errors.ts";
import { fromBase64, toBase64 } from "../encoding.ts";
import {
  TAG,
  children,
  decodeDer,
  encodeBitString,
  encodeBoolean,
  encodeExplicit,
  encodeGoString,
  encodeGoTime,
  encodeInteger,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  expectTag,
  readBitString,
  readBitStringBytes,
  readBoolean,
  readInteger,
  readOctetString,
  readOid,
  readString,
  readTime,
  readUnsignedIntegerBytes,
  sequenceOf,
} from "./asn1.ts";
import type { Asn1Element } from "./asn1.ts";

/** Object identifiers used by certificates and key files. */
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

// ---------------------------------------------------------------------------------------------------------------
// PEM (Go `encoding/pem` semantics)
// ---------------------------------------------------------------------------------------------------------------

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Uint8Array;
}

const BEGIN_RE = /^-----BEGIN (.*)-----$/;
const END_RE = /^-----END (.*)-----$/;

/**
 * All PEM blocks in `text`, in order. Text outside blocks is ignored (as Go does). Header lines are `key: value`
 * lines directly after the BEGIN line; the body is strict standard base64 (spaces, tabs and CR ignored).
 * A malformed block throws `errorCode` (default `ENCODING_INVALID`).
 * @example const [block] = decodePemBlocks(keyFileText, "KEY_FILE_INVALID"); block.headers.role // "targets"
 */
export function decodePemBlocks(text: string, errorCode: NotaryErrorCode = "ENCODING_INVALID"): PemBlock[] {
  const lines = text.split("\n").map((l) => l.replace(/[ \t\r]+$/, ""));
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN_RE.exec(lines[i]!);
    if (!begin) continue;
    const type = begin[1]!;
    const headers: Record<string, string> = {};
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      const colon = line.indexOf(":");
      if (colon < 0 || END_RE.test(line)) break;
      headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
    let body = "";
    let ended = false;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      const end = END_RE.exec(line);
      if (end) {
        if (end[1] !== type) throw new NotaryError(errorCode, `PEM block "${type}" ends with a mismatched END line`);
        ended = true;
        break;
      }
      if (BEGIN_RE.test(line)) break;
      body += line.replace(/[ \t\r]/g, "");
    }
    if (!ended) throw new NotaryError(errorCode, `PEM block "${type}" has no END line`);
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(body, "PEM body");
    } catch (cause) {
      throw new NotaryError(errorCode, `PEM block "${type}" does not contain valid base64`, { cause });
    }
    blocks.push({ type, headers, bytes });
    i = j;
  }
  return blocks;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * PEM exactly as Go's `pem.EncodeToMemory`: `Proc-Type` header first, other headers sorted (byte order), a blank
 * line after headers, base64 in 64-character lines each ending with `\n`, and a final `\n`.
 * @example encodePem("PUBLIC KEY", spkiDer, { role: "alice" })
 */
export function encodePem(type: string, der: Uint8Array, headers: Record<string, string> = {}): string {
  if (/[\r\n]/.test(type) || type.includes("-----")) throw new NotaryError("INPUT_INVALID", "invalid PEM block type");
  let out = `-----BEGIN ${type}-----\n`;
  const keys = Object.keys(headers);
  if (keys.length > 0) {
    for (const k of keys) {
      const v = headers[k]!;
      if (k.includes(":") || /[\r\n]/.test(k) || /[\r\n]/.test(v)) {
        throw new NotaryError("INPUT_INVALID", "PEM header keys must not contain ':' or line breaks, values no line breaks");
      }
    }
    const rest = keys.filter((k) => k !== "Proc-Type").sort(compareUtf8);
    if (keys.includes("Proc-Type")) out += `Proc-Type: ${headers["Proc-Type"]}\n`;
    for (const k of rest) out += `${k}: ${headers[k]}\n`;
    out += "\n";
  }
  const b64 = toBase64(der);
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + "\n";
  out += `-----END ${type}-----\n`;
  return out;
}

/** `pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})`. */
export function certificateToPem(der: Uint8Array): string {
  return encodePem("CERTIFICATE", der);
}

/**
 * The DER of every CERTIFICATE block, in order (leaf first for notary bundles). Like notary's
 * `LoadCertBundleFromPEM`, any other block type is an error, and so is finding no certificate.
 * @example const [leaf, ...intermediates] = splitPemCertificates(Buffer.from(key.keyval.public, "base64").toString());
 */
export function splitPemCertificates(pem: string): Uint8Array[] {
  const blocks = decodePemBlocks(pem, "X509_INVALID");
  const out: Uint8Array[] = [];
  for (const b of blocks) {
    if (b.type !== "CERTIFICATE") throw new NotaryError("X509_INVALID", `unexpected PEM block type "${b.type}" in certificate bundle`);
    out.push(b.bytes);
  }
  if (out.length === 0) throw new NotaryError("X509_INVALID", "no certificates found in PEM data");
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Root certificate generation (notary `tuf/utils/x509.go › NewCertificate` + Go `x509.CreateCertificate`)
// ---------------------------------------------------------------------------------------------------------------

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

/** Builds the DER of a notary-style self-signed root certificate. See `createRootCertificate`. */
export function createRootCertificateDer(opts: CreateRootCertificateOptions): Uint8Array {
  const { gun } = opts;
  // Go's asn1 marshaller refuses invalid UTF-8; in JS that is a lone surrogate.
  if (typeof gun !== "string" || gun.length === 0 || /\p{Surrogate}/u.test(gun)) {
    throw new NotaryError("INPUT_INVALID", "the GUN must be a non-empty, well-formed string");
  }
  const key = loadPkcs8(opts.privateKeyPkcs8);
  const params = signingParamsFor(key);
  const notBefore = opts.notBefore;
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + 3650 * 24 * 3600 * 1000);
  for (const d of [notBefore, notAfter]) {
    if (!(d instanceof Date) || Number.isNaN(d.getTime()) || d.getUTCFullYear() < 0 || d.getUTCFullYear() > 9999) {
      throw new NotaryError("INPUT_INVALID", "certificate validity dates must be valid dates with years 0..9999");
    }
  }
  if (notAfter.getTime() < notBefore.getTime()) throw new NotaryError("INPUT_INVALID", "notAfter is before notBefore");
  const serial = opts.serial ?? BigInt("0x" + randomBytes(16).toString("hex"));
  if (typeof serial !== "bigint" || serial < 0n) throw new NotaryError("INPUT_INVALID", "the serial number must be a non-negative bigint");
  const serialDer = encodeInteger(serial);
  if (serialDer.length - 2 > 20) throw new NotaryError("INPUT_INVALID", "the serial number must fit in 20 octets");

  const spki = new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  const name = encodeCommonNameName(gun);
  const extensions = encodeSequence(
    extension(OID.keyUsage, true, encodeKeyUsage(KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment)),
    extension(OID.extKeyUsage, false, encodeSequence(encodeOid(OID.extKeyUsageCodeSigning))),
    // isCA=false and no path length: Go omits both fields, leaving an empty SEQUENCE.
    extension(OID.basicConstraints, true, encodeSequence()),
  );
  const tbs = encodeSequence(
    encodeExplicit(0, encodeInteger(2)),
    serialDer,
    params.algorithmIdentifier,
    name,
    encodeSequence(encodeGoTime(notBefore), encodeGoTime(notAfter)),
    name,
    spki,
    encodeExplicit(3, extensions),
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

// ---------------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------------

export type CertificateKeyAlgorithm = "ecdsa" | "rsa" | "ed25519" | "dsa" | "unknown";

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface ParsedCertificate {
  /** The whole certificate DER. */
  der: Uint8Array;
  /** The TBSCertificate DER (what the signature covers). */
  tbsDer: Uint8Array;
  /** 1, 2 or 3. */
  version: number;
  serialNumber: bigint;
  /** Subject CN ("" when absent; the last CN when several, as Go does). */
  commonName: string;
  issuerCommonName: string;
  /** Raw DER of the subject and issuer Names. */
  subjectDer: Uint8Array;
  issuerDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** True when a BasicConstraints extension says cA=TRUE. */
  isCA: boolean;
  basicConstraintsValid: boolean;
  /** Go `x509.KeyUsage` bitmask (see KEY_USAGE); 0 when the extension is absent. */
  keyUsage: number;
  extKeyUsage: string[];
  extensions: CertificateExtension[];
  /** The SubjectPublicKeyInfo DER (identical to Go's `MarshalPKIXPublicKey` for every key Go accepts). */
  publicKeySpkiDer: Uint8Array;
  keyAlgorithm: CertificateKeyAlgorithm;
  /** For ECDSA keys. */
  ecCurve?: "P-224" | "P-256" | "P-384" | "P-521";
  /** For RSA keys. */
  rsaModulusBits?: number;
  /** Go's name (`x509.SignatureAlgorithm.String()`), e.g. "ECDSA-SHA256", "SHA256-RSA"; "unknown" otherwise. */
  signatureAlgorithm: string;
  signatureAlgorithmOid: string;
  /** The raw AlgorithmIdentifier DER of the signature algorithm. */
  signatureAlgorithmDer: Uint8Array;
  signature: Uint8Array;
}

const SIGNATURE_ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  [OID.md5WithRsa]: "MD5-RSA",
  [OID.sha1WithRsa]: "SHA1-RSA",
  [OID.sha256WithRsa]: "SHA256-RSA",
  [OID.sha384WithRsa]: "SHA384-RSA",
  [OID.sha512WithRsa]: "SHA512-RSA",
  [OID.rsassaPss]: "RSAPSS",
  [OID.dsaWithSha1]: "DSA-SHA1",
  [OID.dsaWithSha256]: "DSA-SHA256",
  [OID.ecdsaWithSha1]: "ECDSA-SHA1",
  [OID.ecdsaWithSha256]: "ECDSA-SHA256",
  [OID.ecdsaWithSha384]: "ECDSA-SHA384",
  [OID.ecdsaWithSha512]: "ECDSA-SHA512",
  [OID.ed25519]: "Ed25519",
};

function commonNameOf(nameEl: Asn1Element): string {
  let cn = "";
  for (const rdn of sequenceOf(nameEl, "Name")) {
    for (const atv of children(expectTag(rdn, TAG.SET, "RelativeDistinguishedName"))) {
      const [type, value] = sequenceOf(atv, "AttributeTypeAndValue");
      if (readOid(type, "attribute type") === OID.commonName) cn = readString(value, "common name");
    }
  }
  return cn;
}

interface PublicKeyInfo {
  keyAlgorithm: CertificateKeyAlgorithm;
  ecCurve?: "P-224" | "P-256" | "P-384" | "P-521";
  rsaModulusBits?: number;
}

function bitLength(magnitude: Uint8Array): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

/** Inspects an SPKI the way Go's `parsePublicKey` does (rejecting what it rejects). */
export function inspectSpki(spki: Uint8Array | Asn1Element): PublicKeyInfo {
  const el = spki instanceof Uint8Array ? decodeDer(spki) : spki;
  const [algId, keyBits, ...extra] = sequenceOf(el, "SubjectPublicKeyInfo");
  if (extra.length) throw new NotaryError("ENCODING_INVALID", "DER: trailing fields in SubjectPublicKeyInfo");
  const [algOid, param, ...more] = sequenceOf(algId, "AlgorithmIdentifier");
  if (more.length) throw new NotaryError("ENCODING_INVALID", "DER: trailing fields in AlgorithmIdentifier");
  const alg = readOid(algOid, "key algorithm");
  const key = readBitStringBytes(keyBits, "subject public key");
  if (alg === OID.ecPublicKey) {
    const curve = EC_CURVES[readOid(param, "named curve")];
    if (!curve) throw new NotaryError("KEY_UNSUPPORTED", "unsupported elliptic curve");
    if (key.length !== 1 + 2 * curve.size || key[0] !== 0x04) {
      throw new NotaryError("KEY_INVALID", "EC public key is not an uncompressed point of the right size");
    }
    return { keyAlgorithm: "ecdsa", ecCurve: curve.name };
  }
  if (alg === OID.rsaEncryption) {
    if (param === undefined || param.tag !== TAG.NULL || param.content.length !== 0) {
      throw new NotaryError("KEY_INVALID", "RSA public key is missing its NULL parameters");
    }
    const [n, e, ...rest] = sequenceOf(decodeDer(key), "RSAPublicKey");
    if (rest.length) throw new NotaryError("ENCODING_INVALID", "DER: trailing fields in RSAPublicKey");
    const nBytes = readUnsignedIntegerBytes(n, "RSA modulus");
    const eVal = readInteger(e, "RSA exponent");
    if (nBytes.length === 0 || eVal <= 0n || eVal >= 1n << 31n) throw new NotaryError("KEY_INVALID", "invalid RSA public key");
    return { keyAlgorithm: "rsa", rsaModulusBits: bitLength(nBytes) };
  }
  if (alg === OID.ed25519) {
    if (param !== undefined) throw new NotaryError("KEY_INVALID", "Ed25519 public key must not have parameters");
    if (key.length !== 32) throw new NotaryError("KEY_INVALID", "Ed25519 public key must be 32 bytes");
    return { keyAlgorithm: "ed25519" };
  }
  if (alg === OID.dsa) return { keyAlgorithm: "dsa" };
  return { keyAlgorithm: "unknown" };
}

function asX509Error(cause: unknown, what: string): NotaryError {
  if (isNotaryError(cause) && cause.code === "X509_INVALID") return cause as NotaryError;
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new NotaryError("X509_INVALID", `${what}${detail}`, { cause });
}

/**
 * Parses one certificate (DER bytes, or PEM text whose first block must be a CERTIFICATE) strictly, the way Go's
 * `x509.ParseCertificate` does. Throws `X509_INVALID`.
 * @example const { commonName, notAfter, publicKeySpkiDer } = parseCertificate(pem);
 */
export function parseCertificate(input: string | Uint8Array): ParsedCertificate {
  let der: Uint8Array;
  if (typeof input === "string") {
    const blocks = decodePemBlocks(input, "X509_INVALID");
    const first = blocks[0];
    if (!first) throw new NotaryError("X509_INVALID", "no PEM block found");
    if (first.type !== "CERTIFICATE") throw new NotaryError("X509_INVALID", `expected a CERTIFICATE PEM block, found "${first.type}"`);
    der = first.bytes;
  } else {
    der = input;
  }
  try {
    return parseCertificateDer(der);
  } catch (cause) {
    throw asX509Error(cause, "malformed certificate");
  }
}

function parseCertificateDer(der: Uint8Array): ParsedCertificate {
  const [tbsEl, sigAlgEl, sigEl, ...extra] = sequenceOf(decodeDer(der), "Certificate");
  if (extra.length) throw new NotaryError("X509_INVALID", "trailing fields in Certificate");
  const tbs = sequenceOf(tbsEl, "TBSCertificate");
  let i = 0;
  let version = 1;
  if (tbs[0]?.tag === 0xa0) {
    const [v, ...rest] = children(tbs[0]);
    if (rest.length) throw new NotaryError("X509_INVALID", "malformed version");
    const n = readInteger(v, "version");
    if (n < 0n || n > 2n) throw new NotaryError("X509_INVALID", "invalid certificate version");
    version = Number(n) + 1;
    i++;
  }
  const serialNumber = readInteger(tbs[i++], "serial number");
  const innerSigAlg = expectTag(tbs[i++], TAG.SEQUENCE, "signature algorithm");
  const issuerEl = expectTag(tbs[i++], TAG.SEQUENCE, "issuer");
  const [nbEl, naEl, ...vExtra] = sequenceOf(tbs[i++], "validity");
  if (vExtra.length) throw new NotaryError("X509_INVALID", "malformed validity");
  const subjectEl = expectTag(tbs[i++], TAG.SEQUENCE, "subject");
  const spkiEl = expectTag(tbs[i++], TAG.SEQUENCE, "subjectPublicKeyInfo");
  let extensionsEl: Asn1Element | undefined;
  for (; i < tbs.length; i++) {
    const el = tbs[i]!;
    if (el.tag === 0x81 || el.tag === 0x82 || el.tag === 0xa1 || el.tag === 0xa2) continue; // unique IDs
    if (el.tag === 0xa3) {
      if (extensionsEl) throw new NotaryError("X509_INVALID", "duplicate extensions field");
      extensionsEl = el;
      continue;
    }
    throw new NotaryError("X509_INVALID", "unexpected field in TBSCertificate");
  }

  if (!bytesEq(innerSigAlg.raw, sigAlgEl?.raw)) {
    throw new NotaryError("X509_INVALID", "inner and outer signature algorithm identifiers don't match");
  }
  const signatureAlgorithmOid = readOid(sequenceOf(sigAlgEl, "signature algorithm")[0], "signature algorithm");
  const signature = readBitStringBytes(sigEl, "signature");

  const extensions: CertificateExtension[] = [];
  if (extensionsEl) {
    const [seq, ...rest] = children(extensionsEl);
    if (rest.length) throw new NotaryError("X509_INVALID", "malformed extensions");
    for (const extEl of sequenceOf(seq, "extensions")) {
      const parts = sequenceOf(extEl, "extension");
      const oid = readOid(parts[0], "extension id");
      let critical = false;
      let k = 1;
      if (parts[k]?.tag === TAG.BOOLEAN) critical = readBoolean(parts[k++], "critical");
      const value = readOctetString(parts[k++], "extension value");
      if (k !== parts.length) throw new NotaryError("X509_INVALID", "malformed extension");
      if (extensions.some((e) => e.oid === oid)) throw new NotaryError("X509_INVALID", "certificate contains duplicate extensions");
      extensions.push({ oid, critical, value });
    }
  }

  let isCA = false;
  let basicConstraintsValid = false;
  let keyUsage = 0;
  const extKeyUsage: string[] = [];
  for (const ext of extensions) {
    if (ext.oid === OID.basicConstraints) {
      const fields = sequenceOf(decodeDer(ext.value), "basic constraints");
      if (fields[0]?.tag === TAG.BOOLEAN) isCA = readBoolean(fields[0], "cA");
      basicConstraintsValid = true;
    } else if (ext.oid === OID.keyUsage) {
      const bs = readBitString(decodeDer(ext.value), "key usage");
      for (let bit = 0; bit < 9; bit++) {
        const byte = bs.bytes[bit >> 3];
        if (byte !== undefined && byte & (0x80 >> (bit & 7))) keyUsage |= 1 << bit;
      }
    } else if (ext.oid === OID.extKeyUsage) {
      for (const o of sequenceOf(decodeDer(ext.value), "extended key usage")) extKeyUsage.push(readOid(o, "extended key usage"));
    }
  }

  const info = inspectSpki(spkiEl);
  const out: ParsedCertificate = {
    der,
    tbsDer: tbsEl!.raw,
    version,
    serialNumber,
    commonName: commonNameOf(subjectEl),
    issuerCommonName: commonNameOf(issuerEl),
    subjectDer: subjectEl.raw,
    issuerDer: issuerEl.raw,
    notBefore: readTime(nbEl, "notBefore"),
    notAfter: readTime(naEl, "notAfter"),
    isCA,
    basicConstraintsValid,
    keyUsage,
    extKeyUsage,
    extensions,
    publicKeySpkiDer: spkiEl.raw,
    keyAlgorithm: info.keyAlgorithm,
    signatureAlgorithm: SIGNATURE_ALGORITHM_NAMES[signatureAlgorithmOid] ?? "unknown",
    signatureAlgorithmOid,
    signatureAlgorithmDer: sigAlgEl!.raw,
    signature,
  };
  if (info.ecCurve) out.ecCurve = info.ecCurve;
  if (info.rsaModulusBits !== undefined) out.rsaModulusBits = info.rsaModulusBits;
  return out;
}

function bytesEq(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((x, j) => x === b[j]);
}

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
