/**
 * After a delegation's keys rotated, its role file is still signed by the old keys, and readers (notary, docker, our
 * own) skip it until a threshold of the new keys signs it. A SignedTag whose signing keys rotated with it re-signs its
 * roles then, as `notary witness` does, but only content it can vouch for: a file signed by at least one of the keys
 * the tag signed it with before (its saved keys), never whatever a server put there.
 */
import { NotaryError, keyJsonId, keyToJson, type PrivateKey, type RepoState } from "../../../sdk/src/index.ts";
import { parseEnvelope, verifyThreshold } from "../../../sdk/src/metadata/signed.ts";

/** The roles among `roles` that the server holds signed by keys the delegation no longer lists (none when valid). */
export function rolesToResign(state: RepoState, roles: readonly string[], savedKeys: readonly PrivateKey[]): string[] {
  const out: string[] = [];
  for (const role of roles) {
    const held = state.roles.get(role);
    if (!held || held.status !== "invalid") continue;
    const keys = Object.fromEntries(savedKeys.map((k) => keyToJson(k.publicKey)).map((j) => [keyJsonId(j), j]));
    try {
      verifyThreshold(parseEnvelope(held.file.bytes, role), { keys, keyids: Object.keys(keys), threshold: 1 }, role);
    } catch (cause) {
      throw new NotaryError(
        "SIGNATURE_THRESHOLD_NOT_MET",
        `${role} on the server is signed neither by the keys its delegation lists now nor by the keys this tag signed it ` +
          `with before [${Object.keys(keys).join(", ")}] (${held.problem ?? "invalid"}); re-signing it would vouch for content ` +
          `nobody known signed. Check the role's content with \`notary list\`, then re-sign it with \`notary witness\``,
        { cause, details: { role, savedKeyIds: Object.keys(keys) } },
      );
    }
    out.push(role);
  }
  return out;
}
