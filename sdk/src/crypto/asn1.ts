/**
 * A small, strict DER encoder/decoder covering what X.509 certificates and PKCS#8 key files need.
 *
 * The decoder is as strict as Go's `encoding/asn1` and `cryptobyte` parsers (which notary uses): definite,
 * minimal length encodings only, minimal INTEGERs, DER BOOLEANs (0x00/0xff), zero padding bits in BIT STRINGs,
 * minimal OID arcs. High tag numbers (>= 31) are not supported: nothing notary reads uses them.
 *
 * Every failure is a `NotaryError` with code `ENCODING_INVALID`; callers re-wrap it with a domain code
 * (`KEY_FILE_INVALID`, `X509_INVALID`, ...). Messages never include the bytes being parsed.
 */
import { NotaryError } from "../errors.ts";
import { concatBytes } from "../encoding.ts";

/** Identifier octets of the universal types used here (constructed bit included for SEQUENCE/SET). */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export const CLASS_UNIVERSAL = 0;
export const CLASS_APPLICATION = 1;
export const CLASS_CONTEXT = 2;
export const CLASS_PRIVATE = 3;

/** One decoded TLV. `content` and `raw` are views into the input (no copies). */
export interface Asn1Element {
  /** The identifier octet (class, constructed bit and tag number together), e.g. 0x30 for SEQUENCE, 0xa0 for [0]. */
  readonly tag: number;
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly cls: number;
  readonly constructed: boolean;
  readonly tagNumber: number;
  /** The value octets. */
  readonly content: Uint8Array;
  /** The whole TLV, header included. */
  readonly raw: Uint8Array;
}

function fail(message: string): never {
  throw new NotaryError("ENCODING_INVALID", `DER: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------------------------

/** Decodes the TLV at the start of `buf` and returns it with the bytes that follow it. */
export function decodeDerPrefix(buf: Uint8Array): { element: Asn1Element; rest: Uint8Array } {
  if (buf.length < 2) fail("truncated element");
  const tag = buf[0]!;
  if ((tag & 0x1f) === 0x1f) fail("high tag numbers are not supported");
  let offset = 2;
  let length: number;
  const first = buf[1]!;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    fail("indefinite length is not allowed in DER");
  } else {
    const n = first & 0x7f;
    if (n > 4) fail("length too large");
    if (buf.length < 2 + n) fail("truncated length");
    if (buf[2] === 0) fail("non-minimal length encoding");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[2 + i]!;
    if (length < 0x80) fail("non-minimal length encoding");
    offset = 2 + n;
  }
  if (buf.length - offset < length) fail("truncated element");
  const element: Asn1Element = {
    tag,
    cls: tag >> 6,
    constructed: (tag & 0x20) !== 0,
    tagNumber: tag & 0x1f,
    content: buf.subarray(offset, offset + length),
    raw: buf.subarray(0, offset + length),
  };
  return { element, rest: buf.subarray(offset + length) };
}

/** Decodes exactly one TLV; trailing bytes are an error. */
export function decodeDer(buf: Uint8Array): Asn1Element {
  const { element, rest } = decodeDerPrefix(buf);
  if (rest.length !== 0) fail("trailing data after element");
  return element;
}

/** The elements inside a constructed element (SEQUENCE, SET, [n] EXPLICIT). */
export function children(el: Asn1Element): Asn1Element[] {
  if (!el.constructed) fail("expected a constructed element");
  const out: Asn1Element[] = [];
  let rest = el.content;
  while (rest.length > 0) {
    const r = decodeDerPrefix(rest);
    out.push(r.element);
    rest = r.rest;
  }
  return out;
}

/** Throws unless `el` has identifier octet `tag`. */
export function expectTag(el: Asn1Element | undefined, tag: number, what = "element"): Asn1Element {
  if (el === undefined) fail(`missing ${what}`);
  if (el.tag !== tag) fail(`${what}: expected tag 0x${tag.toString(16)}, found 0x${el.tag.toString(16)}`);
  return el;
}

/** The children of a SEQUENCE, checked to be a SEQUENCE. */
export function sequenceOf(el: Asn1Element | undefined, what = "SEQUENCE"): Asn1Element[] {
  return children(expectTag(el, TAG.SEQUENCE, what));
}

function checkMinimalInteger(c: Uint8Array): void {
  if (c.length === 0) fail("empty INTEGER");
  if (c.length > 1 && ((c[0] === 0x00 && c[1]! < 0x80) || (c[0] === 0xff && c[1]! >= 0x80))) {
    fail("non-minimal INTEGER");
  }
}

/** A (signed) INTEGER as a bigint. */
export function readInteger(el: Asn1Element | undefined, what = "INTEGER"): bigint {
  const c = expectTag(el, TAG.INTEGER, what).content;
  checkMinimalInteger(c);
  let v = 0n;
  for (const b of c) v = (v << 8n) | BigInt(b);
  if (c[0]! & 0x80) v -= 1n << BigInt(c.length * 8);
  return v;
}

/** An INTEGER that must fit a JS safe integer. */
export function readSmallInteger(el: Asn1Element | undefined, what = "INTEGER"): number {
  const v = readInteger(el, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`${what} out of range`);
  return Number(v);
}

/** The magnitude of a non-negative INTEGER as big-endian bytes without a leading zero (empty array for 0). */
export function readUnsignedIntegerBytes(el: Asn1Element | undefined, what = "INTEGER"): Uint8Array {
  const c = expectTag(el, TAG.INTEGER, what).content;
  checkMinimalInteger(c);
  if (c[0]! & 0x80) fail(`${what} must not be negative`);
  let i = 0;
  while (i < c.length && c[i] === 0) i++;
  return c.subarray(i);
}

export function readBoolean(el: Asn1Element | undefined, what = "BOOLEAN"): boolean {
  const c = expectTag(el, TAG.BOOLEAN, what).content;
  if (c.length !== 1) fail(`${what}: invalid length`);
  if (c[0] === 0x00) return false;
  if (c[0] === 0xff) return true;
  fail(`${what}: not a DER boolean`);
}

export function readNull(el: Asn1Element | undefined, what = "NULL"): null {
  if (expectTag(el, TAG.NULL, what).content.length !== 0) fail(`${what}: non-empty NULL`);
  return null;
}

/** An OBJECT IDENTIFIER in dotted form. */
export function readOid(el: Asn1Element | undefined, what = "OBJECT IDENTIFIER"): string {
  const c = expectTag(el, TAG.OID, what).content;
  if (c.length === 0) fail(`${what}: empty`);
  const arcs: bigint[] = [];
  let v = 0n;
  let start = true;
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!;
    if (start && b === 0x80) fail(`${what}: non-minimal arc`);
    v = (v << 7n) | BigInt(b & 0x7f);
    start = false;
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
      start = true;
    }
  }
  if (!start) fail(`${what}: truncated arc`);
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join(".");
}

export function readOctetString(el: Asn1Element | undefined, what = "OCTET STRING"): Uint8Array {
  return expectTag(el, TAG.OCTET_STRING, what).content;
}

export interface BitString {
  /** The bytes, padding bits included (always zero in DER). */
  bytes: Uint8Array;
  /** Number of unused bits in the last byte (0..7). */
  unusedBits: number;
}

export function readBitString(el: Asn1Element | undefined, what = "BIT STRING"): BitString {
  const c = expectTag(el, TAG.BIT_STRING, what).content;
  if (c.length === 0) fail(`${what}: empty`);
  const unusedBits = c[0]!;
  if (unusedBits > 7 || (c.length === 1 && unusedBits !== 0)) fail(`${what}: invalid padding`);
  if (unusedBits !== 0 && (c[c.length - 1]! & ((1 << unusedBits) - 1)) !== 0) fail(`${what}: non-zero padding bits`);
  return { bytes: c.subarray(1), unusedBits };
}

/** A BIT STRING that must be a whole number of bytes (keys, signatures). */
export function readBitStringBytes(el: Asn1Element | undefined, what = "BIT STRING"): Uint8Array {
  const b = readBitString(el, what);
  if (b.unusedBits !== 0) fail(`${what}: not a whole number of bytes`);
  return b.bytes;
}

const PRINTABLE_RE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * True when Go would write `s` as a PrintableString. Go's marshaller rejects `*` and `&` when choosing, so a
 * string containing them becomes a UTF8String; its parser allows both (`allowAsterisk`, `allowAmpersand`).
 */
export function isPrintableString(s: string, opts: { allowAsterisk?: boolean; allowAmpersand?: boolean } = {}): boolean {
  for (const ch of s) {
    if (ch === "*" && opts.allowAsterisk) continue;
    if (ch === "&" && opts.allowAmpersand) continue;
    if (!PRINTABLE_RE.test(ch)) return false;
  }
  return true;
}

/** Any of the ASN.1 character string types used in names, decoded to a JS string. */
export function readString(el: Asn1Element | undefined, what = "string"): string {
  if (el === undefined) fail(`missing ${what}`);
  const c = el.content;
  switch (el.tag) {
    case TAG.UTF8_STRING:
      return decodeUtf8(c, what);
    case TAG.PRINTABLE_STRING: {
      const s = latin1(c);
      if (!isPrintableString(s, { allowAsterisk: true, allowAmpersand: true })) fail(`${what}: invalid PrintableString`);
      return s;
    }
    case TAG.IA5_STRING:
    case TAG.VISIBLE_STRING:
    case TAG.NUMERIC_STRING: {
      for (const b of c) if (b >= 0x80) fail(`${what}: non-ASCII character`);
      return latin1(c);
    }
    case TAG.T61_STRING:
      return latin1(c);
    case TAG.BMP_STRING: {
      if (c.length % 2 !== 0) fail(`${what}: odd-length BMPString`);
      let s = "";
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
      return s;
    }
    default:
      fail(`${what}: not a string type (tag 0x${el.tag.toString(16)})`);
  }
}

function decodeUtf8(c: Uint8Array, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(c);
  } catch {
    return fail(`${what}: invalid UTF-8`);
  }
}

function latin1(c: Uint8Array): string {
  let s = "";
  for (const b of c) s += String.fromCharCode(b);
  return s;
}

const UTC_TIME_RE = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/;
const GENERALIZED_TIME_RE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{4})$/;

/**
 * A UTCTime or GeneralizedTime. Accepts what Go's certificate parser accepts: UTCTime with or without seconds,
 * `Z` or a `±hhmm` offset; GeneralizedTime with seconds and no fraction.
 */
export function readTime(el: Asn1Element | undefined, what = "time"): Date {
  if (el === undefined) fail(`missing ${what}`);
  const s = latin1(el.content);
  let year: number;
  let m: RegExpExecArray | null;
  if (el.tag === TAG.UTC_TIME) {
    m = UTC_TIME_RE.exec(s);
    if (!m) fail(`${what}: malformed UTCTime`);
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (el.tag === TAG.GENERALIZED_TIME) {
    m = GENERALIZED_TIME_RE.exec(s);
    if (!m) fail(`${what}: malformed GeneralizedTime`);
    year = Number(m[1]);
  } else {
    fail(`${what}: expected UTCTime or GeneralizedTime`);
  }
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    fail(`${what}: out-of-range field`);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years 0..99 as written (Date.UTC would add 1900)
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCDate() !== day) fail(`${what}: invalid day of month`);
  let ms = date.getTime();
  const zone = m[7]!;
  if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const offH = Number(zone.slice(1, 3));
    const offM = Number(zone.slice(3, 5));
    if (offH > 23 || offM > 59) fail(`${what}: invalid offset`);
    ms -= sign * (offH * 60 + offM) * 60_000;
  }
  return new Date(ms);
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------------------------

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

/** A TLV with identifier octet `tag` and the given content (minimal length encoding). */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  if ((tag & 0x1f) === 0x1f) throw new NotaryError("ENCODING_INVALID", "DER: high tag numbers are not supported");
  return concatBytes(Uint8Array.of(tag), encodeLength(content.length), content);
}

export function encodeSequence(...items: Uint8Array[]): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, concatBytes(...items));
}

/** A SET OF: DER requires the encodings sorted in ascending byte order, which this does. */
export function encodeSet(...items: Uint8Array[]): Uint8Array {
  const sorted = [...items].sort(compareBytes);
  return encodeTlv(TAG.SET, concatBytes(...sorted));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A signed INTEGER in minimal two's-complement form. */
export function encodeInteger(value: bigint | number): Uint8Array {
  let v = typeof value === "bigint" ? value : BigInt(value);
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new NotaryError("ENCODING_INVALID", "DER: INTEGER must be a safe integer");
  }
  const bytes: number[] = [];
  if (v >= 0n) {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    if (bytes[0]! & 0x80) bytes.unshift(0);
  } else {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v < -1n);
    if ((bytes[0]! & 0x80) === 0) bytes.unshift(0xff);
  }
  return encodeTlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/** A non-negative INTEGER from a big-endian magnitude (leading zeros are stripped, a sign byte added if needed). */
export function encodeUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let m = magnitude.subarray(i);
  if (m.length === 0) m = Uint8Array.of(0);
  if (m[0]! & 0x80) m = concatBytes(Uint8Array.of(0), m);
  return encodeTlv(TAG.INTEGER, m);
}

export function encodeBoolean(v: boolean): Uint8Array {
  return encodeTlv(TAG.BOOLEAN, Uint8Array.of(v ? 0xff : 0x00));
}

export function encodeNull(): Uint8Array {
  return Uint8Array.of(TAG.NULL, 0);
}

/** An OBJECT IDENTIFIER from dotted form. */
export function encodeOid(oid: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(oid)) throw new NotaryError("ENCODING_INVALID", `DER: invalid OID "${oid}"`);
  const arcs = oid.split(".").map((a) => BigInt(a));
  const a0 = arcs[0]!;
  const a1 = arcs[1]!;
  if (a0 < 2n && a1 >= 40n) throw new NotaryError("ENCODING_INVALID", `DER: invalid OID "${oid}"`);
  const out: number[] = [];
  for (const arc of [a0 * 40n + a1, ...arcs.slice(2)]) {
    const chunk: number[] = [];
    let v = arc;
    do {
      chunk.unshift(Number(v & 0x7fn) | (chunk.length ? 0x80 : 0));
      v >>= 7n;
    } while (v > 0n);
    out.push(...chunk);
  }
  return encodeTlv(TAG.OID, Uint8Array.from(out));
}

export function encodeOctetString(bytes: Uint8Array): Uint8Array {
  return encodeTlv(TAG.OCTET_STRING, bytes);
}

/** A BIT STRING; the `unusedBits` low bits of the last byte must be zero (DER). */
export function encodeBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw new NotaryError("ENCODING_INVALID", "DER: invalid BIT STRING padding");
  }
  if (unusedBits && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new NotaryError("ENCODING_INVALID", "DER: BIT STRING padding bits must be zero");
  }
  return encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(unusedBits), bytes));
}

export function encodeUtf8String(s: string): Uint8Array {
  return encodeTlv(TAG.UTF8_STRING, new TextEncoder().encode(s));
}

export function encodePrintableString(s: string): Uint8Array {
  if (!isPrintableString(s, { allowAsterisk: true, allowAmpersand: true })) {
    throw new NotaryError("ENCODING_INVALID", "DER: string is not printable");
  }
  return encodeTlv(TAG.PRINTABLE_STRING, ascii(s));
}

export function encodeIa5String(s: string): Uint8Array {
  for (const ch of s) if (ch.charCodeAt(0) >= 0x80) throw new NotaryError("ENCODING_INVALID", "DER: not IA5");
  return encodeTlv(TAG.IA5_STRING, ascii(s));
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

/** A string the way Go's `encoding/asn1` picks its type: PrintableString when possible, else UTF8String. */
export function encodeGoString(s: string): Uint8Array {
  return isPrintableString(s) ? encodePrintableString(s) : encodeUtf8String(s);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function checkDate(d: Date): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new NotaryError("ENCODING_INVALID", "DER: invalid date");
}

/** UTCTime `YYMMDDHHMMSSZ` (seconds precision, UTC; years 1950..2049). */
export function encodeUtcTime(d: Date): Uint8Array {
  checkDate(d);
  const y = d.getUTCFullYear();
  if (y < 1950 || y >= 2050) throw new NotaryError("ENCODING_INVALID", "DER: UTCTime year out of range");
  const s =
    pad(y % 100, 2) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) +
    pad(d.getUTCHours(), 2) + pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2) + "Z";
  return encodeTlv(TAG.UTC_TIME, ascii(s));
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ` (seconds precision, UTC). */
export function encodeGeneralizedTime(d: Date): Uint8Array {
  checkDate(d);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new NotaryError("ENCODING_INVALID", "DER: year out of range");
  const s =
    pad(y, 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) +
    pad(d.getUTCHours(), 2) + pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2) + "Z";
  return encodeTlv(TAG.GENERALIZED_TIME, ascii(s));
}

/** A time the way Go's `encoding/asn1` writes `time.Time`: UTCTime for 1950 <= year < 2050, else GeneralizedTime. */
export function encodeGoTime(d: Date): Uint8Array {
  checkDate(d);
  const y = d.getUTCFullYear();
  return y < 1950 || y >= 2050 ? encodeGeneralizedTime(d) : encodeUtcTime(d);
}

/** Context-specific tag `[n]`: constructed (EXPLICIT wrapping, or IMPLICIT of a constructed type) by default. */
export function encodeContext(tagNumber: number, content: Uint8Array, constructed = true): Uint8Array {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) {
    throw new NotaryError("ENCODING_INVALID", "DER: context tag number out of range");
  }
  return encodeTlv(0x80 | (constructed ? 0x20 : 0) | tagNumber, content);
}

/** `[n] EXPLICIT inner`. */
export function encodeExplicit(tagNumber: number, inner: Uint8Array): Uint8Array {
  return encodeContext(tagNumber, inner, true);
}
