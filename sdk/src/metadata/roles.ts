/**
 * Role names and delegation path rules (reference §8.1; `tuf/data/roles.go`, `tuf/utils`).
 */
import { posix } from "node:path";
import { NotaryError } from "../errors.ts";
import type { BaseRole } from "./types.ts";

export const BASE_ROLES: readonly BaseRole[] = ["root", "targets", "snapshot", "timestamp"];
export const RELEASES_ROLE = "targets/releases";

/** `IsDelegation`: `targets/…`, `^[-a-z0-9_/]+$`, under 256 bytes, already `path.Clean`. */
export function isDelegationName(name: string): boolean {
  return (
    name.startsWith("targets/") &&
    name.length > "targets/".length &&
    name.length < 256 &&
    /^[-a-z0-9_/]+$/.test(name) &&
    posix.normalize(name) === name &&
    !name.endsWith("/")
  );
}

export function assertDelegationName(name: string, field = "role"): void {
  if (!isDelegationName(name)) {
    throw new NotaryError(
      "ROLE_NAME_INVALID",
      `${field} ${JSON.stringify(name)} is not a valid delegation name: use "targets/<name>" with lowercase letters, ` +
        `digits, "-", "_" and "/" only (for example "targets/releases" or "targets/team/ci")`,
      { details: { field, value: name } },
    );
  }
}

/** The role that signs a delegation: `path.Dir(name)`. */
export function parentRole(name: string): string {
  return posix.dirname(name);
}

/** A role that may hold targets: `targets` or a valid delegation. */
export function isTargetsRole(name: string): boolean {
  return name === "targets" || isDelegationName(name);
}

/** `checkPaths`: a target is in scope when its name starts with one of the paths (`""` matches everything). */
export function pathAllowed(paths: readonly string[], target: string): boolean {
  return paths.some((p) => target.startsWith(p));
}

/** `RestrictDelegationPathPrefixes`: keep child paths that have some parent path as a prefix. */
export function restrictPaths(parentPaths: readonly string[], childPaths: readonly string[]): string[] {
  return childPaths.filter((c) => parentPaths.some((p) => c.startsWith(p)));
}

/** docker's signer name rule (`^[a-z0-9][a-z0-9\_\-]*$`, not "releases"). */
export function isSignerName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]*$/.test(name) && name !== "releases";
}

/** GUNs follow docker's repository-name grammar: see gun.ts. */
export { assertGun, gunProblem, isGun } from "./gun.ts";
