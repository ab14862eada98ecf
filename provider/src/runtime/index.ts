/**
 * The resource implementations the dynamic providers load by package name (`pulumi-notary/runtime`) inside their
 * methods. Not a public API.
 */
export * from "./common.ts";
export * from "./checks.ts";
export * from "./repository.ts";
export * from "./roles.ts";
export * from "./signed-tag.ts";
export * from "./key.ts";
