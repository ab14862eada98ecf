/**
 * Public key files: docker's `<name>.pub` and `notary key generate`'s `<name>.pem` (a PUBLIC KEY block with a
 * `role:` header), or a certificate, read as notary's `ParsePEMPublicKey` reads them.
 */
import { NotaryError } from "../errors.ts";
import { decodePemBlocks, encodePem } from "./pem.ts";
import type { PemBlock } from "./pem.ts";
import { relabelDerError } from "./asn1-decode.ts";
import { inspectSpki } from "./spki.ts";
import { parseCertificate } from "./x509-parse.ts";

export interface PublicKeyPem {
  /** `spki` for a PUBLIC KEY block, `certificate` for a CERTIFICATE block. */
  kind: "spki" | "certificate";
  /** The SPKI DER, or the certificate DER. */
  der: Uint8Array;
  /** The key's type (the leaf key's for a certificate). Notary accepts only ecdsa and rsa here. */
  keyType: "ecdsa" | "rsa" | "ed25519";
  role?: string;
  headers: Record<string, string>;
}

/**
 * Reads the first block of a docker `.pub` / `notary key generate` `.pem` file (PUBLIC KEY with a `role:` header) or
 * a certificate, like notary's `ParsePEMPublicKey`.
 * @example const { der, role } = readPublicKeyPem(readFileSync("alice.pub", "utf8"));
 */
export function readPublicKeyPem(text: string): PublicKeyPem {
  const block = decodePemBlocks(text, "KEY_FILE_INVALID")[0];
  if (!block) throw new NotaryError("KEY_FILE_INVALID", "no PEM block found");
  const keyType = keyTypeOfBlock(block);
  if (keyType !== "ecdsa" && keyType !== "rsa" && keyType !== "ed25519") throw new NotaryError("KEY_UNSUPPORTED", `unsupported public key type ${keyType}`);
  const out: PublicKeyPem = { kind: block.type === "PUBLIC KEY" ? "spki" : "certificate", der: block.bytes, keyType, headers: { ...block.headers } };
  const role = block.headers["role"];
  if (role !== undefined) out.role = role;
  return out;
}

function keyTypeOfBlock(block: PemBlock): string {
  if (block.type === "CERTIFICATE") return parseCertificate(block.bytes).keyAlgorithm;
  if (block.type !== "PUBLIC KEY") {
    throw new NotaryError("KEY_FILE_INVALID", `unsupported PEM block type "${block.type}", expected CERTIFICATE or PUBLIC KEY`);
  }
  try {
    return inspectSpki(block.bytes).keyAlgorithm;
  } catch (e) {
    throw relabelDerError(e, "KEY_INVALID", "malformed public key");
  }
}

/**
 * A PUBLIC KEY PEM with an optional `role:` header, byte-identical to `docker trust key generate`'s `<name>.pub`
 * and `notary key generate`'s `<name>.pem`.
 * @example writeFileSync("alice.pub", writePublicKeyPem(spki, "alice"), { mode: 0o600 });
 */
export function writePublicKeyPem(spkiDer: Uint8Array, role?: string): string {
  try {
    inspectSpki(spkiDer);
  } catch (e) {
    throw relabelDerError(e, "KEY_INVALID", "malformed public key");
  }
  return encodePem("PUBLIC KEY", spkiDer, role ? { role } : {});
}
