/**
 * Interop, direction 1: what the SDK initializes, signs, delegates, removes, witnesses and re-expires is verified and
 * shown exactly as meant by the Go tools (`notary list`, `notary lookup`, `notary delegation list`, notary's own cache
 * of what it verified, and `docker trust inspect`). Also: the SDK refuses what it cannot sign before sending anything,
 * and a real server rejection is surfaced with its code and advice.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import { dockerTrustInspect, hasDocker, makeTempDir, notaryCli, notaryOk } from "../support/stack.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { keyToJson } from "../../sdk/src/crypto/keys.ts";
import { targetMetaFor } from "../../sdk/src/metadata/hashes.ts";
import { listTargets, lookupTarget } from "../../sdk/src/trust/read.ts";
import type { NotaryError } from "../../sdk/src/errors.ts";
import {
  DAY_MS,
  assertExpiresIn,
  byName,
  cachedMeta,
  clientFor,
  clientPerSuite,
  expectedList,
  manifest,
  parseDelegationList,
  parseLookup,
  parseNotaryList,
  rootCertKey,
  serverFingerprint,
  sha256HexOf,
  versionsOf,
  writeImportableKey,
} from "./interop-helpers.ts";

const YEAR_MS = 365 * DAY_MS;

describe("interop: SDK writes, notary and docker verify", { timeout: 120_000 }, () => {
  const server = notaryServerPerFile({ tls: true });
  const client = clientPerSuite(server);

  const notary = (args: string[], trustDir: string): Promise<string> => notaryOk(args, { trustDir, server });

  it("server-managed snapshot: initialize and targets are listed and looked up exactly by notary", async () => {
    const gun = `${server.host}/publish/server-snapshot`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const repo = client.repository(gun, { anchor: { tofu: true } });
    const t0 = Date.now();
    const init = await repo.initialize({ rootKey, targetsKey });
    const t1 = Date.now();
    assert.deepEqual(versionsOf(init), { root: 1, targets: 1, snapshot: 1, timestamp: 1 });

    const trustDir = await makeTempDir("notary-view");
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), []);
    // notary verified and cached exactly our root and targets; the snapshot is signed by the server's key.
    const root = await cachedMeta(trustDir, gun, "root");
    assert.equal(root.signed.version, 1);
    assert.deepEqual(root.signed["roles"], init.root.signed.roles);
    const certId = init.root.signed.roles["root"]!.keyids[0]!;
    assert.equal((root.signed["keys"] as Record<string, { keytype: string }>)[certId]!.keytype, "ecdsa-x509");
    assert.deepEqual(root.signatures.map((s) => [s.keyid, s.method]), [[certId, "ecdsa"]]);
    assertExpiresIn(root.signed.expires, 10 * YEAR_MS, t0, t1, "root");
    const targets = await cachedMeta(trustDir, gun, "targets");
    assert.deepEqual(targets.signatures.map((s) => s.keyid), [targetsKey.id]);
    assertExpiresIn(targets.signed.expires, 3 * YEAR_MS, t0, t1, "targets");
    const snapshot = await cachedMeta(trustDir, gun, "snapshot");
    const snapKeyId = init.root.signed.roles["snapshot"]!.keyids[0]!;
    assert.equal(init.root.signed.keys[snapKeyId]!.keytype, "ed25519", "the server's local signer makes ed25519 keys");
    assert.deepEqual(snapshot.signatures.map((s) => [s.keyid, s.method]), [[snapKeyId, "eddsa"]]);

    const a = manifest("server-snapshot a");
    const b = targetMetaFor(new TextEncoder().encode("hello"), ["sha256", "sha512"]);
    const r = await repo.publish(
      [
        { type: "setTarget", role: "targets", name: "v1", meta: a.meta },
        { type: "setTarget", role: "targets", name: "latest", meta: b },
        { type: "setTarget", role: "targets", name: "rc 1 ü", meta: a.meta },
      ],
      { keys: [targetsKey] },
    );
    assert.deepEqual(r.published, ["targets"]);
    const listed = parseNotaryList(await notary(["list", gun], trustDir));
    const helloHex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    assert.deepEqual(listed, [
      { name: "latest", digest: helloHex, size: 5, role: "targets" },
      { name: "rc 1 ü", digest: a.digest, size: a.size, role: "targets" },
      { name: "v1", digest: a.digest, size: a.size, role: "targets" },
    ]);
    assert.deepEqual(listed, expectedList(r.state));
    assert.deepEqual(parseLookup(await notary(["lookup", gun, "v1"], trustDir)), { name: "v1", digest: a.digest, size: a.size });
    assert.deepEqual(parseLookup(await notary(["lookup", gun, "latest"], trustDir)), { name: "latest", digest: helloHex, size: 5 });
    // notary verified the new versions: targets 2, snapshot and timestamp made by the server.
    assert.equal((await cachedMeta(trustDir, gun, "targets")).signed.version, 2);
    assert.deepEqual(versionsOf(r.state), { root: 1, targets: 2, snapshot: 2, timestamp: 2 });
    const cachedTargets = (await cachedMeta(trustDir, gun, "targets")).signed["targets"] as Record<string, unknown>;
    assert.deepEqual(cachedTargets["latest"], b, "sha512 survives as written");
  });

  it("client-held snapshot key: the snapshot we sign is what notary verifies", async () => {
    const gun = `${server.host}/publish/client-snapshot`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const snapshotKey = PrivateKey.generate();
    const repo = client.repository(gun, { anchor: { tofu: true } });
    const init = await repo.initialize({ rootKey, targetsKey, snapshotKey });
    assert.deepEqual(init.root.signed.roles["snapshot"]!.keyids, [snapshotKey.id]);
    const m = manifest("client-snapshot");
    const r = await repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: m.meta }], { keys: [targetsKey, snapshotKey] });
    assert.deepEqual(r.published.sort(), ["snapshot", "targets"]);

    const trustDir = await makeTempDir("notary-view");
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [{ name: "v1", digest: m.digest, size: m.size, role: "targets" }]);
    const snap = await cachedMeta(trustDir, gun, "snapshot");
    assert.equal(snap.signed.version, 2);
    assert.deepEqual(snap.signatures.map((s) => [s.keyid, s.method]), [[snapshotKey.id, "ecdsa"]]);
    // byte-identical: notary cached exactly the snapshot bytes we uploaded.
    assert.equal(JSON.stringify(snap), JSON.stringify(JSON.parse(new TextDecoder().decode(r.state.snapshot.bytes))));
  });

  it("delegations (releases, signer-style, nested, paths, threshold 2) and their removal, as notary and docker show them", async () => {
    const gun = `${server.host}/publish/delegations`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const alice = PrivateKey.generate();
    const aKey = PrivateKey.generate();
    const bKey = PrivateKey.generate();
    const ci1 = PrivateKey.generate();
    const ci2 = PrivateKey.generate();
    const repo = client.repository(gun, { anchor: { tofu: true } });
    const init = await repo.initialize({ rootKey, targetsKey });
    const certId = init.root.signed.roles["root"]!.keyids[0]!;

    await repo.publish(
      [
        { type: "setDelegation", name: "targets/releases", keys: [keyToJson(alice.publicKey)], threshold: 1, paths: [""] },
        { type: "setDelegation", name: "targets/alice", keys: [keyToJson(alice.publicKey)], threshold: 1, paths: [""] },
        { type: "setDelegation", name: "targets/a", keys: [keyToJson(aKey.publicKey)], threshold: 1, paths: ["a/"] },
        { type: "setDelegation", name: "targets/ci", keys: [keyToJson(ci1.publicKey), keyToJson(ci2.publicKey)], threshold: 2, paths: ["ci/"] },
      ],
      { keys: [targetsKey] },
    );
    // The nested delegation is signed into targets/a by targets/a's key; "x/" lies outside the parent's "a/".
    await repo.publish([{ type: "setDelegation", name: "targets/a/b", keys: [keyToJson(bKey.publicKey)], threshold: 1, paths: ["a/b/", "x/"] }], {
      keys: [aKey],
    });

    const v1 = manifest("delegations v1");
    const tool = manifest("delegations tool");
    const build = manifest("delegations build");
    await repo.publish(
      [
        { type: "setTarget", role: "targets/releases", name: "v1", meta: v1.meta },
        { type: "setTarget", role: "targets/alice", name: "v1", meta: v1.meta },
        { type: "setTarget", role: "targets/a/b", name: "a/b/tool", meta: tool.meta },
      ],
      { keys: [alice, bKey] },
    );

    // Paths: outside a/b's own paths, and inside its paths but outside its parent's: refused, nothing published.
    const before1 = await serverFingerprint(server, gun);
    await assert.rejects(
      repo.publish(
        [
          { type: "setTarget", role: "targets/a/b", name: "a/b/ok", meta: tool.meta },
          { type: "setTarget", role: "targets/a/b", name: "a/c", meta: tool.meta },
        ],
        { keys: [bKey] },
      ),
      { code: "TARGET_NOT_ALLOWED" },
    );
    await assert.rejects(repo.publish([{ type: "setTarget", role: "targets/a/b", name: "x/1", meta: tool.meta }], { keys: [bKey] }), {
      code: "TARGET_NOT_ALLOWED",
    });
    // Threshold 2: one of the two keys is not enough, and the client says so before sending anything.
    await assert.rejects(repo.publish([{ type: "setTarget", role: "targets/ci", name: "ci/build", meta: build.meta }], { keys: [ci1] }), {
      code: "SIGNING_KEY_MISSING",
    });
    assert.deepEqual(await serverFingerprint(server, gun), before1, "nothing was published");

    const r = await repo.publish([{ type: "setTarget", role: "targets/ci", name: "ci/build", meta: build.meta }], { keys: [ci1, ci2] });
    assert.deepEqual(r.published, ["targets/ci"]);

    const trustDir = await makeTempDir("notary-view");
    const listed = parseNotaryList(await notary(["list", gun], trustDir));
    assert.deepEqual(listed, [
      { name: "a/b/tool", digest: tool.digest, size: tool.size, role: "targets/a/b" },
      { name: "ci/build", digest: build.digest, size: build.size, role: "targets/ci" },
      { name: "v1", digest: v1.digest, size: v1.size, role: "targets/releases" },
    ]);
    assert.deepEqual(listed, expectedList(r.state));
    assert.deepEqual(parseNotaryList(await notary(["list", gun, "--roles", "targets/alice"], trustDir)), [
      { name: "v1", digest: v1.digest, size: v1.size, role: "targets/alice" },
    ]);
    assert.deepEqual(parseLookup(await notary(["lookup", gun, "a/b/tool"], trustDir)), { name: "a/b/tool", digest: tool.digest, size: tool.size });
    const ciFile = await cachedMeta(trustDir, gun, "targets/ci");
    assert.deepEqual(ciFile.signatures.map((s) => s.keyid).sort(), [ci1.id, ci2.id].sort(), "targets/ci carries both signatures");

    assert.deepEqual(parseDelegationList(await notary(["delegation", "list", gun], trustDir)), [
      { role: "targets/a", paths: ["a/"], keyIds: [aKey.id], threshold: 1 },
      { role: "targets/a/b", paths: ["a/b/", "x/"], keyIds: [bKey.id], threshold: 1 },
      { role: "targets/alice", paths: [""], keyIds: [alice.id], threshold: 1 },
      { role: "targets/ci", paths: ["ci/"], keyIds: [ci1.id, ci2.id], threshold: 2 },
      { role: "targets/releases", paths: [""], keyIds: [alice.id], threshold: 1 },
    ]);

    const image = gun;
    if (hasDocker()) {
      const configDir = await makeTempDir("docker-view");
      const [info] = await dockerTrustInspect(image, { configDir, server });
      assert.deepEqual(info, {
        Name: image,
        SignedTags: [{ SignedTag: "v1", Digest: v1.digest, Signers: ["alice"] }],
        Signers: [
          { Name: "ci", Keys: [{ ID: ci1.id }, { ID: ci2.id }] },
          { Name: "alice", Keys: [{ ID: alice.id }] },
          { Name: "a/b", Keys: [{ ID: bKey.id }] },
          { Name: "a", Keys: [{ ID: aKey.id }] },
        ],
        AdministrativeKeys: [
          { Name: "Root", Keys: [{ ID: certId }] },
          { Name: "Repository", Keys: [{ ID: targetsKey.id }] },
        ],
      });
    }

    // Removal: a target from both roles, and a delegation subtree (targets/a and with it targets/a/b).
    const removed = await repo.publish(
      [
        { type: "removeTarget", role: "targets/releases", name: "v1" },
        { type: "removeTarget", role: "targets/alice", name: "v1" },
      ],
      { keys: [alice] },
    );
    assert.deepEqual(removed.published.sort(), ["targets/alice", "targets/releases"]);
    const removed2 = await repo.publish([{ type: "removeDelegation", name: "targets/a" }], { keys: [targetsKey] });
    assert.deepEqual(removed2.published, ["targets"]);
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [
      { name: "ci/build", digest: build.digest, size: build.size, role: "targets/ci" },
    ]);
    assert.deepEqual(
      parseDelegationList(await notary(["delegation", "list", gun], trustDir)).map((d) => d.role),
      ["targets/alice", "targets/ci", "targets/releases"],
    );
    await assert.rejects(notary(["lookup", gun, "v1"], trustDir), /No valid trust data for v1|not found/i);
    if (hasDocker()) {
      const configDir = await makeTempDir("docker-view");
      const [info] = await dockerTrustInspect(image, { configDir, server });
      assert.deepEqual(info?.SignedTags, []);
      assert.deepEqual(info?.Signers.map((s) => s.Name), ["ci", "alice"]);
    }
  });

  it("witness: every witnessed role gets version+1 and a fresh expiry, and notary with a cached copy accepts it", async () => {
    const gun = `${server.host}/publish/witness`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const rel = PrivateKey.generate();
    const repo = client.repository(gun, { anchor: { tofu: true }, expiry: { targets: 2 * DAY_MS, delegation: 2 * DAY_MS, root: 400 * DAY_MS } });
    await repo.initialize({ rootKey, targetsKey });
    const m = manifest("witness");
    await repo.publish([{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(rel.publicKey)], threshold: 1, paths: [""] }], {
      keys: [targetsKey],
    });
    const s0 = (await repo.publish([{ type: "setTarget", role: "targets/releases", name: "v1", meta: m.meta }], { keys: [rel] })).state;
    const trustDir = await makeTempDir("notary-view");
    await notary(["list", gun], trustDir); // caches the pre-witness versions
    const cached0 = await cachedMeta(trustDir, gun, "targets/releases");
    assert.equal(cached0.signed.version, s0.roles.get("targets/releases")!.file.signed.version);

    // Witness with a longer lifetime, as `notary witness` re-signs with a fresh expiry.
    client.repository(gun, { expiry: { targets: 40 * DAY_MS, delegation: 50 * DAY_MS, root: 500 * DAY_MS } });
    const t0 = Date.now();
    const w = await repo.publish(
      [
        { type: "witness", role: "targets" },
        { type: "witness", role: "targets/releases" },
        { type: "witness", role: "root" },
      ],
      { keys: [targetsKey, rel, rootKey] },
    );
    const t1 = Date.now();
    assert.deepEqual(w.published.sort(), ["root", "targets", "targets/releases"]);
    const v0 = versionsOf(s0);
    const v1 = versionsOf(w.state);
    for (const role of ["root", "targets", "targets/releases", "snapshot", "timestamp"]) {
      assert.equal(v1[role], v0[role]! + 1, `${role} version went up by one`);
    }
    // Contents are unchanged, only version and expiry moved.
    assert.deepEqual(w.state.roles.get("targets/releases")!.file.signed.targets, s0.roles.get("targets/releases")!.file.signed.targets);

    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [{ name: "v1", digest: m.digest, size: m.size, role: "targets/releases" }]);
    const root = await cachedMeta(trustDir, gun, "root");
    const targets = await cachedMeta(trustDir, gun, "targets");
    const releases = await cachedMeta(trustDir, gun, "targets/releases");
    assert.equal(root.signed.version, v1["root"]);
    assert.equal(targets.signed.version, v1["targets"]);
    assert.equal(releases.signed.version, v1["targets/releases"]);
    assertExpiresIn(root.signed.expires, 500 * DAY_MS, t0, t1, "witnessed root");
    assertExpiresIn(targets.signed.expires, 40 * DAY_MS, t0, t1, "witnessed targets");
    assertExpiresIn(releases.signed.expires, 50 * DAY_MS, t0, t1, "witnessed targets/releases");
    assert.ok(releases.signed.expires > cached0.signed.expires, "fresh expiry");
  });

  it("a delegation removed and re-created with a new key does not bring back the targets its old key signed", async () => {
    // The server's own snapshot keeps listing a removed delegation's file, so after re-creating the delegation the
    // stale file is still served (and fails verification: its signer is gone). notary itself cannot publish here
    // (it starts the role at version 1 and gets VERSION); we must start from an empty file above the stale version,
    // never re-sign the stale content with the new key.
    const gun = `${server.host}/publish/recreated-delegation`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const oldKey = PrivateKey.generate();
    const newKey = PrivateKey.generate();
    const repo = client.repository(gun, { anchor: { tofu: true } });
    await repo.initialize({ rootKey, targetsKey });
    const stale = manifest("recreated stale");
    const fresh = manifest("recreated fresh");
    await repo.publish([{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(oldKey.publicKey)], threshold: 1, paths: [""] }], {
      keys: [targetsKey],
    });
    const s1 = (await repo.publish([{ type: "setTarget", role: "targets/releases", name: "stale", meta: stale.meta }], { keys: [oldKey] })).state;
    const staleVersion = s1.roles.get("targets/releases")!.file.signed.version;
    await repo.publish([{ type: "removeDelegation", name: "targets/releases" }], { keys: [targetsKey] });
    const s2 = (
      await repo.publish([{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(newKey.publicKey)], threshold: 1, paths: [""] }], {
        keys: [targetsKey],
      })
    ).state;
    assert.equal(s2.roles.get("targets/releases")?.status, "invalid", "the server still serves the stale file");

    const r = await repo.publish([{ type: "setTarget", role: "targets/releases", name: "fresh", meta: fresh.meta }], { keys: [newKey] });
    assert.deepEqual(Object.keys(r.state.roles.get("targets/releases")!.file.signed.targets), ["fresh"]);
    assert.equal(r.state.roles.get("targets/releases")!.file.signed.version, staleVersion + 1);
    const trustDir = await makeTempDir("notary-view");
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [
      { name: "fresh", digest: fresh.digest, size: fresh.size, role: "targets/releases" },
    ]);
  });

  it("raising a delegation's threshold invalidates its file for notary and us alike; a witness with enough keys re-signs it", async () => {
    const gun = `${server.host}/publish/threshold-raised`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const k1 = PrivateKey.generate();
    const k2 = PrivateKey.generate();
    const repo = client.repository(gun, { anchor: { tofu: true } });
    await repo.initialize({ rootKey, targetsKey });
    const m = manifest("threshold raised");
    await repo.publish([{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(k1.publicKey)], threshold: 1, paths: [""] }], {
      keys: [targetsKey],
    });
    await repo.publish([{ type: "setTarget", role: "targets/releases", name: "v1", meta: m.meta }], { keys: [k1] });
    const row = { name: "v1", digest: m.digest, size: m.size, role: "targets/releases" };
    const trustDir = await makeTempDir("notary-view");
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [row]);

    const raised = await repo.publish(
      [{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(k1.publicKey), keyToJson(k2.publicKey)], threshold: 2, paths: [""] }],
      { keys: [targetsKey] },
    );
    assert.equal(raised.state.roles.get("targets/releases")!.status, "invalid");
    assert.deepEqual(expectedList(raised.state), []);
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [], "notary skips the under-signed file too");

    const w = await repo.publish([{ type: "witness", role: "targets/releases" }], { keys: [k1, k2] });
    assert.deepEqual(w.published, ["targets/releases"]);
    assert.equal(w.state.roles.get("targets/releases")!.status, "valid");
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [row]);
    assert.deepEqual((await cachedMeta(trustDir, gun, "targets/releases")).signatures.map((s) => s.keyid).sort(), [k1.id, k2.id].sort());
  });

  it(
    "a delegation removed and re-created with a client-held snapshot can be published into again (notary 0.7 cannot)",
    async () => {
      const gun = `${server.host}/publish/recreated-client-snapshot`;
      const rootKey = PrivateKey.generate();
      const targetsKey = PrivateKey.generate();
      const snapshotKey = PrivateKey.generate();
      const oldKey = PrivateKey.generate();
      const newKey = PrivateKey.generate();
      const repo = client.repository(gun, { anchor: { tofu: true }, maxAttempts: 2 });
      await repo.initialize({ rootKey, targetsKey, snapshotKey });
      const keys = [targetsKey, snapshotKey];
      const m = manifest("recreated client snapshot");
      await repo.publish([{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(oldKey.publicKey)], threshold: 1, paths: [""] }], { keys });
      await repo.publish([{ type: "setTarget", role: "targets/releases", name: "stale", meta: m.meta }], { keys: [oldKey, snapshotKey] });
      await repo.publish([{ type: "removeDelegation", name: "targets/releases" }], { keys });
      await repo.publish([{ type: "setDelegation", name: "targets/releases", keys: [keyToJson(newKey.publicKey)], threshold: 1, paths: [""] }], { keys });
      const r = await repo.publish([{ type: "setTarget", role: "targets/releases", name: "fresh", meta: m.meta }], { keys: [newKey, snapshotKey] });
      assert.deepEqual(Object.keys(r.state.roles.get("targets/releases")!.file.signed.targets), ["fresh"]);
    },
  );

  it("an expired delegation is skipped by notary and by us alike, and witnessing it brings it back", async () => {
    const gun = `${server.host}/publish/expired-delegation`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const rel = PrivateKey.generate();
    const lifetime = 2_500;
    const repo = client.repository(gun, { anchor: { tofu: true }, expiry: { delegation: lifetime } });
    await repo.initialize({ rootKey, targetsKey });
    const m = manifest("expired delegation");
    const published = await repo.publish(
      [
        { type: "setDelegation", name: "targets/releases", keys: [keyToJson(rel.publicKey)], threshold: 1, paths: [""] },
        { type: "setTarget", role: "targets/releases", name: "v1", meta: m.meta },
      ],
      { keys: [targetsKey, rel] },
    );
    const expires = published.state.roles.get("targets/releases")!.file.signed.expires;
    const trustDir = await makeTempDir("notary-view");
    const row = { name: "v1", digest: m.digest, size: m.size, role: "targets/releases" };
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [row]);

    await new Promise((r) => setTimeout(r, Math.max(0, new Date(expires).getTime() - Date.now() + 200)));
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [], "notary skips the expired delegation");
    const expired = await repo.fetch();
    assert.equal(expired.roles.get("targets/releases")!.status, "expired");
    assert.deepEqual(expectedList(expired), []);

    client.repository(gun, { expiry: {} }); // notary's default lifetimes again
    const w = await repo.publish([{ type: "witness", role: "targets/releases" }], { keys: [rel] });
    assert.deepEqual(w.published, ["targets/releases"]);
    assert.equal(w.state.roles.get("targets/releases")!.status, "valid");
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [row]);
    assert.equal((await cachedMeta(trustDir, gun, "targets/releases")).signed.version, w.state.roles.get("targets/releases")!.file.signed.version);
  });

  it("an expired top-level targets: notary refuses every publish, witness included; we refuse to read it but renew it with the targets key", async () => {
    const gun = `${server.host}/publish/expired-targets`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const rel = PrivateKey.generate();
    const writer = client.repository(gun, { anchor: { tofu: true }, expiry: { targets: 2_500, delegation: 30 * DAY_MS } });
    await writer.initialize({ rootKey, targetsKey });
    const v1 = manifest("expired targets v1");
    const first = await writer.publish(
      [
        { type: "setDelegation", name: "targets/releases", keys: [keyToJson(rel.publicKey)], threshold: 1, paths: [""] },
        { type: "setTarget", role: "targets/releases", name: "v1", meta: v1.meta },
      ],
      { keys: [targetsKey, rel] },
    );
    const expires = first.state.roles.get("targets")!.file.signed.expires;
    const trustDir = await makeTempDir("notary-expired");
    await notaryOk(["key", "import", await writeImportableKey(trustDir, "targets", targetsKey, "targets", gun)], { trustDir });
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [{ name: "v1", digest: v1.digest, size: v1.size, role: "targets/releases" }]);
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(expires).getTime() - Date.now() + 300)));

    // The Go client: reads fail, and so does every publish, the witness of targets included.
    const list = await notaryCli(["list", gun], { trustDir, server });
    assert.notEqual(list.code, 0);
    assert.match(list.stdout + list.stderr, /targets expired/);
    await notary(["witness", gun, "targets"], trustDir);
    const witness = await notaryCli(["publish", gun], { trustDir, server });
    assert.notEqual(witness.code, 0, "notary cannot renew an expired targets");
    assert.match(witness.stdout + witness.stderr, /targets expired/);
    const fp = await serverFingerprint(server, gun);

    // A fresh client (a new process pinned to the root): a reader's fetch fails with a coded error naming the role.
    const other = clientFor(server);
    try {
      const repo = other.repository(gun, { anchor: { trustedRoot: first.state.root.bytes } });
      await assert.rejects(repo.fetch(), (e: NotaryError) => e.code === "METADATA_EXPIRED" && e.details?.["role"] === "targets" && e.message.includes(expires));
      const forWrite = await repo.fetch({ allowExpiredTargets: true });
      assert.equal(forWrite.roles.get("targets")!.status, "expired");
      assert.deepEqual(listTargets(forWrite, ["targets/releases"]), [], "readers get nothing from a state with an expired targets");
      assert.equal(lookupTarget(forWrite, "v1", ["targets/releases"]), undefined, "not even through a named role");
      await assert.rejects(repo.current(), (e: NotaryError) => e.code === "METADATA_EXPIRED");

      // Without the targets key a publish is refused before anything is sent (it would stay unreadable).
      const v2 = manifest("expired targets v2");
      await assert.rejects(
        repo.publish([{ type: "setTarget", role: "targets/releases", name: "v2", meta: v2.meta }], { keys: [rel] }),
        (e: NotaryError) => e.code === "METADATA_EXPIRED" && e.message.includes(targetsKey.id) && e.details?.["role"] === "targets",
      );
      assert.deepEqual(await serverFingerprint(server, gun), fp, "nothing published");

      // With it, the same publish re-signs targets too (a witness with a fresh expiry); notary reads the repository again.
      const t0 = Date.now();
      const r = await repo.publish([{ type: "setTarget", role: "targets/releases", name: "v2", meta: v2.meta }], { keys: [rel, targetsKey] });
      assert.deepEqual([...r.published].sort(), ["targets", "targets/releases"]);
      assert.equal(r.state.roles.get("targets")!.status, "valid");
      assertExpiresIn(r.state.roles.get("targets")!.file.signed.expires, 3 * YEAR_MS, t0, Date.now(), "renewed targets");
      assert.deepEqual((await repo.fetch()).roles.get("targets")!.status, "valid");
      assert.deepEqual(byName(parseNotaryList(await notary(["list", gun], await makeTempDir("notary-fresh")))), [
        { name: "v1", digest: v1.digest, size: v1.size, role: "targets/releases" },
        { name: "v2", digest: v2.digest, size: v2.size, role: "targets/releases" },
      ]);
    } finally {
      await other.close();
    }
  });

  it("a client-held snapshot that expires: notary-server answers 500 to every reader, notary included; our error says why", async () => {
    const gun = `${server.host}/publish/expired-snapshot`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const snapshotKey = PrivateKey.generate();
    const repo = client.repository(gun, { anchor: { tofu: true }, expiry: { snapshot: 2_500 } });
    const init = await repo.initialize({ rootKey, targetsKey, snapshotKey });
    const expires = init.snapshot.signed.expires;
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(expires).getTime() - Date.now() + 300)));

    const list = await notaryCli(["list", gun], { trustDir: await makeTempDir("notary-view"), server });
    assert.notEqual(list.code, 0);
    assert.match(list.stdout + list.stderr, /unable to reach trust server at this time: 500/);
    const other = clientFor(server);
    try {
      await assert.rejects(
        other.repository(gun, { anchor: { trustedRoot: init.root.bytes } }).fetch(),
        (e: NotaryError) =>
          e.code === "SERVER_CANNOT_SIGN" &&
          e.details?.["status"] === 500 &&
          (e.details?.["missingKeyIds"] as string[]).includes(snapshotKey.id) &&
          e.message.includes(`missing key ID ${snapshotKey.id}`) &&
          /client-held snapshot has expired/.test(e.message),
      );
    } finally {
      await other.close();
    }
  });

  it("expiry durations given by the caller appear in the metadata notary verifies", async () => {
    const gun = `${server.host}/publish/expiry`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const snapshotKey = PrivateKey.generate();
    const repo = client.repository(gun, {
      anchor: { tofu: true },
      expiry: { root: 365 * DAY_MS, targets: 30 * DAY_MS, snapshot: 7 * DAY_MS },
    });
    const t0 = Date.now();
    await repo.initialize({ rootKey, targetsKey, snapshotKey });
    const m = manifest("expiry");
    await repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: m.meta }], { keys: [targetsKey, snapshotKey] });
    const t1 = Date.now();
    const trustDir = await makeTempDir("notary-view");
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [{ name: "v1", digest: m.digest, size: m.size, role: "targets" }]);
    assertExpiresIn((await cachedMeta(trustDir, gun, "root")).signed.expires, 365 * DAY_MS, t0, t1, "root");
    assertExpiresIn((await cachedMeta(trustDir, gun, "targets")).signed.expires, 30 * DAY_MS, t0, t1, "targets");
    assertExpiresIn((await cachedMeta(trustDir, gun, "snapshot")).signed.expires, 7 * DAY_MS, t0, t1, "snapshot");
    // Go's format: UTC, "Z", no ".000".
    for (const role of ["root", "targets", "snapshot"]) {
      assert.match((await cachedMeta(trustDir, gun, role)).signed.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
    }
  });

  it("refuses to publish what it cannot sign (nothing sent), and surfaces a real server rejection with code and advice", async () => {
    const gun = `${server.host}/publish/errors`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const snapshotKey = PrivateKey.generate();
    const wrongKey = PrivateKey.generate();
    const repo = client.repository(gun, { anchor: { tofu: true } });
    await repo.initialize({ rootKey, targetsKey, snapshotKey });
    const m = manifest("errors");
    const before1 = await serverFingerprint(server, gun);
    const publishesBefore = repo.counters.publishes;

    // targets signed with a key that is not the targets key: refused locally, the server never sees it.
    await assert.rejects(
      repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: m.meta }], { keys: [wrongKey, snapshotKey] }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "SIGNING_KEY_MISSING");
        assert.match(e.message, new RegExp(targetsKey.id), "names the key that is needed");
        return true;
      },
    );
    assert.equal(repo.counters.publishes, publishesBefore);
    assert.deepEqual(await serverFingerprint(server, gun), before1, "nothing was published");

    // Without the snapshot key (the client manages the snapshot), the server itself rejects the update.
    await assert.rejects(repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: m.meta }], { keys: [targetsKey] }), (e: Error & {
      code?: string;
      details?: Record<string, unknown>;
    }) => {
      assert.equal(e.code, "SERVER_REJECTED");
      assert.equal(e.details?.["name"], "ErrBadHierarchy");
      assert.equal(e.details?.["status"], 400);
      assert.match(e.message, /server does not hold the snapshot key: publish with the snapshot private key/);
      return true;
    });
    assert.deepEqual(await serverFingerprint(server, gun), before1, "the rejected update changed nothing");

    // The same change with the right keys goes through, and notary agrees.
    await repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: m.meta }], { keys: [targetsKey, snapshotKey] });
    const trustDir = await makeTempDir("notary-view");
    const listed = parseNotaryList(await notary(["list", gun], trustDir));
    assert.deepEqual(listed, [{ name: "v1", digest: sha256HexOf(m.meta), size: m.size, role: "targets" }]);
  });

  it("a root certificate we make for the GUN is the key notary and docker show as Root", async () => {
    const gun = `${server.host}/publish/own-cert`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const cert = rootCertKey(gun, rootKey);
    const repo = client.repository(gun, { anchor: { tofu: true } });
    const init = await repo.initialize({ rootKey, targetsKey, rootCertificate: cert.pem });
    const certId = init.root.signed.roles["root"]!.keyids[0]!;
    assert.deepEqual(init.root.signed.keys[certId], cert.json);
    const trustDir = await makeTempDir("notary-view");
    await notary(["list", gun], trustDir);
    // notary's own check of the certificate: pin it by its ID through notary's trust_pinning and list again.
    const pinned = await makeTempDir("notary-pinned");
    const config = path.join(pinned, "config.json");
    await writeFile(config, JSON.stringify({ trust_dir: pinned, trust_pinning: { disable_tofu: true, certs: { [gun]: [certId] } } }));
    await notaryOk(["-c", config, "list", gun], { trustDir: pinned, server });
    if (hasDocker()) {
      const [info] = await dockerTrustInspect(gun, { configDir: await makeTempDir("docker-view"), server });
      assert.deepEqual(info?.AdministrativeKeys, [
        { Name: "Root", Keys: [{ ID: certId }] },
        { Name: "Repository", Keys: [{ ID: targetsKey.id }] },
      ]);
    }
  });
});
