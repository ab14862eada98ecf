// Proves the dynamic-provider test harness (test/support/dynhost.ts, minieng.ts) against a
// throwaway dynamic provider (test/fixtures/harness/provider.ts) whose "remote" is a loopback HTTP server.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import {
  HostCallError,
  isSecret,
  liveHostPids,
  secret,
  startProviderHost,
  UNKNOWN,
  type ConfigValue,
  type DynamicHost,
  type PropertyMap,
} from "../support/dynhost.ts";
import { CheckFailedError, MiniEngine } from "../support/minieng.ts";
import { itemProvider } from "../fixtures/harness/provider.ts";
import { startRemote, type RemoteServer } from "../fixtures/harness/remote.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
// Plain ESM JS fixture (no .d.ts): imported through a URL string so it is typed `any`.
const ESM_PROVIDER = new URL("../fixtures/harness/esm-provider.js", import.meta.url).href;
const ITEM = "pulumi-nodejs:dynamic/harness:Item";
const TOKEN = "tok-s3cr3t-4711";
const PASSWORD = "hunter2-pw-0815";

async function serialize(provider: object): Promise<string> {
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  assert.equal(sf.containsSecrets, false);
  return sf.text;
}

const writes = (r: RemoteServer) => r.log.filter((l) => !l.startsWith("GET"));

let remote: RemoteServer;
let config: Record<string, ConfigValue>;
const hosts: DynamicHost[] = [];
async function newHost(): Promise<DynamicHost> {
  const h = await startProviderHost({ cwd: ROOT, project: "harness", config });
  hosts.push(h);
  return h;
}

before(async () => {
  remote = await startRemote();
  config = {
    "harness:baseUrl": remote.url,
    "harness:apiToken": { secret: TOKEN },
    "harness:size": "3",
    "harness:password": { secret: PASSWORD },
    "other:unrelated": "x",
  };
});

after(async () => {
  for (const h of hosts) await h.stop();
  assert.deepEqual(liveHostPids(), [], "every host was stopped");
  await remote.close();
});

describe("dynhost: the real dynamic provider host over gRPC", () => {
  let host: DynamicHost;
  let code: string;
  before(async () => {
    code = await serialize(itemProvider);
    host = await newHost();
  });

  test("starts, reports the SDK version, and was configured like the engine does", async (t) => {
    t.diagnostic(`host start (spawn → gRPC ready): ${Math.round(host.startupMs)} ms`);
    assert.ok(host.pid > 0 && host.port > 0);
    assert.ok(host.startupMs > 0 && host.startupMs < 30_000);
    const installed = JSON.parse(readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string };
    assert.equal(await host.getPluginInfo(), installed.version, "the version of the installed @pulumi/pulumi");
    // Re-sending Configure shows what the host advertises: no secrets, no preview support.
    const r = await host.configure();
    assert.equal(r.acceptSecrets, false);
    assert.equal(r.supportsPreview, false);
  });

  test("lifecycle: preview-create with unknowns, create, same, update, replace (DBR), refresh drift, gone, delete", async () => {
    remote.log.length = 0;
    const eng = new MiniEngine(host);
    const goal = (inputs: PropertyMap, extra: Record<string, unknown> = {}) => ({ type: ITEM, name: "life", inputs: { __provider: code, ...inputs }, ...extra });

    // preview of a create with an unknown input: Check only, inputs echoed as state, id unknown (""), stack untouched
    let r = await eng.up(goal({ name: "life-a", size: UNKNOWN, password: secret("pw") }), { preview: true });
    assert.equal(r.op, "create");
    assert.equal(r.id, "");
    assert.equal(r.outputs.size, UNKNOWN);
    assert.equal(r.outputs.revision, undefined, "provider-computed outputs are absent (unknown) in preview");
    assert.equal(eng.stack.size, 0);
    assert.deepEqual(writes(remote), []);

    // create: secrets are sent in plaintext (acceptSecrets=false) and re-annotated by key on the way back
    r = await eng.up(goal({ name: "life-a", size: 1, password: secret("pw") }, { additionalSecretOutputs: ["revision"] }));
    assert.equal(r.op, "create");
    assert.match(r.id, /^item-\d+$/);
    const created = remote.items.get(r.id);
    assert.equal(created?.password, "pw", "the provider received the plain value, not a secret wrapper");
    assert.ok(isSecret(r.outputs.password), "output with the same key as a secret input is secret again");
    assert.ok(!isSecret(r.outputs.passwordEcho), "a new output key is NOT secret (annotateSecrets is by key only)");
    assert.ok(isSecret(r.outputs.revision), "additionalSecretOutputs marks it secret");
    assert.ok(isSecret(r.inputs.password), "checked inputs are re-annotated too");
    assert.equal(typeof r.outputs.__provider, "string");
    const firstId = r.id;

    // same: Diff only, no remote writes
    remote.log.length = 0;
    r = await eng.up(goal({ name: "life-a", size: 1, password: secret("pw") }, { additionalSecretOutputs: ["revision"] }));
    assert.equal(r.op, "same");
    assert.equal(r.diff?.changes, "DIFF_NONE");
    assert.deepEqual(writes(remote), []);

    // preview of an update: nothing sent
    r = await eng.up(goal({ name: "life-a", size: 2, password: secret("pw") }), { preview: true });
    assert.equal(r.op, "update");
    assert.deepEqual(writes(remote), []);
    assert.equal((eng.stack.get(r.urn)?.outputs.size as number) ?? 0, 1, "preview does not touch the stack");

    // update
    r = await eng.up(goal({ name: "life-a", size: 2, password: secret("pw") }));
    assert.equal(r.op, "update");
    assert.equal(r.id, firstId);
    assert.equal(r.outputs.revision, 2);
    assert.deepEqual(writes(remote), [`PUT /items/${firstId}`]);

    // replace: the provider asks for delete-before-replace
    remote.log.length = 0;
    r = await eng.up(goal({ name: "life-b", size: 2, password: secret("pw") }));
    assert.equal(r.op, "replace");
    assert.deepEqual(r.steps.map((s) => s.op), ["delete-replaced", "replace", "create-replacement"]);
    assert.deepEqual(r.diff?.replaces, ["name"]);
    assert.deepEqual(writes(remote), [`DELETE /items/${firstId}`, "POST /items"]);
    assert.notEqual(r.id, firstId);
    const secondId = r.id;

    // resource option deleteBeforeReplace:false overrides the provider → create-before-delete
    // (the fake remote allows it because the name changes)
    remote.log.length = 0;
    r = await eng.up(goal({ name: "life-c", size: 2, password: secret("pw") }, { deleteBeforeReplace: false }));
    assert.deepEqual(r.steps.map((s) => s.op), ["create-replacement", "replace", "delete-replaced"]);
    assert.deepEqual(writes(remote), ["POST /items", `DELETE /items/${secondId}`]);
    const liveId = r.id;

    // refresh with drift: Read returns new outputs and (3.216+) new inputs
    remote.items.get(liveId)!.size = 99;
    let rf = await eng.refresh({ type: ITEM, name: "life" });
    assert.equal(rf.op, "refresh");
    assert.equal(rf.changed, true);
    assert.equal(rf.outputs.size, 99);
    assert.equal(rf.inputs.size, 99);
    assert.ok(isSecret(rf.outputs.password) && isSecret(rf.inputs.password), "refresh re-annotates secrets from the old state");
    // the next up corrects the drift
    r = await eng.up(goal({ name: "life-c", size: 2, password: secret("pw") }));
    assert.equal(r.op, "update");
    assert.equal(remote.items.get(liveId)?.size, 2);

    // deleted out of band: Read returns a blank id → dropped from the stack; next up creates again
    remote.items.delete(liveId);
    rf = await eng.refresh({ type: ITEM, name: "life" });
    assert.equal(rf.op, "read-gone");
    assert.equal(eng.stack.size, 0);
    r = await eng.up(goal({ name: "life-c", size: 2, password: secret("pw") }));
    assert.equal(r.op, "create");

    // delete
    remote.log.length = 0;
    const steps = await eng.destroy({ type: ITEM, name: "life" });
    assert.deepEqual(steps.map((s) => s.op), ["delete"]);
    assert.deepEqual(writes(remote), [`DELETE /items/${r.id}`]);
    assert.equal(remote.items.size, 0);
    assert.equal(eng.stack.size, 0);
  });

  test("ignoreChanges keeps the old input value; check failures fail the step", async () => {
    const eng = new MiniEngine(host);
    const g = (size: number) => ({ type: ITEM, name: "ign", inputs: { __provider: code, name: "ign", size }, ignoreChanges: ["size"] });
    await eng.up(g(1));
    const r = await eng.up(g(5));
    assert.equal(r.op, "same");
    assert.equal(r.inputs.size, 1);
    await eng.destroy(eng.urnOf(g(1)));

    await assert.rejects(eng.up({ type: ITEM, name: "bad", inputs: { __provider: code, name: "", size: 1 } }), (e: unknown) => {
      assert.ok(e instanceof CheckFailedError);
      assert.deepEqual(e.failures, [{ property: "name", reason: "name is required" }]);
      return true;
    });
  });

  test("gRPC errors surface with the provider's message; an empty id from create is refused", async () => {
    const eng = new MiniEngine(host);
    await eng.up({ type: ITEM, name: "dup1", inputs: { __provider: code, name: "dup", size: 1 } });
    await assert.rejects(eng.up({ type: ITEM, name: "dup2", inputs: { __provider: code, name: "dup", size: 1 } }), (e: unknown) => {
      assert.ok(e instanceof HostCallError);
      assert.equal(e.method, "create");
      assert.match(e.message, /POST \/items -> 409/);
      return true;
    });
    await eng.destroy({ type: ITEM, name: "dup1" });

    const emptyId = await serialize({ async create() { return { id: "", outs: {} }; } });
    await assert.rejects(host.create("urn:pulumi:dev::harness::pulumi-nodejs:dynamic:Resource::e", { __provider: emptyId }), /plugin returned empty resource.ID from create/);

    const undefOut = await serialize({ async create() { return { id: "u", outs: { x: undefined } }; } });
    await assert.rejects(host.create("urn:pulumi:dev::harness::pulumi-nodejs:dynamic:Resource::u", { __provider: undefOut }), /Unexpected struct type/);
  });

  test("values (unicode, secrets) and gRPC errors travel through the host and back unchanged", async () => {
    const eng = new MiniEngine(host);
    const goal = (size: number) => ({ type: ITEM, name: "wire", inputs: { __provider: code, name: "wire", size, password: secret("pw"), note: "é ✓ 𝄞" } });
    const ops = [(await eng.up(goal(1))).op, (await eng.up(goal(1))).op];
    const updated = await eng.up(goal(2));
    const error = await eng.up({ type: ITEM, name: "wire-dup", inputs: { __provider: code, name: "wire", size: 1 } }).then(
      () => "no error",
      (e: HostCallError) => `${e.method} ${e.code} ${e.message}`,
    );
    await eng.destroy({ type: ITEM, name: "wire" });
    assert.deepEqual([...ops, updated.op], ["create", "same", "update"]);
    assert.deepEqual(updated.inputs, goal(2).inputs, "checked inputs come back as sent, the secret marked again");
    assert.deepEqual(updated.outputs.password, secret("pw"));
    assert.match(error, /^create 2 .*409/);
  });

  test("a provider without diff(): DIFF_UNKNOWN → the engine compares inputs (including __provider)", async () => {
    const v1 = await serialize({ async create(i: PropertyMap) { return { id: "nd", outs: { ...i } }; }, async update(_id: string, _o: PropertyMap, n: PropertyMap) { return { outs: { ...n } }; } });
    const v2 = await serialize({ async create(i: PropertyMap) { return { id: "nd", outs: { ...i, v: 2 } }; }, async update(_id: string, _o: PropertyMap, n: PropertyMap) { return { outs: { ...n, v: 2 } }; } });
    const eng = new MiniEngine(host);
    const g = (p: string, x: number) => ({ type: "pulumi-nodejs:dynamic:Resource", name: "nodiff", inputs: { __provider: p, x } });
    await eng.up(g(v1, 1));
    let r = await eng.up(g(v1, 1));
    assert.equal(r.diff?.changes, "DIFF_UNKNOWN");
    assert.equal(r.op, "same");
    r = await eng.up(g(v2, 1));
    assert.equal(r.op, "update", "new provider code alone is an input change");
    assert.equal(r.outputs.v, 2);
    await eng.destroy(r.urn);
  });

  test("stdout/stderr of the host are captured; secrets stay out of them", async () => {
    const eng = new MiniEngine(host);
    host.clearLogs();
    const r = await eng.up({ type: ITEM, name: "logs", inputs: { __provider: code, name: "logs", size: 1, password: secret(PASSWORD) } });
    await host.waitForLog(/created item item-\d+ \(logs\)/);
    await host.waitForLog("stderr: create logs");
    assert.ok(host.stdout.some((l) => l.includes("created item")));
    assert.ok(host.stderr.some((l) => l.includes("stderr: create logs")));
    assert.ok(remote.auth.includes(`Bearer ${TOKEN}`), "the secret config value reached configure() unwrapped");
    assert.ok(!host.logs().includes(TOKEN) && !host.logs().includes(PASSWORD), "no secret in host output");
    await eng.destroy(r.urn);
  });
});

describe("closure serialization of providers defined in ESM modules", () => {
  test("ESM JS provider: package imports inside methods resolve from the host cwd (incl. self-reference)", async () => {
    const { selfRefProvider } = (await import(ESM_PROVIDER)) as { selfRefProvider: object };
    const code = await serialize(selfRefProvider);
    assert.doesNotMatch(code, /require\("node:http"\)|function request/, "the unused module-level import was not captured");
    const host = await newHost();
    const r = await host.create("urn:pulumi:dev::harness::pulumi-nodejs:dynamic:Resource::esm", { __provider: code, name: "esm" });
    assert.equal(r.id, "esm-esm");
    assert.equal(r.properties.self, "pulumi-notary", "import('pulumi-notary/package.json') self-referenced via exports");
    assert.equal(r.properties.semverValid, "1.2.3");
    assert.equal(r.properties.zod, "zod-ok");
    assert.equal(r.properties.shout, "ESM!", "module-level local helper captured by value");
    assert.equal(r.properties.cwd, ROOT);
    const built = existsSync(path.join(ROOT, "dist/sdk/src/index.js"));
    assert.equal(String(r.properties.sdk).startsWith(built ? "ok:" : "not-built"), true, `sdk import: ${String(r.properties.sdk)}`);
  });

  test("ESM module-level imports captured by methods: default import by reference, namespace/named imports fail", async () => {
    const m = (await import(ESM_PROVIDER)) as Record<string, object>;
    assert.match(await serialize(m.capturesDefaultImport!), /const http = require\("http"\)/);
    await assert.rejects(serialize(m.capturesNamespaceImport!), /captured[\s\S]*variable 'httpNs'[\s\S]*native code/);
    await assert.rejects(serialize(m.capturesNamedImport!), /referenced[\s\S]*function 'createHash'[\s\S]*could not be serialized/);
  });
});
