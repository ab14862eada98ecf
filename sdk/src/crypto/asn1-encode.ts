/**
 * Writing DER: minimal encodings of the types a notary root certificate and notary's PKCS#8 key files hold, as Go's
 * `encoding/asn1` writes them. Invalid input throws `ENCODING_INVALID`.
 */
import { NotaryError } from "../errors.ts";
import { concatBytes } from "../encoding.ts";
import { TAG } from "./asn1-decode.ts";

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
