/**
 * Reading DER: a small, strict decoder covering what X.509 certificates and PKCS#8 key files need.
 *
 * As strict as Go's `encoding/asn1` and `cryptobyte` parsers (which notary uses): definite, minimal length encodings
 * only, minimal INTEGERs, DER BOOLEANs (0x00/0xff), zero padding bits in BIT STRINGs, minimal OID arcs. High tag
 * numbers (>= 31) are not supported: nothing notary reads uses them.
 *
 * Every failure is a `NotaryError` with code `ENCODING_INVALID`; callers re-wrap it with a domain code
 * (`KEY_FILE_INVALID`, `X509_INVALID`, ...). Messages never include the bytes being parsed.
 */
import { NotaryError, isNotaryError } from "../errors.ts";
import type { NotaryErrorCode } from "../errors.ts";

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

/** One decoded TLV. `content` and `raw` are views into the input (no copies). */
export interface Asn1Element {
  /** The identifier octet (class, constructed bit and tag number together), e.g. 0x30 for SEQUENCE, 0xa0 for [0]. */
  readonly tag: number;
  readonly constructed: boolean;
  /** The value octets. */
  readonly content: Uint8Array;
  /** The whole TLV, header included. */
  readonly raw: Uint8Array;
}

/** The one way decoding fails: `ENCODING_INVALID`, naming what was wrong but never the bytes. */
export function failDer(message: string): never {
  throw new NotaryError("ENCODING_INVALID", `DER: ${message}`);
}

/**
 * A DER failure re-labelled with the caller's domain code; any other NotaryError passes through unchanged.
 * @example catch (e) { throw relabelDerError(e, "KEY_INVALID", "malformed PKCS#8 private key"); }
 */
export function relabelDerError(e: unknown, code: NotaryErrorCode, message: string): NotaryError {
  if (isNotaryError(e) && e.code !== "ENCODING_INVALID") return e;
  return new NotaryError(code, message, { cause: e });
}

/** Decodes the TLV at the start of `buf` and returns it with the bytes that follow it. */
export function decodeDerPrefix(buf: Uint8Array): { element: Asn1Element; rest: Uint8Array } {
  if (buf.length < 2) failDer("truncated element");
  const tag = buf[0]!;
  if ((tag & 0x1f) === 0x1f) failDer("high tag numbers are not supported");
  let offset = 2;
  let length: number;
  const first = buf[1]!;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    failDer("indefinite length is not allowed in DER");
  } else {
    const n = first & 0x7f;
    if (n > 4) failDer("length too large");
    if (buf.length < 2 + n) failDer("truncated length");
    if (buf[2] === 0) failDer("non-minimal length encoding");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[2 + i]!;
    if (length < 0x80) failDer("non-minimal length encoding");
    offset = 2 + n;
  }
  if (buf.length - offset < length) failDer("truncated element");
  const element: Asn1Element = {
    tag,
    constructed: (tag & 0x20) !== 0,
    content: buf.subarray(offset, offset + length),
    raw: buf.subarray(0, offset + length),
  };
  return { element, rest: buf.subarray(offset + length) };
}

/** Decodes exactly one TLV; trailing bytes are an error. */
export function decodeDer(buf: Uint8Array): Asn1Element {
  const { element, rest } = decodeDerPrefix(buf);
  if (rest.length !== 0) failDer("trailing data after element");
  return element;
}

/** The elements inside a constructed element (SEQUENCE, SET, [n] EXPLICIT). */
export function children(el: Asn1Element): Asn1Element[] {
  if (!el.constructed) failDer("expected a constructed element");
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
  if (el === undefined) failDer(`missing ${what}`);
  if (el.tag !== tag) failDer(`${what}: expected tag 0x${tag.toString(16)}, found 0x${el.tag.toString(16)}`);
  return el;
}

/** The children of a SEQUENCE, checked to be a SEQUENCE. */
export function sequenceOf(el: Asn1Element | undefined, what = "SEQUENCE"): Asn1Element[] {
  return children(expectTag(el, TAG.SEQUENCE, what));
}

function checkMinimalInteger(c: Uint8Array): void {
  if (c.length === 0) failDer("empty INTEGER");
  if (c.length > 1 && ((c[0] === 0x00 && c[1]! < 0x80) || (c[0] === 0xff && c[1]! >= 0x80))) {
    failDer("non-minimal INTEGER");
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
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) failDer(`${what} out of range`);
  return Number(v);
}

/** The magnitude of a non-negative INTEGER as big-endian bytes without a leading zero (empty array for 0). */
export function readUnsignedIntegerBytes(el: Asn1Element | undefined, what = "INTEGER"): Uint8Array {
  const c = expectTag(el, TAG.INTEGER, what).content;
  checkMinimalInteger(c);
  if (c[0]! & 0x80) failDer(`${what} must not be negative`);
  let i = 0;
  while (i < c.length && c[i] === 0) i++;
  return c.subarray(i);
}

export function readBoolean(el: Asn1Element | undefined, what = "BOOLEAN"): boolean {
  const c = expectTag(el, TAG.BOOLEAN, what).content;
  if (c.length !== 1) failDer(`${what}: invalid length`);
  if (c[0] === 0x00) return false;
  if (c[0] === 0xff) return true;
  failDer(`${what}: not a DER boolean`);
}

export function readNull(el: Asn1Element | undefined, what = "NULL"): null {
  if (expectTag(el, TAG.NULL, what).content.length !== 0) failDer(`${what}: non-empty NULL`);
  return null;
}

/** An OBJECT IDENTIFIER in dotted form. */
export function readOid(el: Asn1Element | undefined, what = "OBJECT IDENTIFIER"): string {
  const c = expectTag(el, TAG.OID, what).content;
  if (c.length === 0) failDer(`${what}: empty`);
  const arcs: bigint[] = [];
  let v = 0n;
  let start = true;
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!;
    if (start && b === 0x80) failDer(`${what}: non-minimal arc`);
    v = (v << 7n) | BigInt(b & 0x7f);
    start = false;
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
      start = true;
    }
  }
  if (!start) failDer(`${what}: truncated arc`);
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
  if (c.length === 0) failDer(`${what}: empty`);
  const unusedBits = c[0]!;
  if (unusedBits > 7 || (c.length === 1 && unusedBits !== 0)) failDer(`${what}: invalid padding`);
  if (unusedBits !== 0 && (c[c.length - 1]! & ((1 << unusedBits) - 1)) !== 0) failDer(`${what}: non-zero padding bits`);
  return { bytes: c.subarray(1), unusedBits };
}

/** A BIT STRING that must be a whole number of bytes (keys, signatures). */
export function readBitStringBytes(el: Asn1Element | undefined, what = "BIT STRING"): Uint8Array {
  const b = readBitString(el, what);
  if (b.unusedBits !== 0) failDer(`${what}: not a whole number of bytes`);
  return b.bytes;
}
