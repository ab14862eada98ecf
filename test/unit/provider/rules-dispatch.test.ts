// The providers' one entry (`dispatch`): each method reaches its kind's operation and answers in the host's shape;
// every check but the Key's also checks the server URL, so `pulumi preview` reports a missing one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dispatch, runtime, type Kind } from "../../../provider/src/runtime/index.ts";
import type { ProviderConfig } from "../../../provider/src/runtime/config.ts";
import { GUN } from "./rules-support.ts";

test("the checks of every kind but Key report a missing server URL", async () => {
  const saved = process.env["DOCKER_CONTENT_TRUST_SERVER"];
  delete process.env["DOCKER_CONTENT_TRUST_SERVER"];
  try {
    for (const kind of Object.keys(runtime) as Kind[]) {
      const { failures } = await runtime[kind].check({}, undefined, { gun: GUN });
      assert.equal(failures.some((f) => f.property === "server.url"), kind !== "key", kind);
    }
  } finally {
    if (saved !== undefined) process.env["DOCKER_CONTENT_TRUST_SERVER"] = saved;
  }
});

test("dispatch: configure reads the stack config; read, update and delete answer in the host's shape", async () => {
  const provider: { kind: Kind; config: ProviderConfig } = { kind: "key", config: {} };
  await dispatch(provider, "configure", [{ config: { get: (k: string) => ({ "notary:serverUrl": "https://n.example.com", "notary:renewBeforeDays": "30" })[k] } }]);
  assert.deepEqual(provider.config, { url: "https://n.example.com", renewBeforeDays: 30 });
  const props = { keyId: "k", role: "ci" };
  assert.deepEqual(await dispatch(provider, "read", ["k", props]), { id: "k", props });
  assert.deepEqual(await dispatch(provider, "update", ["k", props, { role: "releases" }]), { outs: { keyId: "k", role: "releases" } });
  assert.equal(await dispatch(provider, "delete", ["k", props]), undefined);
  const checked = (await dispatch(provider, "check", [{}, { pem: "garbage" }])) as { failures: { property: string }[] };
  assert.deepEqual(checked.failures.map((f) => f.property), ["pem"]);
  await assert.rejects(dispatch(provider, "invoke" as "read", ["k", props]), /unknown provider operation invoke/);
  await assert.rejects(dispatch(provider, "configure", [{ config: { get: (k: string) => (k === "notary:timeoutSeconds" ? "soon" : undefined) } }]), /^NotaryError: INPUT_INVALID: notary:timeoutSeconds: must be a number of seconds > 0/);
});
