/**
 * Loading the Go-produced vectors in test/fixtures/go (see its README.md) and serving them to the SDK without a
 * network: a fake `MetadataFetcher` over a repository directory, content-addressed the way notary-server is
 * (`root`, `N.root`, `timestamp`, `snapshot.<sha256hex>`, `<role>.<sha256hex>`), with a log of what was asked for.
 *
 * The hex in a consistent name is computed here from the file bytes, never taken from the SDK.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { NotaryError } from "../../../sdk/src/errors.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { readPrivateKeyFile } from "../../../sdk/src/crypto/keyfile.ts";
import type { MetadataFetcher } from "../../../sdk/src/trust/update.ts";

export const GO_DIR = new URL("../../fixtures/go/", import.meta.url);

/** Start of the committed Go run (README › Provenance). */
export const RUN_START = new Date("2026-11-22T02:12:18Z");
/** A fixed "now" shortly after the vectors were made: every file and certificate is valid then. */
export const NOW = new Date("2026-11-22T03:00:00Z");

export const REPO_NAMES = ["notary-basic", "notary-deleg", "notary-rotated", "notary-rsa", "docker-signers", "notary-rejects"] as const;
export type RepoName = (typeof REPO_NAMES)[number];

export function goBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(rel, GO_DIR)));
}

export function goText(rel: string): string {
  return readFileSync(new URL(rel, GO_DIR), "utf8");
}

export function goJson<T = unknown>(rel: string): T {
  return JSON.parse(goText(rel)) as T;
}

export function sha256hex(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

export const utf8Text = (b: Uint8Array): string => new TextDecoder("utf-8", { fatal: true }).decode(b);

// ---------------------------------------------------------------------------------------------------------------------
// Derived JSON files (shapes as written by vectors.py)

export type SignatureVector = {
  files: string[];
  role: string;
  version: number;
  keyid: string;
  keytype: string;
  method: string;
  sig: string;
  public: string;
  signed_sha256: string;
  signed_canonical_b64: string;
  wire_signed_html_unescaped_equals_canonical: boolean;
  ecdsa_r_hex?: string;
  ecdsa_s_hex?: string;
  ecdsa_high_s?: boolean;
  openssl_result: string;
};

export type SignaturesJson = {
  counts: { total: number; ecdsa: number; ecdsa_high_s: number; ecdsa_low_s: number; eddsa: number; rsapss: number };
  signatures: SignatureVector[];
};

export type KeyIdVector = {
  keyid: string;
  keytype: string;
  key_json: string;
  appears_in: string[];
  repos: string[];
  canonical_keyid?: string;
  private_key_files?: string[];
};

export type KeyIdsJson = {
  counts_by_keytype: Record<string, number>;
  keys: KeyIdVector[];
  docker_inspect_crosscheck: { file: string; group: string; name: string; ID: string; matches: string[] }[];
};

export type PrivateKeyVector = {
  file: string;
  headers: Record<string, string>;
  passphrase: string;
  pkcs8_der_b64: string;
  file_name_is_key_id: boolean;
};

export const signaturesJson = (): SignaturesJson => goJson<SignaturesJson>("signatures.json");
export const keyIdsJson = (): KeyIdsJson => goJson<KeyIdsJson>("keyids.json");
export const privateKeysJson = (): { keys: PrivateKeyVector[] } => goJson("private-keys.json");

export type RepoJson = { gun: string; passphrases: Record<string, string>; snapshot_signed_by: string; notes?: string };
export const repoJson = (name: RepoName): RepoJson => goJson<RepoJson>(`repos/${name}/repo.json`);

// ---------------------------------------------------------------------------------------------------------------------
// Served repositories

/** The metadata of one repository as a server holds it. */
export type ServedRepo = {
  name: string;
  gun: string;
  /** Current file per role: `root`, `timestamp`, `snapshot`, `targets`, `targets/alice`, … */
  current: Map<string, Uint8Array>;
  /** Every root by version (old `N.root.json` files and the current one). */
  roots: Map<number, Uint8Array>;
  /** Every version of every role ever held, for `<role>.<sha256hex>` requests. */
  history: Map<string, Uint8Array[]>;
};

function versionOf(bytes: Uint8Array): number {
  return (JSON.parse(utf8Text(bytes)) as { signed: { version: number } }).signed.version;
}

/** Served metadata files (relative paths) of a Go repository, keyed by role; old roots keyed as `N.root`. */
export function servedFiles(name: RepoName): Map<string, string> {
  const dir = new URL(`repos/${name}/`, GO_DIR);
  const out = new Map<string, string>();
  for (const f of readdirSync(dir)) {
    const m = /^(\d+\.root|root|timestamp|snapshot|targets)\.json$/.exec(f);
    if (m) out.set(m[1]!, `repos/${name}/${f}`);
  }
  const walk = (rel: string) => {
    const u = new URL(`repos/${name}/${rel}/`, GO_DIR);
    if (!existsSync(u)) return;
    for (const f of readdirSync(u)) {
      if (statSync(new URL(f, u)).isDirectory()) walk(`${rel}/${f}`);
      else if (f.endsWith(".json")) out.set(`${rel}/${f.slice(0, -5)}`, `repos/${name}/${rel}/${f}`);
    }
  };
  walk("targets");
  return out;
}

export function loadServedRepo(name: RepoName): ServedRepo {
  const repo: ServedRepo = { name, gun: repoJson(name).gun, current: new Map(), roots: new Map(), history: new Map() };
  for (const [role, rel] of servedFiles(name)) {
    const bytes = goBytes(rel);
    if (/^\d+\.root$/.test(role)) {
      repo.roots.set(versionOf(bytes), bytes);
      repo.history.set("root", [...(repo.history.get("root") ?? []), bytes]);
      continue;
    }
    repo.current.set(role, bytes);
    repo.history.set(role, [...(repo.history.get(role) ?? []), bytes]);
    // `GET <current>.root.json` was byte-identical to root.json in every repo (README › Provenance).
    if (role === "root") repo.roots.set(versionOf(bytes), bytes);
  }
  return repo;
}

/** The repository after the server stored `files` (root also becomes `N.root`). Removed roles are dropped. */
export function withFiles(repo: ServedRepo, files: readonly { role: string; bytes: Uint8Array }[], removed: Iterable<string> = []): ServedRepo {
  const next: ServedRepo = {
    name: repo.name,
    gun: repo.gun,
    current: new Map(repo.current),
    roots: new Map(repo.roots),
    history: new Map([...repo.history].map(([k, v]) => [k, [...v]])),
  };
  for (const f of files) {
    next.current.set(f.role, f.bytes);
    next.history.set(f.role, [...(next.history.get(f.role) ?? []), f.bytes]);
    if (f.role === "root") next.roots.set(versionOf(f.bytes), f.bytes);
  }
  for (const r of removed) next.current.delete(r);
  return next;
}

export type FetchLogEntry = { name: string; maxBytes: number };

export type FakeFetcherOptions = {
  /**
   * What to do when a file is longer than the cap the SDK passed: `ignore` (default) returns it whole, so the SDK's
   * own checks are exercised; `truncate` keeps the first maxBytes bytes (Go's LimitReader); `throw` fails as our HTTP
   * transport does.
   */
  cap?: "ignore" | "truncate" | "throw";
  /** Replace (or hide, with `null`) what a request returns. Gets the name and what would have been served. */
  override?: (name: string, served: Uint8Array | undefined) => Uint8Array | null | undefined;
};

/** Resolve a request name to bytes the way notary-server does (no caps applied). */
export function serve(repo: ServedRepo, name: string): Uint8Array | undefined {
  if (name === "root" || name === "timestamp") return repo.current.get(name);
  const v = /^(\d+)\.root$/.exec(name);
  if (v) return repo.roots.get(Number(v[1]));
  const c = /^(.+)\.([0-9a-f]{64})$/.exec(name);
  if (c) return repo.history.get(c[1]!)?.find((b) => sha256hex(b) === c[2]);
  return undefined;
}

/** A fake `fetch(name, maxBytes)` over a served repository, recording every request. */
export function fakeFetcher(repo: ServedRepo, opts: FakeFetcherOptions = {}): { fetch: MetadataFetcher; log: FetchLogEntry[] } {
  const log: FetchLogEntry[] = [];
  const fetch: MetadataFetcher = async (name, maxBytes) => {
    log.push({ name, maxBytes });
    let bytes = serve(repo, name);
    if (opts.override) {
      const o = opts.override(name, bytes);
      if (o === null) bytes = undefined;
      else if (o !== undefined) bytes = o;
    }
    if (bytes && bytes.length > maxBytes) {
      if (opts.cap === "truncate") return bytes.slice(0, maxBytes);
      if (opts.cap === "throw") {
        throw new NotaryError("HTTP_RESPONSE_TOO_LARGE", `${name} is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
      }
    }
    return bytes ? new Uint8Array(bytes) : undefined;
  };
  return { fetch, log };
}

// ---------------------------------------------------------------------------------------------------------------------
// Private keys

/** Every private key file of a Go trust dir, decrypted with the passphrase private-keys.json lists for it. */
export function loadPrivateKeys(name: RepoName): Map<string, PrivateKey> {
  const out = new Map<string, PrivateKey>();
  for (const k of privateKeysJson().keys) {
    if (!k.file.startsWith(`repos/${name}/private/`)) continue;
    const file = readPrivateKeyFile(goText(k.file), k.passphrase);
    out.set(file.keyId, PrivateKey.fromPkcs8(file.pkcs8));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// The transcript

export type ListRow = { name: string; digest: string; size: number; role: string };

/**
 * The table `notary list <gun>` printed in transcript.txt (the first plain `list` of that GUN). Cells are separated by
 * runs of ASCII spaces (names hold U+2028 and friends, which a `\s` split would cut).
 */
export function notaryListFromTranscript(gun: string): ListRow[] {
  const lines = goText("transcript.txt").split("\n");
  const start = lines.findIndex((l) => l.startsWith("$ notary ") && l.endsWith(` list ${gun}`));
  if (start < 0) throw new Error(`no 'notary list ${gun}' in the transcript`);
  if (!lines[start + 1]!.startsWith("NAME") || !lines[start + 2]!.startsWith("----")) throw new Error("unexpected list header");
  const rows: ListRow[] = [];
  for (const line of lines.slice(start + 3)) {
    if (line.trim() === "") break;
    const cells = line.split(/ {2,}/).filter((c) => c !== "");
    if (cells.length !== 4) throw new Error(`unexpected list row ${JSON.stringify(line)}`);
    rows.push({ name: cells[0]!, digest: cells[1]!, size: Number(cells[2]), role: cells[3]! });
  }
  return rows;
}
