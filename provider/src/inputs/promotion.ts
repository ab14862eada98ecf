/**
 * Who must have signed a tag, from which pinned root, on which server (shared by a SignedTag's `promotedFrom` and by
 * `verifiedImage`); and `promotedFrom`, the source repository a SignedTag's digest is promoted from.
 */
import { z } from "zod";
import type { CheckFailure } from "./failures.ts";
import { gun, ruled, server, text, threshold } from "./fields.ts";
import { isUnknown, whenKnown } from "./unknown.ts";

const TAG_RE = /^[\w][\w.-]{0,127}$/;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string" || isUnknown(x));
const strings = (reason: string) => z.custom<string[]>(isStrings, { error: reason });

export const signaturePolicy = z.object({
  /** The pinned root: the Root key ID(s) `docker trust inspect` shows (or the root private key's ID)… */
  rootKeyId: z.custom<string | string[]>((v) => typeof v === "string" || isStrings(v), { error: "must be a key ID or a list of key IDs" }).optional(),
  /** …or the sha256 of a trusted root.json (a `Repository`'s `trustedRootSha256`). */
  trustedRootSha256: text.optional(),
  /** Who must sign: docker signer names (`alice`) or roles (`targets/releases`). */
  signers: strings("must be a list of signer or role names").optional(),
  /** Keys that must have signed (IDs as `docker trust inspect` lists signers' keys, or TUF key IDs). */
  keyIds: strings("must be a list of key IDs").optional(),
  /** How many of `signers` and `keyIds`, counted distinct, must sign (default 1). */
  threshold: threshold.optional(),
  /** The notary server; omitted fields come from stack config (`notary:serverUrl`, `notary:caPem`, …). */
  server: server.optional(),
});
export type SignaturePolicy = z.infer<typeof signaturePolicy>;

const promotedFromFields = z.object({
  /** The source repository (GUN), e.g. `registry.example.com/vendor/app`. */
  gun,
  /** The tag in the source; default the SignedTag's own tag. */
  tag: ruled<string>((v) => (typeof v === "string" && TAG_RE.test(v) ? undefined : `${JSON.stringify(v)} is not a valid tag`)).optional(),
  ...signaturePolicy.shape,
  /**
   * When the source no longer signs the digest as required (revoked, re-pointed, expired): "refuse" (default) fails
   * preview and up with the reason and changes nothing; "revoke" plans an update that revokes the tag here.
   */
  onViolation: z
    .enum(["refuse", "revoke"], { error: (issue) => `${JSON.stringify(issue.input)}: use "refuse" (fail the preview and up) or "revoke" (revoke the tag)` })
    .optional(),
});

const isObject = (v: unknown): v is object => typeof v === "object" && v !== null;

/**
 * Promotion: sign only while a source repository signs this digest as required (checked by every preview and up).
 * Not an object: named by its gun, since the engine prints the property's value and the whole input may hold server
 * credentials. One unknown value anywhere: checked when known.
 */
export const promotedFrom = whenKnown(
  z.custom<object>(isObject, { error: "give promotedFrom as { gun, rootKeyId, signers?, … }", path: ["gun"] }).pipe(promotedFromFields),
);
export type PromotedFromInput = z.infer<typeof promotedFrom>;

/** The source's root must be pinned: by root key ID(s) or by the sha256 of its root.json. */
export function promotionPinned(pf: unknown): CheckFailure[] {
  if (!isObject(pf) || isUnknown(pf)) return [];
  const { rootKeyId, trustedRootSha256 } = pf as { rootKeyId?: unknown; trustedRootSha256?: unknown };
  const pins = typeof rootKeyId === "string" ? [rootKeyId] : rootKeyId;
  if ((isStrings(pins) && pins.length > 0) || trustedRootSha256) return [];
  return [{ property: "promotedFrom.rootKeyId", reason: "pin the source's root: rootKeyId (the Root key ID `docker trust inspect` shows) or trustedRootSha256" }];
}
