/**
 * Delegation and Signer: roles delegated from `targets` (or another delegation), and docker's signer model
 * (`targets/<name>` plus the signer's keys in `targets/releases`).
 */
import { keyToJson, keyJsonId, RELEASES_ROLE, isSignerName } from "../../../sdk/src/index.ts";
import { canonicalKeyIdOfJson } from "../../../sdk/src/crypto/keys.ts";
import type { Change, RepoState, TargetsRoleState } from "../../../sdk/src/index.ts";
import { checkServerInput, isDue, lifetimeDays, isUnknown, parsePrivateKey, parsePublicKey, plain, repositoryFor, sameSet, stateOf, DEFAULT_RENEW_BEFORE_DAYS, type ProviderConfig, type SavedVersions, type ServerInput } from "./common.ts";
import { assertGunInput, checkPaths, checkPrivateKeys, checkPublicKeys, checkRoleName, checkThreshold, type CheckFailure, type DiffResult } from "./checks.ts";
import { parentRole } from "../../../sdk/src/metadata/roles.ts";
import { expiryPolicy } from "./repository.ts";
import { explainStaleKey, sameKeys, withKnownKeys } from "./keyring.ts";

/** How a dependent resource finds and verifies its repository. */
export type RepoRef = {
  gun: string;
  server?: ServerInput;
  /** Pins, strongest first: the root file (base64), its sha256 (what `repository: repo` passes), a root key ID. */
  trustedRoot?: string;
  trustedRootSha256?: string;
  rootKeyId?: string;
  /** The repository's expiry policy (lifetimes), so renewal windows never exceed half a role's lifetime. */
  repositoryExpiry?: { rootDays?: number; targetsDays?: number; snapshotDays?: number; delegationDays?: number };
};

/** The SDK repository of a dependent resource; `saved`: the versions its state recorded, this command's floor. */
export function repoOf(config: ProviderConfig, r: RepoRef, saved?: SavedVersions) {
  const anchor = {
    ...(r.trustedRoot ? { trustedRoot: r.trustedRoot } : {}),
    ...(r.trustedRootSha256 ? { trustedRootSha256: r.trustedRootSha256 } : {}),
    ...(r.rootKeyId ? { rootKeyIds: [r.rootKeyId] } : {}),
  };
  const repo = repositoryFor(config, r.server, r.gun, anchor, saved);
  // Our publishes re-sign roles: under the repository's expiry policy, not only when the Repository resource happened
  // to run in this process (each `pulumi` command has its own host).
  if (r.repositoryExpiry && !isUnknown(r.repositoryExpiry)) repo.configure({ expiry: expiryPolicy(r.repositoryExpiry) });
  return repo;
}

export function checkRepoRef(r: Partial<RepoRef>, f: CheckFailure[]): void {
  assertGunInput(r.gun, "gun", f);
  if (!isUnknown(r)) checkServerInput(r.server, f);
  if (!isUnknown(r) && !r.trustedRoot && !r.trustedRootSha256 && !r.rootKeyId) {
    f.push({ property: "repository", reason: "pass the Repository resource, or gun plus rootKeyId to pin an existing repository's root" });
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Delegation

export type DelegationInputs = RepoRef & {
  /** `targets/<name>`; nested roles allowed (`targets/team/ci`). */
  role: string;
  /** Public keys (PEM `PUBLIC KEY`, docker `.pub`, or certificates). */
  keys: string[];
  threshold?: number;
  /** Path prefixes; default all paths (`""`). */
  paths?: string[];
  /** Private key PEM of the parent role (the targets key, or the parent delegation's key). */
  parentKey: string;
  /** Private keys of this role: when given, the role's own file is created and renewed before it expires. */
  signingKeys?: string[];
  renewBeforeDays?: number;
};

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

export function checkDelegation(n: DelegationInputs): CheckFailure[] {
  const f: CheckFailure[] = [];
  checkRepoRef(n, f);
  checkRoleName(n.role, "role", f);
  const nKeys = checkPublicKeys(n.keys, "keys", f);
  checkThreshold(n.threshold, nKeys, "threshold", f);
  checkPaths(n.paths, "paths", f);
  checkPrivateKeys(n.parentKey, "parentKey", f);
  if (n.signingKeys !== undefined) checkPrivateKeys(n.signingKeys, "signingKeys", f);
  return f;
}

function desiredDelegation(n: DelegationInputs) {
  const keys = n.keys.map((k, i) => keyToJson(parsePublicKey(k, `keys[${i}]`)));
  return { keys, keyIds: keys.map((k) => keyJsonId(k)), threshold: n.threshold ?? 1, paths: n.paths ?? [""] };
}

function roleFile(state: RepoState, role: string): TargetsRoleState | undefined {
  return state.roles.get(role);
}

function delegationEntry(state: RepoState, role: string) {
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
    ? isDue(olds.expires, news.renewBeforeDays ?? config.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS, now, lifetimeDays(news.role, news.repositoryExpiry))
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
  const outs = await applyDelegation(config, inputs, inputs.renewBeforeDays ?? config.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS);
  return { id: `${inputs.gun}#${inputs.role}`, outs };
}

/** An update whose only change is a rotated key records it without a server write; anything else publishes. */
export async function updateDelegation(config: ProviderConfig, olds: DelegationOutputs, news: DelegationInputs) {
  const renewBeforeDays = news.renewBeforeDays ?? config.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS;
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
  if (!(await stateOf(repo))) return;
  const saved = [parsePrivateKey(olds.parentKey, "parentKey")];
  await explainStaleKey({ kind: "Delegation", name: olds.role, input: "parentKey", savedKeyIds: saved.map((k) => k.id) }, () =>
    repo.publish([{ type: "removeDelegation", name: olds.role }], { keys: withKnownKeys(olds.gun, saved) }),
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// Signer (docker trust signer add / remove)

export type SignerInputs = RepoRef & {
  /** Signer name as docker takes it (`^[a-z0-9][a-z0-9_-]*$`, not "releases"). */
  name: string;
  /** The signer's public keys (docker `.pub` files, PUBLIC KEY PEM, or certificates). */
  keys: string[];
  /** The repository's targets private key: signs targets.json, which holds both delegations. */
  targetsKey: string;
};

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

export function checkSigner(n: SignerInputs): CheckFailure[] {
  const f: CheckFailure[] = [];
  checkRepoRef(n, f);
  if (!isUnknown(n.name) && (typeof n.name !== "string" || !isSignerName(n.name))) {
    f.push({ property: "name", reason: `${JSON.stringify(n.name)} is not a valid signer name: lowercase letters, digits, "_" and "-", starting with a letter or digit, and not "releases"` });
  }
  checkPublicKeys(n.keys, "keys", f);
  checkPrivateKeys(n.targetsKey, "targetsKey", f);
  return f;
}

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

/** Key IDs of every delegation of `targets` but `role` and releases: keys other signers still sign releases with. */
function otherSignersKeyIds(state: RepoState, role: string): Set<string> {
  const targets = state.roles.get("targets")!.file.signed;
  return new Set(targets.delegations.roles.filter((r) => r.name !== role && r.name !== RELEASES_ROLE).flatMap((r) => r.keyids));
}

async function applySigner(config: ProviderConfig, inputs: SignerInputs, previousKeyIds: readonly string[]): Promise<SignerOutputs> {
  const repo = repoOf(config, inputs);
  const mine = signerKeys(inputs);
  const state0 = await repo.current({ allowExpiredTargets: true }); // the publish below re-signs targets
  // A key this signer no longer uses leaves releases only if no other signer still uses it (as deleteSigner does).
  const others = otherSignersKeyIds(state0, `targets/${inputs.name}`);
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
  const role = `targets/${olds.name}`;
  const otherKeys = otherSignersKeyIds(state, role);
  const drop = (olds.keyIds ?? []).filter((id) => !otherKeys.has(id));
  const changes: Change[] = [{ type: "removeDelegation", name: role }];
  if (drop.length) changes.push({ type: "removeDelegationKeys", name: RELEASES_ROLE, keyIds: drop });
  const saved = [parsePrivateKey(olds.targetsKey, "targetsKey")];
  await explainStaleKey({ kind: "Signer", name: olds.name, input: "targetsKey", savedKeyIds: saved.map((k) => k.id) }, () =>
    repo.publish(changes, { keys: withKnownKeys(olds.gun, saved) }),
  );
}

