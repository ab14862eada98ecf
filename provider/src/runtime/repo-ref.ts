/** The SDK repository a dependent resource (Delegation, Signer, SignedTag, RepositoryStatus) reads and writes. */
import { expiryPolicy, isUnknown, repositoryFor, type ProviderConfig, type SavedVersions } from "./common.ts";
import type { RepoRef } from "../inputs/repo-ref.ts";

/** The SDK repository of a dependent resource; `saved`: the versions its state recorded, this command's floor. */
export function repoOf(config: ProviderConfig, r: RepoRef, saved?: SavedVersions) {
  const anchor = {
    ...(r.trustedRoot ? { trustedRoot: r.trustedRoot } : {}),
    ...(r.trustedRootSha256 ? { trustedRootSha256: r.trustedRootSha256 } : {}),
    ...(r.rootKeyId ? { rootKeyIds: [r.rootKeyId] } : {}),
  };
  const repo = repositoryFor(config, r.server, r.gun, anchor, saved);
  // Our publishes re-sign roles: under the repository's expiry policy, not only when the Repository resource happened
  // to run in this process (each `pulumi` command has its own host).
  if (r.repositoryExpiry && !isUnknown(r.repositoryExpiry)) repo.configure({ expiry: expiryPolicy(r.repositoryExpiry) });
  return repo;
}
