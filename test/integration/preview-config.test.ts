// `pulumi preview` catches what can be known offline about the server URL (issue 11): none configured, or one without
// its scheme, fails the preview naming the config key and what to set, with no server running at all. Before, both
// passed preview and failed only at `up`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PulumiStack } from "../support/pulumi-cli.ts";

describe("preview checks the notary server URL offline", () => {
  let stack: PulumiStack;
  before(async () => {
    stack = await PulumiStack.init({ dir: "test/fixtures/renewal-program", stack: "urls" });
    await stack.setConfig({ "renewal-program:gun": "example.com/team/urls", "renewal-program:digest": `sha256:${"a".repeat(64)}`, "renewal-program:size": "10" });
  });
  after(async () => {
    await stack?.remove();
  });

  test("no URL anywhere: preview fails saying which config key to set", async () => {
    const r = await stack.preview([], { allowFailure: true, env: { DOCKER_CONTENT_TRUST_SERVER: "" } });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /property server\.url .*no notary server: `pulumi config set notary:serverUrl https:\/\/notary\.example\.com:4443`/s);
  });

  test("a URL without its scheme: preview fails naming notary:serverUrl and the form to use", async () => {
    await stack.setConfig({ "notary:serverUrl": "notary.example.com:4443" });
    const r = await stack.preview([], { allowFailure: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /notary:serverUrl is \\?"notary\.example\.com:4443\\?": give the notary server's URL with its scheme, https:\/\/host:port/);
  });

  test("with the scheme the same preview passes (nothing is contacted in a preview of creates)", async () => {
    await stack.setConfig({ "notary:serverUrl": "https://notary.example.com:4443" });
    const r = await stack.preview([]);
    assert.equal(r.code, 0);
  });
});
