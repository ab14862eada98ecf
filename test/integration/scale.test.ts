// Many tags in one repository through the real provider host: publish and request COUNTS (never timings), as the
// engine would drive them. Group commit, staged intents, one verified fetch per run, zero requests for preview,
// and two concurrent runs losing nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import * as pulumi from "@pulumi/pulumi";
import { startNotaryServer, type NotaryServer } from "../support/stack.ts";
import { startProviderHost, type DynamicHost } from "../support/dynhost.ts";
import { requestCursor, isPublish } from "../support/server-log.ts";
import { providers } from "../../dist/provider/src/providers.js";
import { NotaryClient, PrivateKey, listTargets } from "../../dist/sdk/src/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const N = Number(process.env["SCALE_N"] ?? 120);
const PARALLEL = 8;

/** `step` over items, at most PARALLEL at once: how the engine's step executor runs creates, reads and checks. */
const inParallel = <T>(items: readonly T[], step: (t: T) => Promise<unknown>) => Readable.from(items).map(step, { concurrency: PARALLEL }).toArray();

let server: NotaryServer;
const hosts: DynamicHost[] = [];
let texts: Record<"repository" | "signer" | "signedTag", string>;

before(async () => {
  server = await startNotaryServer();
  const ser = async (p: object) => (await pulumi.runtime.serializeFunction(() => p, { allowSecrets: true })).text;
  texts = { repository: await ser(providers.repository), signer: await ser(providers.signer), signedTag: await ser(providers.signedTag) };
});
after(async () => {
  for (const h of hosts) await h.stop();
  await server?.stop();
});

async function host(): Promise<DynamicHost> {
  const h = await startProviderHost({ cwd: ROOT, project: "scale", config: { "notary:serverUrl": server.url } });
  hosts.push(h);
  return h;
}

const pem = () => PrivateKey.generate().exportPkcs8Pem();
const pubPem = (k: PrivateKey) => `-----BEGIN PUBLIC KEY-----\n${Buffer.from(k.publicKey.public).toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`;
const digest = (s: string) => "sha256:" + createHash("sha256").update(s).digest("hex");

async function repoWithSigner(h: DynamicHost, gun: string) {
  const release = PrivateKey.generate();
  const targets = pem();
  const rUrn = h.urn("pulumi-nodejs:dynamic/notary:Repository", gun);
  const repo = await h.create(rUrn, (await h.check(rUrn, {}, { __provider: texts.repository, gun, rootKey: pem(), targetsKey: targets })).inputs);
  const trustedRoot = repo.properties["trustedRoot"] as string;
  // What `repository: repo` gives dependents: the root's sha256.
  const trustedRootSha256 = repo.properties["trustedRootSha256"] as string;
  const sUrn = h.urn("pulumi-nodejs:dynamic/notary:Signer", "ci");
  await h.create(sUrn, (await h.check(sUrn, {}, { __provider: texts.signer, gun, trustedRootSha256, name: "ci", keys: [pubPem(release)], targetsKey: targets })).inputs);
  return { gun, trustedRoot, trustedRootSha256, releasePem: release.exportPkcs8Pem() };
}

const tag = (r: { gun: string; trustedRootSha256: string; releasePem: string }, name: string) => ({
  __provider: texts.signedTag,
  gun: r.gun,
  trustedRootSha256: r.trustedRootSha256,
  tag: name,
  digest: digest(`${r.gun}/${name}`),
  size: 1234,
  signingKeys: [r.releasePem],
});

async function signedTags(gun: string, trustedRoot: string): Promise<Set<string>> {
  const c = new NotaryClient({ url: server.url });
  try {
    const st = await c.repository(gun, { anchor: { trustedRoot: new Uint8Array(Buffer.from(trustedRoot, "base64")) } }).fetch();
    return new Set(listTargets(st, ["targets/releases"]).map((t) => t.name));
  } finally {
    await c.close();
  }
}

test(`${N} new SignedTags checked ahead of their creates go out in one publish; preview and refresh of them cost 0 and 1 fetch`, async () => {
  const up = await host();
  const r = await repoWithSigner(up, "scale.example.com/ahead");
  const cursor = requestCursor(() => server.log());
  const urn = (i: number) => up.urn("pulumi-nodejs:dynamic/notary:SignedTag", `t${i}`);
  const states = new Map<number, { id: string; props: Record<string, unknown> }>();
  // The step generator checks every registration in turn, ahead of the creates the executor runs in parallel.
  const checked: { i: number; inputs: Record<string, unknown> }[] = [];
  for (const i of Array(N).keys()) checked.push({ i, inputs: (await up.check(urn(i), {}, tag(r, `t${i}`))).inputs });
  await inParallel(checked, async ({ i, inputs }) => {
    const c = await up.create(urn(i), inputs);
    states.set(i, { id: c.id, props: c.properties });
  });
  await new Promise((res) => setTimeout(res, 200));
  const reqs = cursor.since();
  assert.equal(reqs.filter(isPublish).length, 1, "every staged change rode along with the first publish");
  assert.equal((await signedTags(r.gun, r.trustedRoot)).size, N);
  await new Promise((res) => setTimeout(res, 200));
  cursor.since();

  // `pulumi preview` (a new host): check + diff of every unchanged tag, no HTTP request at all.
  const pv = await host();
  await inParallel([...states.entries()], async ([i, s]) => {
    const checked = await pv.check(urn(i), s.props, tag(r, `t${i}`));
    const d = await pv.diff(urn(i), s.id, s.props, checked.inputs);
    assert.equal(d.changes, "DIFF_NONE");
  });
  await new Promise((res) => setTimeout(res, 200));
  assert.deepEqual(cursor.since(), [], "preview of unchanged resources makes no request");

  // `pulumi refresh` (a new host): N reads, one verified fetch of the repository.
  const rf = await host();
  await inParallel([...states.entries()], async ([i, s]) => {
    const read = await rf.read(urn(i), s.id, s.props);
    assert.equal(read.id, s.id);
  });
  await new Promise((res) => setTimeout(res, 200));
  const refreshReqs = cursor.since();
  assert.equal(refreshReqs.filter((q) => q.uri.endsWith("/root.json")).length, 1, "one root fetch");
  assert.equal(refreshReqs.filter((q) => q.uri.endsWith("/timestamp.json")).length, 1, "one timestamp fetch");
  assert.ok(refreshReqs.length <= 6, `one verified fetch: ${refreshReqs.map((q) => q.uri).join(", ")}`);
});

test(`group commit: ${N} creates arriving together (nothing staged) are merged into a few publishes`, async () => {
  const up = await host();
  const r = await repoWithSigner(up, "scale.example.com/together");
  const cursor = requestCursor(() => server.log());
  const urn = (i: number) => up.urn("pulumi-nodejs:dynamic/notary:SignedTag", `g${i}`);
  // Checked as updates of a previous state would be (olds given), so nothing is staged: only group commit merges.
  const checked = await Promise.all([...Array(N).keys()].map((i) => up.check(urn(i), { previous: true }, tag(r, `g${i}`))));
  await Promise.all(checked.map((c, i) => up.create(urn(i), c.inputs)));
  await new Promise((res) => setTimeout(res, 200));
  const publishes = cursor.since().filter(isPublish).length;
  // Without group commit this is one publish per create (${N}); with it, one per wave of arrivals.
  assert.ok(publishes >= 1 && publishes <= 8, `${publishes} publishes for ${N} concurrent creates`);
  assert.equal((await signedTags(r.gun, r.trustedRoot)).size, N);
});

test("two concurrent runs (two provider hosts) signing different tags of one GUN: every tag signed, none lost", async () => {
  const a = await host();
  const b = await host();
  const r = await repoWithSigner(a, "scale.example.com/two-runs");
  const half = N / 2;
  await Promise.all(
    [a, b].map((h, k) =>
      inParallel([...Array(half).keys()], async (i) => {
        const urn = h.urn("pulumi-nodejs:dynamic/notary:SignedTag", `r${k}-${i}`);
        await h.create(urn, (await h.check(urn, {}, tag(r, `r${k}-${i}`))).inputs);
      }),
    ),
  );
  const signed = await signedTags(r.gun, r.trustedRoot);
  const want = [0, 1].flatMap((k) => [...Array(half).keys()].map((i) => `r${k}-${i}`));
  assert.deepEqual(want.filter((t) => !signed.has(t)), [], "no tag lost");
});
