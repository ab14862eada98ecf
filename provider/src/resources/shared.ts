/** What every resource shares: server settings, the output placeholder, credentials kept secret, repository refs. */
import * as pulumi from "@pulumi/pulumi";

/** Connection settings for a notary server; omitted fields come from stack config (`notary:serverUrl`, …). */
export interface ServerArgs {
  /** `https://notary.example.com:4443` */
  url?: pulumi.Input<string>;
  /** PEM of the CA that signed the server certificate. */
  caPem?: pulumi.Input<string>;
  clientCertPem?: pulumi.Input<string>;
  clientKeyPem?: pulumi.Input<string>;
  insecureSkipVerify?: pulumi.Input<boolean>;
  username?: pulumi.Input<string>;
  /** Mark it secret: `pulumi.secret(...)` or `config.requireSecret(...)`. */
  password?: pulumi.Input<string>;
  registryHost?: pulumi.Input<string>;
  /** Time-out of each request to the notary server, in seconds (default 30; stack config `notary:timeoutSeconds`). */
  timeoutSeconds?: pulumi.Input<number>;
}

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
  | { repository?: never; gun: pulumi.Input<string>; rootKeyId: pulumi.Input<string>; server?: pulumi.Input<ServerArgs> };

export function repoInputs(ref: RepositoryRef) {
  if (ref.repository) {
    const r = ref.repository;
    return { gun: r.gun, server: r.server, trustedRootSha256: r.trustedRootSha256, repositoryExpiry: r.expiryPolicy };
  }
  return { gun: ref.gun, rootKeyId: ref.rootKeyId, ...(ref.server ? { server: secretCredentials(ref.server) } : {}) };
}
