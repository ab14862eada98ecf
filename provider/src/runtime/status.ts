/**
 * RepositoryStatus: what the server holds for a repository after the whole command, and the renewals of its roles.
 * It runs after every resource of the repository (resources/status.ts says why), so its record is what the server
 * holds after our own writes, and a preview plans renewals from that record without a request.
 *
 * Its diff plans an update when a resource of the repository wrote since (an output that changes with each write is
 * one of its inputs), when one was removed, or when a role whose keys the program holds is due for renewal. Create,
 * update and read make one verified read, re-sign the roles due, and record every role's version, expiry and key IDs.
 * An update first removes what the resources removed from the program held (removals.ts: Pulumi deletes them after
 * this resource ran), so the record is what the server holds once their deletes, which then find nothing to do, ran.
 */
import { isNotaryError, type Change, type KeyJson, type PrivateKey, type RepoState, type Repository } from "../../../sdk/src/index.ts";
import { canonicalKeyIdOfJson } from "../../../sdk/src/crypto/keys.ts";
import { parentRole } from "../../../sdk/src/metadata/roles.ts";
import { renewBefore, isDue, isUnknown, lifetimeDays, parsePrivateKey, plain, stateOf, type ProviderConfig } from "./common.ts";
import { delegationEntry } from "./delegation.ts";
import type { DiffResult } from "./checks.ts";
import type { StatusInputs } from "../inputs/status.ts";
import { repoOf } from "./repo-ref.ts";
import { say } from "./progress.ts";
import { lingering, removalChanges, removedClaims } from "./removals.ts";
import { withKnownKeys } from "./keyring.ts";
import { isHeld } from "./claims.ts";
import type { Claim } from "../inputs/status.ts";

export type StatusOutputs = StatusInputs & {
  versions: Record<string, number>;
  expires: Record<string, string>;
  keyIds: Record<string, string[]>;
  /**
   * The same keys by canonical ID (a private key's own ID; root's key IDs are its certificates'): what renewals match
   * the keys given against. Absent from state written before it: the key IDs are used then.
   */
  canonicalKeyIds?: Record<string, string[]>;
  /**
   * A resource removed by the last `up` may have written after this resource ran (its removal was left to its own
   * delete: removals.ts says when): the next command reads again.
   */
  awaitingDeletes: boolean;
};

export function diffStatus(olds: StatusOutputs, news: StatusInputs, config: ProviderConfig, now = new Date()): DiffResult {
  if (isUnknown(news.after) || isUnknown(news.repositoryMark) || isUnknown(news.trustedRootSha256)) return { changes: true };
  const before = new Map((olds.after ?? []).map(([urn, ...rest]) => [urn, JSON.stringify(rest)]));
  const wrote = news.after.some(([urn, ...rest]) => before.get(urn) !== JSON.stringify(rest)); // a write, or a new claim
  const changed =
    olds.awaitingDeletes ||
    removedSince(olds, news) ||
    wrote ||
    JSON.stringify(news.repositoryMark) !== JSON.stringify(olds.repositoryMark) ||
    news.trustedRootSha256 !== olds.trustedRootSha256 ||
    JSON.stringify(news.expiry ?? {}) !== JSON.stringify(olds.expiry ?? {}) ||
    (news.renewBeforeDays ?? null) !== (olds.renewBeforeDays ?? null) ||
    (!isUnknown(news.keys) && dueRoles(olds, news, config, now).length > 0);
  return { changes: changed };
}

/** A resource of the repository left the program: the status removes what it held (removals.ts). */
function removedSince(olds: StatusOutputs, news: StatusInputs): boolean {
  const now = new Set(news.after.map(([urn]) => urn));
  return (olds.after ?? []).some(([urn]) => !now.has(urn));
}

/** Roles due for renewal (by the record `r`) that the keys given can sign. */
function dueRoles(r: Pick<StatusOutputs, "expires" | "keyIds" | "canonicalKeyIds">, inputs: StatusInputs, config: ProviderConfig, now: Date): string[] {
  const held = new Set(heldKeys(inputs).map((k) => k.id));
  const window = renewBefore(inputs, config);
  return Object.keys(r.expires ?? {}).filter(
    (role) =>
      role !== "timestamp" && // the server holds the timestamp key and re-signs it
      (r.canonicalKeyIds?.[role] ?? r.keyIds[role] ?? []).some((id) => held.has(id)) &&
      isDue(r.expires[role], window, now, lifetimeDays(role, inputs.expiry)),
  );
}

/** The private keys given (parsePrivateKey keeps each parsed once per process). */
function heldKeys(inputs: Partial<Pick<StatusInputs, "keys">>): PrivateKey[] {
  return (inputs.keys ?? []).map((pem, i) => parsePrivateKey(pem, `keys[${i}]`));
}

/**
 * The last command's keys that can still be read: they only add to the keys given now for removals (one encrypted
 * under a passphrase changed since is left out, and a removal it alone could sign is left to the resource's delete).
 */
export function previousKeys(previous: StatusOutputs | undefined): PrivateKey[] {
  return (previous?.keys ?? []).flatMap((pem, i) => {
    try {
      return [parsePrivateKey(pem, `keys[${i}]`)];
    } catch {
      return [];
    }
  });
}

/** Version, expiry and key IDs of every role the verified state holds. */
function recordOf(state: RepoState): Required<Pick<StatusOutputs, "versions" | "expires" | "keyIds" | "canonicalKeyIds">> {
  const root = state.root.signed;
  const versions: Record<string, number> = { root: root.version, snapshot: state.snapshot.signed.version, timestamp: state.timestamp.signed.version };
  const expires: Record<string, string> = { root: root.expires, snapshot: state.snapshot.signed.expires, timestamp: state.timestamp.signed.expires };
  const keyIds: Record<string, string[]> = {};
  const canonicalKeyIds: Record<string, string[]> = {};
  const record = (role: string, ids: readonly string[], keys: Readonly<Record<string, KeyJson>>) => {
    keyIds[role] = [...ids];
    canonicalKeyIds[role] = ids.flatMap((id) => (keys[id] ? [canonicalKeyIdOfJson(keys[id])] : []));
  };
  for (const role of ["root", "targets", "snapshot", "timestamp"]) record(role, root.roles[role]?.keyids ?? [], root.keys);
  for (const [role, file] of state.roles) {
    versions[role] = file.file.signed.version;
    expires[role] = file.file.signed.expires;
    if (role !== "targets") record(role, delegationEntry(state, role)?.keyids ?? [], state.roles.get(parentRole(role))?.file.signed.delegations.keys ?? {});
  }
  return { versions, expires, keyIds, canonicalKeyIds };
}

/**
 * One verified read; what removed resources held is removed (removeLeft); the roles due are re-signed with the keys
 * given; the record is what the server then holds.
 */
async function witness(config: ProviderConfig, inputs: StatusInputs, previous?: StatusOutputs): Promise<StatusOutputs> {
  const repo = repoOf(config, { ...inputs, repositoryExpiry: inputs.expiry }, previous?.versions);
  const removed = removedClaims(previous?.after, inputs.after, (id) => isHeld(inputs.gun, id));
  const left = await removeLeft(repo, await repo.current({ allowExpiredTargets: true }), removed.claims, [...heldKeys(inputs), ...previousKeys(previous)]);
  let state = left.state;
  const record = recordOf(state);
  const due = dueRoles(record, inputs, config, new Date());
  if (due.length) {
    say(`re-signing ${due.map((r) => `${r} (expires ${record.expires[r]})`).join(", ")} of ${inputs.gun}`);
    const changes: Change[] = due.map((role) => ({ type: "witness", role }));
    state = (await repo.publish(changes, { keys: heldKeys(inputs) })).state;
  }
  const kept = lingering(state, removed.protected);
  return plain({ ...inputs, after: [...inputs.after, ...kept], ...recordOf(state), awaitingDeletes: left.deferred || removed.deferred || kept.length > 0 });
}

/**
 * Removes what `removed` still holds on the server, signed with the keys given now, the last command's (which signed
 * them) and those this process was handed for the GUN. Keys that cannot sign a removal leave it to the resource's own
 * delete, whose error names the resource, its role and the input to change (`deferred`).
 */
async function removeLeft(repo: Repository, state: RepoState, removed: readonly Claim[], keys: PrivateKey[]): Promise<{ state: RepoState; deferred: boolean }> {
  const { tags, roles } = removalChanges(state, removed);
  if (!tags.length && !roles.length) return { state, deferred: false };
  say(`removing what ${removed.map((c) => `${c.kind} ${c.name}`).join(", ")} held in ${state.gun} (they left the program)`);
  const signing = withKnownKeys(state.gun, keys);
  try {
    if (tags.length) state = (await repo.publish(tags, { keys: signing })).state;
    // The roles' changes are computed again from the state the tags' removal left (the same, less those tags).
    const rest = removalChanges(state, removed).roles;
    if (rest.length) state = (await repo.publish(rest, { keys: signing })).state;
    return { state, deferred: false };
  } catch (e) {
    if (!isNotaryError(e, "SIGNING_KEY_MISSING")) throw e;
    return { state: await repo.current({ allowExpiredTargets: true }), deferred: true };
  }
}

export async function createStatus(config: ProviderConfig, inputs: StatusInputs): Promise<{ id: string; outs: StatusOutputs }> {
  return { id: inputs.gun, outs: await witness(config, inputs) };
}

export async function updateStatus(config: ProviderConfig, olds: StatusOutputs, news: StatusInputs): Promise<StatusOutputs> {
  return witness(config, news, olds);
}

export async function readStatus(config: ProviderConfig, olds: StatusOutputs): Promise<StatusOutputs | undefined> {
  const state = await stateOf(repoOf(config, olds, olds.versions), { allowExpiredTargets: true });
  return state && plain({ ...olds, ...recordOf(state), awaitingDeletes: false });
}
