/**
 * The resource implementations the dynamic providers load by package name (`pulumi-notary/runtime`) inside their
 * methods. Not a public API.
 */
import "../../../sdk/src/node-version.ts"; // first: a clear message on an older Node.js, before any dependency loads
import { readConfig, type ProviderConfig } from "./common.ts";
import { withErrorCode } from "./error-codes.ts";
import { runtime, type Kind, type Operations } from "./operations.ts";

export * from "./common.ts";
export * from "./checks.ts";
export * from "./repository.ts";
export * from "./delegation.ts";
export * from "./signer.ts";
export * from "./signed-tag.ts";
export * from "./tag-state.ts";
export * from "./key.ts";
export * from "./status.ts";
export { withErrorCode, runtime, type Kind, type Operations };

/** A provider object (providers/notary-provider.cjs): its kind, and the stack config its `configure` read. */
type Provider = { readonly kind: Kind; config: ProviderConfig };

// The engine's values: what the kind's check returned (inputs), or what its create, read or update returned (state).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Wire = any;
const of = (p: Provider): Operations<Wire, Wire> => runtime[p.kind];

/**
 * Each provider method, as the dynamic provider host calls it: the kind's operation, and its result in the shape the
 * host expects (`read` gives `{ id, props }`, `{}` when gone; `update` gives `{ outs }`).
 */
const methods = {
  configure: (p: Provider, req: { config: { get(key: string): string | undefined } }) => {
    p.config = withErrorCode(readConfig)((key) => req.config.get(key));
  },
  check: (p: Provider, olds: Wire, news: Wire) => of(p).check(p.config, olds, news),
  diff: (p: Provider, id: string, olds: Wire, news: Wire) => of(p).diff(p.config, id, olds, news),
  create: (p: Provider, inputs: Wire) => of(p).create(p.config, inputs),
  read: async (p: Provider, id: string, props: Wire) => {
    const outs = await of(p).read(p.config, id, props);
    return outs ? { id, props: outs } : {};
  },
  update: async (p: Provider, id: string, olds: Wire, news: Wire) => ({ outs: await of(p).update(p.config, id, olds, news) }),
  delete: async (p: Provider, id: string, props: Wire) => {
    await of(p).delete(p.config, id, props);
  },
};
type Methods = typeof methods;
type Args<M extends keyof Methods> = Parameters<Methods[M]> extends [Provider, ...infer A] ? A : never;

/** The one entry of the providers (`NotaryProvider.go`): `method` of `provider`'s kind, with the host's arguments. */
export async function dispatch<M extends keyof Methods>(provider: Provider, method: M, args: Args<M>): Promise<unknown> {
  const run = methods[method] as unknown as (p: Provider, ...a: Args<M>) => unknown;
  if (!run) throw new Error(`unknown provider operation ${String(method)}`);
  return run(provider, ...args);
}
