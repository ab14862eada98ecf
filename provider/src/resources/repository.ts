/** The Repository resource: one GUN's trust data. */
import * as pulumi from "@pulumi/pulumi";
import { providers } from "../providers.ts";
import type { ExpiryInput } from "../inputs/fields.ts";
import type { RepositoryInputs } from "../inputs/repository.ts";
import { OUTPUT, secretCredentials, type Args, type ServerArgs } from "./shared.ts";
import { trackRepository, type RoleMap } from "./status.ts";

/** Lifetimes of re-signed roles, in days. */
export type ExpiryArgs = Args<ExpiryInput>;

export type RepositoryArgs = Args<RepositoryInputs>;

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
  /** The versions this resource verified at its own last operation: the floor of its later reads (rollback protection). */
  declare readonly verified: pulumi.Output<RoleMap<number>>;
  /**
   * Version of every role (delegations included) as the server holds it after the whole `pulumi up` or `refresh`: from
   * this repository's RepositoryStatus (`<name>-status`), which runs after every resource declared with
   * `repository: repo` (their publishes re-sign this repository's roles).
   */
  readonly versions: pulumi.Output<RoleMap<number>>;
  /** Expiry (RFC 3339) of every role after the whole command (see `versions`). */
  readonly expires: pulumi.Output<RoleMap<string>>;
  /** Key IDs of every role after the whole command (see `versions`). */
  readonly keyIds: pulumi.Output<RoleMap<string[]>>;

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
        verified: OUTPUT,
      },
      { ...opts, additionalSecretOutputs: ["rootKey", "targetsKey", "snapshotKey"] },
      "notary",
      "Repository",
    );
    const status = trackRepository(this, name, args);
    this.keyIds = pulumi.output(status.then((s) => s.keyIds));
    this.versions = pulumi.output(status.then((s) => s.versions));
    this.expires = pulumi.output(status.then((s) => s.expires));
  }
}
