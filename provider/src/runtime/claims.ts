/**
 * Claims: what a resource of a repository holds on the server (a tag in each of its roles; a role, a signer's and a
 * delegation's alike), and which of them the program holds during this command.
 *
 * Why the second: a resource renamed in the program without an alias is created under its new name and its old name
 * is deleted at the end of the `up`, from the old state. The old delete would revoke the tag (or remove the role)
 * the renamed resource holds. Every resource the program declares passes through this process's provider host before
 * any delete (a diff for one that exists and is not replaced, a create for a new one), and records its claim here; a
 * delete leaves what is held. The RepositoryStatus (removals.ts) applies the same rule to the program's claims.
 */
import type { Claim } from "../inputs/status.ts";

/** The identities a claim holds, in a repository. */
export function identities(c: Claim): string[] {
  return c.kind === "tag" ? (c.roles ?? []).map((r) => tagIdentity(r, c.name)) : [roleOf(c)];
}

export const tagIdentity = (role: string, tag: string): string => `${role}\u0000${tag}`;

export const roleOf = (c: Pick<Claim, "kind" | "name">): string => (c.kind === "signer" ? `targets/${c.name}` : c.name);

const heldByGun = new Map<string, Set<string>>();

/** A resource the program declares holds `claim` in `gun` during this command. */
export function holdClaim(gun: string, claim: Claim): void {
  const held = heldByGun.get(gun) ?? new Set<string>();
  for (const id of identities(claim)) held.add(id);
  heldByGun.set(gun, held);
}

/** Whether a resource the program declares holds `identity` in `gun` during this command. */
export function isHeld(gun: string, identity: string): boolean {
  return heldByGun.get(gun)?.has(identity) ?? false;
}
