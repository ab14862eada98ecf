/**
 * The resource implementations the dynamic providers load by package name (`pulumi-notary/runtime`) inside their
 * methods. Not a public API.
 */
import "../../../sdk/src/node-version.ts"; // first: a clear message on an older Node.js, before any dependency loads
import * as repository from "./repository.ts";
import * as roles from "./roles.ts";
import * as signedTag from "./signed-tag.ts";
import * as keyImpl from "./key.ts";
import * as status from "./status.ts";
import { readConfig, type ProviderConfig } from "./common.ts";
import { rememberKeys } from "./keyring.ts";
import { checkImageKind } from "./platform.ts";
import { checkPromotion } from "./promotion.ts";
import { checkServerUrl, inPulumiTerms } from "./terms.ts";
import type { CheckFailure, DiffResult } from "./checks.ts";

export * from "./common.ts";
export * from "./checks.ts";
export * from "./repository.ts";
export * from "./roles.ts";
export * from "./signed-tag.ts";
export * from "./key.ts";
export * from "./status.ts";

/**
 * Errors reach the engine as their message only (the dynamic provider host's `grpcResponseFromError` sends
 * `e.message`), which would drop a NotaryError's code. Prefix it, so `pulumi up` shows e.g.
 * `SIGNING_KEY_MISSING: cannot sign targets: …` and a program or CI log can branch on the code.
 */
export function withErrorCode<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  const tag = (e: unknown): never => {
    const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
    if (e instanceof Error && typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code) && !e.message.startsWith(`${code}: `)) {
      e.message = `${code}: ${inPulumiTerms(e.message)}`;
      if (code === "METADATA_ROLLBACK") {
        e.message +=
          ". The versions already trusted come from this stack's state. If the server was restored from a backup, accept " +
          "its older metadata deliberately for one command: `NOTARY_ACCEPT_ROLLBACK=true pulumi refresh`";
      }
    }
    throw e;
  };
  return (...args: A): R => {
    try {
      const r = f(...args);
      return (r instanceof Promise ? r.catch(tag) : r) as R;
    } catch (e) {
      return tag(e);
    }
  };
}

type Crud = {
  check(config: ProviderConfig, olds: Any, news: Any): { inputs: Any; failures: CheckFailure[] } | Promise<{ inputs: Any; failures: CheckFailure[] }>;
  diff(config: ProviderConfig, id: string, olds: Any, news: Any): DiffResult;
  create(config: ProviderConfig, inputs: Any): Promise<{ id: string; outs: Any }> | { id: string; outs: Any };
  /** undefined when the object is gone (the engine then drops it from state). */
  read(config: ProviderConfig, id: string, props: Any): Promise<Any | undefined>;
  update(config: ProviderConfig, id: string, olds: Any, news: Any): Promise<Any>;
  delete(config: ProviderConfig, id: string, props: Any): Promise<void>;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const coded = <T extends Crud>(c: T): T =>
  Object.fromEntries(Object.entries(c).map(([k, f]) => [k, withErrorCode(f as (...a: unknown[]) => unknown)])) as T;

/**
 * After a create or update succeeded, the host remembers the private keys of its inputs for the GUN (keyring.ts), so
 * deletes later in the same command can sign with keys rotated by it.
 */
const remembering = <T extends Crud>(c: T): T => ({
  ...c,
  create: async (config: ProviderConfig, inputs: Any) => {
    const r = await c.create(config, inputs);
    rememberKeys(inputs);
    return r;
  },
  update: async (config: ProviderConfig, id: string, olds: Any, news: Any) => {
    const r = await c.update(config, id, olds, news);
    rememberKeys(news);
    return r;
  },
});

/** A resource's check failures, and the server URL's (`pulumi preview` reports a missing or malformed one). */
function withUrl(config: ProviderConfig, news: Any, failures: CheckFailure[]): CheckFailure[] {
  checkServerUrl(config, news?.server, failures);
  return failures;
}

/** The CRUD table the providers call (`rt.crud[kind][method]`), every entry with coded error messages. */
export const crud: Record<"repository" | "delegation" | "signer" | "signedTag" | "key" | "status", Crud> = {
  repository: remembering(coded({
    check: (c, _o, news) => ({ inputs: news, failures: withUrl(c, news, repository.checkRepository(news)) }),
    diff: (c, _id, olds, news) => repository.diffRepository(olds, news, c),
    create: (c, inputs) => repository.createRepository(c, inputs),
    read: (c, _id, props) => repository.readRepository(c, props),
    update: (c, _id, olds, news) => repository.updateRepository(c, olds, news),
    delete: (c, _id, props) => repository.deleteRepository(c, props),
  })),
  delegation: remembering(coded({
    check: (c, _o, news) => ({ inputs: news, failures: withUrl(c, news, roles.checkDelegation(news)) }),
    diff: (c, _id, olds, news) => roles.diffDelegation(olds, news, c),
    create: (c, inputs) => roles.createDelegation(c, inputs),
    read: (c, _id, props) => roles.readDelegation(c, props),
    update: (c, _id, olds, news) => roles.updateDelegation(c, olds, news),
    delete: (c, _id, props) => roles.deleteDelegation(c, props),
  })),
  signer: remembering(coded({
    check: (c, _o, news) => ({ inputs: news, failures: withUrl(c, news, roles.checkSigner(news)) }),
    diff: (_c, _id, olds, news) => roles.diffSigner(olds, news),
    create: (c, inputs) => roles.createSigner(c, inputs),
    read: (c, _id, props) => roles.readSigner(c, props),
    update: (c, _id, olds, news) => roles.updateSigner(c, olds, news),
    delete: (c, _id, props) => roles.deleteSigner(c, props),
  })),
  signedTag: remembering(coded({
    check: async (c, olds, news) => {
      const failures = withUrl(c, news, signedTag.checkSignedTag(news));
      if (failures.length) return { inputs: news, failures };
      const resolved = await signedTag.resolveFloating(news, olds); // an image given by tag is resolved again (see there)
      const kind = await checkImageKind(olds, resolved); // a platform manifest where the tag holds a list
      if (kind.failure) return { inputs: resolved, failures: [kind.failure] };
      if (kind.warning) console.error(kind.warning); // the engine shows a provider's stderr as diagnostics
      // promotedFrom: its source is verified (promotion.ts; resources without it make no request here).
      const { inputs, failures: promotion } = await checkPromotion(c, resolved);
      if (promotion.length) return { inputs, failures: promotion };
      // A check with no old inputs precedes a create: announce the change so it can ride along with other publishes.
      if (!olds || Object.keys(olds).length === 0) signedTag.stageSignedTag(c, undefined, inputs);
      return { inputs, failures };
    },
    diff: (c, _id, olds, news) => {
      const d = signedTag.diffSignedTag(olds, news, c);
      // An update is planned: announce it (a replacement goes through delete and create instead).
      if (d.changes && !d.replaces?.length) signedTag.stageSignedTag(c, olds, news);
      // A rotated signing key alone is an update too, which only records the key (nothing to announce).
      return d.changes ? d : { changes: signedTag.signingKeysRotated(olds, news) };
    },
    create: (c, inputs) => signedTag.createSignedTag(c, inputs),
    read: (c, _id, props) => signedTag.readSignedTag(c, props),
    update: (c, _id, olds, news) => signedTag.updateSignedTag(c, olds, news),
    delete: (c, _id, props) => signedTag.deleteSignedTag(c, props),
  })),
  status: coded({
    check: (c, _o, news) => ({ inputs: news, failures: withUrl(c, news, status.checkStatus(news)) }),
    diff: (c, _id, olds, news) => status.diffStatus(olds, news, c),
    create: (c, inputs) => status.createStatus(c, inputs),
    read: (c, _id, props) => status.readStatus(c, props),
    update: (c, _id, olds, news) => status.updateStatus(c, olds, news),
    delete: async () => {}, // the trust data is the Repository's; this resource only records it
  }),
  key: coded({
    check: (_c, _o, news) => ({ inputs: news, failures: keyImpl.checkKey(news) }),
    diff: (_c, _id, olds, news) => keyImpl.diffKey(olds, news),
    create: (_c, inputs) => keyImpl.createKey(inputs),
    read: async (_c, _id, props) => props,
    update: async (_c, _id, olds, news) => ({ ...olds, ...news }),
    delete: async () => {},
  }),
};

/**
 * What a provider method does (providers.ts › NotaryProvider.go): `configure` reads the stack config into
 * `provider.config`; the CRUD methods run `crud[provider.kind]` and shape the results as the dynamic provider host
 * expects them.
 */
export async function dispatch(provider: { kind: keyof typeof crud; config: ProviderConfig }, op: string, args: Any[]): Promise<Any> {
  const impl = crud[provider.kind];
  const config = provider.config;
  switch (op) {
    case "configure":
      provider.config = withErrorCode(readConfig)((k) => (args[0] as { config: { get(k: string): string | undefined } }).config.get(k));
      return undefined;
    case "check":
      return impl.check(config, args[0], args[1]);
    case "diff":
      return impl.diff(config, args[0], args[1], args[2]);
    case "create":
      return impl.create(config, args[0]);
    case "read": {
      const outs = await impl.read(config, args[0], args[1]);
      return outs ? { id: args[0], props: outs } : {};
    }
    case "update":
      return { outs: await impl.update(config, args[0], args[1], args[2]) };
    case "delete":
      await impl.delete(config, args[0], args[1]);
      return undefined;
    default:
      throw new Error(`unknown provider operation ${op}`);
  }
}
