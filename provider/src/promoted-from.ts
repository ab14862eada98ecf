/**
 * The `promotedFrom` input of a SignedTag (program side): sign the tag's digest only while a source repository signs
 * it as required. The provider verifies the source on every preview and up (provider/src/runtime/promotion.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ServerArgs } from "./resources.ts";

/** Who must have signed a tag, verified from which pinned root, on which server: shared by promotion and consumers. */
export interface SignaturePolicyArgs {
  /** The pinned root: the Root key ID(s) `docker trust inspect` shows (or the root private key's ID)… */
  rootKeyId?: pulumi.Input<string | pulumi.Input<string>[]>;
  /** …or the sha256 of a trusted root.json (a `Repository`'s `trustedRootSha256`). */
  trustedRootSha256?: pulumi.Input<string>;
  /** Who must sign: docker signer names (`alice`) or roles (`targets/releases`). */
  signers?: pulumi.Input<pulumi.Input<string>[]>;
  /** Keys that must have signed (IDs as `docker trust inspect` lists signers' keys, or TUF key IDs). */
  keyIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** How many of `signers` and `keyIds`, counted distinct, must sign (default 1). */
  threshold?: pulumi.Input<number>;
  /** The notary server; omitted fields come from stack config (`notary:serverUrl`, `notary:caPem`, …). */
  server?: pulumi.Input<ServerArgs>;
}

export interface PromotedFromArgs extends SignaturePolicyArgs {
  /** The source repository (GUN), e.g. `registry.example.com/vendor/app`. */
  gun: pulumi.Input<string>;
  /** The tag in the source; default the SignedTag's own tag. */
  tag?: pulumi.Input<string>;
  /**
   * When the source no longer signs the digest as required (revoked, re-pointed, expired): "refuse" (default) fails
   * preview and up with the reason and changes nothing; "revoke" plans an update that revokes the tag here.
   */
  onViolation?: pulumi.Input<"refuse" | "revoke">;
}
