/**
 * Shared plumbing of the resource implementations, one room per concern: configuration (config.ts), the per-process
 * client cache and rollback floors (clients.ts), key parsing (key-parsing.ts) and renewal windows (expiry.ts), all
 * re-exported here. No Pulumi import: these modules run inside the dynamic provider host.
 */
export * from "./config.ts";
export * from "./clients.ts";
export * from "./key-parsing.ts";
export * from "./expiry.ts";

/** Drop undefined values recursively: the host cannot marshal them (`Unexpected struct type.`). */
export function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}
