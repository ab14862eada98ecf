/** The Delegation and Signer resources: roles under targets, signed by their parent's key. */
import * as pulumi from "@pulumi/pulumi";
import { providers } from "../providers.ts";
import type { DelegationFields, SignerFields } from "../inputs/roles.ts";
import { OUTPUT, repoInputs, type Args, type RepositoryRef } from "./shared.ts";
import { trackDependent } from "./status.ts";

export type DelegationArgs = RepositoryRef & Args<DelegationFields>;

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
  /** The snapshot version after this resource's last write: its RepositoryStatus reads the server again when it moves. */
  declare readonly snapshotVersion: pulumi.Output<number>;

  constructor(name: string, args: DelegationArgs, opts?: pulumi.CustomResourceOptions) {
    const { repository: _r, gun: _g, rootKeyId: _k, server: _s, ...rest } = args;
    super(
      providers.delegation,
      name,
      { ...rest, ...repoInputs(args), keyIds: OUTPUT, serverKeyIds: OUTPUT, serverThreshold: OUTPUT, serverPaths: OUTPUT, version: OUTPUT, expires: OUTPUT, snapshotVersion: OUTPUT },
      { ...opts, additionalSecretOutputs: ["parentKey", "signingKeys"] },
      "notary",
      "Delegation",
    );
    if (args.repository) {
      const claim = this.role.apply((role) => ({ kind: "delegation" as const, name: role }));
      trackDependent(args.repository, this, opts, { mark: this.snapshotVersion, claim }, [args.parentKey, ...(args.signingKeys ? [args.signingKeys] : [])]);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------

export type SignerArgs = RepositoryRef & Args<SignerFields>;

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
  /** The signer's keys as the server holds them, in `targets/<name>` and in `targets/releases`. */
  declare readonly serverKeyIds: pulumi.Output<string[]>;
  declare readonly releasesKeyIds: pulumi.Output<string[]>;
  declare readonly snapshotVersion: pulumi.Output<number>;

  constructor(name: string, args: SignerArgs, opts?: pulumi.CustomResourceOptions) {
    const { repository: _r, gun: _g, rootKeyId: _k, server: _s, ...rest } = args;
    super(
      providers.signer,
      name,
      { ...rest, ...repoInputs(args), role: OUTPUT, keyIds: OUTPUT, canonicalKeyIds: OUTPUT, serverKeyIds: OUTPUT, releasesKeyIds: OUTPUT, snapshotVersion: OUTPUT },
      { ...opts, additionalSecretOutputs: ["targetsKey"] },
      "notary",
      "Signer",
    );
    if (args.repository) {
      const claim = pulumi.all([args.name, this.keyIds]).apply(([name, keyIds]) => ({ kind: "signer" as const, name, keyIds }));
      trackDependent(args.repository, this, opts, { mark: this.snapshotVersion, claim }, [args.targetsKey]);
    }
  }
}

