/** File metadata (length + hashes) as notary computes it (`tuf/data/types.go › NewFileMeta`, sha256 + sha512). */
import { createHash } from "node:crypto";
import { NotaryError } from "../errors.ts";
import { fromBase64, toBase64, bytesEqual } from "../encoding.ts";
import type { FileMeta } from "./types.ts";

export function fileMeta(bytes: Uint8Array): FileMeta {
  return {
    length: bytes.length,
    hashes: {
      sha256: createHash("sha256").update(bytes).digest("base64"),
      sha512: createHash("sha512").update(bytes).digest("base64"),
    },
  };
}

export function sha256HexOfMeta(meta: FileMeta): string | undefined {
  const h = meta.hashes["sha256"];
  return h === undefined ? undefined : Buffer.from(fromBase64(h, "sha256")).toString("hex");
}

/**
 * `tuf/data/types.go › CheckHashes` + length: every known algorithm present must match, at least one of sha256 and
 * sha512 must be present, and the length must be equal.
 */
export function checkFileMeta(bytes: Uint8Array, expected: FileMeta, role: string): void {
  if (bytes.length !== expected.length) {
    throw new NotaryError(
      "METADATA_HASH_MISMATCH",
      `${role} is ${bytes.length} bytes but the referring metadata says ${expected.length}`,
      { details: { role } },
    );
  }
  let checked = 0;
  for (const alg of ["sha256", "sha512"] as const) {
    const want = expected.hashes[alg];
    if (want === undefined) continue;
    const got = createHash(alg).update(bytes).digest();
    if (!bytesEqual(new Uint8Array(got), fromBase64(want, `${alg} hash`))) {
      throw new NotaryError("METADATA_HASH_MISMATCH", `${role} does not match its ${alg} hash in the referring metadata`, {
        details: { role, algorithm: alg },
      });
    }
    checked++;
  }
  if (checked === 0) {
    throw new NotaryError("METADATA_HASH_MISMATCH", `the metadata referring to ${role} carries no sha256 or sha512 hash`, {
      details: { role },
    });
  }
}

/** Target metadata for content (docker signs the manifest: sha256 + length). */
export function targetMetaFor(content: Uint8Array, algorithms: readonly ("sha256" | "sha512")[] = ["sha256"]): FileMeta {
  const hashes: Record<string, string> = {};
  for (const a of algorithms) hashes[a] = toBase64(new Uint8Array(createHash(a).update(content).digest()));
  return { length: content.length, hashes };
}
