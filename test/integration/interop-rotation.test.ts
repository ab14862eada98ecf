/**
 * Interop of key rotations, both directions: the SDK rotates the targets key, moves the snapshot key from the client to
 * the server, and rotates the root (new root signed by the old and the new root keys); `notary` and `docker` clients
 * that cached the old root follow every step. And notary's own rotations (`notary key rotate … snapshot -r`,
 * `targets`, `root`) are followed by the SDK from a cached state, from an old trusted root and from a pin on the old
 * root key.
 */
import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import { dockerTrustInspect, hasDocker, makeTempDir, notaryOk, DEFAULT_PASSPHRASES } from "../support/stack.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { keyToJson, keyJsonId } from "../../sdk/src/crypto/keys.ts";
import {
  cachedMeta,
  clientFor,
  clientPerSuite,
  expectedList,
  findKeyFile,
  loadKeyFile,
  manifest,
  parseNotaryList,
  rootCertKey,
  serverFingerprint,
  trustDirKeys,
  versionsOf,
} from "./interop-helpers.ts";

const pass = (name: string): string => DEFAULT_PASSPHRASES[name]!;

describe("interop: key rotations", { timeout: 120_000 }, () => {
  const server = notaryServerPerFile({ tls: true });
  const client = clientPerSuite(server);

  const notary = (args: string[], trustDir: string, input?: string): Promise<string> =>
    notaryOk(args, { trustDir, server, ...(input !== undefined ? { input } : {}) });

  it("SDK rotations (targets key, snapshot key client→server, root) are followed by notary and docker holding the old root", async () => {
    const gun = `${server.host}/rotation/ours`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const snapshotKey = PrivateKey.generate();
    const repo = client.repository(gun, { anchor: { tofu: true } });
    const init = await repo.initialize({ rootKey, targetsKey, snapshotKey });
    const oldCertId = init.root.signed.roles["root"]!.keyids[0]!;
    const v1 = manifest("rotation v1");
    await repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: v1.meta }], { keys: [targetsKey, snapshotKey] });

    // The Go clients cache the original root (v1).
    const trustDir = await makeTempDir("notary-cached");
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [{ name: "v1", digest: v1.digest, size: v1.size, role: "targets" }]);
    assert.equal((await cachedMeta(trustDir, gun, "root")).signed.version, 1);
    const dockerDir = await makeTempDir("docker-cached");
    if (hasDocker()) await dockerTrustInspect(gun, { configDir: dockerDir, server });

    // 1. Targets key rotation: root v2 lists the new key, targets is re-signed by it.
    const newTargets = PrivateKey.generate();
    const rt = await repo.publish([{ type: "rotateKey", role: "targets", keys: [keyToJson(newTargets.publicKey)] }], {
      keys: [rootKey, newTargets, snapshotKey],
    });
    assert.deepEqual(rt.published.sort(), ["root", "snapshot", "targets"]);
    assert.deepEqual(rt.state.root.signed.roles["targets"]!.keyids, [newTargets.id]);
    assert.equal(rt.state.root.signed.keys[targetsKey.id], undefined, "the old targets key is dropped from root");
    const before1 = await serverFingerprint(server, gun);
    await assert.rejects(repo.publish([{ type: "setTarget", role: "targets", name: "v9", meta: v1.meta }], { keys: [targetsKey, snapshotKey] }), {
      code: "SIGNING_KEY_MISSING",
    });
    assert.deepEqual(await serverFingerprint(server, gun), before1);
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [{ name: "v1", digest: v1.digest, size: v1.size, role: "targets" }]);
    assert.equal((await cachedMeta(trustDir, gun, "root")).signed.version, 2);
    assert.deepEqual((await cachedMeta(trustDir, gun, "targets")).signatures.map((s) => s.keyid), [newTargets.id]);

    // 2. Snapshot key from the client to the server: the server makes a key (POST snapshot.key), root v3 lists it,
    //    and from then on publishes carry no snapshot and the server signs it.
    const serverSnap = await repo.server.rotateServerKey("snapshot");
    const serverSnapId = keyJsonId(serverSnap);
    const rs = await repo.publish([{ type: "rotateKey", role: "snapshot", keys: [serverSnap] }], { keys: [rootKey] });
    assert.deepEqual(rs.published, ["root"]);
    assert.deepEqual(rs.state.root.signed.roles["snapshot"]!.keyids, [serverSnapId]);
    assert.deepEqual(rs.state.snapshot.signatures.map((s) => s.keyid), [serverSnapId]);
    const v2 = manifest("rotation v2");
    const rp = await repo.publish([{ type: "setTarget", role: "targets", name: "v2", meta: v2.meta }], { keys: [newTargets] });
    assert.deepEqual(rp.published, ["targets"]);
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [
      { name: "v1", digest: v1.digest, size: v1.size, role: "targets" },
      { name: "v2", digest: v2.digest, size: v2.size, role: "targets" },
    ]);
    const snap = await cachedMeta(trustDir, gun, "snapshot");
    assert.deepEqual(snap.signatures.map((s) => [s.keyid, s.method]), [[serverSnapId, "eddsa"]]);
    assert.equal(snap.signed.version, rp.state.snapshot.signed.version);

    // 3. Root rotation: the new root must be signed by the old and the new root keys.
    const newRoot = PrivateKey.generate();
    const newCert = rootCertKey(gun, newRoot);
    const newCertId = keyJsonId(newCert.json);
    const before2 = await serverFingerprint(server, gun);
    await assert.rejects(repo.publish([{ type: "rotateKey", role: "root", keys: [newCert.json] }], { keys: [newRoot] }), { code: "SIGNING_KEY_MISSING" });
    await assert.rejects(repo.publish([{ type: "rotateKey", role: "root", keys: [newCert.json] }], { keys: [rootKey] }), { code: "SIGNING_KEY_MISSING" });
    assert.deepEqual(await serverFingerprint(server, gun), before2, "nothing was published");
    const rr = await repo.publish([{ type: "rotateKey", role: "root", keys: [newCert.json] }], { keys: [rootKey, newRoot] });
    assert.deepEqual(rr.published, ["root"]);
    const rootVersion = rr.state.root.signed.version;
    assert.equal(rootVersion, 4);
    assert.deepEqual(rr.state.root.signed.roles["root"]!.keyids, [newCertId]);
    assert.ok(rr.state.root.signed.keys[oldCertId], "the old root certificate stays in keys (as Go's RemoveBaseKeys keeps it)");

    // notary, with root v3 cached, follows the rotation and caches v4 signed by both keys.
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), expectedList(rr.state));
    const cachedRoot = await cachedMeta(trustDir, gun, "root");
    assert.equal(cachedRoot.signed.version, rootVersion);
    assert.deepEqual(cachedRoot.signatures.map((s) => s.keyid).sort(), [newCertId, oldCertId].sort());
    // docker, with root v1 cached, follows as well and shows the new root key.
    if (hasDocker()) {
      const [info] = await dockerTrustInspect(gun, { configDir: dockerDir, server });
      assert.deepEqual(info?.AdministrativeKeys, [
        { Name: "Root", Keys: [{ ID: newCertId }] },
        { Name: "Repository", Keys: [{ ID: newTargets.id }] },
      ]);
      assert.deepEqual(info?.SignedTags.map((t) => [t.SignedTag, t.Digest, t.Signers]), [
        ["v1", v1.digest, ["Repo Admin"]],
        ["v2", v2.digest, ["Repo Admin"]],
      ]);
      assert.equal((await cachedMeta(`${dockerDir}/trust`, gun, "root")).signed.version, rootVersion);
    }

    // Fresh SDK clients reach v4 from every anchor: the old root's canonical ID, the new certificate ID, root v1.
    const fresh = clientFor(server);
    try {
      const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
      for (const anchor of [{ rootKeyIds: [rootKey.id] }, { rootKeyIds: [newCertId] }, { trustedRoot: init.root.bytes }, { trustedRootSha256: sha(init.root.bytes) }]) {
        const s = await fresh.repository(gun, { anchor }).fetch();
        fresh.repository(gun).reset();
        assert.equal(s.root.signed.version, rootVersion);
        assert.deepEqual(expectedList(s), expectedList(rr.state));
      }
    } finally {
      await fresh.close();
    }

    // After the rotation the old root key alone signs nothing; the new one alone can re-sign root.
    await assert.rejects(repo.publish([{ type: "witness", role: "root" }], { keys: [rootKey] }), { code: "SIGNING_KEY_MISSING" });
    const rw = await repo.publish([{ type: "witness", role: "root" }], { keys: [newRoot] });
    assert.deepEqual(rw.state.root.signatures.map((s) => s.keyid), [newCertId]);
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), expectedList(rw.state));
    assert.equal((await cachedMeta(trustDir, gun, "root")).signed.version, rootVersion + 1);
  });

  it("notary's rotations (snapshot to the server, targets, root) are followed by the SDK, which then publishes with the new keys", async () => {
    const gun = `${server.host}/rotation/notary`;
    const trustDir = await makeTempDir("notary-rotator");
    await notary(["init", gun, "-p"], trustDir);
    const m0 = manifest("notary rotation 0");
    await notary(["addhash", gun, "n0", String(m0.size), "--sha256", m0.digest, "-p"], trustDir);
    const oldRootFile = await findKeyFile(trustDir, "root");
    const repo = client.repository(gun, { anchor: { rootKeyIds: [oldRootFile.id] } });
    const s0 = await repo.fetch();
    const oldRootBytes = s0.root.bytes;
    const oldCertId = s0.root.signed.roles["root"]!.keyids[0]!;

    await notary(["key", "rotate", gun, "snapshot", "-r"], trustDir);
    await notary(["key", "rotate", gun, "targets"], trustDir);
    await notary(["key", "rotate", gun, "root"], trustDir, "yes\n");
    const m1 = manifest("notary rotation 1");
    await notary(["addhash", gun, "n1", String(m1.size), "--sha256", m1.digest, "-p"], trustDir);

    // From the cached state (chain of N.root.json), from root v1 bytes, from a pin on the old root's canonical ID.
    const s1 = await repo.fetch();
    const rootKeys = (await trustDirKeys(trustDir)).filter((k) => k.role === "root");
    assert.equal(rootKeys.length, 2, "notary kept the old root key and made a new one");
    assert.ok(s1.root.signed.version >= s0.root.signed.version + 3, `root went ${s0.root.signed.version} → ${s1.root.signed.version}`);
    const newCertId = s1.root.signed.roles["root"]!.keyids[0]!;
    assert.notEqual(newCertId, oldCertId);
    assert.deepEqual(s1.root.signatures.map((s) => s.keyid).sort(), [newCertId, oldCertId].sort(), "notary signs a rotated root with both keys");
    assert.deepEqual(expectedList(s1), parseNotaryList(await notary(["list", gun], trustDir)));
    const snapId = s1.root.signed.roles["snapshot"]!.keyids[0]!;
    assert.equal(s1.root.signed.keys[snapId]!.keytype, "ed25519", "the snapshot key is now the server's");
    const fresh = clientFor(server);
    try {
      // The sha256 pin makes the real server serve the old root by checksum (root.<sha256>.json), then chain forward.
      const oldSha = createHash("sha256").update(oldRootBytes).digest("hex");
      for (const anchor of [{ trustedRoot: oldRootBytes }, { trustedRootSha256: oldSha }, { rootKeyIds: [oldRootFile.id] }, { rootKeyIds: [oldCertId] }]) {
        const s = await fresh.repository(gun, { anchor }).fetch();
        fresh.repository(gun).reset();
        assert.equal(s.root.signed.version, s1.root.signed.version);
        assert.deepEqual(versionsOf(s), versionsOf(s1));
      }
    } finally {
      await fresh.close();
    }

    // We publish with notary's new targets key (read from its trust dir); the server signs the snapshot.
    const targetsId = s1.root.signed.roles["targets"]!.keyids[0]!;
    const targetsFiles = (await trustDirKeys(trustDir)).filter((k) => k.role === "targets" && k.gun === gun);
    const newTargetsFile = targetsFiles.find((k) => k.id === targetsId);
    assert.ok(newTargetsFile, "notary's new targets key is in its trust dir");
    const newTargets = await loadKeyFile(newTargetsFile, pass("NOTARY_TARGETS_PASSPHRASE"));
    const oldTargetsFile = targetsFiles.find((k) => k.id !== targetsId);
    if (oldTargetsFile) {
      const oldTargets = await loadKeyFile(oldTargetsFile, pass("NOTARY_TARGETS_PASSPHRASE"));
      await assert.rejects(repo.publish([{ type: "setTarget", role: "targets", name: "x", meta: m1.meta }], { keys: [oldTargets] }), {
        code: "SIGNING_KEY_MISSING",
      });
    }
    const ours = manifest("ours after notary rotation");
    const r = await repo.publish([{ type: "setTarget", role: "targets", name: "ours", meta: ours.meta }], { keys: [newTargets] });
    assert.deepEqual(r.published, ["targets"]);
    assert.deepEqual(parseNotaryList(await notary(["list", gun], trustDir)), [
      { name: "n0", digest: m0.digest, size: m0.size, role: "targets" },
      { name: "n1", digest: m1.digest, size: m1.size, role: "targets" },
      { name: "ours", digest: ours.digest, size: ours.size, role: "targets" },
    ]);
    // And a root witness with notary's new root key (read from the trust dir) is accepted by notary.
    const newRootFile = rootKeys.find((k) => k.id !== oldRootFile.id)!;
    const newRoot = await loadKeyFile(newRootFile, pass("NOTARY_ROOT_PASSPHRASE"));
    const rw = await repo.publish([{ type: "witness", role: "root" }], { keys: [newRoot] });
    assert.deepEqual(rw.published, ["root"]);
    await notary(["list", gun], trustDir);
    assert.equal((await cachedMeta(trustDir, gun, "root")).signed.version, rw.state.root.signed.version);
  });
});
