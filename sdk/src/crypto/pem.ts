/**
 * PEM with Go's `encoding/pem` semantics: the one place PEM text is read or written (certificates, key files,
 * public keys). Output must be exactly `pem.EncodeToMemory`'s: notary recomputes key IDs from its own PEM
 * re-encoding of a certificate, so a different line length or a CR changes the ID.
 */
import { NotaryError } from "../errors.ts";
import type { NotaryErrorCode } from "../errors.ts";
import { fromBase64, toBase64 } from "../encoding.ts";

export interface PemBlock {
  type: string;
  /** `key: value` header lines (`role`, `gun`, `path`, `Proc-Type`, `DEK-Info`…), verbatim. */
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
    const { headers, next } = readHeaders(lines, i + 1);
    const { body, end } = readBody(lines, next, type, errorCode);
    blocks.push({ type, headers, bytes: decodeBody(body, type, errorCode) });
    i = end;
  }
  return blocks;
}

/** The `key: value` lines right after a BEGIN line, and the index of the first body line. */
function readHeaders(lines: readonly string[], start: number): { headers: Record<string, string>; next: number } {
  const headers: Record<string, string> = {};
  let j = start;
  for (; j < lines.length; j++) {
    const line = lines[j]!;
    const colon = line.indexOf(":");
    if (colon < 0 || END_RE.test(line)) break;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers, next: j };
}

/** The base64 body up to the matching END line (whose index is returned). */
function readBody(lines: readonly string[], start: number, type: string, errorCode: NotaryErrorCode): { body: string; end: number } {
  let body = "";
  for (let j = start; j < lines.length; j++) {
    const line = lines[j]!;
    const end = END_RE.exec(line);
    if (end) {
      if (end[1] !== type) throw new NotaryError(errorCode, `PEM block "${type}" ends with a mismatched END line`);
      return { body, end: j };
    }
    if (BEGIN_RE.test(line)) break;
    body += line.replace(/[ \t\r]/g, "");
  }
  throw new NotaryError(errorCode, `PEM block "${type}" has no END line`);
}

function decodeBody(body: string, type: string, errorCode: NotaryErrorCode): Uint8Array {
  try {
    return fromBase64(body, "PEM body");
  } catch (cause) {
    throw new NotaryError(errorCode, `PEM block "${type}" does not contain valid base64`, { cause });
  }
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Go's header order: `Proc-Type` first, the others sorted by their UTF-8 bytes; a blank line closes them. */
function encodeHeaders(headers: Record<string, string>): string {
  const keys = Object.keys(headers);
  if (keys.length === 0) return "";
  for (const k of keys) {
    if (k.includes(":") || /[\r\n]/.test(k) || /[\r\n]/.test(headers[k]!)) {
      throw new NotaryError("INPUT_INVALID", "PEM header keys must not contain ':' or line breaks, values no line breaks");
    }
  }
  const ordered = [...keys.filter((k) => k === "Proc-Type"), ...keys.filter((k) => k !== "Proc-Type").sort(compareUtf8)];
  return ordered.map((k) => `${k}: ${headers[k]}\n`).join("") + "\n";
}

/**
 * PEM exactly as Go's `pem.EncodeToMemory`: headers (see above), base64 in 64-character lines each ending with
 * `\n`, and a final `\n`.
 * @example encodePem("PUBLIC KEY", spkiDer, { role: "alice" })
 */
export function encodePem(type: string, der: Uint8Array, headers: Record<string, string> = {}): string {
  if (/[\r\n]/.test(type) || type.includes("-----")) throw new NotaryError("INPUT_INVALID", "invalid PEM block type");
  let out = `-----BEGIN ${type}-----\n` + encodeHeaders(headers);
  const b64 = toBase64(der);
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + "\n";
  return out + `-----END ${type}-----\n`;
}

/**
 * `pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})`.
 * @example const pem = certificateToPem(parseCertificate(anyPem).der) // Go's encoding, whatever the input's was
 */
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
  for (const b of blocks) {
    if (b.type !== "CERTIFICATE") throw new NotaryError("X509_INVALID", `unexpected PEM block type "${b.type}" in certificate bundle`);
  }
  if (blocks.length === 0) throw new NotaryError("X509_INVALID", "no certificates found in PEM data");
  return blocks.map((b) => b.bytes);
}

/**
 * The DER of the CERTIFICATE blocks among any others (a key file or `.pub` may hold both), in order.
 * @example certificateBlocksOf(pem).map(certificateToPem).join("") // the certificates alone, re-encoded as Go does
 */
export function certificateBlocksOf(pem: string, errorCode: NotaryErrorCode = "X509_INVALID"): Uint8Array[] {
  return decodePemBlocks(pem, errorCode)
    .filter((b) => b.type === "CERTIFICATE")
    .map((b) => b.bytes);
}
