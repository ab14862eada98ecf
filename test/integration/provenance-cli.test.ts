// Provenance in the trust data, through the real Pulumi CLI (issue 12, part 1), against a real notary-server and
// docker-registry. Three tags: v1 by digest with its provenance given as an input; v2 by a tag reference to a single
// image whose config labels say it (buildx's BUILDX_GIT_LABELS names, a "-dirty" revision) and one annotation
// overrides a label; v3 pinned by digest to an OCI index whose annotations say it. The provenance is signed into each
// target's custom data: the SDK's verified read and `pulumi-notary inspect` show it, the Go `notary` client and
// `docker trust inspect` still read the repository, and notary still signs in the role. A change of the input is an
// update that re-signs; the custom data re-signed out of band by the notary CLI (same digest) is drift that
// `preview --refresh --expect-no-changes` reports and `up --refresh` repairs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { NotaryClient, canonicalJson, lookupTarget } from "../../sdk/src/index.ts";
import { makeTempDir, pushOciImage, startRegistry, type PushedImage, type Registry } from "../support/stack.ts";
import { ExampleEnv, fakeManifest, hex, ops, plain, ROOT, T } from "./example-helpers.ts";

let registry: Registry;
const env = ExampleEnv.perFile("provenance", {
  dir: "test/fixtures/provenance-program",
  setup: async () => {
    registry = await startRegistry();
  },
  teardown: async () => {
    await registry?.stop();
  },
});

const REV1 = "1111111111111111111111111111111111111111";
const REV2 = "2222222222222222222222222222222222222222";
const REV3 = "3333333333333333333333333333333333333333";
const GIVEN = { source: "https://git.example.com/team/app.git", revision: REV1, dirty: false, dockerfile: "docker/Dockerfile" };
/** What the custom data of each tag must be, byte for byte (canonical JSON: sorted keys, no whitespace). */
const CUSTOM = {
  v1:
    '{"com.docker.image.source.entrypoint":"docker/Dockerfile","dev.pulumi-notary.dirty":false,' +
    `"org.opencontainers.image.revision":"${REV1}","org.opencontainers.image.source":"https://git.example.com/team/app.git"}`,
  v2:
    '{"com.docker.image.source.entrypoint":"build/Dockerfile.app","dev.pulumi-notary.dirty":true,' +
    `"org.opencontainers.image.revision":"${REV2}","org.opencontainers.image.source":"https://github.com/team/app"}`,
  v3: `{"org.opencontainers.image.revision":"${REV3}","org.opencontainers.image.source":"https://github.com/team/app"}`,
};

const CLI = path.join(ROOT, "dist/cli/main.js");

describe("provenance signed in the trust data, through the CLI", () => {
  let gun: string;
  let v2: PushedImage;
  let v3: PushedImage;
  let client: NotaryClient;
  const m = fakeManifest("provenance v1");

  before(async () => {
    gun = env.gun("team/app");
    v2 = await pushOciImage(registry.host, "team/app", "v2", {
      multiArch: false,
      labels: {
        "org.opencontainers.image.source": "https://labels.example.com/team/app",
        "org.opencontainers.image.revision": `${REV2}-dirty`,
        "com.docker.image.source.entrypoint": "build/Dockerfile.app",
      },
      annotations: { "org.opencontainers.image.source": "https://github.com/team/app" },
    });
    v3 = await pushOciImage(registry.host, "team/app", "v3", {
      multiArch: true,
      annotations: { "org.opencontainers.image.source": "https://github.com/team/app", "org.opencontainers.image.revision": REV3 },
    });
    env.set("gun", gun);
    env.set("digest", m.digest);
    env.set("size", String(m.size));
    env.set("provenance", GIVEN);
    env.set("image2", `${registry.host}/team/app:v2`);
    env.set("image3", `${registry.host}/team/app@${v3.digest}`);
    client = new NotaryClient({ url: env.server.url, tls: { ca: env.server.caPem! } });
  });
  after(async () => {
    await client?.close();
  });

  /** The SDK's verified read (pinned to the root key ID): each tag's custom data as canonical JSON. */
  async function sdkCustom(): Promise<Record<string, string | undefined>> {
    const rootKeyId = env.outputs(T.repository, "app")["rootKeyId"] as string;
    const state = await client.repository(gun, { anchor: { rootKeyIds: [rootKeyId] } }).fetch();
    const read = (tag: string) => {
      const e = lookupTarget(state, tag);
      return e?.custom === undefined ? undefined : canonicalJson(e.custom);
    };
    return { v1: read("v1"), v2: read("v2"), v3: read("v3") };
  }

  /** The Go client reads the repository: tags, digests and sizes (it has no column for custom data). */
  async function goReads(digests: { v1: string; v2: string; v3: string }) {
    const rows = await env.notaryList(gun);
    assert.deepEqual(rows.map((r) => [r.name, r.digest, r.role]), [["v1", hex(digests.v1), "targets"], ["v2", hex(digests.v2), "targets"], ["v3", hex(digests.v3), "targets"]].sort());
    const docker = await env.dockerInspect(gun);
    assert.deepEqual(docker.SignedTags.map((t) => [t.SignedTag, t.Digest]), [["v1", hex(digests.v1)], ["v2", hex(digests.v2)], ["v3", hex(digests.v3)]]);
    return docker;
  }

  test("up signs the provenance given and the images' into the custom data; SDK, inspect, notary and docker read it", async () => {
    const r = await env.up();
    assert.deepEqual(ops(r), { root: "create", targets: "create", app: "create", v1: "create", v2: "create", v3: "create", "app-status": "create" });
    assert.deepEqual(plain(r.outputs)["provenance"], {
      v1: GIVEN,
      v2: { source: "https://github.com/team/app", revision: REV2, dirty: true, dockerfile: "build/Dockerfile.app" },
      v3: { source: "https://github.com/team/app", revision: REV3 },
    });
    for (const tag of ["v1", "v2", "v3"]) {
      const o = env.outputs(T.signedTag, tag);
      assert.deepEqual(o["serverProvenance"], o["signedProvenance"], `${tag}: the server holds what was signed`);
    }
    assert.deepEqual(await sdkCustom(), CUSTOM);

    const docker = await goReads({ v1: m.digest, v2: v2.digest, v3: v3.digest });
    // The bytes notary fetched and cached: the custom data exactly as signed (the Go client verified them).
    const cached = await readFile(path.join(env.trustDir, "tuf", gun, "metadata", "targets.json"), "utf8");
    for (const custom of Object.values(CUSTOM)) assert.ok(cached.includes(`"custom":${custom}`), `targets.json holds ${custom}`);

    // pulumi-notary inspect: docker's JSON unchanged, plus the custom data per tag and role.
    const rootKeyId = env.outputs(T.repository, "app")["rootKeyId"] as string;
    const ours = spawnSync(process.execPath, [CLI, "inspect", gun, "--server", env.server.url, "--ca", env.server.caFile!, "--root-key-id", rootKeyId], {
      encoding: "utf8",
      env: { PATH: process.env["PATH"] ?? "" },
    });
    assert.equal(ours.status, 0, ours.stderr);
    const [{ Expiries: _e, Custom, ...view }] = JSON.parse(ours.stdout) as [Record<string, unknown> & { Custom: { SignedTag: string; Role: string; Digest: string; Custom: unknown }[] }];
    assert.deepEqual(view, docker, "the docker part is docker's");
    assert.deepEqual(
      Custom.map((c) => [c.SignedTag, c.Role, c.Digest, canonicalJson(c.Custom)]),
      [["v1", "targets", hex(m.digest), CUSTOM.v1], ["v2", "targets", hex(v2.digest), CUSTOM.v2], ["v3", "targets", hex(v3.digest), CUSTOM.v3]],
    );
  });

  test("preview --expect-no-changes passes: the pinned index and the floating tag read the same provenance", async () => {
    await env.expectNoChanges();
  });

  test("a provenance the Go tools could not re-sign is refused before anything is signed", async () => {
    env.set("provenance", { ...GIVEN, source: "https://git.example.com/team/app.git?ref=main&x=1" });
    const before = await env.fingerprint(gun);
    const r = await env.up({ allowFailure: true });
    assert.notEqual(r.result.code, 0);
    assert.match(r.result.stdout + r.result.stderr, /provenance\.source[^\n]*no Go tool could sign in this role again/);
    assert.deepEqual(await env.fingerprint(gun), before, "nothing published");
    env.set("provenance", GIVEN);
  });

  test("changing the provenance input is an update that re-signs the tag's custom data (same digest)", async () => {
    const before = await env.fingerprint(gun);
    env.set("provenance", { ...GIVEN, revision: REV2, dirty: true });
    const r = await env.up();
    assert.deepEqual(ops(r), { root: "same", targets: "same", app: "same", v1: "update", v2: "same", v3: "same", "app-status": "update" });
    const after = await env.fingerprint(gun);
    assert.equal(after["targets"], (before["targets"] as number) + 1, "targets re-signed once");
    const custom = await sdkCustom();
    assert.equal(custom.v1, CUSTOM.v1.replace(REV1, REV2).replace('"dev.pulumi-notary.dirty":false', '"dev.pulumi-notary.dirty":true'));
    assert.equal(custom.v2, CUSTOM.v2);
    assert.equal(env.outputs(T.signedTag, "v1")["signedDigest"], m.digest);
    await goReads({ v1: m.digest, v2: v2.digest, v3: v3.digest });
    await env.expectNoChanges();
  });

  test("custom data re-signed out of band (same digest): preview --refresh fails naming the tag; up --refresh restores it", async () => {
    const declared = (await sdkCustom()).v1!;
    await env.importKeyToNotary(env.outputs(T.key, "targets")["privateKeyPem"], "targets", gun);
    const file = path.join(await makeTempDir("custom"), "custom.json");
    const rogue = `{"org.opencontainers.image.revision":"${"9".repeat(40)}","org.opencontainers.image.source":"https://evil.example.com/app"}`;
    await writeFile(file, rogue);
    await env.notary(["addhash", gun, "v1", String(m.size), "--sha256", hex(m.digest), "--custom", file, "-p"]);
    assert.equal((await sdkCustom()).v1, rogue, "notary re-signed the role with its custom data");
    await goReads({ v1: m.digest, v2: v2.digest, v3: v3.digest }); // same digests: only the custom data differs

    const pr = await env.previewRefresh({ expectNoChanges: true, allowFailure: true });
    assert.notEqual(pr.result.code, 0, "the CI check fails");
    assert.match(pr.result.stdout + pr.result.stderr, /no changes were expected for .* but changes were proposed/);
    assert.match(pr.result.stdout, /~ .*notary:SignedTag\s+v1\s+update/, "the preview names the tag");
    assert.deepEqual(ops(pr), { root: "same", targets: "same", app: "same", v1: "update", v2: "same", v3: "same", "app-status": "update" });
    assert.deepEqual(plain(pr.refresh.find((x) => x.name === "v1")!.outputs)["serverProvenance"], {
      source: "https://evil.example.com/app",
      revision: "9".repeat(40),
    });

    const up = await env.upRefresh();
    assert.equal(ops(up)["v1"], "update");
    assert.equal((await sdkCustom()).v1, declared, "the declared provenance is signed again");
    assert.deepEqual(env.outputs(T.signedTag, "v1")["serverProvenance"], env.outputs(T.signedTag, "v1")["signedProvenance"]);
    await goReads({ v1: m.digest, v2: v2.digest, v3: v3.digest });
    const check = await env.previewRefresh({ expectNoChanges: true });
    assert.equal(check.result.code, 0);
  });
});
