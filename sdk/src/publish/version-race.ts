/**
 * Version races: another process published first, so the server refused our versions (SERVER_VERSION_CONFLICT). The
 * batch is drafted again on fresh state after a jittered back-off, a bounded number of times; a race lost every time
 * is PUBLISH_CONFLICT. Anything else that fails a publish (a replayed read-back, a refused key) is not a race.
 */
import { NotaryError, isNotaryError } from "../errors.ts";

export function isVersionRace(e: unknown): boolean {
  return isNotaryError(e, "SERVER_VERSION_CONFLICT");
}

/** Back-off before attempt `attempt + 1`: doubling from 50 ms up to 2 s, jittered between half and one and a half. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(2000, 50 * 2 ** (attempt - 1));
  return base / 2 + random() * base;
}

export function publishConflict(gun: string, attempts: number, cause: unknown): NotaryError {
  return new NotaryError(
    "PUBLISH_CONFLICT",
    `publishing to ${gun} lost ${attempts} version races in a row against other publishers; try again later`,
    { cause, details: { gun, attempts } },
  );
}
