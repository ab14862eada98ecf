/**
 * ASN.1 character strings and times, read as Go's certificate parser reads them and written with the type Go's
 * `encoding/asn1` picks (PrintableString or UTF8String; UTCTime or GeneralizedTime).
 */
import { NotaryError } from "../errors.ts";
import { TAG, failDer } from "./asn1-decode.ts";
import type { Asn1Element } from "./asn1-decode.ts";
import { encodeTlv } from "./asn1-encode.ts";

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
  if (el === undefined) failDer(`missing ${what}`);
  const c = el.content;
  switch (el.tag) {
    case TAG.UTF8_STRING:
      return decodeUtf8(c, what);
    case TAG.PRINTABLE_STRING: {
      const s = latin1(c);
      if (!isPrintableString(s, { allowAsterisk: true, allowAmpersand: true })) failDer(`${what}: invalid PrintableString`);
      return s;
    }
    case TAG.IA5_STRING:
    case TAG.VISIBLE_STRING:
    case TAG.NUMERIC_STRING: {
      for (const b of c) if (b >= 0x80) failDer(`${what}: non-ASCII character`);
      return latin1(c);
    }
    case TAG.T61_STRING:
      return latin1(c);
    case TAG.BMP_STRING: {
      if (c.length % 2 !== 0) failDer(`${what}: odd-length BMPString`);
      let s = "";
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
      return s;
    }
    default:
      failDer(`${what}: not a string type (tag 0x${el.tag.toString(16)})`);
  }
}

function decodeUtf8(c: Uint8Array, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(c);
  } catch {
    return failDer(`${what}: invalid UTF-8`);
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
  if (el === undefined) failDer(`missing ${what}`);
  const s = latin1(el.content);
  let year: number;
  let m: RegExpExecArray | null;
  if (el.tag === TAG.UTC_TIME) {
    m = UTC_TIME_RE.exec(s);
    if (!m) failDer(`${what}: malformed UTCTime`);
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (el.tag === TAG.GENERALIZED_TIME) {
    m = GENERALIZED_TIME_RE.exec(s);
    if (!m) failDer(`${what}: malformed GeneralizedTime`);
    year = Number(m[1]);
  } else {
    failDer(`${what}: expected UTCTime or GeneralizedTime`);
  }
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    failDer(`${what}: out-of-range field`);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years 0..99 as written (Date.UTC would add 1900)
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCDate() !== day) failDer(`${what}: invalid day of month`);
  let ms = date.getTime();
  const zone = m[7]!;
  if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const offH = Number(zone.slice(1, 3));
    const offM = Number(zone.slice(3, 5));
    if (offH > 23 || offM > 59) failDer(`${what}: invalid offset`);
    ms -= sign * (offH * 60 + offM) * 60_000;
  }
  return new Date(ms);
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
