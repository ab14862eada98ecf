/**
 * The engine's marker for a value not known during preview, and how a schema lets it through: a check refuses only
 * what it knows to be wrong.
 */
import { z } from "zod";

/** The value the engine sends for inputs not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether `v` is the marker or holds it anywhere. */
export function isUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(isUnknown);
  if (v && typeof v === "object") return Object.values(v).some(isUnknown);
  return false;
}

/** A schema of the same output and input as `schema`, whose checks run only when `accepts(v)` is false. */
function passing<T extends z.ZodType>(schema: T, accepts: (v: unknown) => boolean): z.ZodType<z.output<T>, z.input<T>> {
  const wrapped = z.any().superRefine((v, ctx) => {
    if (accepts(v)) return;
    for (const issue of schema.safeParse(v).error?.issues ?? []) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  });
  return wrapped as unknown as z.ZodType<z.output<T>, z.input<T>>;
}

/** `schema`, or the marker itself (a string input is a string either way: its rules skip the marker). */
export const unknownOr = <T extends z.ZodType>(schema: T) => passing(schema, (v) => v === UNKNOWN);

/** `schema` for a value known in full: one that holds the marker anywhere (a list with one unknown key) passes. */
export const whenKnown = <T extends z.ZodType>(schema: T) => passing(schema, isUnknown);

/** A refinement from a named rule: `problem(v)` is why `v` is refused, undefined when it is not; the marker passes. */
export function rule<T>(problem: (v: T) => string | undefined) {
  return (v: T, ctx: z.RefinementCtx): void => {
    if (v === UNKNOWN) return;
    const reason = problem(v);
    if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason });
  };
}
