// The program side of the RepositoryStatus (provider/src/resources/status.ts), under Pulumi's mocks: one status per
// Repository, registered once, after the resources declared with `repository: repo`, whose URNs and write marks it
// takes as inputs with what each holds on the server (kept when Pulumi keeps the resource), with the keys the program
// gave them kept secret.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";

type Registered = { type: string; name: string; inputs: Record<string, unknown> };
const registered: Registered[] = [];

await pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const status = args.type.endsWith(":RepositoryStatus") ? { versions: { root: 1, targets: 2 } } : {};
      const roles = args.type.endsWith(":SignedTag") ? { signedRoles: ["targets/releases"] } : args.type.endsWith(":Signer") ? { keyIds: ["k1"] } : {};
      return { id: `${args.name}-id`, state: { ...args.inputs, snapshotVersion: 7, verified: { root: 1 }, trustedRootSha256: "e".repeat(64), ...status, ...roles } };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);

const notary = await import("../../../provider/src/index.ts");
const PEM = (n: string) => `-----BEGIN PRIVATE KEY-----\n${n}\n-----END PRIVATE KEY-----\n`;

test("one RepositoryStatus per Repository, after its dependents, registered once", async () => {
  const repo = new notary.Repository("app", { gun: "example.com/app", rootKey: PEM("root"), targetsKey: PEM("targets"), expiry: { targetsDays: 30 } });
  const tag = new notary.SignedTag("v1", { repository: repo, tag: "v1", digest: "sha256:" + "a".repeat(64), size: 1, signingKeys: [PEM("release")] });
  const other = new notary.Repository("other", { gun: "example.com/other", rootKey: PEM("root2"), targetsKey: PEM("targets2") });
  const third = new notary.Repository("third", { gun: "example.com/third", rootKey: PEM("root3"), targetsKey: PEM("targets3") });
  const group = new pulumi.ComponentResource("test:index:Group", "group", {}, { protect: true });
  const kept = [
    new notary.SignedTag("retained", { repository: third, tag: "r", digest: "sha256:" + "b".repeat(64), size: 1, signingKeys: [PEM("release")] }, { retainOnDelete: true }),
    new notary.Delegation("protected", { repository: third, role: "targets/qa", keys: [], parentKey: PEM("targets3") }, { protect: true }),
    new notary.Signer("inherits", { repository: third, name: "ci", keys: [], targetsKey: PEM("targets3") }, { parent: group }),
    new notary.Signer("unprotected", { repository: third, name: "dev", keys: [], targetsKey: PEM("targets3") }),
  ];
  notary.registerRepositoryStatus();
  notary.registerRepositoryStatus(); // the beforeExit hook runs it again: nothing new
  const statuses = async () => {
    await new Promise((r) => setTimeout(r, 50));
    return registered.filter((r) => r.type === "pulumi-nodejs:dynamic/notary:RepositoryStatus");
  };
  const s = await statuses();
  assert.deepEqual(s.map((x) => x.name).sort(), ["app-status", "other-status", "third-status"]);
  const app = s.find((x) => x.name === "app-status")!;
  const tagUrn = await new Promise<string>((r) => tag.urn.apply(r));
  assert.deepEqual(app.inputs["after"], [[tagUrn, 7, { kind: "tag", name: "v1", roles: ["targets/releases"] }]], "the tag's URN, write mark and claim");
  const urns = await Promise.all(kept.map((r) => new Promise<string>((res) => r.urn.apply(res))));
  assert.deepEqual(s.find((x) => x.name === "third-status")!.inputs["after"], [
    [urns[0], 7, { kind: "tag", name: "r", roles: ["targets/releases"], keep: "retained" }],
    [urns[1], 7, { kind: "delegation", name: "targets/qa", keep: "protected" }],
    [urns[2], 7, { kind: "signer", name: "ci", keyIds: ["k1"], keep: "protected" }],
    [urns[3], 7, { kind: "signer", name: "dev", keyIds: ["k1"] }],
  ], "retained, protected and protected by its parent: kept; the others are removed by the status when they leave");
  const keys = app.inputs["keys"] as Record<string, unknown>;
  assert.equal(keys[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig, "the keys are a secret input");
  assert.deepEqual(keys["value"], [PEM("root"), PEM("targets"), PEM("release")], "the keys the program gave the repository's resources");
  assert.deepEqual(app.inputs["expiry"], { targetsDays: 30 });
  assert.deepEqual(await new Promise((r) => repo.versions.apply(r)), { root: 1, targets: 2 }, "repo.versions are the status's outputs");
  assert.deepEqual((s.find((x) => x.name === "other-status")!.inputs["after"]), [], "a repository without dependents");
  void other;
});
