/**
 * Rule 1 of the verified read (update.ts): which root to trust. The anchor decides the first trusted root (a root.json
 * trusted before, its sha256, pinned root key IDs, or trust on first use only when asked); newer roots must chain to
 * it, one version at a time, each signed by a threshold of the previous root's keys and of its own.
 */
import { NotaryError } from "../errors.ts";
import { bytesEqual } from "../encoding.ts";
import { sha256Hex } from "../crypto/keys.ts";
import { parseRootFile, rootKeyIdPairs, rootMatchesPins, verifyRootSignatures, type ParsedRoot } from "./root.ts";
import { checkLimit, mustFetch } from "./checks.ts";
import { checkRollback } from "./floor.ts";
import { DEFAULT_LIMITS, type MetadataFetcher, type UpdateOptions } from "./state.ts";

/** Establish the trusted root: chain from a trusted root, or match pinned key IDs, or TOFU. */
export async function resolveRoot(opts: UpdateOptions): Promise<ParsedRoot> {
  const max = opts.limits?.rootMaxBytes ?? DEFAULT_LIMITS.rootMaxBytes;
  const latest = await latestRoot(opts, max);
  let trusted = await anchoredRoot(opts, max, latest);
  const floor = Math.max(opts.previous?.root.signed.version ?? 0, trusted?.root.version ?? 0, opts.floor?.["root"] ?? 0);
  checkRollback("root", latest.root.version, floor || undefined);
  const pins = opts.anchor.rootKeyIds;
  if (!trusted && pins && pins.length > 0) {
    if (rootMatchesPins(latest.root, pins)) {
      verifyRootSignatures(latest, opts.gun, opts.now, undefined, true);
      return latest;
    }
    trusted = await pinnedOlderRoot(opts, max, latest, pins);
  }
  if (!trusted) return firstUse(opts, latest);
  return chainForward(opts, max, trusted, latest);
}

/** The server's current root.json, within the size cap. */
async function latestRoot(opts: UpdateOptions, max: number): Promise<ParsedRoot> {
  const bytes = await opts.fetch("root", max);
  if (!bytes) throw notInitializedError(opts.gun, opts.serverUrl);
  checkLimit(bytes, "root", max, "root");
  return parseRootFile(bytes);
}

/** The root the anchor names by its bytes or their sha256, if it names one. */
async function anchoredRoot(opts: UpdateOptions, max: number, latest: ParsedRoot): Promise<ParsedRoot | undefined> {
  const { anchor } = opts;
  if (anchor.trustedRoot) return parseRootFile(anchor.trustedRoot);
  if (anchor.trustedRootSha256) return rootByHash(opts.gun, opts.fetch, max, anchor.trustedRootSha256, latest);
  return undefined;
}

/** The root file whose sha256 is `pin`: the server's current root when it is that file, else fetched by checksum. */
async function rootByHash(gun: string, fetch: MetadataFetcher, max: number, pin: string, latest: ParsedRoot): Promise<ParsedRoot> {
  const hex = pin.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new NotaryError("INPUT_INVALID", `trustedRootSha256 must be 64 hex digits (the sha256 of a root.json), got ${JSON.stringify(pin.slice(0, 80))}`, {
      details: { gun, field: "trustedRootSha256" },
    });
  }
  if (sha256Hex(latest.env.bytes) === hex) return latest;
  const bytes = await fetch(`root.${hex}`, max);
  if (bytes) checkLimit(bytes, `root.${hex}`, max, "root");
  if (!bytes || sha256Hex(bytes) !== hex) {
    throw new NotaryError(
      "TRUST_ROOT_MISMATCH",
      `the server does not hold the pinned root of ${gun} (sha256 ${hex}): its trust data was replaced or deleted, or this is not the repository you pinned`,
      { details: { gun, expected: hex, found: sha256Hex(latest.env.bytes) } },
    );
  }
  return parseRootFile(bytes);
}

/** Rotated since the pin was taken: the newest old root holding a pinned key, to chain forward from. */
async function pinnedOlderRoot(opts: UpdateOptions, max: number, latest: ParsedRoot, pins: readonly string[]): Promise<ParsedRoot> {
  for (let v = latest.root.version - 1; v >= 1; v--) {
    const b = await opts.fetch(`${v}.root`, max);
    if (!b) break;
    checkLimit(b, `${v}.root`, max, `root version ${v}`);
    const candidate = parseRootFile(b);
    if (rootMatchesPins(candidate.root, pins)) {
      verifyRootSignatures(candidate, opts.gun, opts.now, undefined, false);
      return candidate;
    }
  }
  const found = rootKeyIdPairs(latest.root).map((p) => `${p.certId} (canonical ${p.canonicalId})`);
  throw new NotaryError(
    "TRUST_ROOT_MISMATCH",
    `the root of ${opts.gun} is signed by [${found.join(", ")}], not by a pinned root key [${pins.join(", ")}]`,
    { details: { gun: opts.gun, expected: [...pins], found: rootKeyIdPairs(latest.root) } },
  );
}

/** No anchor: the server's self-signed root, only when trust on first use was asked for. */
function firstUse(opts: UpdateOptions, latest: ParsedRoot): ParsedRoot {
  if (!opts.anchor.tofu) {
    throw new NotaryError(
      "TRUST_NO_ANCHOR",
      `no trust anchor for ${opts.gun}: pin the root key IDs (rootKeyIds), pass a trusted root, or allow trust on first use (tofu)`,
      { details: { gun: opts.gun } },
    );
  }
  verifyRootSignatures(latest, opts.gun, opts.now, undefined, true);
  return latest;
}

/** Walk N.root.json from trusted+1 to the latest; intermediates may be expired (LoadRootForUpdate). */
async function chainForward(opts: UpdateOptions, max: number, trusted: ParsedRoot, latest: ParsedRoot): Promise<ParsedRoot> {
  const { gun, now } = opts;
  if (latest.root.version === trusted.root.version) {
    // Same version, different content: still must verify against the trusted keys.
    const differs = !bytesEqual(latest.env.bytes, trusted.env.bytes);
    verifyRootSignatures(latest, gun, now, differs ? trusted.root : undefined, true);
    return latest;
  }
  let prev = trusted;
  for (let v = trusted.root.version + 1; v < latest.root.version; v++) {
    const next = parseRootFile(await mustFetch(opts.fetch, `${v}.root`, max, `root version ${v}`, true));
    if (next.root.version !== v) {
      throw new NotaryError("METADATA_MALFORMED", `${v}.root.json holds root version ${next.root.version}`, { details: { role: "root" } });
    }
    verifyRootSignatures(next, gun, now, prev.root, false);
    prev = next;
  }
  verifyRootSignatures(latest, gun, now, prev.root, true);
  return latest;
}

/**
 * No root.json for the GUN: notary's `ErrRepositoryNotExist` ("does not have trust data", reference §7.1). Either it
 * was never initialized on this server, or the client talks to another server (or path) than the one that has it.
 */
function notInitializedError(gun: string, serverUrl: string | undefined): NotaryError {
  const where = serverUrl ? ` on ${serverUrl}` : " on the notary server";
  return new NotaryError(
    "METADATA_NOT_FOUND",
    `${gun} has no trust data${where} (root.json not found): the repository is not initialized on this server, or the ` +
      `server URL is wrong. Initialize it (Repository.initialize), or check NotaryClient's url and the GUN`,
    { details: { role: "root", gun, reason: "not-initialized", ...(serverUrl ? { server: serverUrl } : {}) } },
  );
}
