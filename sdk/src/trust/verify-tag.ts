/**
 * Is a tag signed as a policy requires? A pure check over a verified state (fetched from a pinned root), for a
 * consumer that deploys only verified digests and for a promotion that signs only what its source signed.
 *
 * What counts, as notary's reader counts it (`tuf/tuf.go › WalkTargets`, `client/reader.go`): only roles whose file
 * verified (signatures and threshold) and has not expired, and only within their effective delegated paths. An expired
 * or badly signed role signs nothing, even if its file still lists the tag.
 *
 * The digest checked is the one given, or else the one docker's trusted pull resolves (`cli/trust/trust.go ›
 * GetNotaryRepository` → `GetTargetByName(tag, targets/releases, targets)`), or else the first role `notary lookup`
 * finds (breadth-first). A policy names signers (docker's names, `alice` for `targets/alice`, or role names) and key
 * IDs; `threshold` of them, counted distinct, must sign that digest for the tag.
 */
import { NotaryError } from "../errors.ts";
import { RELEASES_ROLE, isDelegationName, parentRole, pathAllowed } from "../metadata/roles.ts";
import { sha256HexOfMeta } from "../metadata/hashes.ts";
import { parseEnvelope } from "../metadata/signed.ts";
import type { FileMeta, KeyJson } from "../metadata/types.ts";
import { canonicalKeyIdOfJson, keyFromJson } from "../crypto/keys.ts";
import { verifySignature } from "../crypto/verify.ts";
import { fromBase64 } from "../encoding.ts";
import { breadthFirst, lookupTarget } from "./read.ts";
import type { RepoState } from "./update.ts";

export type TagPolicy = {
  /**
   * Who must sign: docker signer names as `docker trust inspect` lists them (`alice` means `targets/alice`; `ci/qa`
   * means `targets/ci/qa`) or role names (`targets/releases`, `targets`).
   */
  signers?: readonly string[];
  /** Keys that must sign: IDs as `docker trust inspect` lists signers' keys (canonical), or TUF key IDs. */
  keyIds?: readonly string[];
  /** How many distinct entries of `signers` and `keyIds` must sign the digest. Default 1. */
  threshold?: number;
  /** The digest the tag must be signed to (`sha256:<hex>`). Default: the one docker's trusted pull resolves. */
  digest?: string;
};

export type VerifiedTag = {
  gun: string;
  tag: string;
  /** `sha256:<hex>` of the manifest. */
  digest: string;
  /** Manifest size in bytes, as signed. */
  size: number;
  /** The policy's entries that sign the digest (as given); with no signers or keys named, the role docker's pull reads. */
  signedBy: string[];
  /** Every valid role that signs the tag to the digest, breadth-first. */
  roles: string[];
};

/** What one role says about the tag. */
type Sighting = {
  role: string;
  status: "valid" | "expired" | "invalid" | "unpublished" | "undelegated";
  digest?: string;
  meta?: FileMeta;
  inPaths: boolean;
  problem?: string;
};

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/**
 * The digest `tag` is signed to, when `policy` holds in `state`; a VERIFICATION_FAILED error saying what was required,
 * what each role signs, and what to do, when it does not.
 *
 * @example
 * const state = await client.repository(gun, { anchor: { rootKeyIds: [rootId] } }).fetch();
 * verifyTag(state, "v1", { signers: ["alice", "bob"], threshold: 2 }).digest // "sha256:…"
 */
export function verifyTag(state: RepoState, tag: string, policy: TagPolicy = {}): VerifiedTag {
  const p = normalizePolicy(policy);
  if (typeof tag !== "string" || tag === "") throw invalid("tag", "give the tag to verify");
  const pulled = lookupTarget(state, tag, [RELEASES_ROLE, "targets"]) ?? lookupTarget(state, tag);
  const digest = p.digest ?? (pulled ? digestOf(pulled.meta) : undefined);
  const sightings = breadthFirst(state).map((role) => sight(state, role, tag));
  const signing = sightings.filter((s) => signs(s, digest));
  const satisfied: string[] = [];
  if (p.roles.length === 0 && p.keyIds.length === 0) {
    if (pulled && digest !== undefined && digestOf(pulled.meta) === digest) satisfied.push(pulled.role);
  } else {
    for (const [given, role] of p.roles) if (signing.some((s) => s.role === role)) satisfied.push(given);
    const seenKeys = new Set<string>();
    for (const id of p.keyIds) {
      const key = keySigning(state, id, signing);
      if (key !== undefined && !seenKeys.has(key)) {
        seenKeys.add(key);
        satisfied.push(id);
      }
    }
  }
  if (digest === undefined || satisfied.length < p.threshold) throw failure(state, tag, p, digest, sightings, satisfied);
  const first = (pulled && digestOf(pulled.meta) === digest ? pulled.meta : undefined) ?? signing[0]!.meta!;
  return { gun: state.gun, tag, digest, size: first.length, signedBy: satisfied, roles: signing.map((s) => s.role) };
}

type Normalized = { roles: [given: string, role: string][]; keyIds: string[]; threshold: number; digest?: string };

function normalizePolicy(policy: TagPolicy): Normalized {
  const roles: [string, string][] = [];
  for (const s of policy.signers ?? []) {
    const role = roleOfSigner(s);
    if (!roles.some(([, r]) => r === role)) roles.push([s, role]);
  }
  const keyIds: string[] = [];
  for (const k of policy.keyIds ?? []) {
    if (typeof k !== "string" || !/^[0-9a-fA-F]{64}$/.test(k)) throw invalid("keyIds", `${JSON.stringify(k)} is not a key ID (64 hex digits)`);
    if (!keyIds.includes(k.toLowerCase())) keyIds.push(k.toLowerCase());
  }
  const entries = roles.length + keyIds.length;
  const threshold = policy.threshold ?? 1;
  if (!Number.isSafeInteger(threshold) || threshold < 1) throw invalid("threshold", `must be a whole number ≥ 1, got ${JSON.stringify(threshold)}`);
  if (threshold > Math.max(entries, 1)) {
    throw invalid("threshold", `is ${threshold} but only ${entries} distinct signer(s) and key(s) are named`);
  }
  const digest = policy.digest?.toLowerCase();
  if (digest !== undefined && !DIGEST_RE.test(digest)) throw invalid("digest", `${JSON.stringify(policy.digest)} is not "sha256:" followed by 64 hex digits`);
  return { roles, keyIds, threshold, ...(digest !== undefined ? { digest } : {}) };
}

/** `alice` → `targets/alice`; role names as given. */
function roleOfSigner(name: string): string {
  if (name === "targets" || isDelegationName(name)) return name;
  const role = `targets/${name}`;
  if (typeof name === "string" && !name.startsWith("targets/") && isDelegationName(role)) return role;
  throw invalid("signers", `${JSON.stringify(name)} is neither a docker signer name (alice) nor a role name (targets/releases, targets)`);
}

function invalid(field: string, message: string): NotaryError {
  return new NotaryError("INPUT_INVALID", `${field}: ${message}`, { details: { field } });
}

function digestOf(meta: FileMeta): string | undefined {
  const hex = sha256HexOfMeta(meta);
  return hex === undefined ? undefined : `sha256:${hex}`;
}

function sight(state: RepoState, role: string, tag: string): Sighting {
  const r = state.roles.get(role);
  if (!r) {
    // A role below one that is not valid is never read (update.ts walks valid roles only).
    const parent = role === "targets" ? undefined : state.roles.get(parentRole(role));
    if (parent && parent.status !== "valid") return { role, status: "invalid", inPaths: false, problem: `it is below ${parentRole(role)}, which is ${parent.status}` };
    return { role, status: isDeclared(state, role) ? "unpublished" : "undelegated", inPaths: false };
  }
  const meta = r.file.signed.targets[tag];
  const digest = meta ? digestOf(meta) : undefined;
  // Nothing below a top-level targets that is not valid is trusted (read.ts › lookupTarget).
  const top = state.roles.get("targets")!;
  const untrusted = r.status === "valid" && top.status !== "valid";
  const problem = untrusted ? `targets is ${top.status}` : r.problem;
  return {
    role,
    status: untrusted ? "invalid" : r.status,
    inPaths: pathAllowed(r.paths, tag),
    ...(meta ? { meta } : {}),
    ...(digest ? { digest } : {}),
    ...(problem ? { problem } : {}),
  };
}

function isDeclared(state: RepoState, role: string): boolean {
  if (role === "targets") return false;
  return state.roles.get(parentRole(role))?.file.signed.delegations.roles.some((d) => d.name === role) ?? false;
}

function signs(s: Sighting, digest: string | undefined): boolean {
  return digest !== undefined && s.status === "valid" && s.inPaths && s.digest === digest;
}

/** The keys of a role and the IDs it may sign with: root's for `targets`, the parent's delegation otherwise. */
function roleKeys(state: RepoState, role: string): { keys: Record<string, KeyJson>; keyids: readonly string[] } | undefined {
  if (role === "targets") return { keys: state.root.signed.keys, keyids: state.root.signed.roles["targets"]?.keyids ?? [] };
  const parent = state.roles.get(parentRole(role))?.file.signed.delegations;
  const d = parent?.roles.find((x) => x.name === role);
  return parent && d ? { keys: parent.keys, keyids: d.keyids } : undefined;
}

/**
 * The TUF ID of the key `id` names (TUF or canonical ID) when it made a valid signature on one of the `signing`
 * roles' files, as one of that role's keys (`tuf/signed/verify.go › VerifySignatures` counts nothing else).
 */
function keySigning(state: RepoState, id: string, signing: readonly Sighting[]): string | undefined {
  for (const s of signing) {
    const rk = roleKeys(state, s.role);
    const file = state.roles.get(s.role)?.file;
    if (!rk || !file) continue;
    const env = parseEnvelope(file.bytes, s.role);
    for (const sig of env.signatures) {
      const kj = rk.keys[sig.keyid];
      if (!kj || !rk.keyids.includes(sig.keyid) || (sig.keyid !== id && canonicalKeyIdOfJson(kj) !== id)) continue;
      let ok = false;
      try {
        ok = verifySignature(sig.method, keyFromJson(kj), env.signedBytes, fromBase64(sig.sig, "sig"));
      } catch {
        ok = false; // an unsupported method or key does not count, as in verifyThreshold
      }
      if (ok) return sig.keyid;
    }
  }
  return undefined;
}

/** Roles that hold `id` (TUF or canonical) among their keys, for the message. */
function rolesOfKey(state: RepoState, id: string): string[] {
  return breadthFirst(state).filter((role) => {
    const rk = roleKeys(state, role);
    return rk?.keyids.some((k) => k === id || (rk.keys[k] !== undefined && canonicalKeyIdOfJson(rk.keys[k]) === id)) ?? false;
  });
}

function describe(s: Sighting, tag: string, digest: string | undefined): string {
  const held = s.digest ? ` (its file lists ${tag} → ${s.digest})` : "";
  switch (s.status) {
    case "undelegated":
      return `${s.role} is not delegated`;
    case "unpublished":
      return `${s.role} is delegated but has never been signed`;
    case "expired":
      return `${s.problem ?? `${s.role} expired`}, so it signs nothing${held}`;
    case "invalid":
      return `${s.role} is not trusted (${s.problem ?? "not validly signed"}), so it signs nothing${held}`;
  }
  if (!s.digest) return `${s.role} does not sign ${tag}`;
  if (!s.inPaths) return `${s.role} lists ${tag} outside its delegated paths (ignored)`;
  return s.digest === digest || digest === undefined ? `${s.role} signs ${s.digest}` : `${s.role} signs ${s.digest}, another digest`;
}

function failure(state: RepoState, tag: string, p: Normalized, digest: string | undefined, sightings: Sighting[], satisfied: string[]): NotaryError {
  const named = new Set(p.roles.map(([, r]) => r));
  const keyRoles = p.keyIds.map((id) => [id, rolesOfKey(state, id)] as const);
  for (const [, roles] of keyRoles) for (const r of roles) named.add(r);
  const relevant = sightings.filter((s) => named.has(s.role) || s.role === RELEASES_ROLE || s.role === "targets" || s.digest !== undefined);
  for (const r of named) if (!relevant.some((s) => s.role === r)) relevant.push(sight(state, r, tag));
  const found = relevant.slice(0, 16).map((s) => describe(s, tag, digest));
  for (const [id, roles] of keyRoles) if (roles.length === 0) found.push(`key ${id} is no key of any role`);
  const entries = [...p.roles.map(([g, r]) => (g === r ? r : `${g} (${r})`)), ...p.keyIds.map((id) => `key ${id}`)];
  const need =
    entries.length === 0
      ? `${tag} to resolve to ${digest ?? "a signed digest"} as docker's trusted pull reads it (targets/releases, then targets)`
      : `${p.threshold} of [${entries.join(", ")}] to sign ${digest ?? "the digest docker's trusted pull resolves"} for ${tag} ` +
        `(${satisfied.length === 0 ? "none does" : `only ${satisfied.join(", ")} ${satisfied.length === 1 ? "does" : "do"}`})`;
  const what = sightings.some((s) => s.status === "valid" && s.inPaths && s.digest !== undefined)
    ? `${state.gun}:${tag} is not signed as required`
    : `${tag} is not signed in any valid role of ${state.gun}`;
  return new NotaryError(
    "VERIFICATION_FAILED",
    `${what}: required ${need}; found: ${found.join("; ")}. Have the required signers sign it (docker trust sign, ` +
      `notary addhash --roles, or a SignedTag), renew an expired role (notary witness), or change what is required`,
    {
      details: {
        gun: state.gun,
        tag,
        ...(digest ? { digest } : {}),
        required: { signers: p.roles.map(([, r]) => r), keyIds: p.keyIds, threshold: p.threshold },
        found: relevant.map((s) => ({ role: s.role, status: s.status, ...(s.digest ? { digest: s.digest } : {}), inPaths: s.inPaths })),
      },
    },
  );
}
