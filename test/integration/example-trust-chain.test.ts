// examples/trust-chain with the real Pulumi CLI: three programs (publisher, certifier, consumer), each its own project
// and stack, on one notary-server (TLS) and one docker-registry. CI pushed v1 and v2 of team/app over the registry API;
// the publisher signs both as `ci` with their provenance; v1 is copied to certified/app and the certifier certifies it
// as `qa` only while the publisher's `ci` signs that digest; the consumer deploys certified/app:v1 by its verified
// digest. A tag never certified (v2) fails the consumer's preview with the reason. The publisher then revokes v1: the
// certifier's preview and up fail naming it and change nothing (onViolation "refuse"), and the consumer still runs the
// certified digest. The Go `notary` client and `docker trust inspect` read both repositories throughout.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { pushOciImage, startRegistry, hasDocker, type PushedImage, type Registry } from "../support/stack.ts";
import { ExampleEnv, hex, ops, plain, T, timingReport } from "./example-helpers.ts";
import type { ConfigValue, ExampleStack } from "./example-stack.ts";
import { failureOf } from "./publisher-helpers.ts";

let registry: Registry;
const env = ExampleEnv.perFile("trust-chain", {
  dir: "examples/trust-chain/publisher",
  setup: async () => {
    registry = await startRegistry();
  },
  teardown: async () => {
    await registry?.stop();
  },
});
const DEPLOYMENT = "pulumi-nodejs:dynamic/consumer:Deployment";
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Copies an image pushed by pushOciImage to another repository of the registry (blobs mounted): `crane copy`. */
async function copyImage(host: string, img: PushedImage, repo: string): Promise<void> {
  const base = `http://${host}/v2/${repo}`;
  for (const m of img.manifests) {
    for (const blob of [m.config, ...m.layers]) {
      const res = await fetch(`${base}/blobs/uploads/?mount=${blob.digest}&from=${img.repo}`, { method: "POST" });
      await res.arrayBuffer();
      assert.equal(res.status, 201, `blob ${blob.digest} mounted`);
    }
    if (img.index) await put(`${base}/manifests/${m.digest}`, m.mediaType, m.bytes);
  }
  await put(`${base}/manifests/${img.tag}`, img.mediaType, img.bytes);
  async function put(url: string, mediaType: string, body: Buffer) {
    const res = await fetch(url, { method: "PUT", headers: { "content-type": mediaType }, body });
    await res.arrayBuffer();
    assert.equal(res.status, 201, `PUT ${url}`);
  }
}

describe("examples/trust-chain: publisher, certifier and consumer through the CLI", { skip: hasDocker() ? false : "no docker client installed" }, () => {
  let pubGun: string;
  let certGun: string;
  let v1: PushedImage;
  let v2: PushedImage;
  let certifier: ExampleStack;
  let consumer: ExampleStack;
  let certifierConfig: Record<string, ConfigValue>;
  let consumerConfig: Record<string, ConfigValue>;
  let pubRoot: string;
  let certRoot: string;
  const provenance = { source: "https://github.com/example/app", revision: "0123456789abcdef0123456789abcdef01234567" };

  /** What notary and docker show for a repository: [tag, digest, signers] per signed tag. */
  async function goTools(gun: string) {
    const notary = (await env.notaryList(gun)).map((r) => [r.name, r.digest, r.size]);
    const docker = await env.dockerInspect(gun);
    return {
      notary,
      tags: docker.SignedTags.map((t) => [t.SignedTag, t.Digest, t.Signers]),
      root: docker.AdministrativeKeys.find((k) => k.Name === "Root")?.Keys.map((k) => k.ID),
      signers: docker.Signers.map((s) => s.Name),
    };
  }

  before(async () => {
    pubGun = env.gun("team/app");
    certGun = env.gun("certified/app");
    // CI (buildx) pushed two multi-arch releases.
    v1 = await pushOciImage(registry.host, "team/app", "v1", { multiArch: true });
    v2 = await pushOciImage(registry.host, "team/app", "v2", { multiArch: true });
    env.set("gun", pubGun);
    env.set("images", { v1: `${registry.host}/team/app:v1`, v2: `${registry.host}/team/app:v2` });
    env.set("source", provenance.source);
    env.set("revision", provenance.revision);
    certifier = await env.newStack("certifier", "examples/trust-chain/certifier");
    consumer = await env.newStack("consumer", "examples/trust-chain/consumer");
  });

  test("publisher: up signs v1 and v2 as ci with their provenance; notary and docker read team/app", async () => {
    const up = await env.up();
    assert.equal(ops(up)["tag-v1"], "create");
    const out = plain(up.outputs);
    pubRoot = out["rootKeyId"];
    assert.deepEqual(out["digests"], { v1: v1.digest, v2: v2.digest });
    assert.deepEqual(env.outputs(T.signedTag, "tag-v1")["serverProvenance"], provenance, "the role holds the provenance");
    const seen = await goTools(pubGun);
    assert.deepEqual(seen.notary, [["v1", hex(v1.digest), v1.size], ["v2", hex(v2.digest), v2.size]]);
    assert.deepEqual(seen.tags, [["v1", hex(v1.digest), ["ci"]], ["v2", hex(v2.digest), ["ci"]]]);
    assert.deepEqual(seen.root, [pubRoot]);
    assert.deepEqual(seen.signers, ["ci"]);
  });

  test("certifier: v1 copied to certified/app, up certifies it as qa while the publisher's ci signs it; notary and docker read it", async () => {
    await copyImage(registry.host, v1, "certified/app");
    certifierConfig = {
      "notary:serverUrl": env.config["notary:serverUrl"]!,
      "notary:caPem": env.config["notary:caPem"]!,
      "trust-chain-certifier:gun": certGun,
      "trust-chain-certifier:sourceGun": pubGun,
      "trust-chain-certifier:sourceRootKeyId": pubRoot,
      "trust-chain-certifier:images": JSON.stringify({ v1: `${registry.host}/certified/app:v1` }),
    };
    const up = await env.up({ stack: certifier, config: certifierConfig });
    assert.equal(ops(up)["tag-v1"], "create");
    const out = plain(up.outputs);
    certRoot = out["rootKeyId"];
    assert.deepEqual(out["promotionHolds"], { v1: true });
    const seen = await goTools(certGun);
    assert.deepEqual(seen.notary, [["v1", hex(v1.digest), v1.size]]);
    assert.deepEqual(seen.tags, [["v1", hex(v1.digest), ["qa"]]]);
    assert.deepEqual(seen.root, [certRoot]);
    assert.notEqual(certRoot, pubRoot);
  });

  test("consumer: up deploys certified/app:v1 by its verified digest; a tag never certified (v2) fails the preview with the reason", async () => {
    consumerConfig = {
      "notary:serverUrl": env.config["notary:serverUrl"]!,
      "notary:caPem": env.config["notary:caPem"]!,
      "trust-chain-consumer:image": `${certGun}:v1`,
      "trust-chain-consumer:rootKeyId": certRoot,
    };
    const up = await env.up({ stack: consumer, config: consumerConfig });
    assert.equal(up.outputs["deployed"], `${certGun}@${v1.digest}`, "the pushed index's digest");
    assert.equal(plain(env.entry(DEPLOYMENT, "app", consumer).outputs)["image"], `${certGun}@${v1.digest}`);

    const out = await failureOf(env.preview({ stack: consumer, config: { ...consumerConfig, "trust-chain-consumer:image": `${certGun}:v2` } }));
    assert.match(out, new RegExp(`verifiedImage\\(${re(certGun)}:v2\\): VERIFICATION_FAILED: v2 is not signed in any valid role of ${re(certGun)}: .*targets/qa does not sign v2`));
    assert.doesNotMatch(out, /\bat .*\.(js|ts):\d+/, "no stack trace");
  });

  test("the publisher revokes v1: the certifier's preview and up fail naming it and change nothing; the consumer still runs the certified digest", async () => {
    env.set("images", { v2: `${registry.host}/team/app:v2` });
    const up = await env.up();
    assert.equal(ops(up)["tag-v1"], "delete");
    assert.deepEqual((await goTools(pubGun)).tags, [["v2", hex(v2.digest), ["ci"]]], "notary and docker no longer show v1 in team/app");
    assert.deepEqual((await goTools(pubGun)).notary, [["v2", hex(v2.digest), v2.size]]);

    const before = await env.fingerprint(certGun);
    const reason = new RegExp(
      `${re(certGun)}:v1 is promoted from ${re(pubGun)}:v1 only while ${v1.digest} is signed there as required, and it is not: ` +
        `VERIFICATION_FAILED: v1 is not signed in any valid role of ${re(pubGun)}: .*` +
        `promotedFrom\\.onViolation is "refuse": nothing is signed or revoked`,
    );
    assert.match(await failureOf(env.preview({ stack: certifier, config: certifierConfig })), reason);
    assert.match(await failureOf(env.up({ stack: certifier, config: certifierConfig })), reason);
    assert.deepEqual(await env.fingerprint(certGun), before, "nothing was published to certified/app");
    assert.deepEqual((await goTools(certGun)).tags, [["v1", hex(v1.digest), ["qa"]]], "certified/app still signs v1");

    // The certification stands until the certifier revokes it: the consumer's deployment is unchanged.
    const p = await env.expectNoChanges({ stack: consumer, config: consumerConfig });
    assert.equal(p.outputs["deployed"], `${certGun}@${v1.digest}`);
  });

  test("timings", (t) => {
    t.diagnostic(timingReport(env));
  });
});
