/**
 * A SignedTag's `provenance` input: where the image came from, signed into the tag's custom data
 * (runtime/provenance.ts). Every value must be one the Go tools can re-sign the role with.
 */
import { z } from "zod";
import { flag, text } from "./fields.ts";
import { rule, unknownOr } from "./unknown.ts";

const MAX_LENGTH = 1024;

/** Why a text value cannot be signed as custom data that the Go tools keep working with; undefined when it can. */
export function textProblem(v: string): string | undefined {
  if (v === "") return "is empty: leave it out";
  if (v.length > MAX_LENGTH) return `is longer than ${MAX_LENGTH} characters`;
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(v)) return "contains a lone surrogate (not UTF-8)";
  if (/[\u0000-\u001f]/.test(v)) return "contains a control character, which notary cannot publish (reference §1.4)";
  if (/[<>&\u2028\u2029]/.test(v)) {
    return (
      "contains <, >, & (or U+2028/U+2029): notary and docker escape these in custom data when they re-sign the role, " +
      "and their own signature then fails (reference §5.6), so no Go tool could sign in this role again"
    );
  }
  return undefined;
}

// null is no value, as undefined.
const signable = text.superRefine(rule(textProblem)).nullish();

/** Where an image came from. No `<`, `>` or `&` in values: the Go tools could no longer sign in the role. */
export const provenance = unknownOr(
  z.strictObject(
    { source: signable, revision: signable, dirty: flag.nullish(), dockerfile: signable },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? "is not a provenance field: give source, revision, dirty or dockerfile"
          : "must be an object { source?, revision?, dirty?, dockerfile? }",
    },
  ),
).nullish();
export type ProvenanceInput = z.infer<typeof provenance>;

/** Provenance as signed and read back: the fields known. */
export type Provenance = { [K in keyof NonNullable<ProvenanceInput>]?: NonNullable<NonNullable<ProvenanceInput>[K]> };
