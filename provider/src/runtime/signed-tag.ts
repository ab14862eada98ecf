/**
 * SignedTag: a tag signed to a manifest digest and size in a targets role. Idempotent: when the role already holds
 * that digest and size nothing is published. The digest and size come from the registry (any manifest type,
 * including multi-arch indexes) or are given directly.
 */
import {
  NotaryError,
  RELEASES_ROLE,
  resolveImage,
  parseImageReference,
  lookupTarget,
  pathAllowed,
} from "../../../sdk/src/index.ts";
import { canonicalKeyIdOfJson } from "../../../sdk/src/crypto/keys.ts";
import type { Change, RepoState, FileMeta } from "../../../sdk/src/index.ts";
import { DEFAULT_RENEW_BEFORE_DAYS, currentOf, inputError, isDue, lifetimeDays, isUnknown, parsePrivateKey, plain, stateOf, type ProviderConfig } from "./common.ts";
import { checkPrivateKeys, checkRoleName, type CheckFailure, type DiffResult } from "./checks.ts";
import { checkRepoRef, repoOf, type RepoRef } from "./roles.ts";
import { explainStaleKey, sameKeys, withKnownKeys } from "./keyring.ts";
import { registryOptions, type RegistryInput } from "./platform.ts";
import { rolesToResign } from "./resign.ts";
import { checkProvenance, mergeProvenance, provenanceOutputs, readImageProvenance, sameCustom, sameProvenance, wantedProvenance, withProvenance } from "./provenance.ts";
import type { Provenance, ProvenanceInputs, ProvenanceOutputs } from "./provenance.ts";
import { checkPromotedFrom, promotionDiff, revokeUnpromoted, type PromotionInputs } from "./promotion.ts";

export type { RegistryInput };

export type SignedTagInputs = RepoRef & ProvenanceInputs & PromotionInputs & {
  tag: string;
  /** Image reference resolved in the registry (`repo:tag`, `repo@sha256:…`, `repo:tag@sha256:…`). */
  image?: string;
  /** `sha256:<hex>` of the manifest; with `size`, instead of `image`. */
  digest?: string;
  size?: number;
  /** Role to sign in: default `targets/releases` when it exists, else `targets`. */
  role?: string;
  /** Private key PEMs of the role (several for a threshold above 1). */
  signingKeys: string[];
  registry?: RegistryInput;
  renewBeforeDays?: number;
  /** Refuse any manifest that is not a manifest list or OCI index (a single platform's manifest signed by mistake). */
  listsOnly?: boolean;
  /**
   * Set by `check` when `image` is a tag reference (not pinned by a digest): what the tag points to in the registry at
   * this command. A tag pushed again since the last `up` shows here as a change from the old digest to the new one.
   */
  resolvedDigest?: string;
  resolvedSize?: number;
  resolvedMediaType?: string;
};

export type SignedTagOutputs = SignedTagInputs & ProvenanceOutputs & {
  /** The primary role (`targets/releases` when signed there): what docker's trusted pull reads. */
  signedRole: string;
  /** Every role the tag was signed in. */
  signedRoles: string[];
  /** What we signed (resolved from `image` when given). */
  signedDigest: string;
  signedSize: number;
  mediaType: string;
  /** What the role holds on the server for the tag (refreshed by `read`; empty when missing). */
  serverDigest: string;
  serverSize: number;
  roleVersion: number;
  roleExpires: string;
  /**
   * The snapshot version after this resource's last create or update (a refresh keeps it): changes when it writes, so
   * the repository's RepositoryStatus knows to read the server again after it.
   */
  snapshotVersion?: number;
};

const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function checkSignedTag(n: SignedTagInputs): CheckFailure[] {
  const f: CheckFailure[] = [];
  checkRepoRef(n, f);
  if (!isUnknown(n.tag) && (typeof n.tag !== "string" || !TAG_RE.test(n.tag))) {
    f.push({ property: "tag", reason: `${JSON.stringify(n.tag)} is not a valid tag: up to 128 of [A-Za-z0-9_.-], not starting with "." or "-"` });
  }
  if (n.role !== undefined) checkRoleName(n.role, "role", f, true);
  if (n.image === undefined && n.digest === undefined) f.push({ property: "image", reason: "give image (a registry reference) or digest and size" });
  if (n.image !== undefined && !isUnknown(n.image)) {
    try {
      parseImageReference(n.image);
    } catch (e) {
      f.push({ property: "image", reason: (e as Error).message });
    }
  }
  if (n.digest !== undefined && !isUnknown(n.digest)) {
    if (typeof n.digest !== "string" || !DIGEST_RE.test(n.digest)) f.push({ property: "digest", reason: 'must be "sha256:" followed by 64 lowercase hex digits' });
    if (n.size === undefined) f.push({ property: "size", reason: "is required with digest: the manifest size in bytes" });
  }
  if (n.size !== undefined && !isUnknown(n.size) && !(typeof n.size === "number" && Number.isSafeInteger(n.size) && n.size > 0)) {
    f.push({ property: "size", reason: "must be a positive whole number of bytes" });
  }
  if (n.listsOnly !== undefined && !isUnknown(n.listsOnly) && typeof n.listsOnly !== "boolean") f.push({ property: "listsOnly", reason: "must be true or false" });
  checkPrivateKeys(n.signingKeys, "signingKeys", f);
  checkProvenance(n.provenance, f);
  checkPromotedFrom(n.promotedFrom, f);
  return f;
}

/**
 * A floating reference floats: `image` given by tag (no digest pinned, no `digest` input) is resolved in the registry
 * by every `check`, so by every preview and up (the one request a preview of it makes). This is the one place a check
 * goes to the network: without it a tag re-pushed since the last `up` (a release re-tagged as a new manifest list)
 * would stay signed to its old digest without a word. A reference pinned by digest is left alone.
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
    news.renewBeforeDays ?? config.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS,
    now,
    lifetimeDays(olds.signedRole ?? "targets", news.repositoryExpiry),
  );
  return { changes: drift || want !== olds.signedDigest || renew || !sameProvenance(provenance, olds.signedProvenance) };
}

function metaFor(digest: string, size: number): FileMeta {
  return { length: size, hashes: { sha256: Buffer.from(digest.slice("sha256:".length), "hex").toString("base64") } };
}

function digestOfMeta(meta: FileMeta | undefined): string {
  const h = meta?.hashes["sha256"];
  return h ? "sha256:" + Buffer.from(h, "base64").toString("hex") : "";
}

/**
 * docker's choice (`GetSignableRoles`): every direct delegation of `targets` whose paths allow the tag and whose keys
 * the signing keys satisfy (so `targets/releases` and the signer's own role, and `docker trust inspect` names the
 * signer); `targets` when the repository has no delegations. Releases first.
 */
export function defaultRoles(state: RepoState, tag: string, keyIds: ReadonlySet<string>): string[] {
  const top = state.roles.get("targets")!.file.signed;
  if (top.delegations.roles.length === 0) return ["targets"]; // the publish refuses it unless the keys sign targets
  const signable = top.delegations.roles.filter((r) => {
    const have = r.keyids.filter((id) => {
      const k = top.delegations.keys[id];
      return k !== undefined && (keyIds.has(id) || keyIds.has(canonicalKeyIdOfJson(k)));
    }).length;
    return have >= r.threshold && pathAllowed(r.paths ?? [], tag);
  });
  if (signable.length === 0) {
    const roles = top.delegations.roles.map((r) => `${r.name} [${r.keyids.join(", ")}]`).join("; ");
    throw new NotaryError(
      "SIGNING_KEY_MISSING",
      `no valid signing keys for delegation roles of ${state.gun}: the signingKeys [${[...keyIds].join(", ")}] match none of ${roles}; ` +
        `pass a key of targets/releases or of a signer, or set role`,
      { details: { gun: state.gun } },
    );
  }
  return signable.map((r) => r.name).sort((a, b) => (a === RELEASES_ROLE ? -1 : b === RELEASES_ROLE ? 1 : 0));
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

type Signed = { digest: string; size: number; mediaType: string; imageProvenance?: Provenance | undefined };

export function outputsOf(inputs: SignedTagInputs, state: RepoState, roles: string[], signed: Signed): SignedTagOutputs {
  const role = roles[0]!;
  const file = state.roles.get(role);
  // What the server holds: the primary role's entry, unless another of our roles lost or changed it.
  const entries = roles.map((r) => state.roles.get(r)?.file.signed.targets[inputs.tag]);
  const differing = entries.find((e) => !e || digestOfMeta(e) !== digestOfMeta(entries[0]) || e.length !== entries[0]!.length || !sameCustom(e, entries[0]));
  const held = differing === undefined ? entries[0] : differing;
  return plain({
    ...inputs,
    signedRole: role,
    signedRoles: roles,
    signedDigest: signed.digest,
    signedSize: signed.size,
    mediaType: signed.mediaType,
    serverDigest: digestOfMeta(held),
    serverSize: held?.length ?? 0,
    roleVersion: file?.file.signed.version ?? 0,
    roleExpires: file?.file.signed.expires ?? "",
    snapshotVersion: state.snapshot.signed.version,
    ...provenanceOutputs(inputs, signed.imageProvenance, held),
  });
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
      const window = inputs.renewBeforeDays ?? config.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS;
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

export function stageId(inputs: { gun: string; tag: string }): string {
  return `signed-tag:${inputs.tag}`;
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
  if (!(await stateOf(repo))) return;
  const saved = olds.signingKeys.map((k, i) => parsePrivateKey(k, `signingKeys[${i}]`));
  const roles = olds.signedRoles ?? [olds.signedRole];
  // Same owner id as the tag's staged intent, so a stale intent can never re-sign what this removes.
  await explainStaleKey({ kind: "SignedTag", name: olds.tag, input: "signingKeys", savedKeyIds: saved.map((k) => k.id) }, () =>
    repo.publish(roles.map((role) => ({ type: "removeTarget" as const, role, name: olds.tag })), { keys: withKnownKeys(olds.gun, saved), id: stageId(olds) }),
  );
}

