/**
 * Shared plumbing of the resource implementations, one room per concern: configuration (config.ts), the per-process
 * client cache and rollback floors (clients.ts), renewal windows (expiry.ts), and from the inputs' floor key parsing,
 * the engine's unknown marker and the input error, all re-exported here. No Pulumi import: these modules run inside
 * the dynamic provider host.
 */
export * from "./config.ts";
export * from "./clients.ts";
export * from "./expiry.ts";
export * from "../inputs/key-parsing.ts";
export { UNKNOWN, isUnknown } from "../inputs/unknown.ts";
export { inputError } from "../inputs/failures.ts";
export type { ServerInput } from "../inputs/fields.ts";

/** Drop undefined values recursively: the host cannot marshal them (`Unexpected struct type.`). */
export function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}
