/**
 * The trust graph of a verified repository as data: root delegates to targets, snapshot and timestamp; targets and each
 * delegation delegate to their child roles (nested, `targets/a` → `targets/a/b`). Each role carries its key IDs
 * (shortened), threshold, paths, version and expiry. Pure: the same state gives the same graph (children sorted by
 * name, key IDs sorted).
 */
import { canonicalKeyId, keyFromJson } from "../sdk/src/index.ts";
import type { KeyJson, RepoState, Targets } from "../sdk/src/index.ts";

/** Who holds the snapshot key: the notary server, the repository's owners, not asked, or asked without an answer. */
export type KeyHolder = "server" | "client" | "unknown" | "unanswered";

export type RoleNode = {
  /** The role name: `root`, `targets`, `targets/releases`, `snapshot`, `timestamp`. */
  role: string;
  kind: "root" | "targets" | "delegation" | "snapshot" | "timestamp";
  /** Key IDs, 12 characters as docker shows them, sorted. Root: certificate IDs (docker's Root key); others canonical. */
  keys: string[];
  threshold: number;
  /** Delegations: the paths as delegated (`""` = every target). */
  paths?: string[];
  /** Absent when the role has no file yet (a delegation nothing was signed into). */
  version?: number;
  expires?: string;
  /** `valid`, `expired` or `invalid` (verification failed; readers skip it), `no file` before anything was signed. */
  status: "valid" | "expired" | "invalid" | "no file";
  /** Snapshot and timestamp: who holds the signing key, in words. */
  holder?: string;
  /** With a tag: the sha256 (12 hex digits) this role signs for it. */
  tagDigest?: string;
};

export type GraphEdge = { from: string; to: string; kind: "delegates" | "pins" };

export type TrustGraph = { gun: string; tag?: string; nodes: RoleNode[]; edges: GraphEdge[] };

export type GraphOptions = { tag?: string; snapshotHolder?: KeyHolder };

const short = (id: string): string => id.slice(0, 12);
const sortedShort = (ids: Iterable<string>): string[] => [...new Set([...ids].map(short))].sort();

function canonicalIds(keyids: readonly string[], keys: Readonly<Record<string, KeyJson>>): string[] {
  return keyids.map((id) => {
    const k = keys[id];
    return k ? canonicalKeyId(keyFromJson(k)) : id;
  });
}

function tagDigestOf(file: Targets | undefined, tag: string | undefined): string | undefined {
  const b64 = tag === undefined ? undefined : file?.targets[tag]?.hashes["sha256"];
  return b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("hex").slice(0, 12);
}

function baseRole(state: RepoState, role: "root" | "targets" | "snapshot" | "timestamp"): { keys: string[]; threshold: number } {
  const root = state.root.signed;
  const r = root.roles[role];
  if (!r) return { keys: [], threshold: 0 };
  // Root keys are certificates: show the certificate IDs, which docker prints and --root-key-id pins.
  return { keys: sortedShort(role === "root" ? r.keyids : canonicalIds(r.keyids, root.keys)), threshold: r.threshold };
}

const HOLDER_TEXT: Record<KeyHolder, string> = {
  server: "server",
  client: "client (the repository's owners)",
  unknown: "not asked (--ask-server)",
  unanswered: "unknown (the server did not say)",
};

/** Delegations of `parentName` (whose verified file is `parent`), depth first, children sorted by name. */
function delegationNodes(state: RepoState, parentName: string, parent: Targets, tag: string | undefined, out: { nodes: RoleNode[]; edges: GraphEdge[] }): void {
  const children = [...parent.delegations.roles].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of children) {
    const held = state.roles.get(d.name);
    const node: RoleNode = {
      role: d.name,
      kind: "delegation",
      keys: sortedShort(canonicalIds(d.keyids, parent.delegations.keys)),
      threshold: d.threshold,
      paths: [...(d.paths ?? [])],
      status: held ? held.status : "no file",
    };
    if (held) {
      node.version = held.file.signed.version;
      node.expires = held.file.signed.expires;
      const digest = tagDigestOf(held.file.signed, tag);
      if (digest !== undefined) node.tagDigest = digest;
    }
    out.nodes.push(node);
    out.edges.push({ from: parentName, to: d.name, kind: "delegates" });
    if (held && held.status !== "invalid") delegationNodes(state, d.name, held.file.signed, tag, out);
  }
}

/**
 * The trust graph of a verified state.
 * @example renderMermaid(buildTrustGraph(await repo.fetch(), { snapshotHolder: "server" }))
 */
export function buildTrustGraph(state: RepoState, opts: GraphOptions = {}): TrustGraph {
  const root = state.root.signed;
  const top = state.roles.get("targets");
  const out: { nodes: RoleNode[]; edges: GraphEdge[] } = { nodes: [], edges: [] };
  out.nodes.push({ role: "root", kind: "root", ...baseRole(state, "root"), version: root.version, expires: root.expires, status: "valid" });
  const targets: RoleNode = { role: "targets", kind: "targets", ...baseRole(state, "targets"), status: top ? top.status : "no file" };
  if (top) {
    targets.version = top.file.signed.version;
    targets.expires = top.file.signed.expires;
    const digest = tagDigestOf(top.file.signed, opts.tag);
    if (digest !== undefined) targets.tagDigest = digest;
  }
  out.nodes.push(targets);
  out.edges.push({ from: "root", to: "targets", kind: "delegates" });
  if (top) delegationNodes(state, "targets", top.file.signed, opts.tag, out);
  const snap = state.snapshot.signed;
  const ts = state.timestamp.signed;
  out.nodes.push(
    { role: "snapshot", kind: "snapshot", ...baseRole(state, "snapshot"), version: snap.version, expires: snap.expires, status: "valid", holder: HOLDER_TEXT[opts.snapshotHolder ?? "unknown"] },
    // notary-server always makes the timestamp; a client cannot upload one (reference §6.4).
    { role: "timestamp", kind: "timestamp", ...baseRole(state, "timestamp"), version: ts.version, expires: ts.expires, status: "valid", holder: "server" },
  );
  out.edges.push({ from: "root", to: "snapshot", kind: "delegates" }, { from: "root", to: "timestamp", kind: "delegates" }, { from: "timestamp", to: "snapshot", kind: "pins" });
  return { gun: state.gun, ...(opts.tag !== undefined ? { tag: opts.tag } : {}), nodes: out.nodes, edges: out.edges };
}
