/**
 * Promotion only after verification (issue 12). A SignedTag with `promotedFrom` signs its digest D for its tag in its
 * repository (B) only while D is signed for a tag in a source repository (A) as the program requires (signers or
 * keys, threshold), verified from A's pinned root: a publisher's release is promoted to the team's repository once the
 * publisher has signed it, and not after the publisher revoked or re-pointed the tag or let its signature expire.
 *
 * `check` (every preview and every up) verifies A and records the answer in the computed input `promotionHolds`.
 * When it does not hold, `onViolation` decides: "refuse" (default) fails the check, so the preview shows the reason
 * and `up` changes nothing; "revoke" plans an update that removes the tag from B's roles (the preview shows it), and
 * a later command where A signs D again plans the signature again.
 *
 * The one deliberate exception to "a preview of unchanged resources makes no HTTP request at all" (issue 4): a
 * resource that declares `promotedFrom` asks for its source to be verified again by every preview, which takes one
 * verified read of A per command (the repository handle is shared by every promotion from A in the process, so A is
 * fetched once). Resources without `promotedFrom` stay request-free.
 */
import { isNotaryError, parseImageReference, verifyTag } from "../../../sdk/src/index.ts";
import type { RepoState } from "../../../sdk/src/index.ts";
import { checkServerInput, currentOf, isUnknown, parsePrivateKey, repositoryFor, type ProviderConfig, type ServerInput } from "./common.ts";
import { assertGunInput, type CheckFailure, type DiffResult } from "./checks.ts";
import { repoOf } from "./roles.ts";
import { withKnownKeys } from "./keyring.ts";
import { say } from "./progress.ts";
import { defaultRoles, outputsOf, stageId, type SignedTagInputs, type SignedTagOutputs } from "./signed-tag.ts";

export type PromotedFromInput = {
  /** The source repository (GUN). */
  gun: string;
  /** The source's tag; default the SignedTag's own tag. */
  tag?: string;
  /** The source's pinned root: Root key ID(s) as `docker trust inspect` shows them, or the sha256 of its root.json. */
  rootKeyId?: string | string[];
  trustedRootSha256?: string;
  /** Who must have signed D there: docker signer names (`alice`) or roles (`targets/releases`); and/or key IDs. */
  signers?: string[];
  keyIds?: string[];
  /** How many of them, counted distinct (default 1). */
  threshold?: number;
  /** The source's notary server; stack config (`notary:serverUrl`, …) for what is not given. */
  server?: ServerInput;
  onViolation?: "refuse" | "revoke";
};

export type PromotionInputs = {
  promotedFrom?: PromotedFromInput;
  /** Set by check when `promotedFrom` is given: whether the source signs the digest as required at this command. */
  promotionHolds?: boolean;
  /** Why it does not (the source's verification failure), when `onViolation` is "revoke". */
  promotionProblem?: string;
};

const TAG_RE = /^[\w][\w.-]{0,127}$/;

const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === "string" || isUnknown(x));

/** What check can tell about `promotedFrom` without the network. */
export function checkPromotedFrom(pf: PromotedFromInput | undefined, f: CheckFailure[]): void {
  if (pf === undefined || isUnknown(pf)) return;
  const at = (p: string, reason: string): void => void f.push({ property: `promotedFrom.${p}`, reason });
  if (typeof pf !== "object" || pf === null) return at("gun", "give promotedFrom as { gun, rootKeyId, signers?, … }");
  assertGunInput(pf.gun, "promotedFrom.gun", f);
  if (pf.tag !== undefined && (typeof pf.tag !== "string" || !TAG_RE.test(pf.tag))) at("tag", `${JSON.stringify(pf.tag)} is not a valid tag`);
  const pins = typeof pf.rootKeyId === "string" ? [pf.rootKeyId] : pf.rootKeyId;
  if (!(pins && isStrings(pins) && pins.length > 0) && !pf.trustedRootSha256) {
    at("rootKeyId", "pin the source's root: rootKeyId (the Root key ID `docker trust inspect` shows) or trustedRootSha256");
  }
  if (pf.signers !== undefined && !isStrings(pf.signers)) at("signers", "must be a list of signer or role names");
  if (pf.keyIds !== undefined && !isStrings(pf.keyIds)) at("keyIds", "must be a list of key IDs");
  if (pf.threshold !== undefined && !(Number.isSafeInteger(pf.threshold) && pf.threshold >= 1)) at("threshold", "must be a whole number ≥ 1");
  if (pf.onViolation !== undefined && pf.onViolation !== "refuse" && pf.onViolation !== "revoke") {
    at("onViolation", `${JSON.stringify(pf.onViolation)}: use "refuse" (fail the preview and up) or "revoke" (revoke the tag)`);
  }
  const server: CheckFailure[] = [];
  checkServerInput(pf.server, server);
  for (const s of server) at(s.property, s.reason);
}

/** The digest the SignedTag signs, as check knows it: given, pinned by the image reference, or resolved from its tag. */
function wantedDigest(n: SignedTagInputs): string | undefined {
  if (n.digest !== undefined) return n.digest;
  try {
    if (n.image) return parseImageReference(n.image).digest ?? n.resolvedDigest;
  } catch {
    return undefined;
  }
  return n.resolvedDigest;
}

/** Failures that mean "the source does not sign D as required" (as opposed to "the source could not be asked"). */
const VIOLATIONS = /^(VERIFICATION_FAILED|TRUST_ROOT_MISMATCH|TRUST_ROOT_ROTATION_FAILED|METADATA_[A-Z_]+|SIGNATURE_[A-Z_]+)$/;

async function sourceState(config: ProviderConfig, pf: PromotedFromInput): Promise<RepoState> {
  const pins = pf.rootKeyId === undefined ? [] : typeof pf.rootKeyId === "string" ? [pf.rootKeyId] : pf.rootKeyId;
  const anchor = pf.trustedRootSha256 ? { trustedRootSha256: pf.trustedRootSha256 } : { rootKeyIds: pins };
  // repo.current(): one verified read per process, shared with every other promotion from the same source.
  return repositoryFor(config, pf.server, pf.gun, anchor).current();
}

/**
 * Verifies the source of a promotion (network: one read of the source per process) and records in the inputs whether
 * it holds. Resources without `promotedFrom` pass through untouched, without a request.
 */
export async function checkPromotion(config: ProviderConfig, news: SignedTagInputs): Promise<{ inputs: SignedTagInputs; failures: CheckFailure[] }> {
  const { promotionHolds: _h, promotionProblem: _p, ...inputs } = news;
  const pf = inputs.promotedFrom;
  const digest = wantedDigest(inputs);
  if (!pf || isUnknown(pf) || isUnknown(inputs.tag) || !digest || isUnknown(digest)) return { inputs, failures: [] };
  const tag = pf.tag ?? inputs.tag;
  let problem: string;
  try {
    verifyTag(await sourceState(config, pf), tag, { signers: pf.signers ?? [], keyIds: pf.keyIds ?? [], ...(pf.threshold ? { threshold: pf.threshold } : {}), digest });
    return { inputs: { ...inputs, promotionHolds: true }, failures: [] };
  } catch (e) {
    if (isNotaryError(e, "INPUT_INVALID")) return { inputs, failures: [{ property: `promotedFrom.${String(e.details?.["field"] ?? "signers")}`, reason: e.message }] };
    if (!isNotaryError(e) || !VIOLATIONS.test(e.code)) throw e; // the source could not be asked: nothing is decided
    problem = `${e.code}: ${e.message}`;
  }
  const what = `${inputs.gun}:${inputs.tag} is promoted from ${pf.gun}:${tag} only while ${digest} is signed there as required, and it is not: ${problem}`;
  if ((pf.onViolation ?? "refuse") === "refuse") {
    const reason = `${what}. promotedFrom.onViolation is "refuse": nothing is signed or revoked until the source signs it again (onViolation "revoke" revokes the tag instead)`;
    // Named by its gun: the engine prints the property's value, and the whole input may hold server credentials.
    return { inputs, failures: [{ property: "promotedFrom.gun", reason }] };
  }
  say(`${what}. promotedFrom.onViolation is "revoke": \`pulumi up\` revokes ${inputs.tag} in ${inputs.gun}`);
  return { inputs: { ...inputs, promotionHolds: false, promotionProblem: problem }, failures: [] };
}

/** The diff of a promotion that does not hold: an update while B still holds the tag (the revocation), else none. */
export function promotionDiff(olds: SignedTagOutputs, news: SignedTagInputs): DiffResult | undefined {
  if (news.promotionHolds !== false) return undefined;
  return { changes: Boolean(olds.serverDigest) || olds.promotionHolds !== false };
}

/** Revoke the tag in B's roles (the roles it was signed in, or would be); what is already gone is left alone. */
export async function revokeUnpromoted(config: ProviderConfig, inputs: SignedTagInputs, previous?: SignedTagOutputs): Promise<SignedTagOutputs> {
  const repo = repoOf(config, inputs);
  const state = await currentOf(repo);
  const keys = inputs.signingKeys.map((k, i) => parsePrivateKey(k, `signingKeys[${i}]`));
  const roles = inputs.role ? [inputs.role] : (previous?.signedRoles ?? defaultRoles(state, inputs.tag, new Set(keys.map((k) => k.id))));
  const held = roles.filter((r) => state.roles.get(r)?.file.signed.targets[inputs.tag] !== undefined);
  let after = state;
  if (held.length) {
    say(`revoking ${inputs.tag} in ${inputs.gun} (${held.join(", ")}): its promotion from ${inputs.promotedFrom?.gun} no longer holds`);
    const changes = held.map((role) => ({ type: "removeTarget" as const, role, name: inputs.tag }));
    after = (await repo.publish(changes, { keys: withKnownKeys(inputs.gun, keys), id: stageId(inputs) })).state;
  }
  const digest = wantedDigest(inputs) ?? previous?.signedDigest ?? "";
  const size = inputs.size ?? inputs.resolvedSize ?? previous?.signedSize ?? 0;
  return outputsOf(inputs, after, roles, { digest, size, mediaType: inputs.resolvedMediaType ?? previous?.mediaType ?? "" });
}
