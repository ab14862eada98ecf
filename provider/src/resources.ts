/**
 * The Pulumi resources. Each is a `pulumi.dynamic.Resource` served by the engine's dynamic provider host.
 */
import * as pulumi from "@pulumi/pulumi";
import { providers } from "./providers.ts";
import { promotedFromInput, type PromotedFromArgs } from "./promoted-from.ts";

/** Connection settings for a notary server; omitted fields come from stack config (`notary:serverUrl`, …). */
export interface ServerArgs {
  /** `https://notary.example.com:4443` */
  url?: pulumi.Input<string>;
  /** PEM of the CA that signed the server certificate. */
  caPem?: pulumi.Input<string>;
  clientCertPem?: pulumi.Input<string>;
  clientKeyPem?: pulumi.Input<string>;
  insecureSkipVerify?: pulumi.Input<boolean>;
  username?: pulumi.Input<string>;
  /** Mark it secret: `pulumi.secret(...)` or `config.requireSecret(...)`. */
  password?: pulumi.Input<string>;
  registryHost?: pulumi.Input<string>;
  /** Time-out of each request to the notary server, in seconds (default 30; stack config `notary:timeoutSeconds`). */
  timeoutSeconds?: pulumi.Input<number>;
}

const OUTPUT = undefined as never;

/**
 * Connection settings that carry a credential (`password`, `clientKeyPem`) are kept secret as a whole in the state,
 * whether or not the program marked the credential secret, as Pulumi providers do with password fields.
 */
function secretCredentials<T extends object>(v: pulumi.Input<T> | undefined): pulumi.Input<T> | undefined {
  if (v === undefined) return undefined;
  return pulumi.output(v).apply((x) => {
    const held = x as { password?: unknown; clientKeyPem?: unknown } | undefined;
    return held && (held.password !== undefined || held.clientKeyPem !== undefined) ? pulumi.secret(x) : x;
  }) as unknown as pulumi.Output<T>;
}

// ---------------------------------------------------------------------------------------------------------------------

export interface KeyArgs {
  /** A private key PEM to import (PKCS#8, EC PRIVATE KEY, or a notary/docker key file). Omit to generate a P-256 key. */
  pem?: pulumi.Input<string>;
  /** Passphrase of an encrypted key file. */
  passphrase?: pulumi.Input<string>;
  /** The role this key is meant for (informational). */
  role?: pulumi.Input<string>;
}

/**
 * A signing key: generated (ECDSA P-256, as notary) or imported. The private key is a secret output.
 *
 * @example
 * const root = new notary.Key("root");
 * const targets = new notary.Key("targets");
 * const ci = new notary.Key("ci", { pem: config.requireSecret("ciKeyPem"), passphrase: config.requireSecret("ciKeyPass") });
 */
export class Key extends pulumi.dynamic.Resource {
  /** Canonical key ID (the name notary and docker give the key file; what `docker trust inspect` lists for signers). */
  declare readonly keyId: pulumi.Output<string>;
  declare readonly keyType: pulumi.Output<string>;
  declare readonly publicKeyPem: pulumi.Output<string>;
  /** Unencrypted PKCS#8 PEM. Secret. */
  declare readonly privateKeyPem: pulumi.Output<string>;

  constructor(name: string, args: KeyArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(
      providers.key,
      name,
      { ...args, keyId: OUTPUT, keyType: OUTPUT, publicKeyPem: OUTPUT, privateKeyPem: OUTPUT },
      { ...opts, additionalSecretOutputs: ["privateKeyPem", "pem", "passphrase"] },
      "notary",
      "Key",
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------------

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

/** Where a dependent resource's repository is: a Repository of this stack, or a GUN whose root key ID is pinned. */
export type RepositoryRef =
  | { repository: Repository; gun?: never; rootKeyId?: never; server?: never }
  | { repository?: never; gun: pulumi.Input<string>; rootKeyId: pulumi.Input<string>; server?: pulumi.Input<ServerArgs> };

function repoInputs(ref: RepositoryRef) {
  if (ref.repository) {
    const r = ref.repository;
    return { gun: r.gun, server: r.server, trustedRootSha256: r.trustedRootSha256, repositoryExpiry: r.expiryPolicy };
  }
  return { gun: ref.gun, rootKeyId: ref.rootKeyId, ...(ref.server ? { server: secretCredentials(ref.server) } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------------

export type DelegationArgs = RepositoryRef & {
  /** `targets/<name>`; nested roles allowed (`targets/team/ci`). */
  role: pulumi.Input<string>;
  /** Public keys: PEM `PUBLIC KEY` (docker `.pub` files too) or certificates. */
  keys: pulumi.Input<pulumi.Input<string>[]>;
  /** Signatures required (default 1); at most the number of keys. */
  threshold?: pulumi.Input<number>;
  /** Path prefixes the role may sign (default all: `[""]`). */
  paths?: pulumi.Input<pulumi.Input<string>[]>;
  /** Private key PEM of the parent role: the repository's targets key, or the parent delegation's key. */
  parentKey: pulumi.Input<string>;
  /** This role's private keys: when given, its own metadata file is created and renewed before expiry. */
  signingKeys?: pulumi.Input<pulumi.Input<string>[]>;
  renewBeforeDays?: pulumi.Input<number>;
};

/**
 * A delegated role (`targets/<name>`) with keys, threshold and paths, signed by its parent's key.
 *
 * @example
 * new notary.Delegation("ci", { repository: repo, role: "targets/ci", keys: [ciKey.publicKeyPem], parentKey: targets.privateKeyPem });
 */
export class Delegation extends pulumi.dynamic.Resource {
  declare readonly role: pulumi.Output<string>;
  declare readonly keyIds: pulumi.Output<string[]>;
  declare readonly serverKeyIds: pulumi.Output<string[]>;
  declare readonly version: pulumi.Output<number>;
  declare readonly expires: pulumi.Output<string>;

  constructor(name: string, args: DelegationArgs, opts?: pulumi.CustomResourceOptions) {
    const { repository: _r, gun: _g, rootKeyId: _k, server: _s, ...rest } = args;
    super(
      providers.delegation,
      name,
      { ...rest, ...repoInputs(args), keyIds: OUTPUT, serverKeyIds: OUTPUT, serverThreshold: OUTPUT, serverPaths: OUTPUT, version: OUTPUT, expires: OUTPUT },
      { ...opts, additionalSecretOutputs: ["parentKey", "signingKeys"] },
      "notary",
      "Delegation",
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------------

export type SignerArgs = RepositoryRef & {
  /** Signer name, as in `docker trust signer add NAME` (not "releases"). */
  name: pulumi.Input<string>;
  /** The signer's public keys (docker `.pub`, PUBLIC KEY PEM or certificates). */
  keys: pulumi.Input<pulumi.Input<string>[]>;
  /** The repository's targets private key PEM (signs targets.json, which holds both delegations). */
  targetsKey: pulumi.Input<string>;
};

/**
 * A docker signer: the trust data `docker trust signer add` writes (`targets/<name>`, and the keys in
 * `targets/releases`). Destroying it removes the signer correctly.
 *
 * @example
 * new notary.Signer("alice", { repository: repo, name: "alice", keys: [alice.publicKeyPem], targetsKey: targets.privateKeyPem });
 */
export class Signer extends pulumi.dynamic.Resource {
  declare readonly role: pulumi.Output<string>;
  declare readonly keyIds: pulumi.Output<string[]>;
  /** Key IDs as `docker trust inspect` lists them under Signers. */
  declare readonly canonicalKeyIds: pulumi.Output<string[]>;

  constructor(name: string, args: SignerArgs, opts?: pulumi.CustomResourceOptions) {
    const { repository: _r, gun: _g, rootKeyId: _k, server: _s, ...rest } = args;
    super(
      providers.signer,
      name,
      { ...rest, ...repoInputs(args), role: OUTPUT, keyIds: OUTPUT, canonicalKeyIds: OUTPUT, serverKeyIds: OUTPUT, releasesKeyIds: OUTPUT },
      { ...opts, additionalSecretOutputs: ["targetsKey"] },
      "notary",
      "Signer",
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------------

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
        ...(args.promotedFrom ? { promotedFrom: promotedFromInput(args.promotedFrom) } : {}),
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
        imageProvenance: OUTPUT,
        signedProvenance: OUTPUT,
        serverProvenance: OUTPUT,
      },
      { ...opts, additionalSecretOutputs: ["signingKeys"] },
      "notary",
      "SignedTag",
    );
  }
}
