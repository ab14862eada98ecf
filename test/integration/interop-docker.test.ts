/**
 * Interop with the docker CLI (28.x, no daemon), both directions:
 * - a repository docker initialized (`docker trust signer add`) is verified by the SDK pinned by the Root key ID
 *   `docker trust inspect` prints (and by the canonical root key ID, the key file's name); we sign a tag with the
 *   signer's key read from docker's trust dir and docker shows it; docker's later writes (another signer, revoke,
 *   sign of an existing tag) are read by the SDK from its cached state;
 * - a repository the SDK initialized is extended by docker (`signer add`, with our targets key written into docker's
 *   trust dir as a notary key file) and what each side writes is shown exactly by the other.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { notaryServerPerFile } from "../support/per-file.ts";
import { dockerCli, dockerOk, dockerTrustInspect, hasDocker, makeTempDir, DEFAULT_PASSPHRASES } from "../support/stack.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { writePrivateKeyFile } from "../../sdk/src/crypto/keyfile.ts";
import type { RepoState } from "../../sdk/src/trust/update.ts";
import { cachedMeta, clientFor, clientPerSuite, findKeyFile, loadKeyFile, manifest, sha256HexOf, versionsOf } from "./interop-helpers.ts";

const repoPass = DEFAULT_PASSPHRASES["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"]!;

/** The delegations of `targets` as [name, keyids, paths, threshold]. */
function topDelegations(state: RepoState): [string, string[], string[] | undefined, number][] {
  return state.roles.get("targets")!.file.signed.delegations.roles.map((d) => [d.name, d.keyids, d.paths, d.threshold]);
}

function targetsOf(state: RepoState, role: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, meta] of Object.entries(state.roles.get(role)?.file.signed.targets ?? {})) out[name] = sha256HexOf(meta);
  return out;
}

describe("interop: docker trust", { timeout: 120_000, skip: hasDocker() ? false : "no docker client installed" }, () => {
  const server = notaryServerPerFile({ tls: true });
  const client = clientPerSuite(server);

  it("docker initializes with `signer add`; the SDK verifies it pinned by docker's Root key, signs a tag docker then shows, and reads docker's later writes", async () => {
    const image = `${server.host}/docker/made-by-docker`;
    const configDir = await makeTempDir("docker-writer");
    const dockerTrust = path.join(configDir, "trust");
    const keyDir = await makeTempDir("docker-keys");
    const opts = { configDir, server };
    await dockerOk(["trust", "key", "generate", "dalice", "--dir", keyDir], { configDir });
    await dockerOk(["trust", "signer", "add", "--key", path.join(keyDir, "dalice.pub"), "dalice", image], opts);
    const [info0] = await dockerTrustInspect(image, opts);
    const rootId = info0!.AdministrativeKeys.find((k) => k.Name === "Root")!.Keys[0]!.ID;
    const repoId = info0!.AdministrativeKeys.find((k) => k.Name === "Repository")!.Keys[0]!.ID;
    const daliceId = info0!.Signers.find((s) => s.Name === "dalice")!.Keys[0]!.ID;

    // Pinned by the certificate ID docker prints as Root.
    const repo = client.repository(image, { anchor: { rootKeyIds: [rootId] } });
    const s0 = await repo.fetch();
    assert.deepEqual(s0.root.signed.roles["root"]!.keyids, [rootId]);
    assert.deepEqual(s0.root.signed.roles["targets"]!.keyids, [repoId]);
    assert.deepEqual(topDelegations(s0), [
      ["targets/dalice", [daliceId], [""], 1],
      ["targets/releases", [daliceId], [""], 1],
    ]);
    // Reference §5.5: docker's first publish is root v1, targets v2, server snapshot v1, timestamp v1.
    assert.deepEqual(versionsOf(s0), { root: 1, targets: 2, snapshot: 1, timestamp: 1 });
    const snapId = s0.root.signed.roles["snapshot"]!.keyids[0]!;
    assert.equal(s0.root.signed.keys[snapId]!.keytype, "ed25519", "docker leaves the snapshot to the server");

    // Also pinned by the canonical ID: the name of docker's root key file.
    const rootFile = await findKeyFile(dockerTrust, "root");
    assert.notEqual(rootFile.id, rootId);
    const other = clientFor(server);
    try {
      assert.deepEqual(versionsOf(await other.repository(image, { anchor: { rootKeyIds: [rootFile.id] } }).fetch()), versionsOf(s0));
    } finally {
      await other.close();
    }

    // We sign tag v1 the way docker does (every signable role: releases and the signer's own role) with the signer's
    // key from docker's trust dir (`role: dalice`, docker's repository passphrase).
    const dalice = await loadKeyFile(await findKeyFile(dockerTrust, "dalice"), repoPass);
    assert.equal(dalice.id, daliceId);
    const v1 = manifest("docker v1");
    const r1 = await repo.publish(
      [
        { type: "setTarget", role: "targets/releases", name: "v1", meta: v1.meta },
        { type: "setTarget", role: "targets/dalice", name: "v1", meta: v1.meta },
      ],
      { keys: [dalice] },
    );
    assert.deepEqual(r1.published.sort(), ["targets/dalice", "targets/releases"]);
    // docker (with its cache from before our change) and a fresh docker both verify and show it.
    for (const dir of [configDir, await makeTempDir("docker-fresh")]) {
      const [info] = await dockerTrustInspect(image, { configDir: dir, server });
      assert.deepEqual(info?.SignedTags, [{ SignedTag: "v1", Digest: v1.digest, Signers: ["dalice"] }]);
      assert.deepEqual(info?.Signers, [{ Name: "dalice", Keys: [{ ID: daliceId }] }]);
    }

    // docker adds a second signer: releases now has two keys, and targets/bob exists.
    await dockerOk(["trust", "key", "generate", "bob", "--dir", keyDir], { configDir });
    await dockerOk(["trust", "signer", "add", "--key", path.join(keyDir, "bob.pub"), "bob", image], opts);
    const bob = await loadKeyFile(await findKeyFile(dockerTrust, "bob"), repoPass);
    const s1 = await repo.fetch();
    assert.deepEqual(topDelegations(s1), [
      ["targets/dalice", [daliceId], [""], 1],
      ["targets/releases", [daliceId, bob.id], [""], 1],
      ["targets/bob", [bob.id], [""], 1],
    ]);
    const v2 = manifest("docker v2");
    await repo.publish(
      [
        { type: "setTarget", role: "targets/releases", name: "v2", meta: v2.meta },
        { type: "setTarget", role: "targets/bob", name: "v2", meta: v2.meta },
      ],
      { keys: [bob] },
    );

    // docker signs the existing tag v2 (no daemon needed): it adds v2 to every role it can sign (dalice too).
    await dockerOk(["trust", "sign", `${image}:v2`], opts);
    // docker revokes v1 from every role it holds keys for.
    await dockerOk(["trust", "revoke", "-y", `${image}:v1`], opts);
    const s2 = await repo.fetch();
    assert.deepEqual(targetsOf(s2, "targets/releases"), { v2: v2.digest });
    assert.deepEqual(targetsOf(s2, "targets/dalice"), { v2: v2.digest });
    assert.deepEqual(targetsOf(s2, "targets/bob"), { v2: v2.digest });
    assert.deepEqual(s2.roles.get("targets/dalice")!.file.signed.targets["v2"], v2.meta, "docker reused our hashes and size");
    const [info2] = await dockerTrustInspect(image, opts);
    assert.deepEqual(info2?.SignedTags, [{ SignedTag: "v2", Digest: v2.digest, Signers: ["dalice", "bob"] }]);
  });

  it("the SDK initializes; docker adds a signer with our targets key (written as a notary key file); each side shows the other's writes", async () => {
    const image = `${server.host}/docker/made-by-us`;
    const rootKey = PrivateKey.generate();
    const targetsKey = PrivateKey.generate();
    const repo = client.repository(image, { anchor: { tofu: true } });
    const init = await repo.initialize({ rootKey, targetsKey });
    const certId = init.root.signed.roles["root"]!.keyids[0]!;
    const base = manifest("ours base");
    await repo.publish([{ type: "setTarget", role: "targets", name: "base", meta: base.meta }], { keys: [targetsKey] });

    // Give docker our targets key, exactly as notary stores it: private/<canonical id>.key, role + gun headers, encrypted.
    const configDir = await makeTempDir("docker-with-our-key");
    const opts = { configDir, server };
    const privDir = path.join(configDir, "trust", "private");
    const keyDir = await makeTempDir("docker-keys");
    await dockerOk(["trust", "key", "generate", "carol", "--dir", keyDir], { configDir });
    await writeFile(
      path.join(privDir, `${targetsKey.id}.key`),
      writePrivateKeyFile({ keyType: "ecdsa", pkcs8: targetsKey.exportPkcs8(), role: "targets", gun: image, passphrase: repoPass }),
      { mode: 0o600 },
    );
    await dockerOk(["trust", "signer", "add", "--key", path.join(keyDir, "carol.pub"), "carol", image], opts);

    // We see docker's delegations from our cached state; the root is untouched.
    const carol = await loadKeyFile(await findKeyFile(path.join(configDir, "trust"), "carol"), repoPass);
    const s1 = await repo.fetch();
    assert.equal(s1.root.signed.version, 1);
    assert.deepEqual(topDelegations(s1), [
      ["targets/carol", [carol.id], [""], 1],
      ["targets/releases", [carol.id], [""], 1],
    ]);
    assert.deepEqual(s1.roles.get("targets")!.file.signed.targets["base"], base.meta, "docker kept our target");
    assert.deepEqual(s1.roles.get("targets")!.file.signatures.map((s) => s.keyid), [targetsKey.id], "docker signed targets with our key");

    // We sign a tag as carol (key from docker's trust dir); docker shows it with its signer.
    const v1 = manifest("ours v1");
    await repo.publish(
      [
        { type: "setTarget", role: "targets/releases", name: "v1", meta: v1.meta },
        { type: "setTarget", role: "targets/carol", name: "v1", meta: v1.meta },
      ],
      { keys: [carol] },
    );
    const [info] = await dockerTrustInspect(image, opts);
    assert.deepEqual(info, {
      Name: image,
      SignedTags: [
        { SignedTag: "base", Digest: base.digest, Signers: ["Repo Admin"] },
        { SignedTag: "v1", Digest: v1.digest, Signers: ["carol"] },
      ],
      Signers: [{ Name: "carol", Keys: [{ ID: carol.id }] }],
      AdministrativeKeys: [
        { Name: "Root", Keys: [{ ID: certId }] },
        { Name: "Repository", Keys: [{ ID: targetsKey.id }] },
      ],
    });

    // Reference §8.3: `docker trust signer remove -f` exits 0 but removes nothing in 28.x.
    const removal = await dockerCli(["trust", "signer", "remove", "-f", "carol", image], opts);
    const s2 = await repo.fetch();
    assert.equal(removal.code, 0, removal.stderr);
    const dockerRemoved = topDelegations(s2).length === 0;
    // Whatever docker did, we remove the signer ourselves (docker's intended removal: releases keys + its role).
    const r = await repo.publish(
      [
        { type: "removeDelegationKeys", name: "targets/releases", keyIds: [carol.id] },
        { type: "removeDelegation", name: "targets/carol" },
      ],
      { keys: [targetsKey] },
    );
    assert.deepEqual(topDelegations(r.state), []);
    assert.deepEqual(r.published, dockerRemoved ? [] : ["targets"]);
    const [after1] = await dockerTrustInspect(image, opts);
    assert.deepEqual(after1?.Signers, []);
    assert.deepEqual(after1?.SignedTags, [{ SignedTag: "base", Digest: base.digest, Signers: ["Repo Admin"] }]);
    assert.equal((await cachedMeta(path.join(configDir, "trust"), image, "targets")).signed.version, r.state.roles.get("targets")!.file.signed.version);
    assert.equal(dockerRemoved, false, "docker 28's `signer remove -f` removed nothing (reference §8.3)");
  });
});
