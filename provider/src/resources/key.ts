/** The Key resource: a signing key generated or imported; the private key is a secret output. */
import * as pulumi from "@pulumi/pulumi";
import { providers } from "../providers.ts";
import type { KeyInputs } from "../inputs/key.ts";
import { OUTPUT, type Args } from "./shared.ts";

export type KeyArgs = Args<KeyInputs>;

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

