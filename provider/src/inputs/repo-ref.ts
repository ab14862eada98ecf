/**
 * How a dependent resource (Delegation, Signer, SignedTag) names its repository: the GUN, the server, and a pin of its
 * root. `repository: repo` passes the Repository's root sha256 and expiry policy; a GUN of another stack is pinned by
 * its root key ID.
 */
import { z } from "zod";
import type { CheckFailure } from "./failures.ts";
import { expiry, gun, server, text } from "./fields.ts";
import { isUnknown } from "./unknown.ts";

export const repoRef = {
  gun,
  server: server.optional(),
  /** Pins, strongest first: the root file (base64), its sha256 (what `repository: repo` passes), a root key ID. */
  trustedRoot: text.optional(),
  trustedRootSha256: text.optional(),
  rootKeyId: text.optional(),
  /** The repository's expiry policy (lifetimes), so renewal windows never exceed half a role's lifetime. */
  repositoryExpiry: expiry.optional(),
};
const repoRefSchema = z.object(repoRef);
export type RepoRef = z.infer<typeof repoRefSchema>;

/** News before their check: the fields of `T` named, their values anything. */
export type Unchecked<T> = { [K in keyof T]?: unknown };

/** A pin of the root is required; looked for once nothing is unknown (a new Repository's outputs are, in preview). */
export function pinned(n: Unchecked<RepoRef>): CheckFailure[] {
  if (isUnknown(n) || n.trustedRoot || n.trustedRootSha256 || n.rootKeyId) return [];
  return [{ property: "repository", reason: "pass the Repository resource, or gun plus rootKeyId to pin an existing repository's root" }];
}
