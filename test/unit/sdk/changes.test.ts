/**
 * Pure change transforms (metadata/changes.ts) and finalizeDraft (metadata/finalize.ts) on Go metadata, signed with the
 * Go private keys, and read back through updateRepository under the same root of trust (the Go root.json).
 *
 * The timestamp (and, for notary-deleg, the snapshot) keys are held by the Go server, so before publishing the tests
 * "adopt" a repository: one root change, signed with the Go root key, rotates those roles to keys held by a fake
 * server here, which then signs snapshots and timestamps as notary-server does. Byte-level oracles compare our
 * re-signed files with the Go canonical bytes (only `version` and `expires` substituted).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { applyChange, createDraft, type Change, type Draft } from "../../../sdk/src/metadata/changes.ts";
import { finalizeDraft, holdsSnapshotKey, type ExpiryPolicy, type FinalizedDraft } from "../../../sdk/src/metadata/finalize.ts";
import { signRole, parseEnvelope, verifyThreshold } from "../../../sdk/src/metadata/signed.ts";
import { fileMeta } from "../../../sdk/src/metadata/hashes.ts";
import { DAY_MS, formatGoTime } from "../../../sdk/src/metadata/time.ts";
import { updateRepository, type RepoState } from "../../../sdk/src/trust/update.ts";
import { listTargets, lookupTarget } from "../../../sdk/src/trust/read.ts";
import { PrivateKey } from "../../../sdk/src/crypto/sign.ts";
import { canonicalKeyId, keyFromJson, keyJsonId, keyToJson, publicKeyFromCertificatePem } from "../../../sdk/src/crypto/keys.ts";
import { createRootCertificate } from "../../../sdk/src/crypto/x509.ts";
import type { FileMeta, KeyJson, Snapshot, Timestamp } from "../../../sdk/src/metadata/types.ts";
import {
  NOW,
  fakeFetcher,
  goBytes,
  loadPrivateKeys,
  loadServedRepo,
  repoJson,
  signaturesJson,
  withFiles,
  type RepoName,
  type ServedRepo,
} from "../helpers/go-fixtures.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const INVALID = { code: "METADATA_INVALID_CHANGE" };
const GO_CANONICAL = new Map<string, string>();
for (const s of signaturesJson().signatures) for (const f of s.files) GO_CANONICAL.set(f, Buffer.from(s.signed_canonical_b64, "base64").toString("utf8"));

/** Deterministic Ed25519 keys for the fake server (RFC 8410 PKCS#8 around a fixed seed). */
const ed25519 = (seedByte: number) =>
  PrivateKey.fromPkcs8(new Uint8Array([...Buffer.from("302e020100300506032b657004220420", "hex"), ...new Uint8Array(32).fill(seedByte)]));
const SERVER = { timestamp: ed25519(1), snapshot: ed25519(2) };

const meta = (content: string, withSha512 = false): FileMeta => {
  const hashes: Record<string, string> = { sha256: createHash("sha256").update(content).digest("base64") };
  if (withSha512) hashes["sha512"] = createHash("sha512").update(content).digest("base64");
  return { length: Buffer.byteLength(content), hashes };
};

function draftOf(state: RepoState): Draft {
  return createDraft(
    state.root.signed,
    [...state.roles].map(([k, v]) => [k, v.file.signed]),
    [...state.roles].map(([k, v]) => [k, v.paths]),
  );
}

/** A repository hosted by the fake server: what it serves, the last verified state, the Go keys, the Go root. */
type Hosted = { name: RepoName; repo: ServedRepo; state: RepoState; keys: PrivateKey[]; goRoot: Uint8Array };

async function readBack(h: { repo: ServedRepo; goRoot: Uint8Array }, previous?: RepoState) {
  const { fetch, log } = fakeFetcher(h.repo);
  const state = await updateRepository({
    gun: h.repo.gun,
    fetch,
    now: NOW,
    anchor: { trustedRoot: h.goRoot }, // always the Go root: every change must chain to it
    ...(previous ? { previous } : {}),
  });
  return { state, log };
}

/** What notary-server does on a publish: store the files, sign the snapshot if it holds that key, always the timestamp. */
function serverPublish(repo: ServedRepo, state: RepoState, fin: FinalizedDraft, removed: Iterable<string>): ServedRepo {
  const files = [...fin.files];
  const root = fin.root?.signed ?? state.root.signed;
  let snapshotBytes = fin.snapshot?.bytes;
  if (!snapshotBytes) {
    const m: Record<string, FileMeta> = { ...state.snapshot.signed.meta };
    for (const f of files) m[f.role] = fileMeta(f.bytes);
    for (const r of removed) delete m[r];
    const snap: Snapshot = { _type: "Snapshot", expires: formatGoTime(new Date(NOW.getTime() + 1095 * DAY_MS)), meta: m, version: state.snapshot.signed.version + 1 };
    const r = root.roles["snapshot"]!;
    snapshotBytes = signRole(snap, { keys: root.keys, keyids: r.keyids, threshold: r.threshold, role: "snapshot" }, [SERVER.snapshot]).bytes;
    files.push({ role: "snapshot", bytes: snapshotBytes });
  }
  const ts: Timestamp = {
    _type: "Timestamp",
    expires: formatGoTime(new Date(NOW.getTime() + 14 * DAY_MS)),
    meta: { snapshot: fileMeta(snapshotBytes) },
    version: state.timestamp.signed.version + 1,
  };
  const t = root.roles["timestamp"]!;
  files.push({ role: "timestamp", bytes: signRole(ts, { keys: root.keys, keyids: t.keyids, threshold: t.threshold, role: "timestamp" }, [SERVER.timestamp]).bytes });
  return withFiles(repo, files, removed);
}

/** Apply changes, finalize with `keys`, publish to the fake server and read back under the Go root. */
async function publish(h: Hosted, changes: readonly Change[], keys: readonly PrivateKey[] = h.keys, expiry?: ExpiryPolicy) {
  const draft = draftOf(h.state);
  for (const c of changes) applyChange(draft, c);
  const clientSnapshot = holdsSnapshotKey(draft.root, keys);
  const fin = finalizeDraft(draft, { keys, now: NOW, ...(expiry ? { expiry } : {}), ...(clientSnapshot ? { snapshot: h.state.snapshot.signed } : {}) });
  const repo = serverPublish(h.repo, h.state, fin, draft.removed);
  const { state, log } = await readBack({ repo, goRoot: h.goRoot }, h.state);
  return { draft, fin, state, log, hosted: { ...h, repo, state } as Hosted };
}

const ADOPTED = new Map<RepoName, Promise<Hosted>>();
/** The Go repository, with timestamp (and server snapshot) keys rotated to the fake server's keys by the Go root key. */
function adopt(name: RepoName): Promise<Hosted> {
  if (!ADOPTED.has(name)) {
    ADOPTED.set(
      name,
      (async () => {
        const goRoot = goBytes(`repos/${name}/root.json`);
        const repo = loadServedRepo(name);
        const { state } = await readBack({ repo, goRoot });
        const keys = [...loadPrivateKeys(name).values()];
        const changes: Change[] = [{ type: "rotateKey", role: "timestamp", keys: [keyToJson(SERVER.timestamp.publicKey)] }];
        if (repoJson(name).snapshot_signed_by.startsWith("server")) {
          changes.push({ type: "rotateKey", role: "snapshot", keys: [keyToJson(SERVER.snapshot.publicKey)] });
        }
        const r = await publish({ name, repo, state, keys, goRoot }, changes);
        assert.equal(r.state.root.signed.version, state.root.signed.version + 1);
        return r.hosted;
      })(),
    );
  }
  return ADOPTED.get(name)!;
}

const keyById = (h: Hosted, id: string) => {
  const k = h.keys.find((x) => x.id === id);
  assert.ok(k, `Go private key ${id}`);
  return k;
};
const releasesCanonicalId = "165316756e71e16a039eab49f2933c4d962a421824482a64bf94dd86fff660ea";
const aliceId = "1602d3d06fcf3dadcb6178823ed2505b6b479e82f3199c864058119a234a04fc";

// ---------------------------------------------------------------------------------------------------------------------

test("adopting: the rotated timestamp/snapshot keys chain from the Go root, and all Go files still verify", async () => {
  for (const name of ["notary-basic", "notary-deleg"] as const) {
    const h = await adopt(name);
    const before = loadServedRepo(name);
    for (const [role, r] of h.state.roles) {
      assert.equal(r.status, "valid", role);
      assert.equal(text(r.file.bytes), text(before.current.get(role)!), `${role} is still Go's file`);
    }
    assert.equal(h.state.root.signed.roles["timestamp"]!.keyids[0], SERVER.timestamp.id);
  }
});

test("setTarget idempotence: the same meta (in any key order) leaves the draft clean and publishes nothing", async () => {
  const h = await adopt("notary-basic");
  const draft = draftOf(h.state);
  const t = h.state.roles.get("targets")!.file.signed.targets;
  for (const [name, m] of Object.entries(t)) {
    applyChange(draft, { type: "setTarget", role: "targets", name, meta: m });
    const reordered = JSON.parse(JSON.stringify({ hashes: m.hashes, length: m.length, ...(m.custom ? { custom: m.custom } : {}) })) as FileMeta;
    applyChange(draft, { type: "setTarget", role: "targets", name, meta: reordered });
  }
  applyChange(draft, { type: "removeTarget", role: "targets", name: "not-there" });
  applyChange(draft, { type: "removeDelegation", name: "targets/not-there" });
  assert.equal(draft.dirty.size, 0);
  const fin = finalizeDraft(draft, { keys: h.keys, now: NOW, snapshot: h.state.snapshot.signed });
  assert.deepEqual(fin.files, []);
  // delegations too: re-declaring alice exactly as Go wrote it is a no-op
  const d = await adopt("notary-deleg");
  const dd = draftOf(d.state);
  const top = d.state.roles.get("targets")!.file.signed.delegations;
  const alice = top.roles.find((r) => r.name === "targets/alice")!;
  applyChange(dd, { type: "setDelegation", name: "targets/alice", keys: alice.keyids.map((id) => top.keys[id]!), threshold: 1, paths: ["v1", "prod/"] });
  applyChange(dd, { type: "addDelegationKeys", name: "targets/alice", keys: [top.keys[aliceId]!] });
  assert.equal(dd.dirty.size, 0);
});

test("setTarget on notary-basic: the new targets file is Go's with one entry added (client-held snapshot, Go keys)", async () => {
  const h = await adopt("notary-basic");
  const m = meta("new content", true);
  const r = await publish(h, [{ type: "setTarget", role: "targets", name: "zzz-new", meta: m }]);
  assert.deepEqual(r.fin.files.map((f) => f.role), ["targets", "snapshot"]);
  const t = r.fin.targets.get("targets")!;
  const go = GO_CANONICAL.get("repos/notary-basic/targets.json")!;
  const entry = `"zzz-new":{"hashes":{"sha256":"${m.hashes["sha256"]}","sha512":"${m.hashes["sha512"]}"},"length":11}`;
  const expected = go
    .replace(/"expires":"[^"]+"/, `"expires":"${t.signed.expires}"`)
    .replace(/},"version":3}$/, `,${entry}},"version":4}`); // "zzz-new" sorts last: appended to `targets`
  assert.equal(parseEnvelope(t.bytes, "targets").signedBytes.length, Buffer.byteLength(expected));
  assert.equal(text(parseEnvelope(t.bytes, "targets").signedBytes), expected);
  assert.equal(t.signed.expires, formatGoTime(new Date(NOW.getTime() + 1095 * DAY_MS)));
  // read back under the Go root
  assert.equal(r.state.roles.get("targets")!.file.signed.version, 4);
  assert.equal(r.state.snapshot.signed.version, h.state.snapshot.signed.version + 1);
  assert.deepEqual(lookupTarget(r.state, "zzz-new")!.meta, m);
  assert.deepEqual(r.state.snapshot.signatures.map((s) => s.keyid), ["7803bf6fd5b28b9757e642392452323485d1b333bd6b39b59b6a2e83801ac8a9"]);
  assert.equal(listTargets(r.state).length, 13);
});

test("witness re-signs with version+1 and the expiry from the policy; bytes equal Go's apart from those two", async () => {
  // Pure: a draft straight over the Go state, signed with the Go keys, checked against the Go root's keys.
  const goRepo = loadServedRepo("notary-basic");
  const keys = [...loadPrivateKeys("notary-basic").values()];
  {
    const { state } = await readBack({ repo: goRepo, goRoot: goBytes("repos/notary-basic/root.json") });
    const policy: ExpiryPolicy = { root: 400 * DAY_MS, targets: 30 * DAY_MS, snapshot: 60 * DAY_MS };
    const draft = draftOf(state);
    for (const role of ["targets", "root", "snapshot"]) applyChange(draft, { type: "witness", role });
    assert.deepEqual([...draft.dirty].sort(), ["root", "snapshot", "targets"]);
    const fin = finalizeDraft(draft, { keys, now: NOW, expiry: policy, snapshot: state.snapshot.signed });
    assert.deepEqual(fin.files.map((f) => f.role), ["root", "targets", "snapshot"]);
    const cases = [
      { role: "root", file: "repos/notary-basic/root.json", version: 1, ms: policy.root!, bytes: fin.root!.bytes },
      { role: "targets", file: "repos/notary-basic/targets.json", version: 3, ms: policy.targets!, bytes: fin.targets.get("targets")!.bytes },
    ];
    for (const c of cases) {
      const expires = formatGoTime(new Date(NOW.getTime() + c.ms));
      const expected = GO_CANONICAL.get(c.file)!
        .replace(/"expires":"[^"]+"/, `"expires":"${expires}"`)
        .replace(new RegExp(`"version":${c.version}}$`), `"version":${c.version + 1}}`);
      const env = parseEnvelope(c.bytes, c.role);
      assert.equal(text(env.signedBytes), expected, c.role);
      const root = state.root.signed;
      verifyThreshold(env, { keys: root.keys, keyids: root.roles[c.role]!.keyids, threshold: 1 }, c.role);
    }
    const snap = fin.snapshot!.signed;
    assert.equal(snap.version, state.snapshot.signed.version + 1);
    assert.equal(snap.expires, formatGoTime(new Date(NOW.getTime() + policy.snapshot!)));
    assert.deepEqual(snap.meta["root"], fileMeta(fin.root!.bytes));
    assert.deepEqual(snap.meta["targets"], fileMeta(fin.targets.get("targets")!.bytes));
  }
});

test("witness of a delegation uses the delegation lifetime and the delegation's key (notary-deleg, x509 key)", async () => {
  const h = await adopt("notary-deleg");
  const r = await publish(h, [{ type: "witness", role: "targets/releases" }], h.keys, { targets: 10 * DAY_MS, delegation: 20 * DAY_MS });
  assert.deepEqual(r.fin.files.map((f) => f.role), ["targets/releases"]);
  const rel = r.state.roles.get("targets/releases")!;
  assert.equal(rel.status, "valid");
  assert.equal(rel.file.signed.version, 3);
  assert.equal(rel.file.signed.expires, formatGoTime(new Date(NOW.getTime() + 20 * DAY_MS)));
  assert.deepEqual(rel.file.signatures.map((s) => s.keyid), ["662e77cd07c8e69162186c877aa52e542d515eba0d912cdb7b5b32383e7117e2"]);
  assert.equal(keyById(h, releasesCanonicalId).id, releasesCanonicalId);
  assert.equal(r.state.snapshot.signed.version, h.state.snapshot.signed.version + 1);
  assert.throws(() => applyChange(draftOf(h.state), { type: "witness", role: "timestamp" }), INVALID);
});

test("TARGET_NOT_ALLOWED outside a role's effective paths (alice: v1, prod/; alice/qa: prod/qa)", async () => {
  const h = await adopt("notary-deleg");
  const draft = draftOf(h.state);
  const cases: [string, string, boolean][] = [
    ["targets/alice", "other/x", false],
    ["targets/alice", "v1", true],
    ["targets/alice", "v10", true], // prefix match, as Go's strings.HasPrefix
    ["targets/alice", "prod/new", true],
    ["targets/alice/qa", "prod/app2", false],
    ["targets/alice/qa", "prod/qa/x", true],
    ["targets/releases", "anything", true],
    ["targets", "anything", true],
  ];
  for (const [role, name, ok] of cases) {
    const change: Change = { type: "setTarget", role, name, meta: meta(name) };
    if (ok) applyChange(draft, change);
    else assert.throws(() => applyChange(draft, change), { code: "TARGET_NOT_ALLOWED" }, `${name} in ${role}`);
  }
  assert.throws(() => applyChange(draft, { type: "setTarget", role: "snapshot", name: "x", meta: meta("x") }), INVALID);
  assert.throws(() => applyChange(draft, { type: "setTarget", role: "targets/nobody", name: "x", meta: meta("x") }), INVALID);
  // values Go cannot canonicalize are refused before signing
  assert.throws(() => applyChange(draft, { type: "setTarget", role: "targets", name: "tab\there", meta: meta("x") }), { code: "CANONICAL_JSON_UNSUPPORTED" });
  assert.throws(() => applyChange(draft, { type: "setTarget", role: "targets", name: "f", meta: { ...meta("x"), custom: { a: 1.5 } } }), {
    code: "CANONICAL_JSON_UNSUPPORTED",
  });
  const k = h.state.roles.get("targets")!.file.signed.delegations.keys[aliceId]!;
  assert.throws(() => applyChange(draft, { type: "setDelegation", name: "targets/ci", keys: [k], threshold: 1, paths: ["nl\nx"] }), {
    code: "CANONICAL_JSON_UNSUPPORTED",
  });
});

test("a nested delegation's paths are restricted by its parent's on read (alice/qa2: prod/qa2 kept, other/ dropped)", async () => {
  const h = await adopt("notary-deleg");
  const top = h.state.roles.get("targets")!.file.signed.delegations;
  const r = await publish(h, [
    { type: "setDelegation", name: "targets/alice/qa2", keys: [top.keys[aliceId]!], threshold: 1, paths: ["prod/qa2", "other/"] },
    { type: "setTarget", role: "targets/alice/qa2", name: "prod/qa2/build", meta: meta("qa2") },
  ]);
  assert.deepEqual(r.fin.files.map((f) => f.role), ["targets/alice", "targets/alice/qa2"]);
  const qa2 = r.state.roles.get("targets/alice/qa2")!;
  assert.equal(qa2.status, "valid");
  assert.equal(qa2.file.signed.version, 1);
  assert.deepEqual(qa2.paths, ["prod/qa2"]);
  assert.deepEqual(r.state.roles.get("targets/alice")!.file.signed.delegations.roles.map((d) => [d.name, d.paths]), [
    ["targets/alice/qa", ["prod/qa"]],
    ["targets/alice/qa2", ["prod/qa2", "other/"]],
  ]);
  assert.equal(lookupTarget(r.state, "prod/qa2/build")!.role, "targets/alice/qa2");
  // the draft knows the restriction too
  const draft = draftOf(r.state);
  assert.throws(() => applyChange(draft, { type: "setTarget", role: "targets/alice/qa2", name: "other/x", meta: meta("o") }), {
    code: "TARGET_NOT_ALLOWED",
  });
});

test("removeDelegation drops the role and its nested roles, from the parent and from the snapshot", async () => {
  const h = await adopt("notary-deleg");
  const r = await publish(h, [{ type: "removeDelegation", name: "targets/alice" }]);
  assert.deepEqual([...r.draft.removed].sort(), ["targets/alice", "targets/alice/qa"]);
  assert.deepEqual(r.fin.files.map((f) => f.role), ["targets"]);
  assert.deepEqual([...r.state.roles.keys()], ["targets", "targets/releases"]);
  assert.deepEqual(Object.keys(r.state.snapshot.signed.meta).sort(), ["root", "targets", "targets/releases"]);
  const top = r.state.roles.get("targets")!.file.signed.delegations;
  assert.deepEqual(top.roles.map((d) => d.name), ["targets/releases"]);
  assert.deepEqual(Object.keys(top.keys), ["662e77cd07c8e69162186c877aa52e542d515eba0d912cdb7b5b32383e7117e2"], "alice's key is dropped with its role");
  assert.equal(lookupTarget(r.state, "prod/app"), undefined);
  assert.equal(lookupTarget(r.state, "v1")!.role, "targets/releases");
});

test("addDelegationKeys / removeDelegationKeys, keys named by canonical ID (x509 releases key)", async () => {
  const h = await adopt("notary-deleg");
  const top = h.state.roles.get("targets")!.file.signed.delegations;
  const x509Id = "662e77cd07c8e69162186c877aa52e542d515eba0d912cdb7b5b32383e7117e2";
  assert.equal(canonicalKeyId(keyFromJson(top.keys[x509Id]!)), releasesCanonicalId);
  // add alice's key to releases, then remove the x509 key by its canonical ID; re-sign releases with alice's key
  const r = await publish(
    h,
    [
      { type: "addDelegationKeys", name: "targets/releases", keys: [top.keys[aliceId]!] },
      { type: "removeDelegationKeys", name: "targets/releases", keyIds: [releasesCanonicalId] },
      { type: "witness", role: "targets/releases" },
    ],
    [keyById(h, aliceId), keyById(h, "8ad4037299767612a80fe73f6410a164fb8627cd45106339c96ded449dd92b3e")],
  );
  const d = r.state.roles.get("targets")!.file.signed.delegations;
  assert.deepEqual(d.roles.find((x) => x.name === "targets/releases")!.keyids, [aliceId]);
  assert.ok(!(x509Id in d.keys), "the unused x509 key is dropped");
  const rel = r.state.roles.get("targets/releases")!;
  assert.equal(rel.status, "valid");
  assert.deepEqual(rel.file.signatures.map((s) => s.keyid), [aliceId]);

  // adding keys to a delegation that does not exist creates it (threshold 1, given paths)
  const draft = draftOf(h.state);
  const newKey = keyToJson(PrivateKey.generate().publicKey);
  applyChange(draft, { type: "addDelegationKeys", name: "targets/ci", keys: [newKey], paths: ["ci/"] });
  const ci = draft.targets.get("targets")!.delegations.roles.find((x) => x.name === "targets/ci")!;
  assert.deepEqual(ci, { keyids: [keyJsonId(newKey)], name: "targets/ci", threshold: 1, paths: ["ci/"] });
  // removing every key removes the delegation
  applyChange(draft, { type: "removeDelegationKeys", name: "targets/ci", keyIds: [keyJsonId(newKey)] });
  assert.equal(draft.targets.get("targets")!.delegations.roles.some((x) => x.name === "targets/ci"), false);
});

test("threshold above the key count (or below 1) → METADATA_INVALID_CHANGE", async () => {
  const h = await adopt("notary-deleg");
  const draft = draftOf(h.state);
  const k: KeyJson = h.state.roles.get("targets")!.file.signed.delegations.keys[aliceId]!;
  assert.throws(() => applyChange(draft, { type: "setDelegation", name: "targets/x", keys: [k], threshold: 2, paths: [""] }), INVALID);
  assert.throws(() => applyChange(draft, { type: "setDelegation", name: "targets/x", keys: [k], threshold: 0, paths: [""] }), INVALID);
  assert.throws(() => applyChange(draft, { type: "setDelegation", name: "targets/x", keys: [k, k], threshold: 2, paths: [""] }), INVALID, "the same key twice counts once");
  assert.throws(() => applyChange(draft, { type: "rotateKey", role: "targets", keys: [k], threshold: 2 }), INVALID);
  assert.throws(() => applyChange(draft, { type: "setDelegation", name: "releases", keys: [k], threshold: 1, paths: [""] }), { code: "ROLE_NAME_INVALID" });
  assert.equal(draft.dirty.size, 0);
});

test("rotateKey root: the new root is signed by the old and the new key and chains from the Go root", async () => {
  const h = await adopt("notary-basic");
  const goRootKeyId = "0e5a522aa4442799654e407e3f1ef70b6c72dcb70ed17f3e7c917770202235cf";
  const oldCertId = h.state.root.signed.roles["root"]!.keyids[0]!;
  const newKey = PrivateKey.generate();
  const pem = createRootCertificate({ gun: h.repo.gun, privateKeyPkcs8: newKey.exportPkcs8(), notBefore: new Date(NOW.getTime() - 3600_000), serial: 42n });
  const certJson = keyToJson(publicKeyFromCertificatePem(pem));
  const change: Change = { type: "rotateKey", role: "root", keys: [certJson] };
  const others = h.keys.filter((k) => k.id !== goRootKeyId);

  const missingOld = draftOf(h.state);
  applyChange(missingOld, change);
  assert.throws(() => finalizeDraft(missingOld, { keys: [...others, newKey], now: NOW, snapshot: h.state.snapshot.signed }), { code: "SIGNING_KEY_MISSING" });
  assert.throws(() => finalizeDraft(missingOld, { keys: h.keys, now: NOW, snapshot: h.state.snapshot.signed }), { code: "SIGNING_KEY_MISSING" });

  const r = await publish(h, [change], [...h.keys, newKey]);
  const root = r.state.root.signed;
  assert.equal(root.version, h.state.root.signed.version + 1);
  assert.deepEqual(root.roles["root"]!.keyids, [keyJsonId(certJson)]);
  assert.ok(oldCertId in root.keys, "the old root certificate stays in keys, as Go keeps it");
  assert.deepEqual(r.state.root.signatures.map((s) => s.keyid).sort(), [keyJsonId(certJson), oldCertId].sort());
  // reading from the Go root (v1) walks the adopted v2 and reaches the rotated v3
  assert.deepEqual(r.log.filter((l) => /root/.test(l.name)).map((l) => l.name), ["root", "2.root"]);
  // and the new root can be pinned by the new key's canonical ID
  const { fetch } = fakeFetcher(r.hosted.repo);
  const pinned = await updateRepository({ gun: h.repo.gun, fetch, now: NOW, anchor: { rootKeyIds: [newKey.id] } });
  assert.equal(pinned.root.signed.version, root.version);

  const bad = draftOf(h.state);
  assert.throws(() => applyChange(bad, { type: "rotateKey", role: "root", keys: [keyToJson(newKey.publicKey)] }), INVALID);
});

test("rotateKey targets re-signs targets with the new key (and root with the Go root key)", async () => {
  const h = await adopt("notary-basic");
  const newTargets = PrivateKey.generate();
  const r = await publish(h, [{ type: "rotateKey", role: "targets", keys: [keyToJson(newTargets.publicKey)] }], [...h.keys, newTargets]);
  assert.deepEqual(r.fin.files.map((f) => f.role), ["root", "targets", "snapshot"]);
  assert.deepEqual(r.state.roles.get("targets")!.file.signatures.map((s) => s.keyid), [newTargets.id]);
  assert.ok(!("631a7143b81c6d6093cc1208d754a0a9f0954511fff841f3a3bad403aca659a0" in r.state.root.signed.keys), "old targets key dropped");
  assert.equal(listTargets(r.state).length, 12);
});

test("SIGNING_KEY_MISSING when the role's key is not given", async () => {
  const h = await adopt("notary-deleg");
  const draft = draftOf(h.state);
  applyChange(draft, { type: "setTarget", role: "targets/alice", name: "prod/x", meta: meta("x") });
  assert.throws(() => finalizeDraft(draft, { keys: h.keys.filter((k) => k.id !== aliceId), now: NOW }), { code: "SIGNING_KEY_MISSING" });
});

test("10,000 targets added in one draft: completes, and the file verifies under the Go root", async () => {
  const h = await adopt("notary-basic");
  const changes: Change[] = [];
  for (let i = 0; i < 10_000; i++) {
    changes.push({
      type: "setTarget",
      role: "targets",
      name: `bulk/${i}`,
      meta: { length: i, hashes: { sha256: createHash("sha256").update(String(i)).digest("base64") } },
    });
  }
  const r = await publish(h, changes);
  assert.deepEqual(r.fin.files.map((f) => f.role), ["targets", "snapshot"]);
  const t = r.state.roles.get("targets")!;
  assert.equal(t.status, "valid");
  assert.equal(Object.keys(t.file.signed.targets).length, 10_012);
  assert.equal(lookupTarget(r.state, "bulk/9999")!.meta.length, 9999);
  assert.equal(r.state.snapshot.signed.meta["targets"]!.length, t.file.bytes.length);
});

test("removeTarget and witness of root/snapshot: idempotent, copy-on-write (the verified models are never changed)", async () => {
  const h = await adopt("notary-basic");
  const verified = h.state.roles.get("targets")!.file.signed;
  const name = Object.keys(verified.targets)[0]!;
  const draft = draftOf(h.state);
  applyChange(draft, { type: "removeTarget", role: "targets", name: "no-such-target" });
  assert.equal(draft.dirty.size, 0, "removing an absent target changes nothing");
  applyChange(draft, { type: "removeTarget", role: "targets", name });
  assert.deepEqual([...draft.dirty], ["targets"]);
  assert.ok(!(name in draft.targets.get("targets")!.targets));
  assert.ok(name in verified.targets, "the verified targets keep the target");
  applyChange(draft, { type: "witness", role: "root" });
  applyChange(draft, { type: "witness", role: "snapshot" });
  assert.deepEqual([...draft.dirty].sort(), ["root", "snapshot", "targets"]);
  assert.equal(draft.root, h.state.root.signed, "a witnessed root is re-signed by finalizeDraft, not copied here");
  assert.throws(() => applyChange(draft, { type: "witness", role: "targets/nobody" }), INVALID);
});
