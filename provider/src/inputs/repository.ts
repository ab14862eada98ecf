/** The Repository's inputs: one GUN's trust data, its keys, expiry policy and renewal window. */
import { z } from "zod";
import { failuresOf, type CheckFailure } from "./failures.ts";
import { expiry, flag, gun, renewBeforeDays, ruled, server } from "./fields.ts";
import { parsePrivateKey } from "./key-parsing.ts";

/** A key of the repository's own roles, named by its field when it cannot be read; the root key must be ECDSA. */
function roleKey(field: "rootKey" | "targetsKey" | "snapshotKey") {
  return ruled<string>((v) => {
    if (v === undefined) return `${field} is required: a PEM private key`;
    try {
      const k = parsePrivateKey(v as string, field);
      if (field === "rootKey" && k.keyType !== "ecdsa") return "the root key must be an ECDSA P-256 key (notary root certificates are ECDSA)";
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  });
}

export const repositoryInputs = z.object({
  /** The repository name (GUN), e.g. `registry.example.com/team/app`. */
  gun,
  server: server.optional(),
  /** Root private key PEM (ECDSA P-256), e.g. `rootKey.privateKeyPem`. Changing it rotates the root. */
  rootKey: roleKey("rootKey"),
  /** Targets ("repository") private key PEM. Changing it rotates the targets key. */
  targetsKey: roleKey("targetsKey"),
  /** Snapshot private key PEM; omit for a server-managed snapshot (docker's default). */
  snapshotKey: roleKey("snapshotKey").optional(),
  /** Lifetimes of re-signed roles; notary's defaults otherwise (root 10y, targets/snapshot 3y). */
  expiry: expiry.optional(),
  /** Renew roles expiring within this many days (default 182, notary's "nearing expiry" window). */
  renewBeforeDays: renewBeforeDays.optional(),
  /** Delete the trust data on the server when this resource is destroyed (default false: leave it). */
  deleteOnDestroy: flag.optional(),
});
export type RepositoryInputs = z.infer<typeof repositoryInputs>;

export function checkRepository(news: unknown): CheckFailure[] {
  return failuresOf(repositoryInputs, news);
}
