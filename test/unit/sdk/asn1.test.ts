import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  TAG,
  children,
  decodeDer,
  decodeDerPrefix,
  readBitString,
  readBoolean,
  readInteger,
  readNull,
  readOctetString,
  readOid,
  readSmallInteger,
  readUnsignedIntegerBytes,
} from "../../../sdk/src/crypto/asn1-decode.ts";
import type { Asn1Element } from "../../../sdk/src/crypto/asn1-decode.ts";
import {
  encodeBitString,
  encodeBoolean,
  encodeContext,
  encodeInteger,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTlv,
} from "../../../sdk/src/crypto/asn1-encode.ts";
import {
  encodeGeneralizedTime,
  encodeGoString,
  encodeGoTime,
  encodePrintableString,
  encodeUtcTime,
  encodeUtf8String,
  isPrintableString,
  readString,
  readTime,
} from "../../../sdk/src/crypto/asn1-text.ts";
import { decodePemBlocks } from "../../../sdk/src/crypto/pem.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
const fixture = (p: string): string => readFileSync(new URL(`../../fixtures/keys/${p}`, import.meta.url), "utf8");
const invalid = { code: "ENCODING_INVALID" };

test("INTEGER encoding is minimal two's complement", () => {
  const vectors: [bigint | number, string][] = [
    [0, "020100"],
    [1, "020101"],
    [127, "02017f"],
    [128, "02020080"],
    [255, "020200ff"],
    [256, "02020100"],
    [2048, "02020800"],
    [-1, "0201ff"],
    [-128, "020180"],
    [-129, "0202ff7f"],
    [-256, "0202ff00"],
    [(1n << 128n) - 1n, "021100" + "ff".repeat(16)],
    [1n << 127n, "021100" + "80" + "00".repeat(15)],
  ];
  for (const [v, want] of vectors) {
    assert.equal(hex(encodeInteger(v)), want, `encode ${v}`);
    assert.equal(readInteger(decodeDer(unhex(want))), BigInt(v), `decode ${want}`);
  }
  assert.equal(hex(readUnsignedIntegerBytes(decodeDer(unhex("020200ff")))), "ff");
  assert.throws(() => readUnsignedIntegerBytes(decodeDer(unhex("0201ff"))), invalid);
  assert.equal(readSmallInteger(decodeDer(unhex("02020800"))), 2048);
  assert.throws(() => encodeInteger(2 ** 60), invalid);
});

test("INTEGER decoding rejects non-minimal and empty encodings", () => {
  for (const bad of ["0200", "0202007f", "0202ff80", "02030000ff", "0203ffff80"]) {
    assert.throws(() => readInteger(decodeDer(unhex(bad))), invalid, bad);
  }
});

test("lengths: short form below 128, minimal long form above", () => {
  assert.equal(hex(encodeOctetString(new Uint8Array(127))).slice(0, 4), "047f");
  assert.equal(hex(encodeOctetString(new Uint8Array(128))).slice(0, 6), "048180");
  assert.equal(hex(encodeOctetString(new Uint8Array(255))).slice(0, 6), "0481ff");
  assert.equal(hex(encodeOctetString(new Uint8Array(256))).slice(0, 8), "04820100");
  assert.equal(hex(encodeOctetString(new Uint8Array(70000))).slice(0, 10), "0483011170");
  for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536]) {
    const der = encodeOctetString(new Uint8Array(n).fill(7));
    assert.equal(readOctetString(decodeDer(der)).length, n);
  }
});

test("the decoder rejects what Go's strict DER parser rejects", () => {
  const cases: [string, string][] = [
    ["048105" + "00".repeat(5), "long form for a short length"],
    ["04820080" + "00".repeat(128), "leading zero in long-form length"],
    ["3080", "indefinite length"],
    ["0405000000", "truncated content"],
    ["04", "truncated header"],
    ["048400", "truncated length"],
    ["1f0100", "high tag number"],
    ["040100ff", "trailing data"],
  ];
  for (const [bad, why] of cases) assert.throws(() => decodeDer(unhex(bad)), invalid, why);
  const { element, rest } = decodeDerPrefix(unhex("040100ff"));
  assert.equal(hex(element.raw), "040100");
  assert.equal(hex(rest), "ff");
});

test("BOOLEAN, NULL", () => {
  assert.equal(hex(encodeBoolean(true)), "0101ff");
  assert.equal(hex(encodeBoolean(false)), "010100");
  assert.equal(readBoolean(decodeDer(unhex("0101ff"))), true);
  assert.equal(readBoolean(decodeDer(unhex("010100"))), false);
  assert.throws(() => readBoolean(decodeDer(unhex("010101"))), invalid);
  assert.throws(() => readBoolean(decodeDer(unhex("0102ffff"))), invalid);
  assert.equal(hex(encodeNull()), "0500");
  assert.equal(readNull(decodeDer(unhex("0500"))), null);
  assert.throws(() => readNull(decodeDer(unhex("050100"))), invalid);
});

test("OBJECT IDENTIFIER vectors", () => {
  const vectors: [string, string][] = [
    ["1.2.840.10045.2.1", "06072a8648ce3d0201"],
    ["1.2.840.10045.3.1.7", "06082a8648ce3d030107"],
    ["1.2.840.10045.4.3.2", "06082a8648ce3d040302"],
    ["2.5.4.3", "0603550403"],
    ["2.5.29.15", "0603551d0f"],
    ["1.3.6.1.5.5.7.3.3", "06082b06010505070303"],
    ["1.2.840.113549.1.5.13", "06092a864886f70d01050d"],
    ["2.16.840.1.101.3.4.1.42", "060960864801650304012a"],
    ["1.3.6.1.4.1.11591.15.1", "06092b06010401da470f01"],
    ["1.3.101.112", "06032b6570"],
    ["2.999.3", "0603883703"],
  ];
  for (const [oid, der] of vectors) {
    assert.equal(hex(encodeOid(oid)), der, oid);
    assert.equal(readOid(decodeDer(unhex(der))), oid, der);
  }
  for (const bad of ["0600", "0602802a", "06022a86"]) assert.throws(() => readOid(decodeDer(unhex(bad))), invalid, bad);
  for (const bad of ["1", "3.1", "1.40", "1.2.03", "a.b"]) assert.throws(() => encodeOid(bad), invalid, bad);
});

test("BIT STRING padding rules", () => {
  assert.equal(hex(encodeBitString(unhex("05a0").subarray(1), 5)), "030205a0");
  assert.equal(hex(encodeBitString(new Uint8Array(0))), "030100");
  assert.throws(() => encodeBitString(unhex("a1"), 5), invalid);
  assert.throws(() => encodeBitString(unhex("a0"), 8), invalid);
  assert.deepEqual(readBitString(decodeDer(unhex("030205a0"))), { bytes: unhex("a0"), unusedBits: 5 });
  for (const bad of ["0300", "030101", "030208a0", "030201a1"]) assert.throws(() => readBitString(decodeDer(unhex(bad))), invalid, bad);
});

test("strings: Go's PrintableString choice and parsing", () => {
  assert.equal(isPrintableString("example.com/test/app"), true);
  assert.equal(isPrintableString("127.0.0.1:5000/a-b/c(d)+e,f=g?h 'i'"), true);
  for (const s of ["my_app", "a&b", "x*y", "ümlaut", "a@b", "a!b", "a\nb"]) assert.equal(isPrintableString(s), false, s);
  assert.equal(isPrintableString("x*y&z", { allowAsterisk: true, allowAmpersand: true }), true);
  assert.equal(encodeGoString("example.com/app")[0], TAG.PRINTABLE_STRING);
  assert.equal(encodeGoString("example.com/my_app")[0], TAG.UTF8_STRING);
  assert.equal(readString(decodeDer(encodeUtf8String("grüß"))), "grüß");
  assert.equal(readString(decodeDer(encodePrintableString("a*b&c"))), "a*b&c");
  assert.equal(readString(decodeDer(unhex("1e0400e9006c"))), "él");
  assert.equal(readString(decodeDer(unhex("1603616263"))), "abc");
  assert.throws(() => readString(decodeDer(unhex("0c02c328"))), invalid);
  assert.throws(() => readString(decodeDer(unhex("130161".replace("61", "5f")))), invalid);
  assert.throws(() => readString(decodeDer(unhex("16018a"))), invalid);
  assert.throws(() => readString(decodeDer(unhex("020100"))), invalid);
  assert.throws(() => encodePrintableString("a_b"), invalid);
});

test("times: Go switches to GeneralizedTime outside 1950..2049 and keeps whole seconds", () => {
  const ascii = (b: Uint8Array): string => Buffer.from(b.subarray(2)).toString("latin1");
  assert.equal(ascii(encodeGoTime(new Date("2026-11-22T02:02:45.999Z"))), "261122020245Z");
  assert.equal(encodeGoTime(new Date("2026-11-22T02:02:45Z"))[0], TAG.UTC_TIME);
  assert.equal(ascii(encodeGoTime(new Date("2049-12-31T23:59:59Z"))), "491231235959Z");
  assert.equal(encodeGoTime(new Date("2050-01-01T00:00:00Z"))[0], TAG.GENERALIZED_TIME);
  assert.equal(ascii(encodeGoTime(new Date("2050-01-01T00:00:00Z"))), "20500101000000Z");
  assert.equal(ascii(encodeGoTime(new Date("1949-12-31T23:59:59Z"))), "19491231235959Z");
  assert.equal(ascii(encodeGoTime(new Date("1950-01-01T00:00:00Z"))), "500101000000Z");
  assert.throws(() => encodeUtcTime(new Date("2050-01-01T00:00:00Z")), invalid);
  assert.throws(() => encodeGeneralizedTime(new Date(NaN)), invalid);

  const t = (tag: number, s: string): Asn1Element => decodeDer(encodeTlv(tag, new Uint8Array(Buffer.from(s, "latin1"))));
  assert.equal(readTime(t(TAG.UTC_TIME, "491231235959Z")).toISOString(), "2049-12-31T23:59:59.000Z");
  assert.equal(readTime(t(TAG.UTC_TIME, "500101000000Z")).toISOString(), "1950-01-01T00:00:00.000Z");
  assert.equal(readTime(t(TAG.UTC_TIME, "2611220202Z")).toISOString(), "2026-11-22T02:02:00.000Z");
  assert.equal(readTime(t(TAG.UTC_TIME, "261122020245+0130")).toISOString(), "2026-11-22T00:32:45.000Z");
  assert.equal(readTime(t(TAG.GENERALIZED_TIME, "20610102030405Z")).toISOString(), "2061-01-02T03:04:05.000Z");
  assert.equal(readTime(t(TAG.GENERALIZED_TIME, "00010101000000Z")).getUTCFullYear(), 1);
  assert.equal(readTime(t(TAG.GENERALIZED_TIME, "00040229120000Z")).toISOString(), "0004-02-29T12:00:00.000Z");
  assert.equal(readTime(t(TAG.GENERALIZED_TIME, "20000229120000Z")).toISOString(), "2000-02-29T12:00:00.000Z");
  for (const [tag, bad] of [
    [TAG.UTC_TIME, "261322020245Z"],
    [TAG.UTC_TIME, "260230020245Z"],
    [TAG.GENERALIZED_TIME, "19000229000000Z"],
    [TAG.UTC_TIME, "261122020245"],
    [TAG.GENERALIZED_TIME, "20610102030405.5Z"],
    [TAG.GENERALIZED_TIME, "206101020304Z"],
    [TAG.OCTET_STRING, "261122020245Z"],
  ] as [number, string][]) {
    assert.throws(() => readTime(t(tag, bad)), invalid, bad);
  }
});

test("SET OF is sorted, context tags and SEQUENCE nesting", () => {
  assert.equal(hex(encodeSet(unhex("020102"), unhex("020101"))), "3106020101020102");
  assert.equal(hex(encodeContext(0, encodeInteger(2))), "a003020102");
  assert.equal(hex(encodeContext(1, unhex("ff"), false)), "8101ff");
  assert.throws(() => encodeContext(31, new Uint8Array(0)), invalid);
  const seq = decodeDer(encodeSequence(encodeInteger(1), encodeSequence(), encodeNull()));
  assert.deepEqual(children(seq).map((c) => c.tag), [TAG.INTEGER, TAG.SEQUENCE, TAG.NULL]);
  assert.throws(() => children(decodeDer(unhex("0500"))), invalid);
});

/** Re-encodes a decoded tree from its leaves: must reproduce Go's DER byte for byte. */
function reencode(el: Asn1Element): Uint8Array {
  if (!el.constructed) return encodeTlv(el.tag, el.content);
  return encodeTlv(el.tag, Buffer.concat(children(el).map(reencode)));
}

test("decode→re-encode reproduces DER written by Go (certificate, encrypted key, SPKI)", () => {
  const ders = [
    ...decodePemBlocks(fixture("notary-init/root-cert.pem")),
    ...decodePemBlocks(fixture("notary-init/private/830d76827bdea5cfee9e639d8f5d7d5d7e8426287c526363968f33c94be6e9c3.key")),
    ...decodePemBlocks(fixture("notary-import-rsa/private/882fb62d5b78f46e9e8b3a62ced5c44cd45214d936679d60c27d47c02491ad03.key")),
    ...decodePemBlocks(fixture("docker-key-generate/dalice.pub")),
  ].map((b) => b.bytes);
  assert.equal(ders.length, 4);
  for (const der of ders) assert.equal(hex(reencode(decodeDer(der))), hex(der));
});
