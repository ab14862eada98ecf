/** The inputs of roles under targets: a Delegation (keys, threshold, paths) and a docker Signer. */
import { z } from "zod";
import { isSignerName } from "../../../sdk/src/index.ts";
import { failuresOf, type CheckFailure } from "./failures.ts";
import { pathPrefixes, privateKey, privateKeys, publicKeys, renewBeforeDays, roleName, ruled, threshold } from "./fields.ts";
import { pinned, repoRef, type Unchecked } from "./repo-ref.ts";
import { isUnknown } from "./unknown.ts";

/** What a program gives a Delegation besides its repository. */
export const delegationFields = z.object({
  /** `targets/<name>`; nested roles allowed (`targets/team/ci`). */
  role: roleName(),
  /** Public keys: PEM `PUBLIC KEY` (docker `.pub` files too) or certificates. */
  keys: publicKeys("keys"),
  /** Signatures required (default 1); at most the number of keys. */
  threshold: threshold.optional(),
  /** Path prefixes the role may sign (default all: `[""]`). */
  paths: pathPrefixes.optional(),
  /** Private key PEM of the parent role: the repository's targets key, or the parent delegation's key. */
  parentKey: privateKey("parentKey"),
  /** This role's private keys: when given, its own metadata file is created and renewed before expiry. */
  signingKeys: privateKeys("signingKeys").optional(),
  renewBeforeDays: renewBeforeDays.optional(),
});
const delegationInputs = z.object({ ...repoRef, ...delegationFields.shape });
export type DelegationFields = z.infer<typeof delegationFields>;
export type DelegationInputs = z.infer<typeof delegationInputs>;

/** A threshold above the number of keys could never be met. */
function thresholdWithinKeys({ threshold, keys }: Unchecked<DelegationInputs>): CheckFailure[] {
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 1 || isUnknown(keys)) return [];
  const given = Array.isArray(keys) ? keys.length : 0;
  return threshold > given ? [{ property: "threshold", reason: `is ${threshold} but only ${given} key(s) are given` }] : [];
}

export function checkDelegation(news: unknown): CheckFailure[] {
  const n = (news ?? {}) as Unchecked<DelegationInputs>;
  return [...failuresOf(delegationInputs, news), ...pinned(n), ...thresholdWithinKeys(n)];
}

/** What a program gives a Signer besides its repository. */
export const signerFields = z.object({
  /** Signer name, as in `docker trust signer add NAME` (not "releases"). */
  name: ruled<string>((v) =>
    typeof v === "string" && isSignerName(v)
      ? undefined
      : `${JSON.stringify(v)} is not a valid signer name: lowercase letters, digits, "_" and "-", starting with a letter or digit, and not "releases"`,
  ),
  /** The signer's public keys (docker `.pub`, PUBLIC KEY PEM or certificates). */
  keys: publicKeys("keys"),
  /** The repository's targets private key PEM (signs targets.json, which holds both delegations). */
  targetsKey: privateKey("targetsKey"),
});
const signerInputs = z.object({ ...repoRef, ...signerFields.shape });
export type SignerFields = z.infer<typeof signerFields>;
export type SignerInputs = z.infer<typeof signerInputs>;

export function checkSigner(news: unknown): CheckFailure[] {
  return [...failuresOf(signerInputs, news), ...pinned((news ?? {}) as Unchecked<SignerInputs>)];
}
