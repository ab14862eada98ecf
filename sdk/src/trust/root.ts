/**
 * Root validation (`trustpinning/certs.go › ValidateRoot`, `validRootLeafCerts`; reference §3.4, §7.3).
 */
import { DAY_MS } from "../metadata/time.ts";
import { NotaryError } from "../errors.ts";
import { parseEnvelope, verifyThreshold, type Envelope } from "../metadata/signed.ts";
import { parseRoot } from "../metadata/schema.ts";
import { parseGoTime } from "../metadata/time.ts";
import type { KeyJson, Root, SignedFile } from "../metadata/types.ts";
import { keyFromJson, canonicalKeyIdOfJson } from "../crypto/keys.ts";
import { parseCertificateBundle, type ParsedCertificate } from "../crypto/x509.ts";
import { fromUtf8 } from "../encoding.ts";

/** Does a certificate CN match the GUN (`MatchCNToGun`: equal, or a `prefix*` wildcard)? */
export function cnMatchesGun(cn: string, gun: string): boolean {
  return cn.endsWith("*") ? gun.startsWith(cn.slice(0, -1)) : cn === gun;
}

/**
 * Why notary would not use this leaf certificate for `gun` at `now` (`validRootLeafCerts`, reference §3.4), or
 * undefined when it would.
 */
function leafProblem(leaf: ParsedCertificate, gun: string, now: Date, checkExpiry: boolean): string | undefined {
  if (!leaf.commonName || !cnMatchesGun(leaf.commonName, gun)) return `certificate CN ${JSON.stringify(leaf.commonName)} does not match GUN ${gun}`;
  if (leaf.isCA) return "certificate is a CA";
  if (/SHA1/i.test(leaf.signatureAlgorithm)) return `certificate is signed with SHA-1 (${leaf.signatureAlgorithm}), which notary refuses`;
  if (leaf.keyAlgorithm === "rsa" && (leaf.rsaModulusBits ?? 0) < 2048) return "RSA certificate key shorter than 2048 bits";
  if (leaf.notBefore.getTime() > now.getTime() + DAY_MS) return `certificate not valid before ${leaf.notBefore.toISOString()}`;
  if (checkExpiry && leaf.notAfter.getTime() < now.getTime()) return `certificate expired ${leaf.notAfter.toISOString()}`;
  return undefined;
}

/** Why a root key cannot anchor trust, or undefined. Its certificates are parsed once; one that does not parse is a problem. */
function rootKeyProblem(kj: KeyJson | undefined, gun: string, now: Date, checkExpiry: boolean): string | undefined {
  if (!kj) return "not in keys";
  if (kj.keytype !== "ecdsa-x509" && kj.keytype !== "rsa-x509") return `root keys must be certificates (ecdsa-x509/rsa-x509), got ${kj.keytype}`;
  try {
    const [leaf] = parseCertificateBundle(fromUtf8(keyFromJson(kj).public));
    return leafProblem(leaf!, gun, now, checkExpiry);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code ? `${(e as Error).message} (${code})` : (e as Error).message;
  }
}

/**
 * The root role's keys whose leaf certificates are usable for `gun` at `now` (checkExpiry=false for previous roots).
 * Returns the subset of key IDs; the reasons others were dropped are collected for the error message.
 */
export function validRootKeyIds(root: Root, gun: string, now: Date, checkExpiry: boolean): { ids: string[]; problems: string[] } {
  const ids: string[] = [];
  const problems: string[] = [];
  for (const id of root.roles["root"]?.keyids ?? []) {
    const problem = rootKeyProblem(root.keys[id], gun, now, checkExpiry);
    if (problem === undefined) ids.push(id);
    else problems.push(`${id}: ${problem}`);
  }
  return { ids, problems };
}

export type ParsedRoot = { env: Envelope; root: Root };

export function parseRootFile(bytes: Uint8Array): ParsedRoot {
  const env = parseEnvelope(bytes, "root");
  return { env, root: parseRoot(env.rawSigned) };
}

/** Verify `next` against its own root keys (threshold of the new root) and, if given, the previous root's. */
export function verifyRootSignatures(next: ParsedRoot, gun: string, now: Date, prev: Root | undefined, checkExpiry: boolean): void {
  if (prev) {
    const prevValid = validRootKeyIds(prev, gun, now, false);
    try {
      verifyThreshold(next.env, { keys: prev.keys, keyids: prevValid.ids, threshold: prev.roles["root"]?.threshold ?? 1 }, "root");
    } catch (cause) {
      throw new NotaryError(
        "TRUST_ROOT_ROTATION_FAILED",
        `root version ${next.root.version} is not signed by the trusted root version ${prev.version}'s keys ` +
          `[${(prev.roles["root"]?.keyids ?? []).join(", ")}]: possible malicious behaviour, or the root was replaced ` +
          `rather than rotated`,
        { cause, details: { version: next.root.version, trustedVersion: prev.version } },
      );
    }
  }
  const own = validRootKeyIds(next.root, gun, now, checkExpiry);
  if (own.ids.length === 0) {
    throw new NotaryError(
      "TRUST_ROOT_MISMATCH",
      `root version ${next.root.version} has no valid root certificate for ${gun}: ${own.problems.join("; ")}`,
      { details: { gun } },
    );
  }
  verifyThreshold(next.env, { keys: next.root.keys, keyids: own.ids, threshold: next.root.roles["root"]?.threshold ?? 1 }, "root");
  if (checkExpiry && parseGoTime(next.root.expires).getTime() < now.getTime()) {
    throw new NotaryError("METADATA_EXPIRED", `root metadata expired at ${next.root.expires}; re-sign it with the root key`, {
      details: { role: "root", expires: next.root.expires },
    });
  }
  for (const r of ["root", "targets", "snapshot", "timestamp"]) {
    const rk = next.root.roles[r];
    if (!rk || rk.threshold < 1 || rk.keyids.some((k) => !next.root.keys[k])) {
      throw new NotaryError("METADATA_MALFORMED", `root is missing a valid ${r} role (keys and threshold ≥ 1)`, {
        details: { role: r },
      });
    }
  }
}

/** Both IDs users meet for a root key: the certificate (TUF) ID and the canonical private-key ID. */
export function rootKeyIdPairs(root: Root): { certId: string; canonicalId: string }[] {
  return (root.roles["root"]?.keyids ?? []).flatMap((id) => {
    const kj: KeyJson | undefined = root.keys[id];
    if (!kj) return [];
    try {
      return [{ certId: id, canonicalId: canonicalKeyIdOfJson(kj) }];
    } catch {
      return [{ certId: id, canonicalId: id }];
    }
  });
}

export function rootMatchesPins(root: Root, pins: readonly string[]): boolean {
  const set = new Set(pins);
  return rootKeyIdPairs(root).some((p) => set.has(p.certId) || set.has(p.canonicalId));
}

export function toSignedRoot(p: ParsedRoot): SignedFile<Root> {
  return { bytes: p.env.bytes, signed: p.root, signatures: p.env.signatures };
}
