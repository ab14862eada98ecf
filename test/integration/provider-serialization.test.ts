// Guards on what the providers put into the state and what the host prints:
// - each serialized provider (the `__provider` text) has containsSecrets false, holds no credential, key material,
//   server URL or configuration, and loads nothing but `pulumi-notary/runtime`;
// - a real program (the resource classes under mocks, forwarded to the real host) sends that same text as a plain
//   string, keeps every private key secret in the state, and previews without touching the network;
// - no host log line, server log line or error message (check failures included) shows a private key or passphrase.
// Every provider-*.test.ts file runs the same leak scan over its own hosts' logs and errors through envPerFile's `after()`.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { before, describe, test } from "node:test";
import * as notary from "../../dist/provider/src/index.js";
import { isSecret, type PropertyMap } from "../support/dynhost.ts";
import { destroyStack, runProgram, Stack } from "../support/mock-forward.ts";
import {
  adminKeys,
  assertNoLeaks,
  dockerInspect,
  dockerInspectFails,
  envPerFile,
  expectFailure,
  goal,
  type Kind,
  newKey,
  pulumiUp,
  ROOT,
  secret,
  serializeProvider,
  serverRequests,
  stripSecrets,
  trackSecret,
  TYPES,
  upRepository,
  withoutNetwork,
} from "./provider-helpers.ts";

const KINDS = Object.keys(TYPES) as Kind[];

const env = envPerFile("serialization-test");

describe("serialized providers", () => {
  for (const kind of KINDS) {
    test(`${kind}: no secrets, no key material, no server URL or config; requires only pulumi-notary/runtime`, async () => {
      const { text, containsSecrets } = await serializeProvider(kind);
      assert.equal(containsSecrets, false);
      assert.doesNotMatch(text, /-----BEGIN/, "no PEM block");
      assert.doesNotMatch(text, /https?:\/\//, "no URL");
      assert.doesNotMatch(text, /127\.0\.0\.1|localhost/);
      assert.doesNotMatch(text, /notary:(serverUrl|caPem|password|username|client)/, "no config key");
      assert.doesNotMatch(text, /passphrase|password/i, "no credential field");
      // The provider object carries no captured configuration: `config` serializes as an empty object (or not at all).
      for (const m of text.matchAll(/var (__\w*config\w*) = (.*);/g)) assert.equal(m[2], "{}", `${m[1]} is empty`);
      const loads = [...text.matchAll(/\b(require|import)\s*\(\s*([^)]*)\)/g)].map((m) => m[2]!.trim());
      assert.ok(loads.length > 0, "the methods load the runtime lazily");
      assert.deepEqual([...new Set(loads)], ['"pulumi-notary/runtime"'], `only pulumi-notary/runtime is loaded: ${JSON.stringify(loads)}`);
      // The text is a CommonJS module whose handler returns the provider with all CRUD methods (evaluated from the
      // project root, as the host does with require-from-string).
      const requireFromString = createRequire(path.join(ROOT, "package.json"))("require-from-string") as (code: string, file: string) => { handler: () => Record<string, unknown> };
      const provider = requireFromString(text, path.join(ROOT, "serialized-provider.js")).handler();
      for (const m of ["check", "diff", "create", "read", "update", "delete"]) assert.equal(typeof provider[m], "function", `${kind}.${m}`);
    });
  }
});

/** Every string under `v` that holds a private key must be inside a secret. */
function assertKeysOnlyInSecrets(v: unknown, where: string): void {
  if (isSecret(v)) return;
  if (typeof v === "string") assert.ok(!/PRIVATE KEY-----/.test(v), `${where} holds a private key outside a secret`);
  else if (Array.isArray(v)) v.forEach((x, i) => assertKeysOnlyInSecrets(x, `${where}[${i}]`));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) assertKeysOnlyInSecrets(x, `${where}.${k}`);
}

describe("a real program (resource classes under mocks → real host)", () => {
  const stack = new Stack("serialization-test", "dev");
  let gun: string;
  const m = (() => {
    const bytes = randomBytes(321);
    return { digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`, size: bytes.length };
  })();
  const program = () => {
    const root = new notary.Key("root", { role: "root" });
    const targets = new notary.Key("targets");
    const repo = new notary.Repository("app", { gun, rootKey: root.privateKeyPem, targetsKey: targets.privateKeyPem, deleteOnDestroy: true });
    const alice = new notary.Key("alice");
    const signer = new notary.Signer("alice", { repository: repo, name: "alice", keys: [alice.publicKeyPem], targetsKey: targets.privateKeyPem });
    const ci = new notary.Key("ci");
    new notary.Delegation("ci", { repository: repo, role: "targets/ci", keys: [ci.publicKeyPem], paths: ["ci/"], parentKey: targets.privateKeyPem });
    // Signed by alice's key: only signable once the signer exists (without dependsOn the engine may create it first).
    new notary.SignedTag("v1", { repository: repo, tag: "v1", digest: m.digest, size: m.size, signingKeys: [alice.privateKeyPem] }, { dependsOn: [signer] });
    return { rootKeyId: repo.rootKeyId, targetsKeyId: repo.targetsKeyId, alice: alice.keyId };
  };

  before(() => {
    gun = env.gun("team/program");
  });

  test("preview: no request to the notary server; __provider is the plain serialized text", async () => {
    const { host } = await env.command("preview");
    const r = await withoutNetwork(env, "pulumi preview", () => runProgram(program, { host, stack, preview: true }));
    const dynamic = r.resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic"));
    assert.equal(dynamic.length, 8, "4 keys, repository, signer, delegation, signed tag");
    for (const x of dynamic) {
      const kind = KINDS.find((k) => TYPES[k] === x.type)!;
      assert.ok(kind, x.type);
      assert.equal(typeof x.inputs["__provider"], "string", `${x.name}: __provider is not a secret`);
      assert.equal(x.inputs["__provider"], (await serializeProvider(kind)).text, `${x.name}: the text the SDK serialized`);
    }
    assert.equal(stack.size, 0);
  });

  test("up: every private key stays secret in inputs and state; docker sees signer, tag and keys", async () => {
    const r = await runProgram(program, { host: (await env.command("up")).host, stack });
    for (const x of r.resources.filter((y) => y.type.startsWith("pulumi-nodejs:dynamic"))) {
      assertKeysOnlyInSecrets(x.inputs, `${x.name} inputs`);
      assertKeysOnlyInSecrets(x.state, `${x.name} state`);
      // Track the generated private keys too, for the leak scans.
      for (const v of Object.values(stripSecrets(x.state) as PropertyMap)) if (typeof v === "string" && v.includes("PRIVATE KEY")) trackSecret(v);
    }
    for (const e of stack.resources.values()) assertKeysOnlyInSecrets(e.outputs, `${e.name} stack outputs`);
    const out = stripSecrets(r.outputs) as Record<string, string>;
    const info = await dockerInspect(env, gun);
    assert.deepEqual(adminKeys(info), { root: [out["rootKeyId"]!], repository: [out["targetsKeyId"]!] });
    assert.deepEqual(
      info.Signers.map((s) => [s.Name, s.Keys.map((k) => k.ID)]).sort(),
      [["alice", [out["alice"]!]], ["ci", [stripSecrets(stack.byName("ci")!.outputs)["keyId"] as string]]].sort(),
    );
    assert.deepEqual(info.SignedTags, [{ SignedTag: "v1", Digest: m.digest.slice(7), Signers: ["alice"] }]);

    // A second up changes nothing and makes no write.
    const posts = serverRequests(env.server).filter((x) => x.method !== "GET").length;
    const again = await runProgram(program, { host: (await env.command("up")).host, stack });
    assert.ok(again.resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic")).every((x) => x.op === "same"));
    assert.equal(serverRequests(env.server).filter((x) => x.method !== "GET").length, posts);
  });

  test("destroy: everything deleted, trust data removed", async () => {
    await destroyStack(stack, { host: (await env.command("destroy")).host });
    assert.equal([...stack.resources.values()].filter((e) => e.custom).length, 0);
    await dockerInspectFails(env, gun);
  });
});

describe("no secret in host output or errors", () => {
  test("failing operations with secrets in their inputs print neither keys nor passphrases", async () => {
    const repo = await upRepository(env, "leaky", env.gun("team/leaky"));
    const passphrase = "correct-horse-battery-staple";
    trackSecret(passphrase);
    const wrong = newKey();
    const failures = [
      // Check failures (reasons are in the error message).
      goal("key", "k", { pem: secret(wrong.pem.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")), passphrase: secret(passphrase) }),
      goal("repository", "r", { gun: "bad gun", rootKey: secret(wrong.pem.slice(0, 80)), targetsKey: secret(wrong.pem) }),
      // Create failures (errors from the runtime).
      goal("signedTag", "t", { gun: repo.gun, trustedRoot: repo.outputs["trustedRoot"], tag: "v1", digest: `sha256:${"0".repeat(64)}`, size: 1, signingKeys: [secret(wrong.pem)] }),
      goal("signer", "s", { gun: repo.gun, trustedRoot: repo.outputs["trustedRoot"], name: "x", keys: [wrong.pub], targetsKey: secret(wrong.pem) }),
      goal("repository", "r2", { gun: repo.gun, rootKey: secret(wrong.pem), targetsKey: secret(repo.targets.pem) }),
    ];
    for (const g of failures) await expectFailure(env, pulumiUp(env, await g), /./);
    assert.ok(env.errors.length >= failures.length);
    assertNoLeaks(env.errors, "error message");
    for (const h of env.hosts) assertNoLeaks(h.logs().split("\n"), "host log line");
  });
});
