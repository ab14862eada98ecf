/** The SignedTag resource: a tag signed to a manifest digest and size, with provenance and promotion. */
import * as pulumi from "@pulumi/pulumi";
import { providers } from "../providers.ts";
import type { Provenance } from "../inputs/provenance.ts";
import type { RegistryInput, SignedTagFields } from "../inputs/signed-tag.ts";
import { OUTPUT, repoInputs, secretCredentials, type Args, type RepositoryRef } from "./shared.ts";
import { trackDependent } from "./status.ts";

/** How the registry is reached; docker's credentials for its host otherwise. */
export type RegistryArgs = Args<RegistryInput>;

export type SignedTagArgs = RepositoryRef & Args<SignedTagFields>;

/** Where an image came from. No `<`, `>` or `&` in values: the Go tools could no longer sign in the role. */
export type ProvenanceArgs = Args<Provenance>;

/**
 * A tag signed to a manifest digest and size. Signing is idempotent; destroying it revokes the tag.
 *
 * @example
 * new notary.SignedTag("v1", { repository: repo, tag: "v1", image: image.repoDigest, signingKeys: [alice.privateKeyPem] });
 */
export class SignedTag extends pulumi.dynamic.Resource {
  /** The primary role signed (`targets/releases` when it is one of them). */
  declare readonly signedRole: pulumi.Output<string>;
  /** Every role signed: by default, as `docker trust sign`, each delegation of `targets` the keys can sign. */
  declare readonly signedRoles: pulumi.Output<string[]>;
  declare readonly signedDigest: pulumi.Output<string>;
  declare readonly signedSize: pulumi.Output<number>;
  declare readonly mediaType: pulumi.Output<string>;
  declare readonly roleVersion: pulumi.Output<number>;
  /** The snapshot version after this resource's last write: its RepositoryStatus reads the server again when it moves. */
  declare readonly snapshotVersion: pulumi.Output<number>;
  declare readonly roleExpires: pulumi.Output<string>;
  /** The provenance signed; `serverProvenance` is what the role holds (with `otherCustom`: custom data besides it). */
  declare readonly signedProvenance: pulumi.Output<{ source?: string; revision?: string; dirty?: boolean; dockerfile?: string }>;
  declare readonly serverProvenance: pulumi.Output<{ source?: string; revision?: string; dirty?: boolean; dockerfile?: string; otherCustom?: string }>;
  /** With `promotedFrom`: whether the source signed the digest as required at the last preview or up. */
  declare readonly promotionHolds: pulumi.Output<boolean | undefined>;

  constructor(name: string, args: SignedTagArgs, opts?: pulumi.CustomResourceOptions) {
    const { repository: _r, gun: _g, rootKeyId: _k, server: _s, ...rest } = args;
    super(
      providers.signedTag,
      name,
      {
        ...rest,
        ...(args.registry ? { registry: secretCredentials(args.registry) } : {}),
        ...(args.promotedFrom ? { promotedFrom: secretCredentials(args.promotedFrom, (p) => p.server) } : {}),
        ...repoInputs(args),
        promotionHolds: OUTPUT,
        signedRole: OUTPUT,
        signedRoles: OUTPUT,
        signedDigest: OUTPUT,
        signedSize: OUTPUT,
        mediaType: OUTPUT,
        serverDigest: OUTPUT,
        serverSize: OUTPUT,
        roleVersion: OUTPUT,
        roleExpires: OUTPUT,
        snapshotVersion: OUTPUT,
        imageProvenance: OUTPUT,
        signedProvenance: OUTPUT,
        serverProvenance: OUTPUT,
      },
      { ...opts, additionalSecretOutputs: ["signingKeys"] },
      "notary",
      "SignedTag",
    );
    if (args.repository) {
      const claim = pulumi.all([args.tag, this.signedRoles]).apply(([name, roles]) => ({ kind: "tag" as const, name, roles }));
      trackDependent(args.repository, this, opts, { mark: this.snapshotVersion, claim }, [args.signingKeys]);
    }
  }
}
