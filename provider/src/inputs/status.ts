/**
 * The RepositoryStatus's inputs: what the program gives it (runtime/status.ts says what it does), none of them typed by
 * hand: the Repository's GUN, server and root, the private keys of the repository's resources, and a mark per resource
 * that changes whenever it writes.
 */
import { z } from "zod";
import { failuresOf, type CheckFailure } from "./failures.ts";
import { expiry, gun, renewBeforeDays, server, text } from "./fields.ts";
import { whenKnown } from "./unknown.ts";

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
  /** `[urn, mark]` of each resource declared with `repository: repo`; a mark changes when its resource writes. */
  after: whenKnown(z.array(z.tuple([text, z.unknown()]), { error: "must be a list of [urn, mark]" })),
});
export type StatusInputs = z.infer<typeof statusInputs>;

export function checkStatus(news: unknown): CheckFailure[] {
  return failuresOf(statusInputs, news);
}
