/** The Repository resource: one GUN's trust data. */
import * as pulumi from "@pulumi/pulumi";
import { providers } from "../providers.ts";
import { OUTPUT, secretCredentials, type ServerArgs } from "./shared.ts";

export interface ExpiryArgs {
  rootDays?: pulumi.Input<number>;
  targetsDays?: pulumi.Input<number>;
  snapshotDays?: pulumi.Input<number>;
  delegationDays?: pulumi.Input<number>;
}

export interface RepositoryArgs {
  /** The repository name (GUN), e.g. `registry.example.com/team/app`. */
  gun: pulumi.Input<string>;
  server?: pulumi.Input<ServerArgs>;
  /** Root private key PEM (ECDSA P-256), e.g. `rootKey.privateKeyPem`. Changing it rotates the root. */
  rootKey: pulumi.Input<string>;
  /** Targets ("repository") private key PEM. Changing it rotates the targets key. */
  targetsKey: pulumi.Input<string>;
  /** Snapshot private key PEM; omit for a server-managed snapshot (docker's default). */
  snapshotKey?: pulumi.Input<string>;
  /** Lifetimes of re-signed roles; notary's defaults otherwise (root 10y, targets/snapshot 3y). */
  expiry?: pulumi.Input<ExpiryArgs>;
  /** Renew roles expiring within this many days (default 182, notary's "nearing expiry" window). */
  renewBeforeDays?: pulumi.Input<number>;
  /** Delete the trust data on the server when this resource is destroyed (default false: leave it). */
  deleteOnDestroy?: pulumi.Input<boolean>;
}

/**
 * One repository's trust data on a notary server. Creating it initializes the trust data, or adopts existing trust data
 * whose root key is `rootKey`.
 *
 * @example
 * const repo = new notary.Repository("app", {
 *   gun: "registry.example.com/team/app",
 *   rootKey: rootKey.privateKeyPem,
 *   targetsKey: targetsKey.privateKeyPem,
 * });
 */
export class Repository extends pulumi.dynamic.Resource {
  declare readonly gun: pulumi.Output<string>;
  declare readonly server: pulumi.Output<ServerArgs | undefined>;
  declare readonly serverUrl: pulumi.Output<string>;
  /** Root certificate key ID, as `docker trust inspect` shows it under AdministrativeKeys "Root". */
  declare readonly rootKeyId: pulumi.Output<string>;
  /** The root private key's ID (its file name in a notary/docker trust dir). */
  declare readonly rootCanonicalKeyId: pulumi.Output<string>;
  declare readonly rootCertificate: pulumi.Output<string>;
  declare readonly targetsKeyId: pulumi.Output<string>;
  declare readonly snapshotKeyId: pulumi.Output<string>;
  declare readonly timestampKeyId: pulumi.Output<string>;
  declare readonly snapshotManagedBy: pulumi.Output<"server" | "client">;
  /** base64 root.json: the pinned root every dependent resource verifies the server against. */
  declare readonly trustedRoot: pulumi.Output<string>;
  /** sha256 (hex) of that root.json: what dependent resources pin (`repository: repo` passes it). */
  declare readonly trustedRootSha256: pulumi.Output<string>;
  /** The expiry policy given (lifetimes in days); dependents use it to size their renewal windows. */
  declare readonly expiryPolicy: pulumi.Output<ExpiryArgs | undefined>;
  declare readonly versions: pulumi.Output<{ root: number; targets: number; snapshot: number; timestamp: number }>;
  declare readonly expires: pulumi.Output<{ root: string; targets: string; snapshot: string; timestamp: string }>;

  constructor(name: string, args: RepositoryArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providers.repository,
      name,
      {
        ...args,
        ...(args.server ? { server: secretCredentials(args.server) } : {}),
        serverUrl: OUTPUT,
        rootKeyId: OUTPUT,
        rootCanonicalKeyId: OUTPUT,
        rootCertificate: OUTPUT,
        targetsKeyId: OUTPUT,
        snapshotKeyId: OUTPUT,
        timestampKeyId: OUTPUT,
        snapshotManagedBy: OUTPUT,
        trustedRoot: OUTPUT,
        trustedRootSha256: OUTPUT,
        expiryPolicy: OUTPUT,
        versions: OUTPUT,
        expires: OUTPUT,
      },
      { ...opts, additionalSecretOutputs: ["rootKey", "targetsKey", "snapshotKey"] },
      "notary",
      "Repository",
    );
  }
}
