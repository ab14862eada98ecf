/** The SignedTag resource: a tag signed to a manifest digest and size, with provenance and promotion. */
import * as pulumi from "@pulumi/pulumi";
import { providers } from "../providers.ts";
import type { PromotedFromArgs } from "../promoted-from.ts";
import { OUTPUT, repoInputs, secretCredentials, type RepositoryRef } from "./shared.ts";
import { trackDependent } from "./status.ts";

export interface RegistryArgs {
  username?: pulumi.Input<string>;
  password?: pulumi.Input<string>;
  /** Use plain HTTP (loopback registries always do). */
  insecure?: pulumi.Input<boolean>;
  caPem?: pulumi.Input<string>;
}

export type SignedTagArgs = RepositoryRef & {
  /** The tag to sign, e.g. "v1.2.3". */
  tag: pulumi.Input<string>;
  /** An image reference resolved in the registry: `repo:tag`, `repo@sha256:…` or `repo:tag@sha256:…` (e.g. `@pulumi/docker` `Image.repoDigest`). Manifest lists and OCI indexes are supported. */
  image?: pulumi.Input<string>;
  /** `sha256:<hex>` of the manifest, with `size`, instead of `image`. */
  digest?: pulumi.Input<string>;
  size?: pulumi.Input<number>;
  /**
   * Role to sign in. Default, as `docker trust sign`: every delegation of `targets` the signing keys can sign
   * (`targets/releases` and the signer's role), or `targets` when the repository has no delegations.
   */
  role?: pulumi.Input<string>;
  /** The role's private key PEMs (several for a threshold above 1). */
  signingKeys: pulumi.Input<pulumi.Input<string>[]>;
  registry?: pulumi.Input<RegistryArgs>;
  renewBeforeDays?: pulumi.Input<number>;
  /**
   * Refuse to sign a manifest that is not a manifest list or OCI index. Without it, signing one platform's manifest
   * for a tag whose registry tag holds a list only warns (a trusted pull of the tag would get that platform everywhere).
   */
  listsOnly?: pulumi.Input<boolean>;
  /**
   * Signed into the tag's custom data (notary `custom`). Each field given wins over the image's own annotation or label
   * (`org.opencontainers.image.source`, `org.opencontainers.image.revision`, `com.docker.image.source.entrypoint`).
   */
  provenance?: pulumi.Input<ProvenanceArgs>;
  /** Promotion: sign only while a source repository signs this digest as required (checked by every preview and up). */
  promotedFrom?: pulumi.Input<PromotedFromArgs>;
};

/** Where an image came from. No `<`, `>` or `&` in values: the Go tools could no longer sign in the role. */
export interface ProvenanceArgs {
  source?: pulumi.Input<string>;
  revision?: pulumi.Input<string>;
  dirty?: pulumi.Input<boolean>;
  dockerfile?: pulumi.Input<string>;
}

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
    if (args.repository) trackDependent(args.repository, this, this.snapshotVersion, [args.signingKeys]);
  }
}
