/**
 * The RepositoryStatus's inputs: what the program gives it (runtime/status.ts says what it does), none of them typed by
 * hand: the Repository's GUN, server and root, the private keys of the repository's resources, and a mark per resource
 * that changes whenever it writes.
 */
import { z } from "zod";
import { failuresOf, type CheckFailure } from "./failures.ts";
import { expiry, gun, renewBeforeDays, server, text } from "./fields.ts";
import { whenKnown } from "./unknown.ts";

/**
 * What a resource of the repository holds on the server, so that the status can remove it when it leaves the program
 * (runtime/removals.ts): a tag (`name`) in its `roles`, a delegated role (`name`), or a docker signer (`name`) and its
 * key IDs. `keep`: Pulumi will not delete the resource when it leaves the program: it is `retained` on delete (Pulumi
 * forgets it), or `protected` (Pulumi refuses its delete until it is unprotected).
 */
export const claim = z.object({
  kind: z.enum(["tag", "delegation", "signer"]),
  name: text,
  roles: z.array(text).optional(),
  keyIds: z.array(text).optional(),
  keep: z.enum(["protected", "retained"]).optional(),
});
export type Claim = z.infer<typeof claim>;

export const statusInputs = z.object({
  gun,
  server: server.optional(),
  trustedRootSha256: text,
  expiry: expiry.optional(),
  renewBeforeDays: renewBeforeDays.optional(),
  /** Private keys the program gave this repository's resources; renewals sign with those a due role lists. */
  keys: whenKnown(z.array(text, { error: "must be a list of private key PEMs" })),
  /** The Repository's `verified`: changes when the Repository writes. */
  repositoryMark: z.unknown().optional(),
  /**
   * `[urn, mark, claim]` of each resource declared with `repository: repo`; a mark changes when its resource writes.
   * State written before claims has `[urn, mark]`.
   */
  after: whenKnown(z.array(z.tuple([text, z.unknown(), claim.optional()]), { error: "must be a list of [urn, mark, claim]" })),
});
export type StatusInputs = z.infer<typeof statusInputs>;

export function checkStatus(news: unknown): CheckFailure[] {
  return failuresOf(statusInputs, news);
}
