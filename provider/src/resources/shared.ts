/**
 * What every resource shares: the program's side of input types, server settings, the output placeholder,
 * credentials kept secret, repository refs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ServerInput } from "../inputs/fields.ts";
import type { RepoRef } from "../inputs/repo-ref.ts";

/**
 * A program's side of an input type (../inputs/): each field, and each field and element inside it, may be a
 * `pulumi.Input` (a value, a promise, or another resource's output).
 */
export type Args<T> = { [K in keyof T]: pulumi.Input<Lifted<Exclude<T[K], undefined>>> };
type Lifted<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends readonly (infer E)[]
    ? pulumi.Input<Lifted<E>>[]
    : T extends object
      ? Args<T>
      : T;

/** Connection settings for a notary server; omitted fields come from stack config (`notary:serverUrl`, …). */
export type ServerArgs = Args<ServerInput>;

export const OUTPUT = undefined as never;

/**
 * Connection settings that carry a credential (`password`, `clientKeyPem`) are kept secret as a whole in the state,
 * whether or not the program marked the credential secret, as Pulumi providers do with password fields. `settingsOf`
 * finds the settings inside a larger input (a `promotedFrom`'s `server`), which is then kept secret as a whole.
 */
export function secretCredentials<T extends object>(v: pulumi.Input<T> | undefined, settingsOf: (x: T) => unknown = (x) => x): pulumi.Input<T> | undefined {
  if (v === undefined) return undefined;
  return pulumi.output(v).apply((x) => {
    const held = settingsOf(x as T) as { password?: unknown; clientKeyPem?: unknown } | undefined;
    return held && (held.password !== undefined || held.clientKeyPem !== undefined) ? pulumi.secret(x) : x;
  }) as unknown as pulumi.Output<T>;
}


/** What a dependent resource takes from a Repository of the stack (structural: repository.ts imports this file). */
export type RepositoryOf = pulumi.CustomResource & {
  readonly gun: pulumi.Output<string>;
  readonly server: pulumi.Output<ServerArgs | undefined>;
  readonly trustedRootSha256: pulumi.Output<string>;
  readonly expiryPolicy: pulumi.Output<object | undefined>;
  readonly verified: pulumi.Output<Record<string, number>>;
};

/** Where a dependent resource's repository is: a Repository of this stack, or a GUN whose root key ID is pinned. */
export type RepositoryRef =
  | { repository: RepositoryOf; gun?: never; rootKeyId?: never; server?: never }
  | ({ repository?: never } & Args<Pick<RepoRef, "gun" | "server"> & Required<Pick<RepoRef, "rootKeyId">>>);

export function repoInputs(ref: RepositoryRef) {
  if (ref.repository) {
    const r = ref.repository;
    return { gun: r.gun, server: r.server, trustedRootSha256: r.trustedRootSha256, repositoryExpiry: r.expiryPolicy };
  }
  return { gun: ref.gun, rootKeyId: ref.rootKeyId, ...(ref.server ? { server: secretCredentials(ref.server) } : {}) };
}
