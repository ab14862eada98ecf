// The program side of the RepositoryStatus (provider/src/resources/status.ts), under Pulumi's mocks: one status per
// Repository, registered once, after the resources declared with `repository: repo`, whose URNs and write marks it
// takes as inputs, with the keys the program gave them kept secret.
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
      return { id: `${args.name}-id`, state: { ...args.inputs, snapshotVersion: 7, verified: { root: 1 }, trustedRootSha256: "e".repeat(64), ...status } };
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
  notary.registerRepositoryStatus();
  notary.registerRepositoryStatus(); // the beforeExit hook runs it again: nothing new
  const statuses = async () => {
    await new Promise((r) => setTimeout(r, 50));
    return registered.filter((r) => r.type === "pulumi-nodejs:dynamic/notary:RepositoryStatus");
  };
  const s = await statuses();
  assert.deepEqual(s.map((x) => x.name).sort(), ["app-status", "other-status"]);
  const app = s.find((x) => x.name === "app-status")!;
  const tagUrn = await new Promise<string>((r) => tag.urn.apply(r));
  assert.deepEqual(app.inputs["after"], [[tagUrn, 7]], "the tag's URN and write mark");
  const keys = app.inputs["keys"] as Record<string, unknown>;
  assert.equal(keys[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig, "the keys are a secret input");
  assert.deepEqual(keys["value"], [PEM("root"), PEM("targets"), PEM("release")], "the keys the program gave the repository's resources");
  assert.deepEqual(app.inputs["expiry"], { targetsDays: 30 });
  assert.deepEqual(await new Promise((r) => repo.versions.apply(r)), { root: 1, targets: 2 }, "repo.versions are the status's outputs");
  assert.deepEqual((s.find((x) => x.name === "other-status")!.inputs["after"]), [], "a repository without dependents");
  void other;
});
