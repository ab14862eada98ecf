// Password fields are secret in the state whatever the program passed (issue 11): a server password and a registry
// password given in plain text to a Repository and a SignedTag never appear in clear in `pulumi stack export`, in
// the resources' inputs or outputs, through the real Pulumi CLI. Before, both were kept in clear.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PulumiStack } from "../support/pulumi-cli.ts";
import { startNotaryServer, type NotaryServer } from "../support/stack.ts";
import { fakeManifest } from "./example-helpers.ts";
import { isSecret } from "../support/wire.ts";

const PASSWORD = "plain-password-7f3a91";

describe("credentials are secret in the state", () => {
  let server: NotaryServer;
  let stack: PulumiStack;
  const m = fakeManifest("credentials v1");
  before(async () => {
    server = await startNotaryServer();
    stack = await PulumiStack.init({ dir: "test/fixtures/credentials-program", stack: "creds" });
    await stack.setConfig({
      "credentials-program:url": server.url,
      "credentials-program:gun": "example.com/team/creds",
      "credentials-program:digest": m.digest,
      "credentials-program:size": String(m.size),
      "credentials-program:password": { secret: PASSWORD }, // the program reads it with config.require: plain text
    });
  });
  after(async () => {
    await stack?.remove();
    await server?.stop();
  });

  test("up with plain-text passwords: the state holds them only encrypted", async () => {
    const r = await stack.up();
    assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), "not printed");
    const raw = await stack.exportText();
    assert.ok(!raw.includes(PASSWORD), "stack export holds no password in clear");
    const d = await stack.exportState();
    const of = (type: string) => d.deployment.resources!.find((x) => x.type.endsWith(`notary:${type}`))!;
    assert.ok(isSecret(of("Repository").inputs!["server"]), "the Repository's server input is secret");
    assert.ok(isSecret(of("Repository").outputs!["server"]), "and its output");
    assert.ok(isSecret(of("SignedTag").inputs!["registry"]), "the SignedTag's registry input is secret");
    assert.ok(isSecret(of("SignedTag").outputs!["server"]), "its server output");
    assert.equal(of("Repository").outputs!["serverUrl"], server.url, "the URL alone stays readable");
    await stack.preview(["--expect-no-changes"]);
  });
});
