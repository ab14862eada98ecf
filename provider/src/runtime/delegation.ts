/** Delegation: a role delegated from `targets` (or another delegation), with keys, threshold and paths. */
import { keyToJson, keyJsonId } from "../../../sdk/src/index.ts";
import type { Change, RepoState, TargetsRoleState } from "../../../sdk/src/index.ts";
import { parentRole } from "../../../sdk/src/metadata/roles.ts";
import { isDue, lifetimeDays, isUnknown, parsePrivateKey, parsePublicKey, plain, sameSet, stateOf, renewBefore, type ProviderConfig } from "./common.ts";
import type { DiffResult } from "./checks.ts";
import type { DelegationInputs } from "../inputs/roles.ts";
import { explainStaleKey, sameKeys, withKnownKeys } from "./keyring.ts";
import { repoOf } from "./repo-ref.ts";
import { isHeld } from "./claims.ts";

export type DelegationOutputs = DelegationInputs & {
  keyIds: string[];
  /** Key IDs / threshold / paths as the server holds them (refreshed by `read`). */
  serverKeyIds: string[];
  serverThreshold: number;
  serverPaths: string[];
  version: number;
  expires: string;
  /** The snapshot version after this resource's last create or update (a refresh keeps it; see SignedTagOutputs). */
  snapshotVersion?: number;
};

function desiredDelegation(n: DelegationInputs) {
  const keys = n.keys.map((k, i) => keyToJson(parsePublicKey(k, `keys[${i}]`)));
  return { keys, keyIds: keys.map((k) => keyJsonId(k)), threshold: n.threshold ?? 1, paths: n.paths ?? [""] };
}

function roleFile(state: RepoState, role: string): TargetsRoleState | undefined {
  return state.roles.get(role);
}

export function delegationEntry(state: RepoState, role: string) {
  const parent = state.roles.get(parentRole(role));
  return parent?.file.signed.delegations.roles.find((r) => r.name === role);
}

export function diffDelegation(olds: DelegationOutputs, news: DelegationInputs, config: ProviderConfig, now = new Date()): DiffResult {
  if (news.gun !== olds.gun || news.role !== olds.role) {
    return { changes: true, replaces: [news.gun !== olds.gun ? "gun" : "role"], deleteBeforeReplace: true };
  }
  if (isUnknown(news)) return { changes: true };
  const want = desiredDelegation(news);
  // In a Repository of the stack, its RepositoryStatus plans renewals from what the server held after the last command.
  const renew = news.signingKeys?.length && !news.trustedRootSha256
    ? isDue(olds.expires, renewBefore(news, config), now, lifetimeDays(news.role, news.repositoryExpiry))
    : false;
  return {
    changes:
      !sameSet(want.keyIds, olds.serverKeyIds) ||
      want.threshold !== olds.serverThreshold ||
      JSON.stringify(want.paths) !== JSON.stringify(olds.serverPaths) ||
      renew ||
      (!!news.signingKeys?.length && olds.version === 0) ||
      // A rotated parent or signing key: the saved state must hold the key that signs now (see updateDelegation).
      !sameKeys(olds.parentKey, news.parentKey, "parentKey") ||
      !sameKeys(olds.signingKeys ?? [], news.signingKeys ?? [], "signingKeys"),
  };
}

/** Does the server already hold what `inputs` declare for the role (no write needed but perhaps a renewal)? */
function delegationInPlace(inputs: DelegationInputs, state: RepoState, renewBeforeDays: number): boolean {
  const entry = delegationEntry(state, inputs.role);
  const want = desiredDelegation(inputs);
  if (!entry || !sameSet(want.keyIds, entry.keyids) || want.threshold !== entry.threshold || JSON.stringify(want.paths) !== JSON.stringify(entry.paths)) return false;
  if (!inputs.signingKeys?.length) return true;
  const file = roleFile(state, inputs.role);
  return !!file && file.status === "valid" && !isDue(file.file.signed.expires, renewBeforeDays, new Date(), lifetimeDays(inputs.role, inputs.repositoryExpiry));
}

function delegationOutputs(inputs: DelegationInputs, state: RepoState): DelegationOutputs {
  const entry = delegationEntry(state, inputs.role);
  const file = roleFile(state, inputs.role);
  return plain({
    ...inputs,
    keyIds: desiredDelegation(inputs).keyIds,
    serverKeyIds: entry?.keyids ?? [],
    serverThreshold: entry?.threshold ?? 0,
    serverPaths: entry?.paths ?? [],
    version: file?.file.signed.version ?? 0,
    expires: file?.file.signed.expires ?? "",
    snapshotVersion: state.snapshot.signed.version,
  });
}

async function applyDelegation(config: ProviderConfig, inputs: DelegationInputs, renewBeforeDays: number): Promise<DelegationOutputs> {
  const repo = repoOf(config, inputs);
  const want = desiredDelegation(inputs);
  const changes: Change[] = [{ type: "setDelegation", name: inputs.role, keys: want.keys, threshold: want.threshold, paths: want.paths }];
  const keys = [parsePrivateKey(inputs.parentKey, "parentKey")];
  if (inputs.signingKeys?.length) {
    keys.push(...inputs.signingKeys.map((k, i) => parsePrivateKey(k, `signingKeys[${i}]`)));
    const file = repo.state ? roleFile(repo.state, inputs.role) : undefined;
    if (!file || isDue(file.file.signed.expires, renewBeforeDays, new Date(), lifetimeDays(inputs.role, inputs.repositoryExpiry)) || file.status !== "valid") {
      changes.push({ type: "witness", role: inputs.role });
    }
  }
  // Writers may start from an expired targets: the publish renews it with the targets key, or is refused without it.
  await repo.current({ allowExpiredTargets: true });
  const { state } = await repo.publish(changes, { keys });
  return delegationOutputs(inputs, state);
}

export async function createDelegation(config: ProviderConfig, inputs: DelegationInputs) {
  const outs = await applyDelegation(config, inputs, renewBefore(inputs, config));
  return { id: `${inputs.gun}#${inputs.role}`, outs };
}

/** An update whose only change is a rotated key records it without a server write; anything else publishes. */
export async function updateDelegation(config: ProviderConfig, olds: DelegationOutputs, news: DelegationInputs) {
  const renewBeforeDays = renewBefore(news, config);
  const state = await repoOf(config, news, delegationFloor(olds)).current({ allowExpiredTargets: true });
  if (state.roles.get("targets")!.status === "valid" && delegationInPlace(news, state, renewBeforeDays)) return delegationOutputs(news, state);
  return applyDelegation(config, news, renewBeforeDays);
}

/** The version of its role a Delegation's state recorded: a floor for this command's reads. */
const delegationFloor = (olds: DelegationOutputs) => ({ [olds.role]: olds.version });

export async function readDelegation(config: ProviderConfig, olds: DelegationOutputs): Promise<DelegationOutputs | undefined> {
  const repo = repoOf(config, olds, delegationFloor(olds));
  const state = await stateOf(repo);
  if (!state) return undefined;
  if (!delegationEntry(state, olds.role)) return undefined;
  return { ...delegationOutputs(olds, state), snapshotVersion: olds.snapshotVersion }; // a refresh is not a write
}

export async function deleteDelegation(config: ProviderConfig, olds: DelegationOutputs): Promise<void> {
  const repo = repoOf(config, olds, delegationFloor(olds));
  const state = await stateOf(repo);
  // Held by a resource of the program (renamed: claims.ts), or already removed (by the RepositoryStatus, ahead of this
  // delete: removals.ts, or by anyone): nothing to sign.
  if (!state || !delegationEntry(state, olds.role) || isHeld(olds.gun, olds.role)) return;
  const saved = [parsePrivateKey(olds.parentKey, "parentKey")];
  await explainStaleKey({ kind: "Delegation", name: olds.role, input: "parentKey", savedKeyIds: saved.map((k) => k.id) }, () =>
    repo.publish([{ type: "removeDelegation", name: olds.role }], { keys: withKnownKeys(olds.gun, saved) }),
  );
}
