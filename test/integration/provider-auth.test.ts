// Credentials from stack config (notary:username, secret notary:password) against a notary-server with token auth,
// through the real provider host: the resources authenticate, and the password appears in no output, log or error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { startNotaryServer, makeTempDir, notaryCli, TOKEN_PASSWORD, type NotaryServer } from "../support/stack.ts";
import { startProviderHost, type DynamicHost } from "../support/dynhost.ts";
import { providers } from "../../dist/provider/src/providers.js";
import { PrivateKey } from "../../dist/sdk/src/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let server: NotaryServer;
const hosts: DynamicHost[] = [];

before(async () => {
  server = await startNotaryServer({ auth: true });
});
after(async () => {
  for (const h of hosts) await h.stop();
  await server?.stop();
});

async function host(config: Record<string, string | { secret: string }>): Promise<DynamicHost> {
  const h = await startProviderHost({ cwd: ROOT, project: "auth", config, env: { NOTARY_AUTH: undefined, DOCKER_CONFIG: await makeTempDir("no-docker-config") } });
  hosts.push(h);
  return h;
}

const text = async (p: object) => (await pulumi.runtime.serializeFunction(() => p, { allowSecrets: true })).text;

test("a Repository authenticates with notary:username and the secret notary:password from stack config", async () => {
  const gun = "auth.example.com/app";
  const inputs = { __provider: await text(providers.repository), gun, rootKey: PrivateKey.generate().exportPkcs8Pem(), targetsKey: PrivateKey.generate().exportPkcs8Pem() };

  // Without credentials the server refuses the push, with a coded error that says what to do.
  const anon = await host({ "notary:serverUrl": server.url });
  const urn = anon.urn("pulumi-nodejs:dynamic/notary:Repository", "app");
  await assert.rejects(anon.create(urn, (await anon.check(urn, {}, inputs)).inputs), /HTTP_UNAUTHORIZED|AUTH_FAILED/);

  // With them (the password as a secret config value, as `pulumi config set --secret` stores it), it works.
  const authed = await host({ "notary:serverUrl": server.url, "notary:username": "ci", "notary:password": { secret: TOKEN_PASSWORD } });
  server.tokens!.clearRequests();
  const created = await authed.create(urn, (await authed.check(urn, {}, inputs)).inputs);
  assert.equal(created.id, gun);
  const pushes = server.tokens!.requests.filter((r) => r.status === 200 && r.user === "ci" && r.scopes.some((s) => s.endsWith(":push,pull")));
  assert.ok(pushes.length >= 1, `the token server issued a push,pull token to user ci: ${JSON.stringify(server.tokens!.requests.map((r) => [r.user, r.scopes, r.status]))}`);

  // A wrong password: refused, and the message names neither password.
  const wrong = await host({ "notary:serverUrl": server.url, "notary:username": "ci", "notary:password": { secret: "not-the-password-xyz" } });
  const urn2 = wrong.urn("pulumi-nodejs:dynamic/notary:Repository", "other");
  const err = await wrong.create(urn2, (await wrong.check(urn2, {}, { ...inputs, gun: "auth.example.com/other" })).inputs).then(
    () => assert.fail("a wrong password must be refused"),
    (e: Error) => e,
  );
  assert.match(err.message, /AUTH_FAILED|HTTP_UNAUTHORIZED/);

  // The trust data is really there (notary reads anonymously), and no credential leaked anywhere.
  const trustDir = await makeTempDir("auth-notary");
  const list = await notaryCli(["list", gun], { trustDir, server });
  assert.match(list.stdout + list.stderr, /No targets present|NAME/);
  const everything = JSON.stringify(created.properties) + err.message + hosts.map((h) => h.logs()).join("\n");
  for (const secret of [TOKEN_PASSWORD, "not-the-password-xyz"]) {
    assert.ok(!new RegExp(`(?<![A-Za-z])${secret}(?![A-Za-z])`).test(everything), "a password appears in outputs, logs or errors");
  }
  assert.equal(created.properties["password"], undefined, "no password output");
});
