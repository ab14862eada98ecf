/**
 * Go-compatible canonical JSON (docker/go `canonical/json`, the encoder notary signs with) and the exact wire
 * serialization of a signed metadata file (notary `Signed` struct through std `json.Marshal`).
 *
 * Reference: notary-v1-reference.md §1.2 (rules), §1.4 (wire bytes), §1.5 (uploads must be Go-identical).
 *
 * - object keys sorted by UTF-8 bytes (= code point order, not JS's UTF-16 order);
 * - strings: only `"` and `\` escaped, every other character written raw;
 * - numbers: integers only, written in plain decimal (never exponent form).
 */
import { NotaryError } from "./errors.ts";
import { utf8 } from "./encoding.ts";

/** A JSON value as produced by `JSON.parse`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type CanonicalMode = {
  /**
   * `produce` (default): what we sign and publish. Rejects anything Go cannot round-trip: non-integers, integers
   * beyond ±(2^53-1), control characters (Go's wire `compact` rejects them) and lone surrogates.
   * `verify`: re-encode data fetched from a server exactly as Go's verifier would (float64 integers, raw controls).
   */
  mode?: "produce" | "verify";
};

/** Compare two strings by Unicode code points, which is the same as comparing their UTF-8 bytes (Go's order). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Below the surrogate range and above it, UTF-16 order equals code point order. A surrogate (an astral code
    // point) must sort after U+E000..U+FFFF, which UTF-16 order gets wrong.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x - y;
    return xs ? 1 : -1;
  }
  return a.length - b.length;
}

function fail(path: readonly string[], what: string): never {
  const at = path.join("");
  throw new NotaryError(
    "CANONICAL_JSON_UNSUPPORTED",
    `${what} at ${at || "(root)"}: Go's canonical JSON cannot represent it, so a repository holding it would not verify`,
    { details: { path: at } },
  );
}

/** Anything needing a closer look: control characters, surrogates (paired or not), and the two escaped characters. */
const SPECIAL = /[\u0000-\u001f"\\\ud800-\udfff]/;

// `path` is a stack of segments (".key", "[3]") joined only when an error names the place: building a path string for
// every member would cost more than the encoding itself.
function encodeString(s: string, path: readonly string[], produce: boolean, out: string[]): void {
  if (!SPECIAL.test(s)) return void out.push('"', s, '"');
  if (produce) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20) fail(path, `control character U+${c.toString(16).padStart(4, "0")} in a string`);
      if (c >= 0xd800 && c <= 0xdbff) {
        const d = s.charCodeAt(i + 1);
        if (!(d >= 0xdc00 && d <= 0xdfff)) fail(path, "lone surrogate in a string");
        i++;
      } else if (c >= 0xdc00 && c <= 0xdfff) fail(path, "lone surrogate in a string");
    }
  }
  out.push('"', s.replace(/["\\]/g, (m) => "\\" + m), '"');
}

function encodeNumber(n: number, path: readonly string[], produce: boolean, out: string[]): void {
  if (!Number.isFinite(n)) fail(path, `non-finite number ${n}`);
  if (!Number.isInteger(n)) fail(path, `non-integer number ${n}`);
  if (produce && !Number.isSafeInteger(n)) fail(path, `integer ${n} beyond ±(2^53-1)`);
  // Go converts the float64 to int64 and prints it with AppendInt: plain digits, never "1e+21".
  if (Math.abs(n) >= 2 ** 63) fail(path, `integer ${n} beyond int64`);
  out.push(Number.isSafeInteger(n) ? String(n) : BigInt(n).toString());
}

function encodeValue(v: unknown, path: string[], produce: boolean, out: string[]): void {
  if (v === null) return void out.push("null");
  switch (typeof v) {
    case "boolean":
      return void out.push(v ? "true" : "false");
    case "number":
      return encodeNumber(v, path, produce, out);
    case "string":
      return encodeString(v, path, produce, out);
    case "object": {
      if (Array.isArray(v)) {
        out.push("[");
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out.push(",");
          path.push(`[${i}]`);
          encodeValue(v[i], path, produce, out);
          path.pop();
        }
        return void out.push("]");
      }
      if (v instanceof Uint8Array) fail(path, "raw bytes (encode them as base64 first)");
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).filter((k) => o[k] !== undefined);
      keys.sort(compareCodePoints);
      out.push("{");
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (i > 0) out.push(",");
        path.push(`.${k}`);
        encodeString(k, path, produce, out);
        out.push(":");
        encodeValue(o[k], path, produce, out);
        path.pop();
      }
      return void out.push("}");
    }
    default:
      fail(path, `unsupported ${typeof v} value`);
  }
}

/**
 * Canonical JSON text of `value`.
 *
 * @example
 * canonicalJson({ b: 1, a: "<x>" }) // '{"a":"<x>","b":1}'
 */
export function canonicalJson(value: unknown, opts: CanonicalMode = {}): string {
  const out: string[] = [];
  encodeValue(value, [], (opts.mode ?? "produce") === "produce", out);
  return out.join("");
}

/** Canonical JSON as UTF-8 bytes: what notary signs and verifies. */
export function canonicalBytes(value: unknown, opts: CanonicalMode = {}): Uint8Array {
  return utf8(canonicalJson(value, opts));
}

/**
 * What Go's `compact(escape=true)` does to a RawMessage: `<`, `>`, `&`, U+2028 and U+2029 become `\uXXXX`.
 * Applied to canonical text it yields the `signed` value as it appears on the wire (§1.4).
 */
export function htmlEscape(canonical: string): string {
  return canonical.replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

export type WireSignature = { keyid: string; method: string; sig: string };

/**
 * The exact bytes of a metadata file as notary writes and the server re-serializes it:
 * `{"signed":<escaped canonical>,"signatures":[{"keyid":…,"method":…,"sig":…}]}`, no whitespace, no newline.
 */
export function wireBytes(canonicalSigned: string, signatures: readonly WireSignature[]): Uint8Array {
  const sigs = signatures.map(
    (s) => `{"keyid":${JSON.stringify(s.keyid)},"method":${JSON.stringify(s.method)},"sig":${JSON.stringify(s.sig)}}`,
  );
  return utf8(`{"signed":${htmlEscape(canonicalSigned)},"signatures":[${sigs.join(",")}]}`);
}
