// Stack config (`notary:*`) as the providers' configure reads it: strings as given, numbers checked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readConfig, serverOptions } from "../../../provider/src/runtime/common.ts";
import type { NotaryError } from "../../../sdk/src/errors.ts";

const from = (values: Record<string, string>) => readConfig((k) => values[k]);

test("config values: strings as given, numbers parsed, empty ones ignored", () => {
  const c = from({ "notary:serverUrl": "https://notary.example.com", "notary:renewBeforeDays": "30", "notary:timeoutSeconds": "2.5", "notary:username": "" });
  assert.deepEqual(c, { url: "https://notary.example.com", renewBeforeDays: 30, timeoutSeconds: 2.5 });
  assert.equal(serverOptions(c, undefined, "example.com/app").timeoutMs, 2500);
  assert.equal(serverOptions(c, { timeoutSeconds: 1 }, "example.com/app").timeoutMs, 1000, "the resource's server input wins");
  assert.equal(serverOptions({ url: "https://n.example.com" }, undefined, "example.com/app").timeoutMs, undefined, "the SDK default applies");
});

test("malformed numbers fail with INPUT_INVALID naming the config key", () => {
  for (const [key, value, reason] of [
    ["notary:timeoutSeconds", "soon", /seconds > 0/],
    ["notary:timeoutSeconds", "0", /seconds > 0/],
    ["notary:renewBeforeDays", "-1", /days ≥ 0/],
    ["notary:renewBeforeDays", "many", /days ≥ 0/],
  ] as const) {
    assert.throws(
      () => from({ [key]: value }),
      (e: NotaryError) => e.code === "INPUT_INVALID" && e.message.startsWith(`${key}: `) && reason.test(e.message) && e.details?.["field"] === key,
      `${key}=${value}`,
    );
  }
});
