/**
 * Interop, direction 2: what the Go `notary` client writes, the SDK verifies and reads (pinned by the root
 * certificate ID, by the canonical root key ID = the key file's name, or TOFU), with targets, digests, sizes, roles and
 * delegations exactly as notary shows them; then the SDK changes the repository with keys read from notary's trust dir
 * and notary still verifies it. Also: a real version race against `notary addhash -p`, and trust failures (wrong pin,
 * repository deleted and re-initialized with another root).
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import { dockerTrustInspect, hasDocker, makeTempDir, notaryCli, notaryOk, DEFAULT_PASSPHRASES } from "../support/stack.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { readPrivateKeyFile, writePublicKeyPem } from "../../sdk/src/crypto/keyfile.ts";
import { createRootCertificate } from "../../sdk/src/crypto/x509.ts";
import { canonicalKeyId, keyFromJson, keyJsonId, keyToJson, publicKeyFromCertificatePem } from "../../sdk/src/crypto/keys.ts";
import type { RepoState } from "../../sdk/src/trust/update.ts";
import {
  byName,
  cachedMeta,
  clientFor,
  clientPerSuite,
  expectedList,
  findKeyFile,
  loadKeyFile,
  manifest,
  parseDelegationList,
  parseLookup,
  parseNotaryList,
  serverFingerprint,
  versionsOf,
} from "./interop-helpers.ts";
import type { DelegationRow } from "./interop-helpers.ts";

const pass = (name: string): string => DEFAULT_PASSPHRASES[name]!;

/**
 * Our view of the delegations as `notary delegation list` prints them: paths sorted, keys in listed order and shown by
 * their canonical IDs (for an `ecdsa-x509` key that is the certificate's public key ID, not the TUF ID in metadata).
 */
function delegationRows(state: RepoState): DelegationRow[] {
  const rows: DelegationRow[] = [];
  for (const [, r] of state.roles) {
    const keys = r.file.signed.delegations.keys;
    for (const d of r.file.signed.delegations.roles) {
      const keyIds = d.keyids.map((id) => canonicalKeyId(keyFromJson(keys[id]!)));
      rows.push({ role: d.name, paths: [...(d.paths ?? [])].sort(), keyIds, threshold: d.threshold });
    }
  }
  return rows.sort((a, b) => (a.role < b.role ? -1 : 1));
}

describe("interop: notary writes, SDK verifies, reads and changes", { timeout: 120_000 }, () => {
  const server = notaryServerPerFile({ tls: true });
  const client = clientPerSuite(server);

  const notary = (args: string[], trustDir: string): Promise<string> => notaryOk(args, { trustDir, server });

  it("a repository made by notary (client snapshot, delegations): pinned read matches notary, our change is verified by notary", async () => {
    const gun = `${server.host}/read/notary-made`;
    const trustDir = await makeTempDir("notary-writer");
    await notary(["init", gun, "-p"], trustDir);
    // targets/releases: a key notary generated into its keystore; targets/alice: a key notary wrote to files (-o).
    const genOut = await notary(["key", "generate", "ecdsa", "--role", "targets/releases"], trustDir);
    const relId = /keyID: ([0-9a-f]{64})/.exec(genOut)?.[1];
    assert.ok(relId, genOut);
    const relFile = await findKeyFile(trustDir, "targets/releases");
    assert.equal(relFile.id, relId);
    const relKey = await loadKeyFile(relFile, pass("NOTARY_DELEGATION_PASSPHRASE"));
    const relPub = path.join(trustDir, "releases.pem");
    await writeFile(relPub, writePublicKeyPem(relKey.publicKey.public, "targets/releases"));
    await notary(["key", "generate", "ecdsa", "--role", "targets/alice", "-o", path.join(trustDir, "alice")], trustDir);
    await notary(["delegation", "add", gun, "targets/releases", relPub, "--all-paths"], trustDir);
    await notary(["delegation", "add", gun, "targets/alice", path.join(trustDir, "alice.pem"), "--paths", "v1,prod/"], trustDir);
    // targets/certsigner: a delegation key given to notary as an X.509 certificate (keytype ecdsa-x509).
    const certSigner = PrivateKey.generate();
    const certPem = createRootCertificate({ gun: "certsigner", privateKeyPkcs8: certSigner.exportPkcs8(), notBefore: new Date() });
    await writeFile(path.join(trustDir, "certsigner.crt"), certPem);
    await notary(["delegation", "add", gun, "targets/certsigner", path.join(trustDir, "certsigner.crt"), "--paths", "cert/"], trustDir);
    await notary(["publish", gun], trustDir);
    const base = manifest("notary base");
    const rel = manifest("notary rel");
    await notary(["addhash", gun, "base", String(base.size), "--sha256", base.digest, "-p"], trustDir);
    await notary(["addhash", gun, "rel-1", String(rel.size), "--sha256", rel.digest, "--roles", "targets/releases", "-p"], trustDir);
    const notaryRows = parseNotaryList(await notary(["list", gun], trustDir));
    assert.deepEqual(notaryRows, [
      { name: "base", digest: base.digest, size: base.size, role: "targets" },
      { name: "rel-1", digest: rel.digest, size: rel.size, role: "targets/releases" },
    ]);

    // Pin by the canonical root key ID: the name of notary's root key file.
    const rootFile = await findKeyFile(trustDir, "root");
    const byCanonical = clientFor(server);
    try {
      const state = await byCanonical.repository(gun, { anchor: { rootKeyIds: [rootFile.id] } }).fetch();
      assert.deepEqual(expectedList(state), notaryRows);
      assert.deepEqual(delegationRows(state), parseDelegationList(await notary(["delegation", "list", gun], trustDir)));
      const certKeyId = keyJsonId(keyToJson(publicKeyFromCertificatePem(certPem)));
      assert.notEqual(certKeyId, certSigner.id, "a certificate key's TUF ID is not the canonical ID");
      assert.deepEqual(delegationRows(state), [
        { role: "targets/alice", paths: ["prod/", "v1"], keyIds: delegationRows(state)[0]!.keyIds, threshold: 1 },
        { role: "targets/certsigner", paths: ["cert/"], keyIds: [certSigner.id], threshold: 1 },
        { role: "targets/releases", paths: [""], keyIds: [relKey.id], threshold: 1 },
      ]);
      // In metadata the certificate key has its TUF ID, over the exact PEM we wrote (notary re-encoded it identically).
      const certsigner = state.roles.get("targets")!.file.signed.delegations;
      assert.deepEqual(certsigner.roles.find((d) => d.name === "targets/certsigner")!.keyids, [certKeyId]);
      assert.deepEqual(certsigner.keys[certKeyId], keyToJson(publicKeyFromCertificatePem(certPem)));
      // Exactly the versions notary published (§5.5: init + publish gives targets v2 and snapshot v2 first).
      const cachedRoot = await cachedMeta(trustDir, gun, "root");
      assert.equal(state.root.signed.version, cachedRoot.signed.version);
      assert.equal(state.roles.get("targets")!.file.signed.version, (await cachedMeta(trustDir, gun, "targets")).signed.version);
      assert.equal(state.snapshot.signed.version, (await cachedMeta(trustDir, gun, "snapshot")).signed.version);
    } finally {
      await byCanonical.close();
    }

    // Pin by the certificate key ID docker shows as "Root" (and that is in root.json's root role).
    let certId: string;
    if (hasDocker()) {
      const [info] = await dockerTrustInspect(gun, { configDir: await makeTempDir("docker-view"), server });
      certId = info!.AdministrativeKeys.find((k) => k.Name === "Root")!.Keys[0]!.ID;
    } else {
      certId = ((await cachedMeta(trustDir, gun, "root")).signed["roles"] as Record<string, { keyids: string[] }>)["root"]!.keyids[0]!;
    }
    assert.notEqual(certId, rootFile.id, "certificate ID and canonical ID differ for root keys");
    const byCert = clientFor(server);
    try {
      const state = await byCert.repository(gun, { anchor: { rootKeyIds: [certId] } }).fetch();
      assert.deepEqual(state.root.signed.roles["root"]!.keyids, [certId]);
      assert.deepEqual(expectedList(state), notaryRows);
    } finally {
      await byCert.close();
    }

    // TOFU, then change the repository with notary's own key files: releases from the keystore, alice from
    // `-o alice-key.pem`, and notary's snapshot key (notary init keeps the snapshot key on the client).
    const repo = client.repository(gun, { anchor: { tofu: true } });
    const s0 = await repo.fetch();
    assert.deepEqual(expectedList(s0), notaryRows);
    const snapshotKey = await loadKeyFile(await findKeyFile(trustDir, "snapshot", gun), pass("NOTARY_SNAPSHOT_PASSPHRASE"));
    const aliceFile = readPrivateKeyFile(await readFile(path.join(trustDir, "alice-key.pem"), "utf8"), pass("NOTARY_DELEGATION_PASSPHRASE"));
    assert.equal(aliceFile.role, "targets/alice");
    const aliceKey = PrivateKey.fromPkcs8(aliceFile.pkcs8);
    assert.deepEqual(s0.roles.get("targets")!.file.signed.delegations.roles.find((d) => d.name === "targets/alice")!.keyids, [aliceKey.id]);

    const ours = manifest("ours rel");
    const prod = manifest("ours prod");
    const r = await repo.publish(
      [
        { type: "setTarget", role: "targets/releases", name: "ours-1", meta: ours.meta },
        { type: "setTarget", role: "targets/alice", name: "prod/app", meta: prod.meta },
        { type: "setTarget", role: "targets/certsigner", name: "cert/x", meta: prod.meta },
      ],
      { keys: [relKey, aliceKey, certSigner, snapshotKey] },
    );
    assert.deepEqual(r.published.sort(), ["snapshot", "targets/alice", "targets/certsigner", "targets/releases"]);
    await assert.rejects(repo.publish([{ type: "setTarget", role: "targets/alice", name: "v2", meta: prod.meta }], { keys: [aliceKey, snapshotKey] }), {
      code: "TARGET_NOT_ALLOWED",
    });

    // notary, with its cache of the older versions, verifies our change.
    const after1 = parseNotaryList(await notary(["list", gun], trustDir));
    assert.deepEqual(after1, [
      { name: "base", digest: base.digest, size: base.size, role: "targets" },
      { name: "cert/x", digest: prod.digest, size: prod.size, role: "targets/certsigner" },
      { name: "ours-1", digest: ours.digest, size: ours.size, role: "targets/releases" },
      { name: "prod/app", digest: prod.digest, size: prod.size, role: "targets/alice" },
      { name: "rel-1", digest: rel.digest, size: rel.size, role: "targets/releases" },
    ]);
    assert.deepEqual(after1, expectedList(r.state));
    assert.deepEqual(parseLookup(await notary(["lookup", gun, "prod/app"], trustDir)), { name: "prod/app", digest: prod.digest, size: prod.size });
    assert.equal((await cachedMeta(trustDir, gun, "snapshot")).signatures[0]!.keyid, snapshotKey.id);
    if (hasDocker()) {
      const [info] = await dockerTrustInspect(`${gun}:ours-1`, { configDir: await makeTempDir("docker-view"), server });
      assert.deepEqual(info?.SignedTags, [{ SignedTag: "ours-1", Digest: ours.digest, Signers: ["Repo Admin"] }]);
    }

    // notary writes on top of our change; we read it from our cached state.
    const next = manifest("notary after us");
    await notary(["addhash", gun, "rel-2", String(next.size), "--sha256", next.digest, "--roles", "targets/releases", "-p"], trustDir);
    const s2 = await repo.fetch();
    assert.equal(s2.roles.get("targets/releases")!.file.signed.version, r.state.roles.get("targets/releases")!.file.signed.version + 1);
    assert.deepEqual(expectedList(s2), parseNotaryList(await notary(["list", gun], trustDir)));

    // We remove a delegation with notary's targets key: our snapshot (notary's snapshot key) drops its entry too.
    const targetsKey = await loadKeyFile(await findKeyFile(trustDir, "targets", gun), pass("NOTARY_TARGETS_PASSPHRASE"));
    const r3 = await repo.publish([{ type: "removeDelegation", name: "targets/alice" }], { keys: [targetsKey, snapshotKey] });
    assert.deepEqual(r3.published.sort(), ["snapshot", "targets"]);
    assert.equal(r3.state.snapshot.signed.meta["targets/alice"], undefined);
    assert.deepEqual(
      parseNotaryList(await notary(["list", gun], trustDir)).map((x) => x.name),
      ["base", "cert/x", "ours-1", "rel-1", "rel-2"],
    );
    assert.deepEqual(
      parseDelegationList(await notary(["delegation", "list", gun], trustDir)).map((d) => d.role),
      ["targets/certsigner", "targets/releases"],
    );
    const cachedSnapshotRoles = Object.keys((await cachedMeta(trustDir, gun, "snapshot")).signed["meta"] as Record<string, unknown>);
    assert.deepEqual(cachedSnapshotRoles.sort(), ["root", "targets", "targets/certsigner", "targets/releases"]);
  });

  it("a version race with `notary addhash -p`: both targets end up signed", async () => {
    const gun = `${server.host}/read/race`;
    const trustDir = await makeTempDir("notary-racer");
    await notary(["init", gun, "-p"], trustDir);
    const targetsKey = await loadKeyFile(await findKeyFile(trustDir, "targets", gun), pass("NOTARY_TARGETS_PASSPHRASE"));
    const snapshotKey = await loadKeyFile(await findKeyFile(trustDir, "snapshot", gun), pass("NOTARY_SNAPSHOT_PASSPHRASE"));
    const rootFile = await findKeyFile(trustDir, "root");
    const repo = client.repository(gun, { anchor: { rootKeyIds: [rootFile.id] } });
    const s0 = await repo.fetch();

    // notary publishes after our fetch: our cached state is now stale, so our first upload loses the version race.
    const n1 = manifest("race notary 1");
    await notary(["addhash", gun, "n1", String(n1.size), "--sha256", n1.digest, "-p"], trustDir);
    const o1 = manifest("race ours 1");
    const conflictsBefore = repo.counters.conflicts;
    const r = await repo.publish([{ type: "setTarget", role: "targets", name: "o1", meta: o1.meta }], { keys: [targetsKey, snapshotKey] });
    assert.ok(repo.counters.conflicts >= conflictsBefore + 1, "a VERSION conflict happened");
    assert.ok(r.attempts >= 2);
    assert.equal(r.state.roles.get("targets")!.file.signed.version, s0.roles.get("targets")!.file.signed.version + 2);
    assert.deepEqual(
      byName(parseNotaryList(await notary(["list", gun], trustDir))).map((x) => x.name),
      ["n1", "o1"],
    );

    // A real concurrent race: whoever loses retries (notary keeps a failed change in its changelist: publish again).
    const n2 = manifest("race notary 2");
    const o2 = manifest("race ours 2");
    const [nr, ourR] = await Promise.all([
      notaryCli(["addhash", gun, "n2", String(n2.size), "--sha256", n2.digest, "-p"], { trustDir, server }),
      repo.publish([{ type: "setTarget", role: "targets", name: "o2", meta: o2.meta }], { keys: [targetsKey, snapshotKey] }),
    ]);
    if (nr.code !== 0) {
      assert.match(nr.stdout + nr.stderr, /trust server rejected operation|newer version|VERSION/i);
      await notary(["publish", gun], trustDir);
    }
    assert.ok(ourR.published.includes("targets"));
    const rows = parseNotaryList(await notary(["list", gun], trustDir));
    assert.deepEqual(rows, [
      { name: "n1", digest: n1.digest, size: n1.size, role: "targets" },
      { name: "n2", digest: n2.digest, size: n2.size, role: "targets" },
      { name: "o1", digest: o1.digest, size: o1.size, role: "targets" },
      { name: "o2", digest: o2.digest, size: o2.size, role: "targets" },
    ]);
    assert.deepEqual(expectedList(await repo.fetch()), rows);
  });

  it("trust failures: a wrong pin names both IDs; a repository re-initialized with another root is refused", async () => {
    const gun = `${server.host}/read/replaced`;
    const trustDir = await makeTempDir("notary-original");
    await notary(["init", gun, "-p"], trustDir);
    const m = manifest("replaced original");
    await notary(["addhash", gun, "v1", String(m.size), "--sha256", m.digest, "-p"], trustDir);
    const rootFile = await findKeyFile(trustDir, "root");
    const certId = ((await cachedMeta(trustDir, gun, "root")).signed["roles"] as Record<string, { keyids: string[] }>)["root"]!.keyids[0]!;

    const wrong = PrivateKey.generate().id;
    const c1 = clientFor(server);
    try {
      await assert.rejects(c1.repository(gun, { anchor: { rootKeyIds: [wrong] } }).fetch(), (e: Error & { code?: string }) => {
        assert.equal(e.code, "TRUST_ROOT_MISMATCH");
        assert.ok(e.message.includes(wrong), "names the pinned ID");
        assert.ok(e.message.includes(certId), "names the certificate ID found");
        assert.ok(e.message.includes(rootFile.id), "names the canonical ID found");
        return true;
      });
    } finally {
      await c1.close();
    }

    // We trust the original root (cached state in `repo`, and its root bytes as a trustedRoot anchor).
    const repo = client.repository(gun, { anchor: { rootKeyIds: [rootFile.id] } });
    const s0 = await repo.fetch();
    const oldRoot = s0.root.bytes;

    // notary deletes the repository and another trust dir (another root key) initializes it again.
    // (Deleted from the other trust dir: `notary delete` also drops the local cache of the trust dir it runs in.)
    const otherDir = await makeTempDir("notary-replacer");
    await notary(["delete", gun, "--remote"], otherDir);
    assert.equal(await serverFingerprint(server, gun).then((f) => Object.keys(f).length), 0, "the server holds nothing for the GUN");
    await notary(["init", gun, "-p"], otherDir);
    const evil = manifest("replaced evil");
    await notary(["addhash", gun, "v1", String(evil.size), "--sha256", evil.digest, "-p"], otherDir);
    const otherRoot = await findKeyFile(otherDir, "root");
    assert.notEqual(otherRoot.id, rootFile.id);
    const before1 = await serverFingerprint(server, gun);

    const refused = { code: /^(TRUST_ROOT_ROTATION_FAILED|TRUST_ROOT_MISMATCH)$/ };
    await assert.rejects(repo.fetch(), refused);
    assert.equal(repo.state, s0, "the verified state is unchanged");
    const c2 = clientFor(server);
    try {
      await assert.rejects(c2.repository(gun, { anchor: { trustedRoot: oldRoot } }).fetch(), refused);
      await assert.rejects(c2.repository(`${gun}`, { anchor: { rootKeyIds: [rootFile.id, certId] } }).fetch(), { code: "TRUST_ROOT_MISMATCH" });
    } finally {
      await c2.close();
    }
    // Publishing on the stale trust is refused too, and nothing reaches the server.
    const ours = manifest("replaced ours");
    const targetsKey = await loadKeyFile(await findKeyFile(trustDir, "targets", gun), pass("NOTARY_TARGETS_PASSPHRASE"));
    const snapshotKey = await loadKeyFile(await findKeyFile(trustDir, "snapshot", gun), pass("NOTARY_SNAPSHOT_PASSPHRASE"));
    repo.reset({ trustedRoot: oldRoot });
    await assert.rejects(repo.publish([{ type: "setTarget", role: "targets", name: "v2", meta: ours.meta }], { keys: [targetsKey, snapshotKey] }), refused);
    assert.deepEqual(await serverFingerprint(server, gun), before1);

    // The oracle agrees: notary with the original root cached refuses the replaced repository.
    const n = await notaryCli(["list", gun], { trustDir, server });
    assert.notEqual(n.code, 0, `notary accepted a replaced root: ${n.stdout}`);
    assert.match(n.stdout + n.stderr, /could not rotate trust to a new trusted root/);
    // …while a fresh TOFU notary (and our TOFU client) accept it, showing the replacement's target.
    const fresh = await makeTempDir("notary-fresh");
    assert.deepEqual(parseNotaryList(await notary(["list", gun], fresh)), [{ name: "v1", digest: evil.digest, size: evil.size, role: "targets" }]);
    const c3 = clientFor(server);
    try {
      const s = await c3.repository(gun, { anchor: { tofu: true } }).fetch();
      assert.deepEqual(versionsOf(s)["root"], 1);
      assert.deepEqual(expectedList(s), parseNotaryList(await notary(["list", gun], fresh)));
    } finally {
      await c3.close();
    }
  });
});
