// The request time-out is configurable (docker's fixed 5 s ping time-out is a known complaint on slow links: docker/cli
// #1494): `notary:timeoutSeconds` in stack config, or `server.timeoutSeconds` on a resource, through the real provider
// host. A notary-server that never answers cannot be had from the real binary, so the tests listen on loopback with a
// socket that accepts connections and says nothing (it serves no bytes at all).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { startNotaryServer, type NotaryServer } from "../support/stack.ts";
import { startProviderHost, HostCallError, type DynamicHost } from "../support/dynhost.ts";
import { providers } from "../../dist/provider/src/providers.js";
import { PrivateKey } from "../../dist/sdk/src/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let silent: net.Server;
let silentUrl: string;
let server: NotaryServer;
const sockets = new Set<net.Socket>();
const hosts: DynamicHost[] = [];

before(async () => {
  silent = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  server = await startNotaryServer();
});
after(async () => {
  for (const h of hosts) await h.stop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  await server?.stop();
});

async function host(config: Record<string, string>): Promise<DynamicHost> {
  const h = await startProviderHost({ cwd: ROOT, project: "timeout", config });
  hosts.push(h);
  return h;
}

const text = async (p: object) => (await pulumi.runtime.serializeFunction(() => p, { allowSecrets: true })).text;

async function repositoryInputs(gun: string, extra: Record<string, unknown> = {}) {
  return { __provider: await text(providers.repository), gun, rootKey: PrivateKey.generate().exportPkcs8Pem(), targetsKey: PrivateKey.generate().exportPkcs8Pem(), ...extra };
}

async function createFails(h: DynamicHost, inputs: Record<string, unknown>): Promise<HostCallError> {
  const urn = h.urn("pulumi-nodejs:dynamic/notary:Repository", String(inputs["gun"]).replace(/\W/g, "-"));
  const checked = await h.check(urn, {}, inputs);
  assert.deepEqual(checked.failures, []);
  return await h.create(urn, checked.inputs).then(
    () => assert.fail("a server that never answers cannot succeed"),
    (e: unknown) => {
      assert.ok(e instanceof HostCallError, String(e));
      return e;
    },
  );
}

test("notary:timeoutSeconds from stack config bounds every request to a server that never answers", async () => {
  const h = await host({ "notary:serverUrl": silentUrl, "notary:timeoutSeconds": "1" });
  const err = await createFails(h, await repositoryInputs("timeout.example.com/config"));
  assert.match(err.message, /HTTP_TIMEOUT: .* within 1000 ms/);
});

test("server.timeoutSeconds on the resource overrides the stack config", async () => {
  const h = await host({ "notary:serverUrl": silentUrl, "notary:timeoutSeconds": "600" });
  const err = await createFails(h, await repositoryInputs("timeout.example.com/input", { server: { url: silentUrl, timeoutSeconds: 0.5 } }));
  assert.match(err.message, /HTTP_TIMEOUT: .* within 500 ms/);
});

test("a short time-out does not get in the way of a server that answers; a bad value is a check failure", async () => {
  const h = await host({ "notary:serverUrl": server.url, "notary:timeoutSeconds": "5" });
  const inputs = await repositoryInputs("timeout.example.com/ok");
  const urn = h.urn("pulumi-nodejs:dynamic/notary:Repository", "ok");
  const created = await h.create(urn, (await h.check(urn, {}, inputs)).inputs);
  assert.equal(created.id, "timeout.example.com/ok");

  for (const bad of [0, -1, "30"]) {
    const c = await h.check(urn, {}, { ...inputs, server: { timeoutSeconds: bad } });
    assert.deepEqual(c.failures, [{ property: "server.timeoutSeconds", reason: "must be a number of seconds > 0" }], `timeoutSeconds ${JSON.stringify(bad)}`);
  }
});

test("a malformed notary:timeoutSeconds in stack config fails every call with a coded error naming the key", async () => {
  const h = await host({ "notary:serverUrl": server.url, "notary:timeoutSeconds": "soon" });
  const urn = h.urn("pulumi-nodejs:dynamic/notary:Repository", "bad-config");
  const err = await h.check(urn, {}, await repositoryInputs("timeout.example.com/bad-config")).then(
    () => assert.fail("a malformed config value must be refused"),
    (e: unknown) => e as Error,
  );
  assert.match(err.message, /INPUT_INVALID: notary:timeoutSeconds: must be a number of seconds > 0/);
});
