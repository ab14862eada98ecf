/**
 * Signer: docker's signer model (`docker trust signer add` / `remove`): the role `targets/<name>`, and the signer's
 * keys in `targets/releases`.
 */
import { keyToJson, keyJsonId, RELEASES_ROLE } from "../../../sdk/src/index.ts";
import { canonicalKeyIdOfJson } from "../../../sdk/src/crypto/keys.ts";
import type { Change, RepoState } from "../../../sdk/src/index.ts";
import { isUnknown, parsePrivateKey, parsePublicKey, plain, sameSet, stateOf, type ProviderConfig } from "./common.ts";
import type { DiffResult } from "./checks.ts";
import type { SignerInputs } from "../inputs/roles.ts";
import { delegationEntry } from "./delegation.ts";
import { explainStaleKey, sameKeys, withKnownKeys } from "./keyring.ts";
import { repoOf } from "./repo-ref.ts";
import { otherSignersKeyIds, removalChanges } from "./removals.ts";
import { isHeld } from "./claims.ts";

export type SignerOutputs = SignerInputs & {
  role: string;
  keyIds: string[];
  /** Canonical key IDs, as `docker trust inspect` lists them. */
  canonicalKeyIds: string[];
  /** The signer's keys as the server holds them: in `targets/<name>` and in `targets/releases`. */
  serverKeyIds: string[];
  releasesKeyIds: string[];
  /** The snapshot version after this resource's last create or update (a refresh keeps it; see SignedTagOutputs). */
  snapshotVersion?: number;
};

function signerKeys(n: SignerInputs) {
  const keys = n.keys.map((k, i) => keyToJson(parsePublicKey(k, `keys[${i}]`)));
  return { keys, keyIds: keys.map((k) => keyJsonId(k)), canonical: keys.map((k) => canonicalKeyIdOfJson(k)) };
}

function signerOutputs(inputs: SignerInputs, state: RepoState): SignerOutputs {
  const role = `targets/${inputs.name}`;
  const mine = signerKeys(inputs);
  const releases = delegationEntry(state, RELEASES_ROLE);
  return plain({
    ...inputs,
    role,
    keyIds: mine.keyIds,
    canonicalKeyIds: mine.canonical,
    serverKeyIds: delegationEntry(state, role)?.keyids ?? [],
    releasesKeyIds: (releases?.keyids ?? []).filter((id) => mine.keyIds.includes(id)),
    snapshotVersion: state.snapshot.signed.version,
  });
}

export function diffSigner(olds: SignerOutputs, news: SignerInputs): DiffResult {
  if (news.gun !== olds.gun || news.name !== olds.name) {
    return { changes: true, replaces: [news.gun !== olds.gun ? "gun" : "name"], deleteBeforeReplace: true };
  }
  if (isUnknown(news)) return { changes: true };
  const want = signerKeys(news).keyIds;
  const rotated = !sameKeys(olds.targetsKey, news.targetsKey, "targetsKey"); // recorded without a write: updateSigner
  return { changes: !sameSet(want, olds.serverKeyIds) || !sameSet(want, olds.releasesKeyIds) || rotated };
}


async function applySigner(config: ProviderConfig, inputs: SignerInputs, previousKeyIds: readonly string[]): Promise<SignerOutputs> {
  const repo = repoOf(config, inputs);
  const mine = signerKeys(inputs);
  const state0 = await repo.current({ allowExpiredTargets: true }); // the publish below re-signs targets
  // A key this signer no longer uses leaves releases only if no other signer still uses it (as deleteSigner does).
  const others = otherSignersKeyIds(state0, new Set([`targets/${inputs.name}`]));
  const stale = previousKeyIds.filter((id) => !mine.keyIds.includes(id) && !others.has(id));
  const changes: Change[] = [
    { type: "setDelegation", name: `targets/${inputs.name}`, keys: mine.keys, threshold: 1, paths: [""] },
    ...(stale.length ? [{ type: "removeDelegationKeys" as const, name: RELEASES_ROLE, keyIds: stale }] : []),
    { type: "addDelegationKeys", name: RELEASES_ROLE, keys: mine.keys, paths: [""] },
  ];
  const { state } = await repo.publish(changes, { keys: [parsePrivateKey(inputs.targetsKey, "targetsKey")] });
  return signerOutputs(inputs, state);
}

export async function createSigner(config: ProviderConfig, inputs: SignerInputs) {
  return { id: `${inputs.gun}#signer/${inputs.name}`, outs: await applySigner(config, inputs, []) };
}

/** An update whose only change is a rotated targets key records it without a server write; anything else publishes. */
export async function updateSigner(config: ProviderConfig, olds: SignerOutputs, news: SignerInputs) {
  const state = await repoOf(config, news).current({ allowExpiredTargets: true });
  const now = signerOutputs(news, state);
  const want = signerKeys(news).keyIds;
  const inPlace = state.roles.get("targets")!.status === "valid" && sameSet(want, now.serverKeyIds) && sameSet(want, now.releasesKeyIds);
  return inPlace ? now : applySigner(config, news, olds.keyIds ?? []);
}

export async function readSigner(config: ProviderConfig, olds: SignerOutputs): Promise<SignerOutputs | undefined> {
  const repo = repoOf(config, olds);
  const state = await stateOf(repo);
  if (!state) return undefined;
  if (!delegationEntry(state, `targets/${olds.name}`)) return undefined;
  return { ...signerOutputs(olds, state), snapshotVersion: olds.snapshotVersion }; // a refresh is not a write
}

/**
 * Remove the signer: its role, and its keys from `targets/releases` unless another signer still uses them (what
 * docker's `signer remove` means to do; docker 28 silently does nothing unless it is the last signer).
 */
export async function deleteSigner(config: ProviderConfig, olds: SignerOutputs): Promise<void> {
  const repo = repoOf(config, olds);
  const state = await stateOf(repo);
  if (!state) return;
  if (isHeld(olds.gun, `targets/${olds.name}`)) return; // a resource of the program holds the role (renamed: claims.ts)
  const changes = removalChanges(state, [{ kind: "signer", name: olds.name, keyIds: olds.keyIds ?? [] }]).roles;
  if (!changes.length) return; // already removed (by the RepositoryStatus, ahead of this delete: removals.ts, or by anyone)
  const saved = [parsePrivateKey(olds.targetsKey, "targetsKey")];
  await explainStaleKey({ kind: "Signer", name: olds.name, input: "targetsKey", savedKeyIds: saved.map((k) => k.id) }, () =>
    repo.publish(changes, { keys: withKnownKeys(olds.gun, saved) }),
  );
}
