/**
 * pulumi-notary: Docker Content Trust (Notary v1) as Pulumi resources.
 *
 * @example
 * import * as notary from "pulumi-notary";
 * const root = new notary.Key("root");
 * const targets = new notary.Key("targets");
 * const repo = new notary.Repository("app", { gun: "registry.example.com/team/app", rootKey: root.privateKeyPem, targetsKey: targets.privateKeyPem });
 * new notary.SignedTag("v1", { repository: repo, tag: "v1", image: "registry.example.com/team/app:v1", signingKeys: [targets.privateKeyPem] });
 */
import "../../sdk/src/node-version.ts"; // first: a clear message on an older Node.js, before any dependency loads
export { Key, Repository, Delegation, Signer, SignedTag, RepositoryStatus, registerRepositoryStatus } from "./resources.ts";
export type { KeyArgs, RepositoryArgs, DelegationArgs, SignerArgs, SignedTagArgs, ProvenanceArgs, ServerArgs, ExpiryArgs, RegistryArgs, RepositoryRef, PromotedFromArgs } from "./resources.ts";
/** Consumers pinned to verified digests: `repo@sha256:…` only when the tag is signed as required. */
export { verifiedImage } from "./verified-image.ts";
export type { VerifiedImageArgs } from "./verified-image.ts";
