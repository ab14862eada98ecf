/**
 * A strict X.509 parser exposing what notary's root validation looks at (reference §3.4), rejecting what Go's
 * `x509.ParseCertificate` rejects. One call parses a certificate once and returns every field a caller needs.
 */
import { NotaryError, isNotaryError } from "../errors.ts";
import { bytesEqual } from "../encoding.ts";
import {
  TAG,
  children,
  decodeDer,
  expectTag,
  readBitString,
  readBitStringBytes,
  readBoolean,
  readInteger,
  readOctetString,
  readOid,
  sequenceOf,
} from "./asn1-decode.ts";
import type { Asn1Element } from "./asn1-decode.ts";
import { readString, readTime } from "./asn1-text.ts";
import { OID } from "./oid.ts";
import { decodePemBlocks, splitPemCertificates } from "./pem.ts";
import { inspectSpki } from "./spki.ts";
import type { CertificateKeyAlgorithm } from "./spki.ts";

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
  /** Go `x509.KeyUsage` bitmask (see KEY_USAGE in x509-build.ts); 0 when the extension is absent. */
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

function invalid(message: string): NotaryError {
  return new NotaryError("X509_INVALID", message);
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
  const der = typeof input === "string" ? firstCertificateBlock(input) : input;
  try {
    return parseCertificateDer(der);
  } catch (cause) {
    throw asX509Error(cause, "malformed certificate");
  }
}

/**
 * Every certificate of a PEM bundle, leaf first, each parsed once (notary `LoadCertBundleFromPEM`: any block that
 * is not a certificate, or a certificate that does not parse, fails the bundle with `X509_INVALID`).
 * @example const [leaf] = parseCertificateBundle(fromUtf8(key.public)); leaf.signatureAlgorithm // "ECDSA-SHA256"
 */
export function parseCertificateBundle(pem: string): ParsedCertificate[] {
  return splitPemCertificates(pem).map((der) => parseCertificate(der));
}

function firstCertificateBlock(pem: string): Uint8Array {
  const first = decodePemBlocks(pem, "X509_INVALID")[0];
  if (!first) throw invalid("no PEM block found");
  if (first.type !== "CERTIFICATE") throw invalid(`expected a CERTIFICATE PEM block, found "${first.type}"`);
  return first.bytes;
}

function parseCertificateDer(der: Uint8Array): ParsedCertificate {
  const [tbsEl, sigAlgEl, sigEl, ...extra] = sequenceOf(decodeDer(der), "Certificate");
  if (extra.length) throw invalid("trailing fields in Certificate");
  const tbs = readTbsCertificate(tbsEl);
  // Go: "x509: inner and outer signature algorithm identifiers don't match".
  if (!sigAlgEl || !bytesEqual(tbs.signatureAlgorithm.raw, sigAlgEl.raw)) {
    throw invalid("inner and outer signature algorithm identifiers don't match");
  }
  const signatureAlgorithmOid = readOid(sequenceOf(sigAlgEl, "signature algorithm")[0], "signature algorithm");
  const extensions = readExtensions(tbs.extensions);
  const key = inspectSpki(tbs.spki);
  const out: ParsedCertificate = {
    der,
    tbsDer: tbsEl!.raw,
    version: tbs.version,
    serialNumber: tbs.serialNumber,
    commonName: commonNameOf(tbs.subject),
    issuerCommonName: commonNameOf(tbs.issuer),
    subjectDer: tbs.subject.raw,
    issuerDer: tbs.issuer.raw,
    notBefore: readTime(tbs.notBefore, "notBefore"),
    notAfter: readTime(tbs.notAfter, "notAfter"),
    ...readUsage(extensions),
    extensions,
    publicKeySpkiDer: tbs.spki.raw,
    keyAlgorithm: key.keyAlgorithm,
    signatureAlgorithm: SIGNATURE_ALGORITHM_NAMES[signatureAlgorithmOid] ?? "unknown",
    signatureAlgorithmOid,
    signatureAlgorithmDer: sigAlgEl.raw,
    signature: readBitStringBytes(sigEl, "signature"),
  };
  if (key.ecCurve) out.ecCurve = key.ecCurve;
  if (key.rsaModulusBits !== undefined) out.rsaModulusBits = key.rsaModulusBits;
  return out;
}

interface TbsFields {
  version: number;
  serialNumber: bigint;
  signatureAlgorithm: Asn1Element;
  issuer: Asn1Element;
  notBefore: Asn1Element | undefined;
  notAfter: Asn1Element | undefined;
  subject: Asn1Element;
  spki: Asn1Element;
  extensions: Asn1Element | undefined;
}

/** TBSCertificate fields in their fixed order (RFC 5280 §4.1); the version is optional and defaults to v1. */
function readTbsCertificate(el: Asn1Element | undefined): TbsFields {
  const tbs = sequenceOf(el, "TBSCertificate");
  const hasVersion = tbs[0]?.tag === 0xa0;
  let i = hasVersion ? 1 : 0;
  const version = hasVersion ? readVersion(tbs[0]!) : 1;
  const serialNumber = readInteger(tbs[i++], "serial number");
  const signatureAlgorithm = expectTag(tbs[i++], TAG.SEQUENCE, "signature algorithm");
  const issuer = expectTag(tbs[i++], TAG.SEQUENCE, "issuer");
  const [notBefore, notAfter, ...vExtra] = sequenceOf(tbs[i++], "validity");
  if (vExtra.length) throw invalid("malformed validity");
  const subject = expectTag(tbs[i++], TAG.SEQUENCE, "subject");
  const spki = expectTag(tbs[i++], TAG.SEQUENCE, "subjectPublicKeyInfo");
  const extensions = findExtensionsField(tbs.slice(i));
  return { version, serialNumber, signatureAlgorithm, issuer, notBefore, notAfter, subject, spki, extensions };
}

function readVersion(field: Asn1Element): number {
  const [v, ...rest] = children(field);
  if (rest.length) throw invalid("malformed version");
  const n = readInteger(v, "version");
  if (n < 0n || n > 2n) throw invalid("invalid certificate version");
  return Number(n) + 1;
}

/** After the key come the optional unique IDs ([1], [2]: skipped) and at most one [3] extensions field. */
function findExtensionsField(rest: readonly Asn1Element[]): Asn1Element | undefined {
  let extensions: Asn1Element | undefined;
  for (const el of rest) {
    if (el.tag === 0x81 || el.tag === 0x82 || el.tag === 0xa1 || el.tag === 0xa2) continue;
    if (el.tag !== 0xa3) throw invalid("unexpected field in TBSCertificate");
    if (extensions) throw invalid("duplicate extensions field");
    extensions = el;
  }
  return extensions;
}

function readExtensions(field: Asn1Element | undefined): CertificateExtension[] {
  if (!field) return [];
  const [seq, ...rest] = children(field);
  if (rest.length) throw invalid("malformed extensions");
  const extensions: CertificateExtension[] = [];
  for (const extEl of sequenceOf(seq, "extensions")) {
    const ext = readExtension(extEl);
    if (extensions.some((e) => e.oid === ext.oid)) throw invalid("certificate contains duplicate extensions");
    extensions.push(ext);
  }
  return extensions;
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function readExtension(el: Asn1Element): CertificateExtension {
  const parts = sequenceOf(el, "extension");
  const oid = readOid(parts[0], "extension id");
  let k = 1;
  const critical = parts[k]?.tag === TAG.BOOLEAN ? readBoolean(parts[k++], "critical") : false;
  const value = readOctetString(parts[k++], "extension value");
  if (k !== parts.length) throw invalid("malformed extension");
  return { oid, critical, value };
}

type Usage = Pick<ParsedCertificate, "isCA" | "basicConstraintsValid" | "keyUsage" | "extKeyUsage">;

/** BasicConstraints, KeyUsage and ExtKeyUsage, decoded as Go fills the corresponding `x509.Certificate` fields. */
function readUsage(extensions: readonly CertificateExtension[]): Usage {
  const usage: Usage = { isCA: false, basicConstraintsValid: false, keyUsage: 0, extKeyUsage: [] };
  for (const ext of extensions) {
    if (ext.oid === OID.basicConstraints) {
      const fields = sequenceOf(decodeDer(ext.value), "basic constraints");
      if (fields[0]?.tag === TAG.BOOLEAN) usage.isCA = readBoolean(fields[0], "cA");
      usage.basicConstraintsValid = true;
    } else if (ext.oid === OID.keyUsage) {
      usage.keyUsage = readKeyUsageBits(ext.value);
    } else if (ext.oid === OID.extKeyUsage) {
      for (const o of sequenceOf(decodeDer(ext.value), "extended key usage")) usage.extKeyUsage.push(readOid(o, "extended key usage"));
    }
  }
  return usage;
}

/** The KeyUsage BIT STRING as Go's bitmask: bit n of the string (from the most significant end) is `1 << n`. */
function readKeyUsageBits(value: Uint8Array): number {
  const bs = readBitString(decodeDer(value), "key usage");
  let keyUsage = 0;
  for (let bit = 0; bit < 9; bit++) {
    const byte = bs.bytes[bit >> 3];
    if (byte !== undefined && byte & (0x80 >> (bit & 7))) keyUsage |= 1 << bit;
  }
  return keyUsage;
}

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
