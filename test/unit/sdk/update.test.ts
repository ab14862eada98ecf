/**
 * The verified read (reference §7) over the Go repositories, served by a fake fetcher: trust anchors (TOFU, pinned
 * certificate and canonical IDs, a trusted old root with rotation following), hash/size/rollback/expiry checks,
 * delegations and their effective paths, and `notary list` equivalence against the transcript of the Go run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isNotaryError } from "../../../sdk/src/errors.ts";
import { updateRepository, resolveRoot, DEFAULT_LIMITS, type RepoState, type UpdateOptions } from "../../../sdk/src/trust/update.ts";
import { listTargets, lookupTarget, breadthFirst, type TargetEntry } from "../../../sdk/src/trust/read.ts";
import { sha256HexOfMeta } from "../../../sdk/src/metadata/hashes.ts";
import { parseEnvelope, signRole } from "../../../sdk/src/metadata/signed.ts";
import { parseRoot } from "../../../sdk/src/metadata/schema.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { keyJsonId, keyToJson, publicKeyFromCertificatePem } from "../../../sdk/src/crypto/keys.ts";
import { createRootCertificate } from "../../../sdk/src/crypto/x509.ts";
import type { Root } from "../../../sdk/src/metadata/types.ts";
import {
  NOW,
  fakeFetcher,
  goBytes,
  goJson,
  keyIdsJson,
  loadServedRepo,
  notaryListFromTranscript,
  repoJson,
  sha256hex,
  withFiles,
  type FakeFetcherOptions,
  type RepoName,
  type ServedRepo,
} from "../helpers/go-fixtures.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const PRE_ROTATION = "repos/notary-rotated/pre-rotation-trust/tuf/example.com/vectors/notary-rotated/metadata/root.json";

/** Read a Go repository through the SDK with the fake fetcher. */
async function read(
  repo: ServedRepo,
  over: Partial<UpdateOptions> = {},
  fetchOpts: FakeFetcherOptions = {},
): Promise<{ state: RepoState; log: { name: string; maxBytes: number }[] }> {
  const { fetch, log } = fakeFetcher(repo, fetchOpts);
  const state = await updateRepository({ gun: repo.gun, fetch, now: NOW, anchor: { tofu: true }, ...over });
  return { state, log };
}

const REPOS = new Map<RepoName, ServedRepo>();
const served = (name: RepoName): ServedRepo => {
  if (!REPOS.has(name)) REPOS.set(name, loadServedRepo(name));
  return REPOS.get(name)!;
};
const rootKeyIds = (name: RepoName) => {
  const root = goJson<{ signed: Root }>(`repos/${name}/root.json`).signed;
  const certId = root.roles["root"]!.keyids[0]!;
  const canonicalId = keyIdsJson().keys.find((k) => k.keyid === certId)!.canonical_keyid!;
  return { certId, canonicalId };
};

/** `notary list`: first entry per name in the walk order (tuf/tuf.go › WalkTargets, client ListTargets), sorted by name bytes. */
function asNotaryList(entries: TargetEntry[]) {
  const seen = new Map<string, TargetEntry>();
  for (const e of entries) if (!seen.has(e.name)) seen.set(e.name, e);
  return [...seen.values()]
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
    .map((e) => ({ name: e.name, digest: sha256HexOfMeta(e.meta)!, size: e.meta.length, role: e.role }));
}

// ---------------------------------------------------------------------------------------------------------------------
// Anchors

test("notary-basic, TOFU: every file verified, exact Go bytes kept, fetched by consistent name with the right caps", async () => {
  const repo = served("notary-basic");
  const { state, log } = await read(repo);
  assert.equal(state.gun, repoJson("notary-basic").gun);
  assert.equal(state.root.signed.version, 1);
  assert.equal(state.roles.get("targets")!.file.signed.version, 3);
  assert.equal(state.snapshot.signed.version, 3);
  assert.equal(state.timestamp.signed.version, 2);
  assert.equal(hex(state.root.bytes), hex(goBytes("repos/notary-basic/root.json")));
  assert.equal(hex(state.timestamp.bytes), hex(goBytes("repos/notary-basic/timestamp.json")));
  assert.equal(hex(state.snapshot.bytes), hex(goBytes("repos/notary-basic/snapshot.json")));
  assert.equal(hex(state.roles.get("targets")!.file.bytes), hex(goBytes("repos/notary-basic/targets.json")));
  const snap = goBytes("repos/notary-basic/snapshot.json");
  const targets = goBytes("repos/notary-basic/targets.json");
  assert.deepEqual(log, [
    { name: "root", maxBytes: DEFAULT_LIMITS.rootMaxBytes },
    { name: "timestamp", maxBytes: DEFAULT_LIMITS.timestampMaxBytes },
    // the cap of a hashed file is the length its referrer gives
    { name: `snapshot.${sha256hex(snap)}`, maxBytes: snap.length },
    { name: `targets.${sha256hex(targets)}`, maxBytes: targets.length },
  ]);
  assert.equal(DEFAULT_LIMITS.rootMaxBytes, 100 << 20);
  assert.equal(DEFAULT_LIMITS.timestampMaxBytes, 1 << 20);
  assert.deepEqual([...state.roles.keys()], ["targets"]);
  assert.deepEqual(state.roles.get("targets")!.paths, [""]);
});

test("notary-basic, pinned by certificate ID and by canonical ID (both IDs users meet)", async () => {
  const { certId, canonicalId } = rootKeyIds("notary-basic");
  assert.notEqual(certId, canonicalId);
  for (const pin of [certId, canonicalId]) {
    const { state } = await read(served("notary-basic"), { anchor: { rootKeyIds: [pin] } });
    assert.equal(state.root.signed.roles["root"]!.keyids[0], certId);
  }
  // one good pin among others is enough
  await read(served("notary-basic"), { anchor: { rootKeyIds: ["00".repeat(32), canonicalId] } });
});

test("wrong pin → TRUST_ROOT_MISMATCH naming the pin and both IDs of the root found", async () => {
  const { certId, canonicalId } = rootKeyIds("notary-basic");
  const wrong = rootKeyIds("notary-deleg").canonicalId;
  await assert.rejects(read(served("notary-basic"), { anchor: { rootKeyIds: [wrong] } }), (e: unknown) => {
    const err = e as { code: string; message: string; details: { expected: string[]; found: { certId: string; canonicalId: string }[] } };
    assert.equal(err.code, "TRUST_ROOT_MISMATCH");
    for (const id of [wrong, certId, canonicalId]) assert.ok(err.message.includes(id), `message names ${id}`);
    assert.deepEqual(err.details.expected, [wrong]);
    assert.deepEqual(err.details.found, [{ certId, canonicalId }]);
    return true;
  });
});

test("no anchor → TRUST_NO_ANCHOR; a root for another GUN → TRUST_ROOT_MISMATCH", async () => {
  await assert.rejects(read(served("notary-basic"), { anchor: {} }), { code: "TRUST_NO_ANCHOR" });
  const { fetch } = fakeFetcher(served("notary-basic"));
  await assert.rejects(
    updateRepository({ gun: "example.com/vectors/other", fetch, now: NOW, anchor: { tofu: true } }),
    { code: "TRUST_ROOT_MISMATCH" },
  );
});

test("notary-rotated from the pre-rotation root (v1): follows 2 → 3 → 4 as the Go client did", async () => {
  const trustedRoot = goBytes(PRE_ROTATION);
  assert.equal(hex(trustedRoot), hex(goBytes("repos/notary-rotated/1.root.json")));
  const { state, log } = await read(served("notary-rotated"), { anchor: { trustedRoot } });
  const names = log.map((l) => l.name);
  assert.deepEqual(names.slice(0, 3), ["root", "2.root", "3.root"]);
  assert.ok(!names.includes("1.root") && !names.includes("4.root"));
  assert.equal(log[1]!.maxBytes, DEFAULT_LIMITS.rootMaxBytes);
  assert.equal(state.root.signed.version, 4);
  assert.equal(hex(state.root.bytes), hex(goBytes("repos/notary-rotated/root.json")));
  // transcript: "… cached root.json version afterwards: 4", and both targets listed
  assert.deepEqual(asNotaryList(listTargets(state)), notaryListFromTranscript(repoJson("notary-rotated").gun));
});

test("notary-rotated: trusting 2.root chains through 3 only; trusting the current root fetches no old root", async () => {
  let { log } = await read(served("notary-rotated"), { anchor: { trustedRoot: goBytes("repos/notary-rotated/2.root.json") } });
  assert.deepEqual(log.filter((l) => l.name.endsWith(".root")).map((l) => l.name), ["3.root"]);
  ({ log } = await read(served("notary-rotated"), { anchor: { trustedRoot: goBytes("repos/notary-rotated/root.json") } }));
  assert.deepEqual(log.filter((l) => /root/.test(l.name)).map((l) => l.name), ["root"]);
});

test("trustedRootSha256: the current root by hash needs no extra request; an older pinned root is fetched by checksum and chained", async () => {
  const repo = served("notary-rotated");
  let { state, log } = await read(repo, { anchor: { trustedRootSha256: sha256hex(goBytes("repos/notary-rotated/root.json")) } });
  assert.equal(state.root.signed.version, 4);
  assert.deepEqual(log.filter((l) => /root/.test(l.name)).map((l) => l.name), ["root"]);
  const pre = sha256hex(goBytes(PRE_ROTATION));
  ({ state, log } = await read(repo, { anchor: { trustedRootSha256: pre.toUpperCase() } }));
  assert.equal(state.root.signed.version, 4);
  assert.deepEqual(log.filter((l) => /root/.test(l.name)).map((l) => l.name), ["root", `root.${pre}`, "2.root", "3.root"]);
});

test("trustedRootSha256: a hash the server does not hold, or bytes that do not hash to it → TRUST_ROOT_MISMATCH; malformed → INPUT_INVALID", async () => {
  const repo = served("notary-rotated");
  const pre = sha256hex(goBytes(PRE_ROTATION));
  const other = "ab".repeat(32);
  await assert.rejects(read(repo, { anchor: { trustedRootSha256: other } }), (e) => isNotaryError(e, "TRUST_ROOT_MISMATCH") && (e as Error).message.includes(other));
  // a server answering the checksum request with another file (here: the current root) is not trusted
  const current = goBytes("repos/notary-rotated/root.json");
  await assert.rejects(
    read(repo, { anchor: { trustedRootSha256: pre } }, { override: (name) => (name === `root.${pre}` ? current : undefined) }),
    (e) => isNotaryError(e, "TRUST_ROOT_MISMATCH"),
  );
  await assert.rejects(read(repo, { anchor: { trustedRootSha256: "not-a-hash" } }), (e) => isNotaryError(e, "INPUT_INVALID") && (e as Error).message.includes("trustedRootSha256"));
});

test("notary-rotated pinned to the first root key: finds 1.root, then chains forward to v4", async () => {
  const root1 = parseRoot(parseEnvelope(goBytes("repos/notary-rotated/1.root.json"), "root").rawSigned);
  const certId = root1.roles["root"]!.keyids[0]!;
  const { state, log } = await read(served("notary-rotated"), { anchor: { rootKeyIds: [certId] } });
  assert.equal(state.root.signed.version, 4);
  const roots = log.filter((l) => l.name.endsWith(".root")).map((l) => l.name);
  // searched back to 1.root (the newest root holding the pin), then chained forward through 2 and 3
  assert.ok(roots.includes("1.root") && !roots.includes("4.root"), roots.join(" "));
  assert.deepEqual(roots.slice(roots.indexOf("1.root") + 1), ["2.root", "3.root"]);
});

test("root rollback (server serves 3.root as root while v4 is trusted) → METADATA_ROLLBACK", async () => {
  const repo = served("notary-rotated");
  await assert.rejects(
    read(repo, { anchor: { trustedRoot: goBytes("repos/notary-rotated/root.json") } }, {
      override: (name) => (name === "root" ? goBytes("repos/notary-rotated/3.root.json") : undefined),
    }),
    { code: "METADATA_ROLLBACK" },
  );
});

test("a missing intermediate root → METADATA_NOT_FOUND; a wrong version in N.root → METADATA_MALFORMED", async () => {
  const anchor = { trustedRoot: goBytes(PRE_ROTATION) };
  await assert.rejects(read(served("notary-rotated"), { anchor }, { override: (n) => (n === "3.root" ? null : undefined) }), {
    code: "METADATA_NOT_FOUND",
  });
  await assert.rejects(
    read(served("notary-rotated"), { anchor }, { override: (n) => (n === "3.root" ? goBytes("repos/notary-rotated/2.root.json") : undefined) }),
    { code: "METADATA_MALFORMED" },
  );
});

test("a new root not signed by the trusted root's key → TRUST_ROOT_ROTATION_FAILED", async () => {
  const repo = served("notary-rotated");
  // A root v2 for the same GUN with a fresh, valid certificate, signed only by its own (new) key.
  const key = PrivateKey.generate();
  const pem = createRootCertificate({ gun: repo.gun, privateKeyPkcs8: key.exportPkcs8(), notBefore: new Date(NOW.getTime() - 3600_000), serial: 7n });
  const certJson = keyToJson(publicKeyFromCertificatePem(pem));
  const id = keyJsonId(certJson);
  const v2 = parseRoot(parseEnvelope(goBytes("repos/notary-rotated/2.root.json"), "root").rawSigned);
  const forged: Root = { ...v2, keys: { ...v2.keys, [id]: certJson }, roles: { ...v2.roles, root: { keyids: [id], threshold: 1 } } };
  const bytes = signRole(forged, { keys: forged.keys, keyids: [id], threshold: 1, role: "root" }, [key]).bytes;
  // alone (TOFU) it is a valid self-signed root …
  await resolveRoot({ gun: repo.gun, fetch: fakeFetcher(withFiles(repo, [{ role: "root", bytes }])).fetch, now: NOW, anchor: { tofu: true } });
  // … but it does not chain from v1
  await assert.rejects(
    read(repo, { anchor: { trustedRoot: goBytes(PRE_ROTATION) } }, { override: (n) => (n === "2.root" ? bytes : undefined) }),
    { code: "TRUST_ROOT_ROTATION_FAILED" },
  );
});

// ---------------------------------------------------------------------------------------------------------------------
// Hashes, sizes, rollback, expiry

test("a tampered byte in targets → METADATA_HASH_MISMATCH", async () => {
  const repo = served("notary-basic");
  const tamper = (b: Uint8Array) => {
    const c = new Uint8Array(b);
    const i = Buffer.from(c).indexOf("order-z");
    c[i + 6] = "y".charCodeAt(0);
    return c;
  };
  await assert.rejects(read(repo, {}, { override: (n, b) => (n.startsWith("targets.") && b ? tamper(b) : undefined) }), (e: unknown) => {
    assert.equal((e as { code: string }).code, "METADATA_HASH_MISMATCH");
    assert.equal((e as { details: { role: string } }).details.role, "targets");
    return true;
  });
  // the same for files passed in as already held (`known`)
  const { fetch } = fakeFetcher(repo);
  await assert.rejects(
    updateRepository({ gun: repo.gun, fetch, now: NOW, anchor: { tofu: true }, known: (n) => (n.startsWith("targets.") ? tamper(repo.current.get("targets")!) : undefined) }),
    { code: "METADATA_HASH_MISMATCH" },
  );
});

test("files already held (`known`) are used instead of downloads", async () => {
  const repo = served("notary-deleg");
  const byName = new Map<string, Uint8Array>();
  for (const [role, b] of repo.current) byName.set(`${role}.${sha256hex(b)}`, b);
  const { state, log } = await read(repo, { known: (n) => byName.get(n) });
  assert.deepEqual(log.map((l) => l.name), ["root", "timestamp"]);
  assert.equal(state.roles.size, 4);
});

test("targets files we signed ourselves (`ownFiles`) are used as signed, not fetched or parsed; other roles still are", async () => {
  const repo = served("notary-deleg");
  const { state: first } = await read(repo);
  const own = new Map<string, (typeof first.roles extends ReadonlyMap<string, infer R> ? R : never)["file"]>();
  for (const role of ["targets", "targets/alice"]) {
    const f = first.roles.get(role)!.file;
    own.set(`${role}.${sha256hex(f.bytes)}`, f);
  }
  const { state, log } = await read(repo, { ownFiles: (n) => own.get(n) });
  const names = log.map((l) => l.name);
  assert.ok(!names.some((n) => n.startsWith("targets.") || n.startsWith("targets/alice.")), names.join(" "));
  assert.ok(names.some((n) => n.startsWith("targets/alice/qa.")), "roles we did not sign are fetched");
  assert.equal(state.roles.get("targets")!.file, own.get(`targets.${sha256hex(first.roles.get("targets")!.file.bytes)}`));
  assert.deepEqual([...state.roles.keys()], [...first.roles.keys()]);
  // A file whose bytes do not match the snapshot's length and hash is refused like downloaded bytes.
  const wrong = { ...first.roles.get("targets")!.file, bytes: new Uint8Array([1, 2, 3]) };
  await assert.rejects(
    read(repo, { ownFiles: (n) => (n.startsWith("targets.") ? wrong : undefined) }),
    (e) => isNotaryError(e, "METADATA_HASH_MISMATCH"),
  );
});

test("size caps: the snapshot length from the timestamp is the cap; more bytes than that → METADATA_HASH_MISMATCH", async () => {
  const repo = served("notary-deleg");
  const ts = JSON.parse(new TextDecoder().decode(repo.current.get("timestamp"))) as { signed: { meta: { snapshot: { length: number } } } };
  const { log } = await read(repo);
  const snapReq = log.find((l) => l.name.startsWith("snapshot."))!;
  assert.equal(snapReq.maxBytes, ts.signed.meta.snapshot.length);
  assert.equal(snapReq.maxBytes, repo.current.get("snapshot")!.length);
  for (const l of log.filter((x) => x.name.startsWith("targets"))) {
    const role = l.name.slice(0, l.name.lastIndexOf("."));
    assert.equal(l.maxBytes, repo.current.get(role)!.length, role);
  }
  const longer = (b: Uint8Array) => Uint8Array.from([...b, 0x20]);
  for (const prefix of ["snapshot.", "targets.", "targets/alice/qa."]) {
    await assert.rejects(
      read(repo, {}, { override: (n, b) => (n.startsWith(prefix) && b ? longer(b) : undefined) }),
      { code: "METADATA_HASH_MISMATCH" },
      prefix,
    );
  }
  // a fetcher that stops reading at the cap (Go's LimitReader) hands over exactly the announced file: accepted
  await read(repo, {}, { cap: "truncate", override: (n, b) => (n.startsWith("snapshot.") && b ? longer(longer(b)) : undefined) });
});

test("a timestamp or root longer than its cap is refused even when the fetcher ignores the cap", async () => {
  const repo = served("notary-basic");
  const tsLen = repo.current.get("timestamp")!.length;
  const rootLen = repo.current.get("root")!.length;
  const { log } = await read(repo, { limits: { timestampMaxBytes: tsLen } }); // exactly at the cap: fine
  assert.equal(log.find((l) => l.name === "timestamp")!.maxBytes, tsLen);
  await assert.rejects(read(repo, { limits: { timestampMaxBytes: tsLen - 1 } }), { code: "METADATA_TOO_LARGE" });
  await assert.rejects(read(repo, { limits: { rootMaxBytes: rootLen - 1 } }), { code: "METADATA_TOO_LARGE" });
  // fetchers that enforce the cap themselves
  await assert.rejects(read(repo, { limits: { timestampMaxBytes: tsLen - 1 } }, { cap: "throw" }), { code: "HTTP_RESPONSE_TOO_LARGE" });
  await assert.rejects(read(repo, { limits: { timestampMaxBytes: tsLen - 1 } }, { cap: "truncate" }), { code: "METADATA_MALFORMED" });
});

test("an older timestamp, snapshot or targets than `previous` → METADATA_ROLLBACK; equal versions are fine", async () => {
  const repo = served("notary-deleg");
  const { state } = await read(repo);
  await read(repo, { previous: state });
  const bump = <T extends { signed: { version: number } }>(f: T): T => ({ ...f, signed: { ...f.signed, version: f.signed.version + 1 } });
  const newerTimestamp: RepoState = { ...state, timestamp: bump(state.timestamp) };
  await assert.rejects(read(repo, { previous: newerTimestamp }), (e: unknown) => {
    assert.equal((e as { code: string }).code, "METADATA_ROLLBACK");
    assert.equal((e as { details: { role: string } }).details.role, "timestamp");
    return true;
  });
  await assert.rejects(read(repo, { previous: { ...state, snapshot: bump(state.snapshot) } }), { code: "METADATA_ROLLBACK" });
  for (const role of ["targets", "targets/alice/qa"]) {
    const roles = new Map(state.roles);
    const r = roles.get(role)!;
    roles.set(role, { ...r, file: bump(r.file) });
    await assert.rejects(read(repo, { previous: { ...state, roles } }), { code: "METADATA_ROLLBACK" }, role);
  }
});

test("`now` after the timestamp's expiry → METADATA_EXPIRED (timestamp expires 14 days after the run)", async () => {
  const repo = served("notary-basic");
  const ts = JSON.parse(new TextDecoder().decode(repo.current.get("timestamp"))) as { signed: { expires: string } };
  const expiry = new Date(ts.signed.expires.replace(/\.(\d{3})\d*Z$/, ".$1Z"));
  await read(repo, { now: new Date(expiry.getTime() - 1) });
  await assert.rejects(read(repo, { now: new Date(expiry.getTime() + 1) }), (e: unknown) => {
    assert.equal((e as { code: string }).code, "METADATA_EXPIRED");
    assert.equal((e as { details: { role: string } }).details.role, "timestamp");
    return true;
  });
  // years later the root's certificate and the root itself have expired too: the root is reported first
  await assert.rejects(read(repo, { now: new Date("2037-01-01T00:00:00Z") }), { code: "TRUST_ROOT_MISMATCH" });
});

test("missing timestamp or root → METADATA_NOT_FOUND", async () => {
  for (const name of ["timestamp", "root"]) {
    await assert.rejects(read(served("notary-basic"), {}, { override: (n) => (n === name ? null : undefined) }), { code: "METADATA_NOT_FOUND" });
  }
});

// ---------------------------------------------------------------------------------------------------------------------
// Delegations and target resolution

test("notary-deleg: delegations verified with effective paths (alice/qa restricted by alice's paths)", async () => {
  const { state, log } = await read(served("notary-deleg"));
  assert.equal(state.root.signed.version, 2);
  assert.equal(state.snapshot.signed.version, 7);
  assert.equal(state.timestamp.signed.version, 6);
  const summary = [...state.roles].map(([name, r]) => [name, r.status, r.paths, r.file.signed.version]);
  assert.deepEqual(summary, [
    ["targets", "valid", [""], 4],
    ["targets/releases", "valid", [""], 2],
    ["targets/alice", "valid", ["v1", "prod/"], 2],
    ["targets/alice/qa", "valid", ["prod/qa"], 1],
  ]);
  assert.deepEqual(breadthFirst(state), ["targets", "targets/releases", "targets/alice", "targets/alice/qa"]);
  for (const [role, r] of state.roles) {
    const rel = role === "targets" ? "targets.json" : `${role}.json`;
    assert.equal(hex(r.file.bytes), hex(goBytes(`repos/notary-deleg/${rel}`)), role);
  }
  assert.deepEqual(
    log.map((l) => l.name.replace(/\.[0-9a-f]{64}$/, "")),
    ["root", "timestamp", "snapshot", "targets", "targets/releases", "targets/alice", "targets/alice/qa"],
  );
});

for (const name of ["notary-basic", "notary-deleg", "notary-rotated", "notary-rsa"] as const) {
  test(`${name}: listTargets/lookupTarget give what \`notary list\` printed (names, digests, sizes, roles)`, async () => {
    const { state } = await read(served(name));
    const rows = notaryListFromTranscript(repoJson(name).gun);
    assert.ok(rows.length >= 2);
    assert.deepEqual(asNotaryList(listTargets(state)), rows);
    for (const row of rows) {
      const hit = lookupTarget(state, row.name)!;
      assert.equal(hit.role, row.role, row.name);
      assert.equal(sha256HexOfMeta(hit.meta), row.digest);
      assert.equal(hit.meta.length, row.size);
    }
  });
}

test("notary-deleg: a name held by several roles resolves in walk order; paths limit what a role may answer", async () => {
  const { state } = await read(served("notary-deleg"));
  const all = listTargets(state);
  assert.deepEqual(
    all.filter((e) => e.name === "v1").map((e) => e.role),
    ["targets/releases", "targets/alice"],
  );
  assert.equal(lookupTarget(state, "v1")!.role, "targets/releases");
  assert.equal(lookupTarget(state, "v1", ["targets/alice"])!.role, "targets/alice");
  assert.equal(lookupTarget(state, "prod/app", ["targets/releases"]), undefined);
  assert.equal(lookupTarget(state, "prod/qa/build")!.role, "targets/alice/qa");
  assert.equal(lookupTarget(state, "nope"), undefined);
  assert.deepEqual(listTargets(state, ["targets/alice/qa"]).map((e) => e.name), ["prod/qa/build"]);
});

test("notary-rsa: rsa-x509 and rsa delegations (rsapss) verify", async () => {
  const { state } = await read(served("notary-rsa"));
  for (const role of ["targets/rsacert", "targets/rsapub"]) {
    const r = state.roles.get(role)!;
    assert.equal(r.status, "valid", role);
    assert.deepEqual(r.file.signatures.map((s) => s.method), ["rsapss"]);
  }
  const parent = state.roles.get("targets")!.file.signed.delegations;
  assert.deepEqual(
    parent.roles.map((d) => parent.keys[d.keyids[0]!]!.keytype),
    ["rsa-x509", "rsa"],
  );
});

test("docker-signers: digests match `docker trust inspect`; a declared signer without a file is skipped", async () => {
  const { state, log } = await read(served("docker-signers"));
  assert.deepEqual([...state.roles.keys()], ["targets", "targets/alice", "targets/releases"]);
  assert.ok(!log.some((l) => l.name.startsWith("targets/bob")));
  type Inspect = { SignedTags: { SignedTag: string; Digest: string; Signers: string[] }[] }[];
  const inspect = goJson<Inspect>("repos/docker-signers/inspect-after-tags.json")[0]!;
  for (const t of inspect.SignedTags) {
    const hit = lookupTarget(state, t.SignedTag, ["targets/releases"])!;
    assert.equal(sha256HexOfMeta(hit.meta), t.Digest, t.SignedTag);
    // signers other than releases holding the same digest (docker's matchReleasedSignatures)
    const signers = listTargets(state)
      .filter((e) => e.name === t.SignedTag && e.role !== "targets/releases" && sha256HexOfMeta(e.meta) === t.Digest)
      .map((e) => e.role.slice("targets/".length));
    assert.deepEqual(signers.length ? signers : ["Repo Admin"], t.Signers);
  }
});

test("notary-rejects: the length 2^53 Go accepted reads back exactly", async () => {
  const { state } = await read(served("notary-rejects"));
  const hit = lookupTarget(state, "big-2p53")!;
  assert.equal(hit.meta.length, 2 ** 53);
  assert.deepEqual(lookupTarget(state, "custom-ws")!.meta.custom, { a: "x", b: 1 });
});
