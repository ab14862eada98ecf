/**
 * Removals ahead of Pulumi's deletes, so that the RepositoryStatus's record equals the server after an `up` that
 * removes a tag, a delegation or a signer.
 *
 * Why: Pulumi deletes the resources removed from the program after every other step of the `up`, the status among
 * them, and only a resource's own operation may change its outputs: a record read before those deletes would lag
 * behind them. So the status makes the removals itself before it reads: each resource of the
 * repository hands it a claim (what it holds on the server, inputs/status.ts), and the claims of the last command
 * that no resource of the program holds any more are removed. The resource's own delete then finds nothing left to
 * remove and writes nothing (deleteSignedTag, deleteDelegation, deleteSigner return early).
 *
 * Not removed: what a resource retained on delete in the program held (Pulumi forgets it), and what another resource
 * of the program holds (a resource renamed: its old delete leaves it too). Left to Pulumi's delete (the status then
 * says `awaitingDeletes`, and the next command reads again): what a resource protected in the program held (Pulumi
 * refuses its delete until it is unprotected: the status keeps its entry while the server holds its claim), state
 * written before claims existed, and removals the keys given cannot sign (the delete's error then names the resource).
 * Limit: protection set outside the program (`pulumi state protect`, a stack transform) is not seen. `pulumi up`'s
 * preview refuses such a removal before anything runs, as for every protected resource; with `--skip-preview` the
 * status removes its trust data, and Pulumi then refuses its delete.
 */
import { RELEASES_ROLE, type Change, type RepoState } from "../../../sdk/src/index.ts";
import type { Claim, StatusInputs } from "../inputs/status.ts";
import { delegationEntry } from "./delegation.ts";
import { identities, roleOf, tagIdentity } from "./claims.ts";

type After = StatusInputs["after"];

/**
 * What the last command's claims held that left the program and no resource of it holds now (a resource renamed, with
 * or without an alias, holds what its old name held: claims.ts; `heldElsewhere` adds what a resource of the program
 * that does not name the Repository holds, when it ran before the status). `deferred`: an entry without a claim
 * (state written by an older version), whose delete may still write after the status. `protected`: entries of
 * protected resources, whose delete Pulumi refuses until they are unprotected (`pulumi state unprotect`), and then
 * makes at the end of an `up`: the status keeps them in its record while the server holds what they claim.
 */
export function removedClaims(olds: After | undefined, news: After, heldElsewhere: (identity: string) => boolean = () => false): { claims: Claim[]; protected: After; deferred: boolean } {
  const urns = new Set(news.map(([urn]) => urn));
  const claimed = new Set(news.flatMap((e) => (e[2] ? identities(e[2]) : [])));
  const held = { has: (id: string) => claimed.has(id) || heldElsewhere(id) };
  const claims: Claim[] = [];
  const kept: After = [];
  let deferred = false;
  for (const e of olds ?? []) {
    if (urns.has(e[0])) continue;
    const c = e[2];
    if (!c) deferred = true;
    else if (c.keep === "protected") kept.push(e);
    else if (c.keep === "retained") continue; // Pulumi forgets it without a delete
    else if (c.kind === "tag") {
      const roles = (c.roles ?? []).filter((r) => !held.has(tagIdentity(r, c.name)));
      if (roles.length) claims.push({ ...c, roles });
    } else if (!held.has(roleOf(c))) claims.push(c);
  }
  return { claims, protected: kept, deferred };
}

/** The protected entries whose claims the server still holds: their deletes may write once they are unprotected. */
export function lingering(state: RepoState, kept: After): After {
  return kept.filter((e) => {
    const { tags, roles } = removalChanges(state, [e[2]!]);
    return tags.length + roles.length > 0;
  });
}

/**
 * The changes that remove `claims` from `state`, in two publishes as Pulumi's deletes would make them: first the tags
 * (each signed by its role's keys, which a signer removed next may be the last of), then the roles and the signers'
 * keys in releases (signed by their parents). Only what the server still holds, so that nothing already gone needs a
 * key; a role under a role removed goes with it (its parent could not sign its removal).
 */
export function removalChanges(state: RepoState, claims: readonly Claim[]): { tags: Change[]; roles: Change[] } {
  const goneRoles = claims.filter((c) => c.kind !== "tag").map(roleOf);
  const under = (role: string) => goneRoles.some((g) => role.startsWith(g + "/"));
  const tags: Change[] = [];
  for (const c of claims.filter((c) => c.kind === "tag")) {
    for (const role of c.roles ?? []) {
      if (!under(role) && !goneRoles.includes(role) && state.roles.get(role)?.file.signed.targets[c.name]) tags.push({ type: "removeTarget", role, name: c.name });
    }
  }
  const roles: Change[] = goneRoles.filter((r) => !under(r) && delegationEntry(state, r)).map((name) => ({ type: "removeDelegation", name }));
  const releases = new Set(delegationEntry(state, RELEASES_ROLE)?.keyids ?? []);
  const stillUsed = otherSignersKeyIds(state, new Set(goneRoles));
  const drop = [...new Set(claims.filter((c) => c.kind === "signer").flatMap((c) => c.keyIds ?? []))].filter((id) => releases.has(id) && !stillUsed.has(id));
  if (drop.length) roles.push({ type: "removeDelegationKeys", name: RELEASES_ROLE, keyIds: drop });
  return { tags, roles };
}

/**
 * Key IDs of the delegations of `targets` but releases and the roles `leaving`: keys other signers still sign releases
 * with (a signer's keys leave releases only when no other signer uses them, as `docker trust signer remove` means to).
 */
export function otherSignersKeyIds(state: RepoState, leaving: ReadonlySet<string>): Set<string> {
  const targets = state.roles.get("targets")!.file.signed;
  return new Set(targets.delegations.roles.filter((r) => !leaving.has(r.name) && r.name !== RELEASES_ROLE).flatMap((r) => r.keyids));
}
