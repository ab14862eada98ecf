/** Byte/text encodings used by Notary metadata: standard base64 with padding, lowercase hex, UTF-8. */
import { NotaryError } from "./errors.ts";

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  try {
    return utf8Decoder.decode(b);
  } catch (cause) {
    throw new NotaryError("ENCODING_INVALID", "bytes are not valid UTF-8", { cause });
  }
}

/** Standard base64 with padding, as Go's `encoding/base64.StdEncoding` writes it. */
export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

const BASE64_STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 decoding (Go's StdEncoding rejects what this rejects). */
export function fromBase64(s: string, what = "value"): Uint8Array {
  if (!BASE64_STD.test(s)) throw new NotaryError("ENCODING_INVALID", `${what} is not valid standard base64`);
  return new Uint8Array(Buffer.from(s, "base64"));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function fromHex(s: string, what = "value"): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new NotaryError("ENCODING_INVALID", `${what} is not valid hex`);
  return new Uint8Array(Buffer.from(s, "hex"));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
