/**
 * The checks every step of the verified read repeats: a file must be there, within its size cap, and unexpired.
 */
import { NotaryError } from "../errors.ts";
import { parseGoTime } from "../metadata/time.ts";
import type { MetadataFetcher, RepoState } from "./state.ts";

/**
 * Fetch or fail with METADATA_NOT_FOUND. `limit`: the cap is a size limit (root, timestamp), so a longer answer is
 * refused here whatever the fetcher did with the cap. For hashed files the cap is the expected length, and a longer
 * answer fails the length/hash check instead (METADATA_HASH_MISMATCH).
 */
export async function mustFetch(fetch: MetadataFetcher, name: string, max: number, role: string, limit = false): Promise<Uint8Array> {
  const b = await fetch(name, max);
  if (!b) {
    throw new NotaryError("METADATA_NOT_FOUND", `${role} metadata (${name}.json) is missing on the server`, { details: { role } });
  }
  if (limit) checkLimit(b, name, max, role);
  return b;
}

export function checkLimit(b: Uint8Array, name: string, max: number, role: string): void {
  if (b.length > max) {
    throw new NotaryError("METADATA_TOO_LARGE", `${role} metadata (${name}.json) is ${b.length} bytes, over the ${max}-byte limit`, {
      details: { role, limit: max, size: b.length },
    });
  }
}

export function isExpired(expires: string, now: Date): boolean {
  return parseGoTime(expires).getTime() < now.getTime();
}

export function checkExpiry(role: string, expires: string, now: Date): void {
  if (isExpired(expires, now)) throw expiredError(role, expires);
}

export function expiredError(role: string, expires: string): NotaryError {
  return new NotaryError("METADATA_EXPIRED", `${role} metadata expired at ${expires}; it must be re-signed (witnessed) with the ${role} key`, {
    details: { role, expires },
  });
}

/**
 * A state fetched with `allowExpiredTargets` as readers may use it: fails with METADATA_EXPIRED (as a reader's fetch
 * does) while its top-level targets is expired.
 */
export function readableState(state: RepoState): RepoState {
  const top = state.roles.get("targets");
  if (top?.status === "expired") throw expiredError("targets", top.file.signed.expires);
  return state;
}
