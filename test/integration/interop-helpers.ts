/**
 * Shared helpers of the interop tests (test/integration/interop-*.test.ts): parsers for the Go tools' output
 * (`notary list`, `notary lookup`, `notary delegation list`), notary's on-disk cache, raw server reads, key files in
 * notary/docker trust dirs, and root certificate keys. The Go tools are the oracle; these helpers only turn their output
 * into data the tests compare exactly.
 */
import { after } from "node:test";
import { lateBound } from "../support/per-file.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { httpRequest } from "../support/stack.ts";
import type { NotaryServer } from "../support/stack.ts";
import { NotaryClient } from "../../sdk/src/client.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { keyToJson, publicKeyFromCertificatePem } from "../../sdk/src/crypto/keys.ts";
import { createRootCertificate } from "../../sdk/src/crypto/x509.ts";
import { readPrivateKeyFile, writePrivateKeyFile, writePublicKeyPem } from "../../sdk/src/crypto/keyfile.ts";
import { fromBase64, toHex } from "../../sdk/src/encoding.ts";
import { listTargets } from "../../sdk/src/trust/read.ts";
import { DEFAULT_EXPIRY_MS } from "../../sdk/src/metadata/time.ts";
import type { FileMeta, KeyJson } from "../../sdk/src/metadata/types.ts";
import type { RepoState } from "../../sdk/src/trust/update.ts";

export const DAY_MS = 86_400_000;

/** A client for a started server (TLS: trusts the server's private CA). */
export function clientFor(server: NotaryServer): NotaryClient {
  return new NotaryClient({ url: server.url, ...(server.caPem !== undefined ? { tls: { ca: server.caPem } } : {}), timeoutMs: 15_000 });
}

/** An SDK client of the suite's server, made on first use inside a test and closed in `after`. */
export function clientPerSuite(server: NotaryServer): NotaryClient {
  let made: NotaryClient | undefined;
  after(async () => {
    await made?.close();
  });
  return lateBound(() => (made ??= clientFor(server)));
}

/** Content of a fake image manifest and its docker-style target meta (sha256 + length only). */
export function manifest(label: string): { bytes: Uint8Array; meta: FileMeta; digest: string; size: number } {
  const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, label }));
  const hex = createHash("sha256").update(bytes).digest("hex");
  return { bytes, meta: { length: bytes.length, hashes: { sha256: Buffer.from(hex, "hex").toString("base64") } }, digest: hex, size: bytes.length };
}

export function sha256HexOf(meta: FileMeta): string {
  const h = meta.hashes["sha256"];
  assert.ok(h !== undefined, "target meta has a sha256");
  return toHex(fromBase64(h, "sha256"));
}

// ---------------------------------------------------------------------------------------------------------------------
// Parsing the notary CLI's tables

/**
 * Splits a table printed by the notary CLI (header row, a dashes row, then rows) into cells by the header's column
 * offsets, so names containing spaces survive. Continuation lines (empty first column) are appended to the previous row
 * as extra values per column.
 */
function parseTable(stdout: string): string[][][] {
  const lines = stdout.split("\n");
  const headerIdx = lines.findIndex((l, i) => /^-{2,}/.test(lines[i + 1] ?? "") && /\S/.test(l));
  if (headerIdx < 0) return [];
  const dashes = lines[headerIdx + 1]!;
  const starts: number[] = [];
  for (const m of dashes.matchAll(/-+/g)) starts.push(m.index);
  const rows: string[][][] = [];
  for (const line of lines.slice(headerIdx + 2)) {
    if (line.trim() === "") continue;
    const cells = starts.map((s, i) => line.slice(s, i + 1 < starts.length ? starts[i + 1] : undefined).trim());
    if (cells[0] === "" && rows.length > 0) {
      const prev = rows[rows.length - 1]!;
      cells.forEach((c, i) => c !== "" && prev[i]!.push(c));
    } else {
      rows.push(cells.map((c) => (c === "" ? [] : [c])));
    }
  }
  return rows;
}

export type ListRow = { name: string; digest: string; size: number; role: string };

/** `notary list GUN` → rows (empty for "No targets present in this repository."). */
export function parseNotaryList(stdout: string): ListRow[] {
  if (/No targets present in this repository/.test(stdout)) return [];
  const rows = parseTable(stdout).map(([name, digest, size, role]) => ({
    name: name![0]!,
    digest: digest![0]!,
    size: Number(size![0]),
    role: role![0]!,
  }));
  assert.ok(rows.length > 0, `notary list printed a table: ${stdout}`);
  return rows;
}

export type DelegationRow = { role: string; paths: string[]; keyIds: string[]; threshold: number };

/** `notary delegation list GUN` → rows; `"" <all paths>` becomes `""`. Paths are as printed (sorted by notary). */
export function parseDelegationList(stdout: string): DelegationRow[] {
  if (/No delegations present in this repository/.test(stdout)) return [];
  return parseTable(stdout).map(([role, paths, keys, threshold]) => ({
    role: role![0]!,
    paths: paths!.map((p) => (p === '"" <all paths>' ? "" : p)),
    keyIds: keys!,
    threshold: Number(threshold![0]),
  }));
}

/** `notary lookup GUN NAME` prints `NAME sha256:HEX SIZE`. */
export function parseLookup(stdout: string): { name: string; digest: string; size: number } {
  const m = /^(.*) sha256:([0-9a-f]{64}) (\d+)$/m.exec(stdout.trim());
  assert.ok(m, `notary lookup output: ${stdout}`);
  return { name: m[1]!, digest: m[2]!, size: Number(m[3]) };
}

/**
 * What `notary list` must show for a verified state: every target visible through valid roles, the first role in the
 * breadth-first walk winning per name (notary de-duplicates by name), sorted by name.
 */
export function expectedList(state: RepoState): ListRow[] {
  const seen = new Map<string, ListRow>();
  for (const t of listTargets(state)) {
    if (!seen.has(t.name)) seen.set(t.name, { name: t.name, digest: sha256HexOf(t.meta), size: t.meta.length, role: t.role });
  }
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Sort rows by name (Go string order) for comparisons. */
export function byName<T extends { name: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------------------
// Metadata as notary cached it, and as the server serves it

export type SignedJson = {
  signed: { _type: string; version: number; expires: string; [k: string]: unknown };
  signatures: { keyid: string; method: string; sig: string }[];
};

/** A metadata file from notary's (or docker's) cache: `<trustDir>/tuf/<gun>/metadata/<role>.json`. */
export async function cachedMeta(trustDir: string, gun: string, role: string): Promise<SignedJson> {
  return JSON.parse(await readFile(path.join(trustDir, "tuf", gun, "metadata", `${role}.json`), "utf8")) as SignedJson;
}

/** GET a metadata file from the server without any verification (undefined on 404). */
export async function serverFile(server: NotaryServer, gun: string, name: string): Promise<Buffer | undefined> {
  const res = await httpRequest(`${server.url}/v2/${gun}/_trust/tuf/${name}.json`, { ...(server.caPem ? { ca: server.caPem } : {}) });
  if (res.status === 404) return undefined;
  assert.equal(res.status, 200, `GET ${name}.json: ${res.body.toString()}`);
  return res.body;
}

/**
 * A fingerprint of everything the server holds for a GUN: the current timestamp's bytes and the version of every
 * role the snapshot lists. Equal fingerprints before and after an operation mean nothing was published.
 */
export async function serverFingerprint(server: NotaryServer, gun: string): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const ts = await serverFile(server, gun, "timestamp");
  if (!ts) return out;
  const tsJson = JSON.parse(ts.toString()) as SignedJson;
  out["timestamp"] = tsJson.signed.version;
  out["timestamp.sha256"] = createHash("sha256").update(ts).digest("hex");
  const snap = JSON.parse((await serverFile(server, gun, "snapshot"))!.toString()) as SignedJson;
  out["snapshot"] = snap.signed.version;
  for (const role of Object.keys(snap.signed["meta"] as Record<string, unknown>).sort()) {
    const f = await serverFile(server, gun, role);
    out[role] = f ? (JSON.parse(f.toString()) as SignedJson).signed.version : -1;
  }
  return out;
}

/**
 * Version and expiry of every role the server serves for a GUN: root, timestamp, snapshot, targets and the delegations
 * reachable from targets (a role file the snapshot still lists after its delegation was removed is not a role).
 */
export async function serverRoles(server: NotaryServer, gun: string): Promise<{ versions: Record<string, number>; expires: Record<string, string> }> {
  const versions: Record<string, number> = {};
  const expires: Record<string, string> = {};
  type Signed = { version: number; expires: string; meta?: Record<string, unknown>; delegations?: { roles: { name: string }[] } };
  const read = async (role: string): Promise<Signed | undefined> => {
    const f = await serverFile(server, gun, role);
    if (!f) return undefined;
    const signed = (JSON.parse(f.toString()) as SignedJson).signed as Signed;
    versions[role] = signed.version;
    expires[role] = signed.expires;
    return signed;
  };
  await read("root");
  await read("timestamp");
  const listed = new Set(Object.keys((await read("snapshot"))?.meta ?? {}));
  const walk = async (role: string): Promise<void> => {
    const signed = await read(role);
    for (const d of signed?.delegations?.roles ?? []) if (listed.has(d.name)) await walk(d.name);
  };
  await walk("targets");
  return { versions, expires };
}

/** Versions of the roles in a verified state. */
export function versionsOf(state: RepoState): Record<string, number> {
  const out: Record<string, number> = {
    root: state.root.signed.version,
    snapshot: state.snapshot.signed.version,
    timestamp: state.timestamp.signed.version,
  };
  for (const [role, r] of state.roles) out[role] = r.file.signed.version;
  return out;
}

/** Asserts `expires` lies `ms` after an instant in [before, after] (with a little slack for rounding). */
export function assertExpiresIn(expires: string, ms: number, before: number, after: number, what: string): void {
  const t = new Date(expires).getTime();
  assert.ok(t >= before + ms - 1_000 && t <= after + ms + 1_000, `${what}: expires ${expires} is not about ${ms / DAY_MS} days after the operation`);
}

export const ROOT_LIFETIME_MS = DEFAULT_EXPIRY_MS.root;

// ---------------------------------------------------------------------------------------------------------------------
// Keys

/** A root certificate for `gun` signed by `rootKey` (as notary makes it) and its key object for root.json. */
export function rootCertKey(gun: string, rootKey: PrivateKey): { pem: string; json: KeyJson } {
  const now = new Date();
  const pem = createRootCertificate({
    gun,
    privateKeyPkcs8: rootKey.exportPkcs8(),
    notBefore: now,
    notAfter: new Date(now.getTime() + ROOT_LIFETIME_MS),
  });
  return { pem, json: keyToJson(publicKeyFromCertificatePem(pem)) };
}

export type KeyFileInfo = { id: string; file: string; role: string | undefined; gun: string | undefined };

/** The private keys in a notary/docker trust dir (`private/<canonical id>.key`), with their PEM headers. */
export async function trustDirKeys(trustDir: string): Promise<KeyFileInfo[]> {
  const dir = path.join(trustDir, "private");
  const out: KeyFileInfo[] = [];
  for (const f of (await readdir(dir)).sort()) {
    if (!f.endsWith(".key")) continue;
    const text = await readFile(path.join(dir, f), "utf8");
    const header = (name: string): string | undefined => new RegExp(`^${name}: (.*)$`, "m").exec(text)?.[1];
    out.push({ id: f.slice(0, -4), file: path.join(dir, f), role: header("role"), gun: header("gun") });
  }
  return out;
}

/** The one key in a trust dir with this role (and GUN, when given). */
export async function findKeyFile(trustDir: string, role: string, gun?: string): Promise<KeyFileInfo> {
  const hits = (await trustDirKeys(trustDir)).filter((k) => k.role === role && (gun === undefined || k.gun === gun));
  assert.equal(hits.length, 1, `exactly one ${role} key${gun ? ` for ${gun}` : ""} in the trust dir (found ${hits.length})`);
  return hits[0]!;
}

/**
 * Opens a key file notary or docker wrote (encrypted PKCS#8 with role/gun headers) with the SDK's key-file reader and
 * returns it as an SDK signing key. The ID must equal the file name (canonical key ID).
 */
export async function loadKeyFile(info: KeyFileInfo, passphrase: string): Promise<PrivateKey> {
  const kf = readPrivateKeyFile(await readFile(info.file, "utf8"), passphrase);
  assert.equal(kf.keyId, info.id, "the key file's canonical ID is its file name");
  const key = PrivateKey.fromPkcs8(kf.pkcs8);
  assert.equal(key.id, info.id, "PrivateKey.id is the canonical key ID");
  return key;
}

/** Writes a PUBLIC KEY PEM (with a role header, as `notary key generate` does) for `notary delegation add`. */
export async function writePublicKeyFile(dir: string, name: string, key: PrivateKey): Promise<string> {
  const file = path.join(dir, `${name}.pem`);
  await writeFile(file, writePublicKeyPem(key.publicKey.public, name), { mode: 0o600 });
  return file;
}

/**
 * Writes an unencrypted private key file (role header) for `notary key import`, which re-encrypts it into the
 * keystore with the role's passphrase.
 */
export async function writeImportableKey(dir: string, name: string, key: PrivateKey, role: string, gun?: string): Promise<string> {
  const file = path.join(dir, `${name}-key.pem`);
  await writeFile(file, writePrivateKeyFile({ keyType: key.keyType, pkcs8: key.exportPkcs8(), role, ...(gun ? { gun } : {}) }), { mode: 0o600 });
  return file;
}
