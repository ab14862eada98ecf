/**
 * RepositoryStatus: what the server holds for a Repository after the whole `pulumi up`, and the one place renewals of
 * its roles are decided.
 *
 * Why a resource of its own, registered at the end of the program: Pulumi lets only a resource's own operation change
 * its outputs, and the engine runs a Repository before the tags, delegations and signers that re-sign its roles. Its
 * outputs would lag behind their publishes. This resource depends on all of them, so it runs after their writes, reads
 * the server once (verified, as every read) and records versions, expiries and key IDs; a preview plans renewals from
 * that record without a request. It is registered when the program's work is done (Node.js `beforeExit`, the moment
 * the Pulumi runtime itself waits for, as pulumi-aws registers its bucket notifications), so it sees every resource
 * declared with `repository: repo`, also those made inside `apply`. An Automation API inline program, whose process
 * does not exit, calls `registerRepositoryStatus()` as its last statement.
 */
import * as pulumi from "@pulumi/pulumi";
import { providers } from "../providers.ts";
import { OUTPUT, type RepositoryOf as Repository } from "./shared.ts";
import type { Claim } from "../inputs/status.ts";

/** Per role: `root`, `targets`, `snapshot`, `timestamp` and each delegation (`targets/releases`, …). */
export type RoleMap<T> = Record<string, T>;

export class RepositoryStatus extends pulumi.dynamic.Resource {
  declare readonly versions: pulumi.Output<RoleMap<number>>;
  declare readonly expires: pulumi.Output<RoleMap<string>>;
  declare readonly keyIds: pulumi.Output<RoleMap<string[]>>;
}

type RepositoryArgs = {
  rootKey: pulumi.Input<string>;
  targetsKey: pulumi.Input<string>;
  snapshotKey?: pulumi.Input<string>;
  expiry?: pulumi.Input<object>;
  renewBeforeDays?: pulumi.Input<number>;
};

type Tracked = {
  name: string;
  repo: Repository;
  args: RepositoryArgs;
  /**
   * Resources declared with `repository: repo`, each with the output that changes whenever it writes, and what it
   * holds on the server (removed by the status when the resource leaves the program: runtime/removals.ts).
   */
  dependents: { resource: pulumi.CustomResource; mark: pulumi.Output<unknown>; claim: pulumi.Output<Claim> }[];
  /** Private keys the program gave those resources: renewals sign with them. */
  keys: pulumi.Input<pulumi.Input<string>[] | string>[];
  resolve: (s: RepositoryStatus) => void;
  status?: RepositoryStatus;
};

const tracked = new Map<Repository, Tracked>();
let hooked = false;

/** Called by the Repository's constructor; returns the status resource, once it exists. */
export function trackRepository(repo: Repository, name: string, args: RepositoryArgs): Promise<RepositoryStatus> {
  if (!hooked) {
    hooked = true;
    process.on("beforeExit", registerRepositoryStatus);
  }
  return new Promise((resolve) => tracked.set(repo, { name, repo, args, dependents: [], keys: [], resolve }));
}

/** Called by the constructors of resources declared with `repository: repo`. */
export function trackDependent(
  repo: Repository,
  resource: pulumi.CustomResource,
  opts: pulumi.CustomResourceOptions | undefined,
  marks: { mark: pulumi.Output<unknown>; claim: pulumi.Input<Omit<Claim, "keep">> },
  keys: pulumi.Input<pulumi.Input<string>[] | string>[],
): void {
  const t = tracked.get(repo);
  if (!t) return;
  if (t.status) {
    pulumi.log.warn(`a resource of ${t.name} was declared after its RepositoryStatus was registered: the status does not wait for it`, resource);
  }
  const keep = keptOnRemoval(resource, opts);
  t.dependents.push({ resource, mark: marks.mark, claim: pulumi.output(marks.claim).apply((c): Claim => ({ ...c, ...(keep ? { keep } : {}) })) });
  t.keys.push(...keys);
}

/**
 * Whether Pulumi keeps the resource when it leaves the program: retained on delete (Pulumi forgets it, protected or
 * not), or protected (its own option, or inherited from its parent, as the Pulumi SDK resolves it in the constructor).
 * The status leaves its trust data.
 */
function keptOnRemoval(resource: pulumi.CustomResource, opts: pulumi.CustomResourceOptions | undefined): Claim["keep"] {
  if (opts?.retainOnDelete === true) return "retained";
  const protect = (resource as unknown as { __protect?: boolean }).__protect ?? opts?.protect;
  return protect === true ? "protected" : undefined;
}

/**
 * Registers the RepositoryStatus of every Repository declared so far (once each). Runs by itself when the program's
 * work is done; an Automation API inline program calls it as its last statement.
 */
export function registerRepositoryStatus(): void {
  for (const t of tracked.values()) {
    if (t.status) continue;
    const a = t.args;
    const after = pulumi.all(t.dependents.map((d) => pulumi.all([d.resource.urn, d.mark, d.claim])));
    const keys = pulumi.all([a.rootKey, a.targetsKey, a.snapshotKey, ...t.keys]).apply((ks) => [...new Set(ks.flat().filter((k): k is string => typeof k === "string"))]);
    t.status = new RepositoryStatus(
      providers.status,
      `${t.name}-status`,
      {
        gun: t.repo.gun,
        server: t.repo.server,
        trustedRootSha256: t.repo.trustedRootSha256,
        expiry: a.expiry,
        renewBeforeDays: a.renewBeforeDays,
        keys: pulumi.secret(keys),
        repositoryMark: t.repo.verified,
        after,
        versions: OUTPUT,
        expires: OUTPUT,
        keyIds: OUTPUT,
        awaitingDeletes: OUTPUT,
      },
      { parent: t.repo, dependsOn: [t.repo, ...t.dependents.map((d) => d.resource)] },
      "notary",
      "RepositoryStatus",
    );
    t.resolve(t.status);
  }
}
