// Guards on what the providers put into the state and what the host prints:
// - each serialized provider (the `__provider` text) has containsSecrets false, holds no credential, key material,
//   server URL or configuration, and loads nothing but `pulumi-notary/runtime`;
// (that a real program sends that text as a plain string and keeps every private key secret in the state is shown
// through the real Pulumi CLI by the example tests);
// - no host log line, server log line or error message (check failures included) shows a private key or passphrase.
// Every provider-*.test.ts file runs the same leak scan over its own hosts' logs and errors through envPerFile's `after()`.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, test } from "node:test";
import {
  assertNoLeaks,
  envPerFile,
  expectFailure,
  goal,
  type Kind,
  newKey,
  pulumiUp,
  ROOT,
  secret,
  serializeProvider,
  trackSecret,
  TYPES,
  upRepository,
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
