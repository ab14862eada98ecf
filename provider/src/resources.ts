/**
 * The Pulumi resources. Each is a `pulumi.dynamic.Resource` served by the engine's dynamic provider host; one file
 * each under resources/.
 */
export { Key, type KeyArgs } from "./resources/key.ts";
export { Repository, type RepositoryArgs, type ExpiryArgs } from "./resources/repository.ts";
export { Delegation, Signer, type DelegationArgs, type SignerArgs } from "./resources/roles.ts";
export { SignedTag, type SignedTagArgs, type RegistryArgs, type ProvenanceArgs } from "./resources/signed-tag.ts";
export type { ServerArgs, RepositoryRef } from "./resources/shared.ts";
export type { PromotedFromArgs } from "./resources/promoted-from.ts";
export { RepositoryStatus, registerRepositoryStatus } from "./resources/status.ts";
