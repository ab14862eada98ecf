/**
 * How an input is refused: as check failures (`{ property, reason }`, the property written as the engine shows it:
 * `keys[0]`, `expiry.rootDays`), or as an INPUT_INVALID error naming the field when a later step meets it.
 */
import type { z } from "zod";
import { NotaryError } from "../../../sdk/src/errors.ts";

export type CheckFailure = { property: string; reason: string };

export function inputError(field: string, message: string): NotaryError {
  return new NotaryError("INPUT_INVALID", `${field}: ${message}`, { details: { field } });
}

/** `["keys", 0]` → `keys[0]`; `["server", "url"]` → `server.url`. */
export function propertyOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");
}

/** The failures of `value` under `schema`, in the schema's field order; each unrecognized key is a failure of its own. */
export function failuresOf(schema: z.ZodType, value: unknown): CheckFailure[] {
  return (schema.safeParse(value).error?.issues ?? []).flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ property: propertyOf([...issue.path, key]), reason: issue.message }))
      : [{ property: propertyOf(issue.path), reason: issue.message }],
  );
}
