/**
 * The rollback floor (rule 2 of update.ts): the versions no later read may go below, by role. Nothing older than what
 * this process verified or uploaded, or than what the caller carried from an earlier process, is accepted.
 */
import { NotaryError } from "../errors.ts";
import type { RepoState, VersionFloor } from "./state.ts";

/** The higher of two floors, role by role. */
export function maxFloor(a: VersionFloor | undefined, b: VersionFloor | undefined): VersionFloor {
  const out: Record<string, number> = { ...a };
  for (const [role, v] of Object.entries(b ?? {})) if (Number.isSafeInteger(v) && v > (out[role] ?? 0)) out[role] = v;
  return out;
}

/** The versions of a verified state, as a floor for later reads. */
export function floorOf(state: RepoState): VersionFloor {
  const out: Record<string, number> = { root: state.root.signed.version, timestamp: state.timestamp.signed.version, snapshot: state.snapshot.signed.version };
  for (const [role, r] of state.roles) out[role] = r.file.signed.version;
  return out;
}

/** The first role of `state` older than `floor`, if any. */
export function belowFloor(state: RepoState, floor: VersionFloor): { role: string; version: number; trusted: number } | undefined {
  const have = floorOf(state);
  for (const [role, trusted] of Object.entries(floor)) {
    const version = have[role];
    if (version !== undefined && version < trusted) return { role, version, trusted };
  }
  return undefined;
}

export function rollbackError(role: string, version: number, trusted: number): NotaryError {
  return new NotaryError(
    "METADATA_ROLLBACK",
    `the server served ${role} version ${version}, older than version ${trusted} already trusted: it may be replaying old ` +
      `metadata (or it was restored from a backup). Nothing older than what was verified before is accepted; to accept ` +
      `it deliberately, read it without the earlier floor`,
    { details: { role, version, trusted } },
  );
}

export function checkRollback(role: string, version: number, floor: number | undefined): void {
  if (floor !== undefined && version < floor) throw rollbackError(role, version, floor);
}
