/**
 * A signed tag in a repository's state: the roles it is signed in (docker's default choice), the target entry that
 * signs it, and the outputs that record what was signed and what the server holds.
 */
import { NotaryError, RELEASES_ROLE, pathAllowed } from "../../../sdk/src/index.ts";
import { canonicalKeyIdOfJson } from "../../../sdk/src/crypto/keys.ts";
import type { RepoState, FileMeta } from "../../../sdk/src/index.ts";
import type { SignedTagInputs } from "../inputs/signed-tag.ts";
import type { Provenance } from "../inputs/provenance.ts";
import { plain } from "./common.ts";
import { provenanceOutputs, sameCustom, type ProvenanceOutputs } from "./provenance.ts";

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

export function metaFor(digest: string, size: number): FileMeta {
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

export type Signed = { digest: string; size: number; mediaType: string; imageProvenance?: Provenance | undefined };

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

export function stageId(inputs: { gun: string; tag: string }): string {
  return `signed-tag:${inputs.tag}`;
}

