/**
 * The PEM headers notary and docker put on key files (reference §9.1): `role` always, `gun` for the repository's
 * own targets/snapshot/timestamp keys, `path` in `notary key export` output. They choose the passphrase to ask for.
 */
import { NotaryError } from "../errors.ts";
import type { PemBlock } from "./pem.ts";

/** What a passphrase callback is told about the block it must open. */
export interface KeyBlockInfo {
  blockType: string;
  role?: string;
  gun?: string;
  path?: string;
}

/** A passphrase, or a function choosing one per block (handy for multi-block `notary key export` files). */
export type PassphraseSource = string | ((block: KeyBlockInfo) => string | undefined);

/** Roles whose key files carry a `gun:` header (notary `trustmanager/keystore.go › AddKey`). */
const ROLES_WITH_GUN: ReadonlySet<string> = new Set(["targets", "snapshot", "timestamp"]);

/**
 * The block type and the notary headers of a key block.
 * @example keyBlockInfo(block) // { blockType: "ENCRYPTED PRIVATE KEY", role: "targets", gun: "example.com/app" }
 */
export function keyBlockInfo(block: PemBlock): KeyBlockInfo {
  const info: KeyBlockInfo = { blockType: block.type };
  const { role, gun, path } = block.headers;
  if (role !== undefined) info.role = role;
  if (gun !== undefined) info.gun = gun;
  if (path !== undefined) info.path = path;
  return info;
}

/**
 * The passphrase for a block; none (or an empty one) is `KEY_PASSPHRASE_REQUIRED`, naming the role but no secret.
 * @example requirePassphrase((b) => (b.role === "root" ? rootPass : repoPass), keyBlockInfo(block))
 */
export function requirePassphrase(source: PassphraseSource | undefined, info: KeyBlockInfo): string {
  const p = typeof source === "function" ? source(info) : source;
  if (p === undefined || p === "") {
    throw new NotaryError("KEY_PASSPHRASE_REQUIRED", `a passphrase is required to open this ${info.role ?? "private"} key`, {
      details: { ...info },
    });
  }
  return p;
}

/**
 * The headers notary writes for a key of `role`: the GUN only for targets/snapshot/timestamp (as `AddKey` does).
 * @example keyFileHeaders("targets", "example.com/app") // { role: "targets", gun: "example.com/app" }
 */
export function keyFileHeaders(role: unknown, gun: string | undefined): Record<string, string> {
  if (typeof role !== "string" || role === "" || /[\r\n]/.test(role)) throw new NotaryError("INPUT_INVALID", "a key file needs a role");
  const headers: Record<string, string> = { role };
  if (ROLES_WITH_GUN.has(role)) {
    if (!gun || /[\r\n]/.test(gun)) throw new NotaryError("INPUT_INVALID", `a ${role} key file needs a GUN`);
    headers["gun"] = gun;
  }
  return headers;
}
