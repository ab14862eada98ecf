/**
 * Root validation (`trustpinning/certs.go › ValidateRoot`, `validRootLeafCerts`; reference §3.4, §7.3).
 */
import { DAY_MS } from "../metadata/time.ts";
import { NotaryError } from "../errors.ts";
import { parseEnvelope, verifyThreshold, type Envelope } from "../metadata/signed.ts";
import { parseRoot } from "../metadata/schema.ts";
import { parseGoTime } from "../metadata/time.ts";
import type { KeyJson, Root, SignedFile } from "../metadata/types.ts";
import { certificatesOf, keyFromJson, canonicalKeyIdOfJson } from "../crypto/keys.ts";
import { parseCertificate } from "../crypto/x509.ts";


/** Does a certificate CN match the GUN (`MatchCNToGun`: equal, or a `prefix*` wildcard)? */
export function cnMatchesGun(cn: string, gun: string): boolean {
  return cn.endsWith("*") ? gun.startsWith(cn.slice(0, -1)) : cn === gun;
}

function commonName(subject: string): string | undefined {
  for (const line of subject.split("\n")) if (line.startsWith("CN=")) return line.slice(3);
  return undefined;
}

/**
 * The root role's keys whose leaf certificates are usable for `gun` at `now` (checkExpiry=false for previous roots).
 * Returns the subset of key IDs; the reasons others were dropped are collected for the error message.
 */
export function validRootKeyIds(root: Root, gun: string, now: Date, checkExpiry: boolean): { ids: string[]; problems: string[] } {
  const ids: string[] = [];
  const problems: string[] = [];
  for (const id of root.roles["root"]?.keyids ?? []) {
    const kj = root.keys[id];
    if (!kj) {
      problems.push(`${id}: not in keys`);
      continue;
    }
    if (kj.keytype !== "ecdsa-x509" && kj.keytype !== "rsa-x509") {
      problems.push(`${id}: root keys must be certificates (ecdsa-x509/rsa-x509), got ${kj.keytype}`);
      continue;
    }
    try {
      const [leaf] = certificatesOf(keyFromJson(kj));
      const cn = commonName(leaf!.subject);
      if (!cn || !cnMatchesGun(cn, gun)) {
        problems.push(`${id}: certificate CN ${JSON.stringify(cn)} does not match GUN ${gun}`);
        continue;
      }
      if (leaf!.ca) {
        problems.push(`${id}: certificate is a CA`);
        continue;
      }
      let sigAlg = "";
      try {
        sigAlg = parseCertificate(leaf!.raw).signatureAlgorithm;
      } catch {
        sigAlg = "";
      }
      if (/SHA1/i.test(sigAlg)) {
        problems.push(`${id}: certificate is signed with SHA-1 (${sigAlg}), which notary refuses`);
        continue;
      }
      if (leaf!.publicKey.asymmetricKeyType === "rsa" && (leaf!.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
        problems.push(`${id}: RSA certificate key shorter than 2048 bits`);
        continue;
      }
      const notBefore = new Date(leaf!.validFrom).getTime();
      const notAfter = new Date(leaf!.validTo).getTime();
      if (notBefore > now.getTime() + DAY_MS) {
        problems.push(`${id}: certificate not valid before ${leaf!.validFrom}`);
        continue;
      }
      if (checkExpiry && notAfter < now.getTime()) {
        problems.push(`${id}: certificate expired ${leaf!.validTo}`);
        continue;
      }
      ids.push(id);
    } catch (e) {
      problems.push(`${id}: ${(e as Error).message}`);
    }
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
