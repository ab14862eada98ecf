/**
 * The dynamic ResourceProviders, one object per resource type. They live in CommonJS modules
 * (`provider/src/providers/*.cjs`, exported under the same path) so that Pulumi's closure serializer, for a project
 * that installed pulumi-notary, writes each as a short `require("pulumi-notary/providers/<kind>")` into the state and
 * into every engine request instead of the provider's code. Where the package is not under node_modules (this
 * repository's own tests and examples), the serializer captures them by value, which works the same, only larger.
 * The objects capture nothing: each method loads `pulumi-notary/runtime` in the provider host and runs it there.
 */
import { createRequire } from "node:module";
import type * as pulumi from "@pulumi/pulumi";
import type { Kind } from "./runtime/operations.ts";

/** What `providers/notary-provider.cjs` implements. */
export interface NotaryProvider extends pulumi.dynamic.ResourceProvider {
  readonly kind: Kind;
}

// Resolved through the package's own exports, so the modules are the ones a project's node_modules holds.
const require = createRequire(import.meta.url);
const load = (name: string) => require(`pulumi-notary/provider/src/providers/${name}.cjs`) as NotaryProvider;

export const providers = {
  repository: load("repository"),
  delegation: load("delegation"),
  signer: load("signer"),
  signedTag: load("signed-tag"),
  key: load("key"),
  status: load("status"),
};
