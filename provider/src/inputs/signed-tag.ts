/** The SignedTag's inputs: which tag, which manifest (an image reference, or digest and size), signed by which keys. */
import { z } from "zod";
import { parseImageReference } from "../../../sdk/src/index.ts";
import { failuresOf, type CheckFailure } from "./failures.ts";
import { flag, privateKeys, renewBeforeDays, roleName, ruled, text } from "./fields.ts";
import { promotedFrom, promotionPinned } from "./promotion.ts";
import { provenance, type Provenance } from "./provenance.ts";
import { pinned, repoRef, type Unchecked } from "./repo-ref.ts";
import { isUnknown, unknownOr } from "./unknown.ts";

const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const SIZE = "must be a positive whole number of bytes";

/** How the registry is reached; docker's credentials for its host otherwise. */
export const registry = unknownOr(
  z.object(
    {
      username: text.optional(),
      password: text.optional(),
      /** Use plain HTTP (loopback registries always do). */
      insecure: flag.optional(),
      caPem: text.optional(),
    },
    { error: "must be an object { username?, password?, insecure?, caPem? }" },
  ),
);
export type RegistryInput = z.infer<typeof registry>;

/** What a program gives a SignedTag besides its repository. */
export const signedTagFields = z.object({
  /** The tag to sign, e.g. "v1.2.3". */
  tag: ruled<string>((v) =>
    typeof v === "string" && TAG_RE.test(v) ? undefined : `${JSON.stringify(v)} is not a valid tag: up to 128 of [A-Za-z0-9_.-], not starting with "." or "-"`,
  ),
  /**
   * Role to sign in. Default, as `docker trust sign`: every delegation of `targets` the signing keys can sign
   * (`targets/releases` and the signer's role), or `targets` when the repository has no delegations.
   */
  role: roleName(true).optional(),
  /** An image reference resolved in the registry: `repo:tag`, `repo@sha256:…` or `repo:tag@sha256:…` (e.g. `@pulumi/docker` `Image.repoDigest`). Manifest lists and OCI indexes are supported. */
  image: ruled<string>((v) => {
    try {
      parseImageReference(v as string);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }).optional(),
  /** `sha256:<hex>` of the manifest, with `size`, instead of `image`. */
  digest: ruled<string>((v) => (typeof v === "string" && DIGEST_RE.test(v) ? undefined : 'must be "sha256:" followed by 64 lowercase hex digits')).optional(),
  size: unknownOr(z.number({ error: SIZE }).refine((v) => Number.isSafeInteger(v) && v > 0, SIZE)).optional(),
  /**
   * Refuse to sign a manifest that is not a manifest list or OCI index. Without it, signing one platform's manifest
   * for a tag whose registry tag holds a list only warns (a trusted pull of the tag would get that platform everywhere).
   */
  listsOnly: flag.optional(),
  /** The role's private key PEMs (several for a threshold above 1). */
  signingKeys: privateKeys("signingKeys"),
  registry: registry.optional(),
  renewBeforeDays: renewBeforeDays.optional(),
  /**
   * Signed into the tag's custom data (notary `custom`). Each field given wins over the image's own annotation or label
   * (`org.opencontainers.image.source`, `org.opencontainers.image.revision`, `com.docker.image.source.entrypoint`).
   */
  provenance,
  /** Promotion: sign only while a source repository signs this digest as required (checked by every preview and up). */
  promotedFrom: promotedFrom.optional(),
});
const signedTagInputs = z.object({ ...repoRef, ...signedTagFields.shape });
export type SignedTagFields = z.infer<typeof signedTagFields>;

/** Inputs the check computes, in the inputs so that a preview shows what `up` then signs. */
export type SignedTagComputed = {
  /**
   * When `image` is a tag reference (not pinned by a digest): what the tag points to in the registry at this command.
   * A tag pushed again since the last `up` shows here as a change from the old digest to the new one.
   */
  resolvedDigest?: string;
  resolvedSize?: number;
  resolvedMediaType?: string;
  /** With the resolved digest: what the image's annotations and labels say of its provenance. */
  imageProvenance?: Provenance;
  /** With `promotedFrom`: whether the source signs the digest as required at this command. */
  promotionHolds?: boolean;
  /** Why it does not (the source's verification failure), when `onViolation` is "revoke". */
  promotionProblem?: string;
};
export type SignedTagInputs = z.infer<typeof signedTagInputs> & SignedTagComputed;

/** The manifest is named: by a registry reference, or by its digest and size. */
function manifestNamed({ image, digest, size }: Unchecked<SignedTagInputs>): CheckFailure[] {
  if (image === undefined && digest === undefined) return [{ property: "image", reason: "give image (a registry reference) or digest and size" }];
  if (digest !== undefined && !isUnknown(digest) && size === undefined) return [{ property: "size", reason: "is required with digest: the manifest size in bytes" }];
  return [];
}

export function checkSignedTag(news: unknown): CheckFailure[] {
  const n = (news ?? {}) as Unchecked<SignedTagInputs>;
  return [...failuresOf(signedTagInputs, news), ...pinned(n), ...manifestNamed(n), ...promotionPinned(n.promotedFrom)];
}
