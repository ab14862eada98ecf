/**
 * What each resource kind does, operation by operation, typed per kind: `runtime[kind][op]`. The dynamic provider
 * host's calls reach it through `dispatch` (index.ts).
 *
 * check and diff are pure but for SignedTag's, on purpose:
 * - its check goes to the network in two cases, each once per command: an `image` given by a floating tag is resolved
 *   in the registry (else a tag re-pushed since the last `up` would stay signed to its old digest without a word), and
 *   a `promotedFrom` source is verified (a promotion holds only while the source signs the digest: a preview must say
 *   when it stopped). A SignedTag pinned by digest and without `promotedFrom` makes no request.
 * - its check (before a create) and diff (before an update) stage the publish they announce (stageSignedTag: in this
 *   process's memory, no I/O), so the first publishes carry the changes of the tags that follow: a thousand tags need
 *   a few publishes, not one per engine slot.
 */
import { rememberKeys } from "./keyring.ts";
import { checkImageKind } from "./platform.ts";
import { checkPromotion } from "./promotion.ts";
import { checkServerUrl } from "./terms.ts";
import type { ProviderConfig } from "./config.ts";
import type { CheckFailure, DiffResult } from "./checks.ts";
import type { Unchecked } from "../inputs/repo-ref.ts";
import { checkRepository, type RepositoryInputs } from "../inputs/repository.ts";
import { checkDelegation, checkSigner, type DelegationInputs, type SignerInputs } from "../inputs/roles.ts";
import { checkSignedTag, type SignedTagInputs } from "../inputs/signed-tag.ts";
import { checkKey, type KeyInputs } from "../inputs/key.ts";
import { checkStatus, type StatusInputs } from "../inputs/status.ts";
import * as repository from "./repository.ts";
import * as delegation from "./delegation.ts";
import * as signer from "./signer.ts";
import * as signedTag from "./signed-tag.ts";
import type { SignedTagOutputs } from "./tag-state.ts";
import * as status from "./status.ts";
import * as key from "./key.ts";
import { withErrorCode } from "./error-codes.ts";
import { holdClaim } from "./claims.ts";
import type { Claim } from "../inputs/status.ts";

type Checked<I> = { inputs: I; failures: CheckFailure[] };
type Maybe<T> = T | Promise<T>;

/** A resource kind's operations: `I` its inputs once checked, `O` its outputs (its state). */
export type Operations<I, O> = {
  /** `news` as the program sent them; `olds` are the last inputs, none before a create. */
  check(config: ProviderConfig, olds: Partial<I> | undefined, news: Unchecked<I>): Maybe<Checked<I>>;
  diff(config: ProviderConfig, id: string, olds: O, news: I): DiffResult;
  create(config: ProviderConfig, inputs: I): Maybe<{ id: string; outs: O }>;
  /** undefined when the object is gone (the engine then drops it from state). */
  read(config: ProviderConfig, id: string, props: O): Promise<O | undefined>;
  update(config: ProviderConfig, id: string, olds: O, news: I): Promise<O>;
  delete(config: ProviderConfig, id: string, props: O): Promise<void>;
};

/** Every operation with coded error messages (withErrorCode). */
function coded<I, O>(ops: Operations<I, O>): Operations<I, O> {
  return Object.fromEntries(Object.entries(ops).map(([op, f]) => [op, withErrorCode(f as (...a: unknown[]) => unknown)])) as Operations<I, O>;
}

/**
 * After a create or update succeeded, the host remembers the private keys of its inputs for the GUN (keyring.ts), so
 * deletes later in the same command can sign with keys rotated by it.
 */
function remembering<I extends object, O>(ops: Operations<I, O>): Operations<I, O> {
  return {
    ...ops,
    create: async (config, inputs) => {
      const r = await ops.create(config, inputs);
      rememberKeys(inputs as Record<string, unknown>);
      return r;
    },
    update: async (config, id, olds, news) => {
      const r = await ops.update(config, id, olds, news);
      rememberKeys(news as Record<string, unknown>);
      return r;
    },
  };
}

/**
 * Every resource the program declares records its claim (claims.ts) before any delete of the command runs: an
 * unchanged one at its diff, a new or updated one after its create or update. A delete leaves what is held (a resource
 * renamed holds what its old name held).
 */
function claiming<I, O extends { gun: string }>(ops: Operations<I, O>, claimOf: (o: O) => Claim): Operations<I, O> {
  return {
    ...ops,
    diff: (config, id, olds, news) => {
      const d = ops.diff(config, id, olds, news);
      if (!d.changes) holdClaim(olds.gun, claimOf(olds));
      return d;
    },
    create: async (config, inputs) => {
      const r = await ops.create(config, inputs);
      holdClaim(r.outs.gun, claimOf(r.outs));
      return r;
    },
    update: async (config, id, olds, news) => {
      const o = await ops.update(config, id, olds, news);
      holdClaim(o.gun, claimOf(o));
      return o;
    },
  };
}

/** A check without I/O: the inputs' failures, and the server URL's (`pulumi preview` reports a missing or malformed one). */
function offline<I>(failuresOf: (news: unknown) => CheckFailure[]): Operations<I, unknown>["check"] {
  return (config, _olds, news) => {
    const failures = failuresOf(news);
    checkServerUrl(config, (news as { server?: never } | undefined)?.server, failures);
    return { inputs: news as I, failures };
  };
}

/** SignedTag's check: offline first, then the network where the header says, then the staging of a create. */
async function checkSignedTagInputs(config: ProviderConfig, olds: Partial<SignedTagInputs> | undefined, news: Unchecked<SignedTagInputs>): Promise<Checked<SignedTagInputs>> {
  const checked = offline<SignedTagInputs>(checkSignedTag)(config, olds, news) as Checked<SignedTagInputs>;
  if (checked.failures.length) return checked;
  const resolved = await signedTag.resolveFloating(checked.inputs, olds); // an image given by tag
  const kind = await checkImageKind(olds, resolved); // a platform manifest where the tag holds a list
  if (kind.failure) return { inputs: resolved, failures: [kind.failure] };
  if (kind.warning) console.error(kind.warning); // the engine shows a provider's stderr as diagnostics
  const { inputs, failures } = await checkPromotion(config, resolved); // resources without promotedFrom: no request
  if (failures.length) return { inputs, failures };
  // A check with no old inputs precedes a create: announce the change so it can ride along with other publishes.
  if (!olds || Object.keys(olds).length === 0) signedTag.stageSignedTag(config, undefined, inputs);
  return { inputs, failures };
}

export const runtime = {
  repository: remembering(coded<RepositoryInputs, repository.RepositoryOutputs>({
    check: offline(checkRepository),
    diff: (c, _id, olds, news) => repository.diffRepository(olds, news, c),
    create: (c, inputs) => repository.createRepository(c, inputs),
    read: (c, _id, props) => repository.readRepository(c, props),
    update: (c, _id, olds, news) => repository.updateRepository(c, olds, news),
    delete: (c, _id, props) => repository.deleteRepository(c, props),
  })),
  delegation: claiming(remembering(coded<DelegationInputs, delegation.DelegationOutputs>({
    check: offline(checkDelegation),
    diff: (c, _id, olds, news) => delegation.diffDelegation(olds, news, c),
    create: (c, inputs) => delegation.createDelegation(c, inputs),
    read: (c, _id, props) => delegation.readDelegation(c, props),
    update: (c, _id, olds, news) => delegation.updateDelegation(c, olds, news),
    delete: (c, _id, props) => delegation.deleteDelegation(c, props),
  })), (o) => ({ kind: "delegation", name: o.role })),
  signer: claiming(remembering(coded<SignerInputs, signer.SignerOutputs>({
    check: offline(checkSigner),
    diff: (_c, _id, olds, news) => signer.diffSigner(olds, news),
    create: (c, inputs) => signer.createSigner(c, inputs),
    read: (c, _id, props) => signer.readSigner(c, props),
    update: (c, _id, olds, news) => signer.updateSigner(c, olds, news),
    delete: (c, _id, props) => signer.deleteSigner(c, props),
  })), (o) => ({ kind: "signer", name: o.name, keyIds: o.keyIds })),
  signedTag: claiming(remembering(coded<SignedTagInputs, SignedTagOutputs>({
    check: checkSignedTagInputs,
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
  })), (o) => ({ kind: "tag", name: o.tag, roles: o.signedRoles ?? [o.signedRole] })),
  status: coded<StatusInputs, status.StatusOutputs>({
    check: offline(checkStatus),
    diff: (c, _id, olds, news) => status.diffStatus(olds, news, c),
    create: (c, inputs) => status.createStatus(c, inputs),
    read: (c, _id, props) => status.readStatus(c, props),
    update: (c, _id, olds, news) => status.updateStatus(c, olds, news),
    delete: async () => {}, // the trust data is the Repository's; this resource only records it
  }),
  key: coded<KeyInputs, key.KeyOutputs>({
    check: (_c, _olds, news) => ({ inputs: news as KeyInputs, failures: checkKey(news) }),
    diff: (_c, _id, olds, news) => key.diffKey(olds, news),
    create: (_c, inputs) => key.createKey(inputs),
    read: async (_c, _id, props) => props,
    update: async (_c, _id, olds, news) => ({ ...olds, ...news }),
    delete: async () => {},
  }),
};

export type Kind = keyof typeof runtime;
