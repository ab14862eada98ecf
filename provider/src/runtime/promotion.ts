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
 * A deliberate exception to "a preview of unchanged resources makes no HTTP request at all" (issue 4; operations.ts
 * says why): one verified read of A per command, the repository handle shared by every promotion from A in the
 * process. Resources without `promotedFrom` stay request-free.
 */
import { isNotaryError, parseImageReference, verifyTag } from "../../../sdk/src/index.ts";
import type { RepoState } from "../../../sdk/src/index.ts";
import { currentOf, isUnknown, parsePrivateKey, repositoryFor, type ProviderConfig } from "./common.ts";
import type { CheckFailure, DiffResult } from "./checks.ts";
import type { PromotedFromInput } from "../inputs/promotion.ts";
import type { SignedTagInputs } from "../inputs/signed-tag.ts";
import { repoOf } from "./repo-ref.ts";
import { withKnownKeys } from "./keyring.ts";
import { say } from "./progress.ts";
import { defaultRoles, outputsOf, stageId, type SignedTagOutputs } from "./tag-state.ts";

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

async function sourceState(config: ProviderConfig, pf: NonNullable<PromotedFromInput>): Promise<RepoState> {
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
