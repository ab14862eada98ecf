/**
 * The view `docker trust inspect` gives of a verified repository (`cli/command/trust/inspect.go`, `common.go ›
 * lookupTrustInfo`, `matchReleasedSignatures`; reference §8.4), plus what docker does not show: versions and expiries.
 */
import { canonicalKeyIdOfJson } from "../crypto/keys.ts";
import { RELEASES_ROLE } from "../metadata/roles.ts";
import { sha256HexOfMeta } from "../metadata/hashes.ts";
import { listTargets } from "./read.ts";
import type { RepoState } from "./update.ts";

export type TrustInspection = {
  Name: string;
  SignedTags: { SignedTag: string; Digest: string; Signers: string[] }[];
  Signers: { Name: string; Keys: { ID: string }[] }[];
  AdministrativeKeys: { Name: "Root" | "Repository"; Keys: { ID: string }[] }[];
};

/** Natural order of tags, as docker sorts them (digits compared as numbers). */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

const byIdDesc = (ids: string[]) => [...ids].sort((x, y) => (x < y ? 1 : x > y ? -1 : 0)).map((ID) => ({ ID }));

/**
 * `docker trust inspect NAME[:TAG]` as JSON, from a verified state.
 *
 * @example
 * inspectTrust(await repo.fetch(), "registry.example.com/team/app")
 */
export function inspectTrust(state: RepoState, name: string, tag?: string): TrustInspection {
  const entries = listTargets(state);
  // Released targets: in targets/releases or targets, keyed by (tag, digest).
  const rows = new Map<string, { SignedTag: string; Digest: string; Signers: string[] }>();
  for (const e of entries) {
    if (e.role !== RELEASES_ROLE && e.role !== "targets") continue;
    if (tag !== undefined && e.name !== tag) continue;
    const digest = sha256HexOfMeta(e.meta);
    if (!digest) continue;
    const key = `${e.name}\u0000${digest}`;
    if (!rows.has(key)) rows.set(key, { SignedTag: e.name, Digest: digest, Signers: [] });
  }
  for (const row of rows.values()) {
    for (const e of entries) {
      if (e.role === RELEASES_ROLE || e.role === "targets" || e.name !== row.SignedTag) continue;
      if (sha256HexOfMeta(e.meta) !== row.Digest) continue;
      const signer = e.role.slice("targets/".length);
      if (!row.Signers.includes(signer)) row.Signers.push(signer);
    }
    if (row.Signers.length === 0) row.Signers.push("Repo Admin");
  }
  const signers: TrustInspection["Signers"] = [];
  for (const [, r] of state.roles) {
    for (const d of r.file.signed.delegations.roles) {
      if (d.name === RELEASES_ROLE || signers.some((s) => s.Name === d.name.slice(8))) continue;
      const ids = d.keyids.flatMap((id) => {
        const k = r.file.signed.delegations.keys[id];
        return k ? [canonicalKeyIdOfJson(k)] : [];
      });
      // In the delegation's own key order, as docker lists a signer's keys (not sorted).
      signers.push({ Name: d.name.slice("targets/".length), Keys: ids.map((ID) => ({ ID })) });
    }
  }
  signers.sort((a, b) => (a.Name < b.Name ? 1 : a.Name > b.Name ? -1 : 0));
  const root = state.root.signed;
  return {
    Name: tag === undefined ? name : `${name}:${tag}`,
    SignedTags: [...rows.values()].sort((a, b) => naturalCompare(a.SignedTag, b.SignedTag)),
    Signers: signers,
    AdministrativeKeys: [
      { Name: "Root", Keys: byIdDesc(root.roles["root"]!.keyids) },
      { Name: "Repository", Keys: byIdDesc(root.roles["targets"]!.keyids) },
    ],
  };
}

/** Versions and expiries of every role (what neither `notary list` nor `docker trust inspect` shows). */
export function roleExpiries(state: RepoState): { role: string; version: number; expires: string }[] {
  return [
    { role: "root", version: state.root.signed.version, expires: state.root.signed.expires },
    ...[...state.roles].map(([role, r]) => ({ role, version: r.file.signed.version, expires: r.file.signed.expires })),
    { role: "snapshot", version: state.snapshot.signed.version, expires: state.snapshot.signed.expires },
    { role: "timestamp", version: state.timestamp.signed.version, expires: state.timestamp.signed.expires },
  ];
}
