// isNotaryError tells our errors from Node's and undici's, which also carry a string `code`; by shape, so a second
// copy of the SDK (source and built) is recognised too.
import assert from "node:assert/strict";
import { test } from "node:test";
import { NotaryError, isNotaryError } from "../../../sdk/src/errors.ts";

test("a NotaryError is one, with or without the code asked for; ENOENT and ECONNRESET are not", () => {
  const ours = new NotaryError("INPUT_INVALID", "x");
  assert.ok(isNotaryError(ours));
  assert.ok(isNotaryError(ours, "INPUT_INVALID"));
  assert.ok(!isNotaryError(ours, "HTTP_ERROR"));
  const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'ca.pem'"), { code: "ENOENT" });
  const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
  assert.ok(!isNotaryError(enoent));
  assert.ok(!isNotaryError(reset));
  // Another copy of the class (the provider host may load the SDK's source and its built copy): same name, same shape.
  const twin = Object.assign(new Error("y"), { name: "NotaryError", code: "HTTP_ERROR", details: undefined });
  assert.ok(isNotaryError(twin, "HTTP_ERROR"));
});
