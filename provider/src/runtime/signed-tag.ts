/**
 * SignedTag: a tag signed to a manifest digest and size in a targets role. Idempotent: when the role already holds
 * that digest and size nothing is published. The digest and size come from the registry (any manifest type,
 * including multi-arch indexes) or are given directly.
 */
import { NotaryError, resolveImage, parseImageReference, lookupTarget, type Change, type RepoState } from "../../../sdk/src/index.ts";
import { renewBefore, currentOf, inputError, isDue, lifetimeDays, isUnknown, parsePrivateKey, stateOf, type ProviderConfig } from "./common.ts";
import type { DiffResult } from "./checks.ts";
import type { Provenance } from "../inputs/provenance.ts";
import type { SignedTagInputs } from "../inputs/signed-tag.ts";
import { repoOf } from "./repo-ref.ts";
import { explainStaleKey, sameKeys, withKnownKeys } from "./keyring.ts";
import { registryOptions } from "./platform.ts";
import { rolesToResign } from "./resign.ts";
import { mergeProvenance, readImageProvenance, sameProvenance, wantedProvenance, withProvenance } from "./provenance.ts";
import { promotionDiff, revokeUnpromoted } from "./promotion.ts";
import { isHeld, tagIdentity } from "./claims.ts";
import { defaultRoles, metaFor, outputsOf, stageId, type Signed, type SignedTagOutputs } from "./tag-state.ts";

/**
 * A floating reference floats: `image` given by tag (no digest pinned, no `digest` input) is resolved in the registry
 * by every `check`, so by every preview and up (why a check goes to the network: operations.ts). A reference pinned by
 * digest is left alone.
 */
export async function resolveFloating(news: SignedTagInputs, olds?: Partial<SignedTagInputs>): Promise<SignedTagInputs> {
  const { resolvedDigest: _d, resolvedSize: _s, resolvedMediaType: _m, imageProvenance: _p, ...rest } = news;
  if (!news.image || isUnknown(news.image) || news.digest !== undefined || pinnedDigest(news.image) || isUnknown(news)) return rest;
  const r = await resolveDigest(rest, olds);
  return { ...rest, resolvedDigest: r.digest, resolvedSize: r.size, resolvedMediaType: r.mediaType, imageProvenance: r.imageProvenance };
}

/** The digest an image reference pins without asking the registry (`…@sha256:…`). */
function pinnedDigest(image: string | undefined): string | undefined {
  if (!image || isUnknown(image)) return undefined;
  try {
    return parseImageReference(image).digest;
  } catch {
    return undefined;
  }
}

export function diffSignedTag(olds: SignedTagOutputs, news: SignedTagInputs, config: ProviderConfig, now = new Date()): DiffResult {
  for (const f of ["gun", "tag"] as const) if (news[f] !== olds[f]) return { changes: true, replaces: [f], deleteBeforeReplace: true };
  if ((news.role ?? "") !== (olds.role ?? "")) return { changes: true, replaces: ["role"], deleteBeforeReplace: true };
  if (isUnknown(news)) return { changes: true };
  const promotion = promotionDiff(olds, news); // a promotion that no longer holds: revoke, or nothing left to do
  if (promotion) return promotion;
  // Desired digest: given, pinned by the reference, or (same image input) what we resolved last time.
  const want =
    news.digest ?? pinnedDigest(news.image) ?? news.resolvedDigest ?? (news.image === olds.image ? olds.signedDigest : undefined);
  const wantSize = news.size ?? (want === news.resolvedDigest ? news.resolvedSize : undefined) ?? (want === olds.signedDigest ? olds.signedSize : undefined);
  const provenance = wantedProvenance(news, olds, want); // drifts and changes like the digest
  if (want === undefined || wantSize === undefined || provenance === undefined) return { changes: true };
  const drift = olds.serverDigest !== want || olds.serverSize !== wantSize || !sameProvenance(provenance, olds.serverProvenance);
  // In a Repository of the stack, its RepositoryStatus plans renewals from what the server held after the last command.
  const renew = !news.trustedRootSha256 && isDue(
    olds.roleExpires,
    renewBefore(news, config),
    now,
    lifetimeDays(olds.signedRole ?? "targets", news.repositoryExpiry),
  );
  return { changes: drift || want !== olds.signedDigest || renew || !sameProvenance(provenance, olds.signedProvenance) };
}

/**
 * The manifest `inputs` name, and what the image says of its provenance. A digest fixes the manifest and its config,
 * so the provenance an earlier check read for the same digest (`known`) is taken again without fetching the config.
 */
async function resolveDigest(
  inputs: SignedTagInputs,
  known?: Partial<SignedTagInputs>,
): Promise<{ digest: string; size: number; mediaType: string; imageProvenance: Provenance }> {
  if (inputs.digest && inputs.size) return { digest: inputs.digest, size: inputs.size, mediaType: "", imageProvenance: {} };
  if (!inputs.image) throw inputError("image", "give image or digest and size");
  const img = await resolveImage(inputs.image, registryOptions(inputs.registry));
  if (inputs.digest && inputs.digest !== img.digest) {
    throw new NotaryError("REGISTRY_DIGEST_MISMATCH", `image ${inputs.image} resolves to ${img.digest}, not the digest ${inputs.digest} given`, {
      details: { field: "digest" },
    });
  }
  const imageProvenance =
    known?.resolvedDigest === img.digest && known.imageProvenance ? known.imageProvenance : await readImageProvenance(img, registryOptions(inputs.registry));
  return { digest: img.digest, size: inputs.size ?? img.size, mediaType: img.mediaType, imageProvenance };
}

/** The changes that sign `tag` in its roles, computed against the state current at publish time. */
function signChanges(
  inputs: SignedTagInputs,
  config: ProviderConfig,
  keys: readonly { id: string }[],
  resolved: { digest: string; size: number; imageProvenance?: Provenance | undefined },
  fixedRoles: string[] | undefined,
): (state: RepoState) => Change[] {
  const meta = withProvenance(metaFor(resolved.digest, resolved.size), mergeProvenance(inputs.provenance, resolved.imageProvenance));
  const keyIds = new Set(keys.map((k) => k.id));
  return (state) => {
    const roles = fixedRoles ?? defaultRoles(state, inputs.tag, keyIds);
    const changes: Change[] = [];
    for (const role of roles) {
      changes.push({ type: "setTarget", role, name: inputs.tag, meta });
      const file = state.roles.get(role);
      const window = renewBefore(inputs, config);
      if (file && isDue(file.file.signed.expires, window, new Date(), lifetimeDays(role, inputs.repositoryExpiry))) {
        changes.push({ type: "witness", role });
      }
    }
    return changes;
  };
}

function rolesFor(inputs: SignedTagInputs, previous?: SignedTagOutputs): string[] | undefined {
  return inputs.role ? [inputs.role] : previous?.signedRoles;
}

async function apply(config: ProviderConfig, inputs: SignedTagInputs, previous?: SignedTagOutputs): Promise<SignedTagOutputs> {
  if (inputs.promotionHolds === false) return revokeUnpromoted(config, inputs, previous); // promotion.ts
  const repo = repoOf(config, inputs);
  await currentOf(repo);
  const keys = inputs.signingKeys.map((k, i) => parsePrivateKey(k, `signingKeys[${i}]`));
  // What check resolved (so what the preview showed is what gets signed), else what was signed for the same image.
  const resolved =
    inputs.resolvedDigest && inputs.resolvedSize
      ? { digest: inputs.resolvedDigest, size: inputs.resolvedSize, mediaType: inputs.resolvedMediaType ?? "", imageProvenance: inputs.imageProvenance }
      : previous && inputs.image === previous.image && !inputs.digest && !pinnedDigest(inputs.image)
        ? signedOf(previous)
        : await resolveDigest(inputs);
  let roles: string[] = [];
  const changes = signChanges(inputs, config, keys, resolved, rolesFor(inputs, previous));
  const { state } = await repo.publish(
    (st) => {
      const c = changes(st);
      roles = [...new Set(c.filter((x) => x.type === "setTarget").map((x) => x.role))];
      return c;
    },
    { keys, id: stageId(inputs) },
  );
  return outputsOf(inputs, state, roles, resolved);
}

/**
 * Announce the change a SignedTag is about to make, from `check` (no I/O): when the engine creates many tags, the
 * first publishes carry the changes of tags checked but not yet created, so a thousand tags need a few publishes
 * instead of one per engine slot. Only changes fully known without the network are staged (digest and size given).
 */
export function stageSignedTag(config: ProviderConfig, olds: Partial<SignedTagOutputs> | undefined, news: SignedTagInputs): void {
  const digest = news.digest ?? news.resolvedDigest;
  const size = news.size ?? news.resolvedSize;
  if (isUnknown(news) || !digest || !size || !Array.isArray(news.signingKeys) || news.promotionHolds === false) return;
  try {
    const repo = repoOf(config, news);
    const keys = news.signingKeys.map((k, i) => parsePrivateKey(k, `signingKeys[${i}]`));
    const previous = olds && olds.signedRoles && olds.tag === news.tag ? (olds as SignedTagOutputs) : undefined;
    repo.stage(stageId(news), signChanges(news, config, keys, { digest, size, imageProvenance: news.imageProvenance }, rolesFor(news, previous)), { keys });
  } catch {
    /* staging is an optimisation: never fail a check because of it */
  }
}

export async function createSignedTag(config: ProviderConfig, inputs: SignedTagInputs) {
  const outs = await apply(config, inputs);
  return { id: `${inputs.gun}:${inputs.tag}@${outs.signedRole}`, outs };
}

/** Whether the only change is a rotated signing key (recorded in the state without a server write). */
export function signingKeysRotated(olds: SignedTagOutputs, news: SignedTagInputs): boolean {
  return !isUnknown(news) && !sameKeys(olds.signingKeys, news.signingKeys, "signingKeys");
}

export async function updateSignedTag(config: ProviderConfig, olds: SignedTagOutputs, news: SignedTagInputs) {
  const repo = repoOf(config, news, tagFloor(olds)); // apply() below gets the same handle, floor included
  if (!diffSignedTag(olds, news, config).changes) {
    // Only the signing keys rotated: record them; re-sign a role still signed by the old keys (resign.ts).
    let state = await currentOf(repo);
    const roles = olds.signedRoles ?? [olds.signedRole];
    const resign = rolesToResign(state, roles, olds.signingKeys.map((k, i) => parsePrivateKey(k, `signingKeys[${i}]`)));
    if (resign.length) {
      const keys = news.signingKeys.map((k, i) => parsePrivateKey(k, `signingKeys[${i}]`));
      state = (await repo.publish(resign.map((role) => ({ type: "witness" as const, role })), { keys, id: stageId(news) })).state;
    }
    return outputsOf(news, state, roles, signedOf(olds));
  }
  return apply(config, news, olds);
}

/** What a state records as signed (the image's provenance as read then). */
const signedOf = (o: SignedTagOutputs): Signed => ({ digest: o.signedDigest, size: o.signedSize, mediaType: o.mediaType, imageProvenance: o.imageProvenance });

/** The version of its role a SignedTag's state recorded: a floor for this command's reads. */
const tagFloor = (olds: SignedTagOutputs) => ({ [olds.signedRole]: olds.roleVersion });

export async function readSignedTag(config: ProviderConfig, olds: SignedTagOutputs): Promise<SignedTagOutputs | undefined> {
  const repo = repoOf(config, olds, tagFloor(olds));
  const state = await stateOf(repo);
  if (!state) return undefined;
  const roles = olds.signedRoles ?? [olds.signedRole];
  // Gone from the server: gone from the state, unless a promotion that no longer holds revoked it (its desired state).
  if (!roles.some((r) => lookupTarget(state, olds.tag, [r])) && olds.promotionHolds !== false) return undefined;
  return { ...outputsOf(olds, state, roles, signedOf(olds)), snapshotVersion: olds.snapshotVersion }; // see SignedTagOutputs
}

/** Revoke: remove the tag from the role (as `docker trust revoke` does for the roles it can sign). */
export async function deleteSignedTag(config: ProviderConfig, olds: SignedTagOutputs): Promise<void> {
  const repo = repoOf(config, olds, tagFloor(olds));
  const state = await stateOf(repo);
  if (!state) return;
  // Not a role where a resource of the program holds the tag (renamed: claims.ts), nor one where it is already gone
  // (removed by the RepositoryStatus ahead of this delete: removals.ts, or by anyone): nothing to sign there.
  const roles = (olds.signedRoles ?? [olds.signedRole]).filter((r) => !isHeld(olds.gun, tagIdentity(r, olds.tag)) && state.roles.get(r)?.file.signed.targets[olds.tag]);
  if (!roles.length) return repo.unstage(stageId(olds));
  const saved = olds.signingKeys.map((k, i) => parsePrivateKey(k, `signingKeys[${i}]`));
  // Same owner id as the tag's staged intent, so a stale intent can never re-sign what this removes.
  await explainStaleKey({ kind: "SignedTag", name: olds.tag, input: "signingKeys", savedKeyIds: saved.map((k) => k.id) }, () =>
    repo.publish(roles.map((role) => ({ type: "removeTarget" as const, role, name: olds.tag })), { keys: withKnownKeys(olds.gun, saved), id: stageId(olds) }),
  );
}

