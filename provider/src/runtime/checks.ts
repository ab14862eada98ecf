/** What a check reports, and what a diff answers (the rules themselves are the inputs' schemas, ../inputs/). */
import { failuresOf, type CheckFailure } from "../inputs/failures.ts";
import { gun } from "../inputs/fields.ts";

export type { CheckFailure };
export type DiffResult = { changes: boolean; replaces?: string[]; deleteBeforeReplace?: boolean };

/** The GUN rule of every resource, on its own: `field` named when `value` is not a GUN docker accepts. */
export function assertGunInput(value: unknown, field: string, f: CheckFailure[]): void {
  for (const { reason } of failuresOf(gun, value)) f.push({ property: field, reason });
}
