// A notary server that is unavailable (HTTP 502/503/504, or a 500 such as the storage failing) is not a refused upload:
// the SDK says SERVER_UNAVAILABLE, retryable, as the Go client says ErrServerUnavailable (issue 10, item 5; it said
// SERVER_REJECTED before). Shown with a real notary-server behind a proxy that answers the publish itself with a 503,
// as a load balancer in maintenance does (a fault the server alone cannot produce), and on the status table.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NotaryClient } from "../../sdk/src/client.ts";
import { PrivateKey } from "../../sdk/src/crypto/sign.ts";
import { isNotaryError } from "../../sdk/src/errors.ts";
import { serverError } from "../../sdk/src/remote/notary-server.ts";
import { startHttpProxy } from "../support/http-proxy.ts";
import { startNotaryServer, type NotaryServer } from "../support/stack.ts";
import { manifest, serverFingerprint } from "./interop-helpers.ts";

/** A proxy to `target` that answers POSTs with a load balancer's 503 page while `failing` is true. */
async function maintenanceProxy(target: string): Promise<{ url: string; failing: boolean; close(): Promise<void> }> {
  const state = { failing: true, url: "", close: async () => {} };
  const proxy = await startHttpProxy(target, (req, res) => {
    if (req.method !== "POST" || !state.failing) return false;
    req.resume();
    res.writeHead(503, { "content-type": "text/html" }).end("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n");
    return true;
  });
  state.url = proxy.url;
  state.close = proxy.close;
  return state;
}

describe("an unavailable notary server", () => {
  let server: NotaryServer;
  before(async () => {
    server = await startNotaryServer();
  });
  after(async () => {
    await server.stop();
  });

  it("a publish answered 503 fails with SERVER_UNAVAILABLE (retryable), nothing is published, the same publish works later", async () => {
    const gun = "example.com/team/unavailable";
    const root = PrivateKey.generate();
    const targets = PrivateKey.generate();
    const direct = new NotaryClient({ url: server.url });
    const st = await direct.repository(gun, { anchor: { tofu: true } }).initialize({ rootKey: root, targetsKey: targets });
    await direct.close();
    const proxy = await maintenanceProxy(server.url);
    const client = new NotaryClient({ url: proxy.url });
    try {
      const repo = client.repository(gun, { anchor: { trustedRoot: st.root.bytes } });
      const m = manifest("unavailable v1");
      const before = await serverFingerprint(server, gun);
      const err = await repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: m.meta }], { keys: [targets] }).catch((e: unknown) => e);
      assert.ok(isNotaryError(err), String(err));
      assert.equal(err.code, "SERVER_UNAVAILABLE", err.message);
      assert.equal(err.details?.["retryable"], true);
      assert.equal(err.details?.["status"], 503);
      assert.match(err.message, /unavailable \(HTTP 503\).*run the command again later/);
      assert.doesNotMatch(err.message, /rejected|check the/i, "not worded as a refused upload");
      assert.deepEqual(await serverFingerprint(server, gun), before, "nothing was published");

      proxy.failing = false;
      await repo.publish([{ type: "setTarget", role: "targets", name: "v1", meta: m.meta }], { keys: [targets] });
      assert.notDeepEqual(await serverFingerprint(server, gun), before, "published once the server is back");
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it("every status the Go client calls 'server unavailable' is SERVER_UNAVAILABLE; refusals keep their codes", () => {
    const res = (status: number, body: string) => ({ status, headers: {}, body: new TextEncoder().encode(body), url: "http://x/" });
    const code = (status: number, body = "") => serverError(res(status, body), "POST example.com/app", "example.com/app").code;
    for (const s of [500, 502, 503, 504, 408, 429]) assert.equal(code(s), "SERVER_UNAVAILABLE", `HTTP ${s}`);
    assert.equal(code(500, '{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}'), "SERVER_UNAVAILABLE");
    assert.equal(code(400, '{"errors":[{"code":"VERSION","message":"A newer version of metadata is already available.","detail":{}}]}'), "SERVER_VERSION_CONFLICT");
    assert.equal(
      code(400, '{"errors":[{"code":"INVALID_UPDATE","message":"Update sent by the client is invalid.","detail":{"Name":"ErrBadRoot","Error":{"Msg":"bad"}}}]}'),
      "SERVER_REJECTED",
    );
    assert.equal(code(404, '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist.","detail":{}}]}'), "HTTP_NOT_FOUND");
  });
});
