// Fault (issue 10): the registry is down while an image given by tag is resolved. Through the real Pulumi CLI on
// examples/quickstart with `image` set, the registry behind a TCP proxy that is stopped and started again on the same
// port: `preview` and `up` fail naming the image, without a request to the notary server and without publishing; once
// the registry is back, `up` converges with nothing signed twice and `preview --expect-no-changes` passes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PulumiStack } from "../support/pulumi-cli.ts";
import { pushOciImage, startNotaryServer, startRegistry, type NotaryServer, type PushedImage, type Registry } from "../support/stack.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { serverRequests } from "./example-helpers.ts";
import { serverFingerprint } from "./interop-helpers.ts";

describe("the registry down while an image is resolved", () => {
  let server: NotaryServer;
  let registry: Registry;
  let proxy: TcpProxy;
  let stack: PulumiStack;
  let image: PushedImage;
  const gun = "example.com/team/registry-down";
  let ref: string;

  before(async () => {
    server = await startNotaryServer();
    registry = await startRegistry();
    proxy = await startTcpProxy("127.0.0.1", registry.port);
    image = await pushOciImage(registry.host, "team/app", "v1", { multiArch: true });
    ref = `127.0.0.1:${proxy.port}/team/app:v1`;
    stack = await PulumiStack.init({ dir: "examples/quickstart", stack: "registry-down" });
    await stack.setConfig({ "notary:serverUrl": server.url, "notary-quickstart:gun": gun, "notary-quickstart:image": ref });
    await stack.up();
  });
  after(async () => {
    await stack?.remove();
    await proxy?.close();
    await registry?.stop();
    await server?.stop();
  });

  const signedDigest = async () => {
    const d = await stack.exportState();
    return (d.deployment.resources?.find((r) => r.type.endsWith("notary:SignedTag"))?.outputs as Record<string, unknown>)["signedDigest"];
  };

  it("preview and up fail naming the image; nothing is asked of notary, nothing is published, the state is kept", async () => {
    assert.equal(await signedDigest(), image.digest);
    const fp = await serverFingerprint(server, gun);
    await proxy.close(); // the registry is down
    const requests = serverRequests(server).length;
    for (const args of [["preview"], ["up", "--yes"]]) {
      const r = await stack.run(args, { allowFailure: true });
      assert.notEqual(r.code, 0, `pulumi ${args[0]} fails`);
      assert.match(r.stdout + r.stderr, new RegExp(`127\\.0\\.0\\.1:${proxy.port}`), "the error names the registry of the image");
      assert.match(r.stdout, /notary:SignedTag v1/, "on the SignedTag");
    }
    assert.equal(serverRequests(server).length, requests, "no request to the notary server");
    assert.deepEqual(await serverFingerprint(server, gun), fp, "nothing published");
    assert.equal(await signedDigest(), image.digest, "the state still says what is signed");
  });

  it("once the registry is back, up converges with nothing signed twice", async () => {
    proxy = await startTcpProxy("127.0.0.1", registry.port, proxy.port);
    const fp = await serverFingerprint(server, gun);
    const r = await stack.up();
    assert.match(r.stdout, /Resources:\n\s+8 unchanged/);
    await stack.preview(["--expect-no-changes"]);
    assert.deepEqual(await serverFingerprint(server, gun), fp, "nothing re-signed");
    assert.equal(await signedDigest(), image.digest);
  });
});
