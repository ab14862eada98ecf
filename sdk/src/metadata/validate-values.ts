/**
 * Checks of the values a change carries (target file metadata, `custom` data, names, key objects), made before
 * anything is signed or sent: what notary-server would accept but no reader could use, or what would break the
 * repository for every reader, is refused here with the field, the problem and the fix.
 *
 * What the Go tools do (notary 0.7.0, found on 127.0.0.1): `notary addhash … -- -5` publishes length -5 and
 * notary-server takes it, as it takes a 5-byte "sha256" and a target with no hashes at all (docker can then not pull
 * the tag); a hash that is not base64 is refused by the server ("illegal base64 data"); a field FileMeta does not hold,
 * or `"custom": null`, is stored but dropped when the server re-serializes the file for its snapshot, so the snapshot
 * names bytes the server does not hold and `notary list` fails with "trust data unavailable" (reference §1.5).
 */
import { createPublicKey } from "node:crypto";
import { NotaryError, type NotaryErrorCode } from "../errors.ts";
import { fromBase64 } from "../encoding.ts";
import { certificatesOf } from "../crypto/keys.ts";
import type { KeyType } from "./types.ts";

/** Throw a coded error naming the field, what is wrong with its value, and what to do. */
export function refuse(code: NotaryErrorCode, field: string, problem: string, fix: string, details: Record<string, unknown> = {}): never {
  throw new NotaryError(code, `${field} ${problem}: ${fix}`, { details: { field, ...details } });
}

/** A value as a message shows it: short, quoted when a string. */
export function shown(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : typeof v === "object" && v !== null ? (Array.isArray(v) ? "an array" : "an object") : String(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Strings Go can sign and serve: no control characters (reference §1.4), no lone surrogates (not UTF-8). */
export function checkText(s: string, field: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      refuse("CANONICAL_JSON_UNSUPPORTED", field, `${shown(s)} contains a control character (U+${c.toString(16).padStart(4, "0")})`,
        "notary cannot publish it (Go's JSON encoder refuses raw control characters, reference §1.4): remove it");
    }
    if (c >= 0xd800 && c <= 0xdbff && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) i++;
    else if (c >= 0xd800 && c <= 0xdfff) refuse("CANONICAL_JSON_UNSUPPORTED", field, "contains a lone surrogate", "it is not valid UTF-8: fix the string");
  }
}

const DIGEST_BYTES: Readonly<Record<string, number>> = { sha256: 32, sha512: 64 };

function checkHashes(hashes: unknown, field: string): void {
  const example = `e.g. { sha256: "<base64 of the 32-byte digest>" } (targetMetaFor(content) computes it)`;
  if (!isPlainObject(hashes)) refuse("INPUT_INVALID", field, `is ${shown(hashes)}, not an object of digests`, example);
  for (const [alg, value] of Object.entries(hashes)) {
    const at = `${field}.${alg}`;
    const hex = typeof value === "string" && /^[0-9a-fA-F]+$/.test(value) && value.length === 2 * (DIGEST_BYTES[alg] ?? -1);
    const fix = hex
      ? `it looks like hex: give the standard base64 of the raw digest (Buffer.from(hex, "hex").toString("base64"))`
      : "give the standard base64 (with padding) of the raw digest";
    if (typeof value !== "string") refuse("INPUT_INVALID", at, `is ${shown(value)}, not a base64 string`, fix);
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(value);
    } catch {
      return refuse("INPUT_INVALID", at, `is not base64 (${shown(value)}); notary-server refuses it ("illegal base64 data")`, fix);
    }
    const want = DIGEST_BYTES[alg];
    if (want !== undefined && bytes.length !== want) {
      refuse("INPUT_INVALID", at, `decodes to ${bytes.length} bytes, but a ${alg} digest is ${want}`, fix);
    }
  }
  if (!Object.keys(DIGEST_BYTES).some((alg) => hashes[alg] !== undefined)) {
    refuse("INPUT_INVALID", field, "has no sha256 or sha512 digest", `readers check at least one of them and docker pulls by sha256: give one, ${example}`);
  }
}

function checkLength(length: unknown, field: string): void {
  const fix = "give the content's size in bytes, a whole number ≥ 0 (targetMetaFor(content) computes length and hashes)";
  if (typeof length !== "number" || !Number.isInteger(length)) refuse("INPUT_INVALID", field, `is ${shown(length)}, not a whole number`, fix);
  if (length < 0) refuse("INPUT_INVALID", field, `is ${length}: notary-server would store it, but no reader (this SDK included) accepts a negative length`, fix);
  if (!Number.isSafeInteger(length)) {
    refuse("INPUT_INVALID", field, `is ${length}, above 2^53-1: Go's verifier re-encodes lengths as float64 and the signature would fail (reference §1.3)`, fix);
  }
}

/** `custom` must be plain JSON that canonical JSON can represent exactly (integers, no control characters). */
export function checkJson(v: unknown, field: string, seen: Set<object> = new Set()): void {
  if (v === null || typeof v === "boolean") return;
  if (typeof v === "string") return checkText(v, field);
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) {
      refuse("CANONICAL_JSON_UNSUPPORTED", field, `is ${v}`, "signed metadata holds integers within ±(2^53-1) only (reference §1.3): encode other numbers as strings");
    }
    return;
  }
  const plainFix = "custom data must be plain JSON (objects, arrays, strings, integers, booleans, null)";
  if (typeof v !== "object") refuse("INPUT_INVALID", field, `is ${shown(v)} (a ${typeof v})`, plainFix);
  if (seen.has(v)) refuse("INPUT_INVALID", field, "refers to itself (a cycle)", plainFix);
  seen.add(v);
  if (Array.isArray(v)) {
    v.forEach((x, i) => (x === undefined ? refuse("INPUT_INVALID", `${field}[${i}]`, "is undefined", plainFix) : checkJson(x, `${field}[${i}]`, seen)));
  } else if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      checkText(k, `${field} key ${JSON.stringify(k)}`);
      if (x !== undefined) checkJson(x, `${field}.${k}`, seen);
    }
  } else {
    refuse("INPUT_INVALID", field, `is a ${(v as object).constructor?.name ?? "non-plain"} object, which would be signed as {}`, plainFix);
  }
  seen.delete(v);
}

/** Target file metadata: exactly notary's FileMeta fields (`length`, `hashes`, optional `custom`). */
export function checkTargetMeta(meta: unknown, field: string): void {
  if (!isPlainObject(meta)) {
    refuse("INPUT_INVALID", field, `is ${shown(meta)}, not file metadata`, "give { length, hashes } (targetMetaFor(content) builds it)");
  }
  for (const k of Object.keys(meta)) {
    if (k !== "length" && k !== "hashes" && k !== "custom" && meta[k] !== undefined) {
      refuse("INPUT_INVALID", `${field}.${k}`, "is not a field of notary's file metadata",
        "notary-server drops unknown fields when it re-serializes the file, after which no reader finds it (reference §1.5): keep only length, hashes and custom");
    }
  }
  checkLength(meta["length"], `${field}.length`);
  checkHashes(meta["hashes"], `${field}.hashes`);
  if (meta["custom"] === null) {
    refuse("INPUT_INVALID", `${field}.custom`, "is null", "notary-server drops a null custom when it re-serializes the file, after which no reader finds it: leave custom out");
  }
  if (meta["custom"] !== undefined) checkJson(meta["custom"], `${field}.custom`);
}

const KEY_TYPES: readonly KeyType[] = ["ecdsa", "ecdsa-x509", "rsa", "rsa-x509", "ed25519"];

/** Why a public key object cannot be used in metadata, or undefined. */
function keyProblem(k: Record<string, unknown>): string | undefined {
  const keyval = k["keyval"];
  if (typeof k["keytype"] !== "string" || !isPlainObject(keyval)) return "is not a key object { keytype, keyval: { public } }";
  const type = k["keytype"] as KeyType;
  if (!KEY_TYPES.includes(type)) return `has key type ${shown(type)}, which notary cannot verify (${KEY_TYPES.join(", ")})`;
  if (keyval["private"] !== null && keyval["private"] !== undefined) return "carries private key material (keyval.private must be null)";
  if (typeof keyval["public"] !== "string" || keyval["public"] === "") return "has no keyval.public";
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(keyval["public"]);
  } catch {
    return "has a keyval.public that is not base64";
  }
  try {
    if (type === "ed25519") return bytes.length === 32 ? undefined : `is an ed25519 key of ${bytes.length} bytes, not 32`;
    if (type.endsWith("-x509")) {
      const t = certificatesOf({ keyType: type, public: bytes })[0]!.publicKey.asymmetricKeyType;
      return t === (type === "ecdsa-x509" ? "ec" : "rsa") ? undefined : `holds a certificate for a ${t} key, not ${type}`;
    }
    const t = createPublicKey({ key: Buffer.from(bytes), format: "der", type: "spki" }).asymmetricKeyType;
    return t === (type === "ecdsa" ? "ec" : "rsa") ? undefined : `holds a ${t} key, not ${type}`;
  } catch {
    return `has a keyval.public that is not a ${type.endsWith("-x509") ? "PEM certificate" : "DER public key"}`;
  }
}

/** A non-empty list of usable public key objects. */
export function checkKeyList(keys: unknown, field: string): void {
  const fix = "give public key objects as keyToJson(publicKey) makes them";
  if (!Array.isArray(keys) || keys.length === 0) refuse("INPUT_INVALID", field, Array.isArray(keys) ? "is empty" : `is ${shown(keys)}`, `a role needs at least one key: ${fix}`);
  keys.forEach((k, i) => {
    const problem = isPlainObject(k) ? keyProblem(k) : "is not a key object";
    if (problem) refuse("INPUT_INVALID", `${field}[${i}]`, problem, fix);
  });
}
