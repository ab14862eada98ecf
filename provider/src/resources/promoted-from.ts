/**
 * The `promotedFrom` input of a SignedTag (program side): sign the tag's digest only while a source repository signs
 * it as required. The provider verifies the source on every preview and up (runtime/promotion.ts).
 */
import type { PromotedFromInput, SignaturePolicy } from "../inputs/promotion.ts";
import type { Args } from "./shared.ts";

/** Who must have signed a tag, verified from which pinned root, on which server: shared by promotion and consumers. */
export type SignaturePolicyArgs = Args<SignaturePolicy>;

export type PromotedFromArgs = Args<PromotedFromInput>;
