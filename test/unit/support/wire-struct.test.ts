// The engine stand-in (test/support/dynhost.ts) sends property maps through google-protobuf's Struct, the class
// @pulumi/pulumi ships: these are the wire forms it relies on that Struct carries as they are.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { secret, stripSecrets, UNKNOWN } from "../../support/wire.ts";

const pulumiRequire = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi/package.json"));
const { Struct } = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
const provproto = pulumiRequire("./proto/provider_pb");

test("secrets (signature objects), the unknown sentinel and any JSON survive a request's bytes", () => {
  const samples: Record<string, unknown>[] = [
    {},
    { password: secret("pw"), nested: { key: secret({ pem: "x" }) }, size: UNKNOWN, keys: [UNKNOWN, "k"] },
    { a: null, b: 0, c: -1.5, d: 2 ** 53, e: "", f: "é ✓ 𝄞", g: true, list: [1, "x", null, [], {}, [[true]]] },
    { big: "x".repeat(200_000), many: Object.fromEntries([...Array(300).keys()].map((i) => [`k${i}`, i])) },
  ];
  for (const sample of samples) {
    const req = new provproto.CheckRequest();
    req.setUrn("urn:pulumi:dev::p::t::n");
    req.setNews(Struct.fromJavaScript(sample));
    const back = provproto.CheckRequest.deserializeBinary(req.serializeBinary());
    assert.equal(back.getUrn(), "urn:pulumi:dev::p::t::n");
    assert.deepEqual(back.getNews().toJavaScript(), sample);
  }
});

test("undefined cannot be encoded; stripSecrets, used on every request, drops undefined members", () => {
  assert.throws(() => Struct.fromJavaScript({ x: undefined }), /Unexpected struct type/);
  const plain = stripSecrets({ x: undefined, y: secret("s"), z: { w: undefined } });
  assert.deepEqual(Struct.fromJavaScript(plain).toJavaScript(), { y: "s", z: {} });
});

test("an absent Struct field is absent; an empty one is present and empty (read() inputs or none)", () => {
  const resp = new provproto.ReadResponse();
  resp.setId("x");
  resp.setInputs(Struct.fromJavaScript({}));
  const back = provproto.ReadResponse.deserializeBinary(resp.serializeBinary());
  assert.equal(back.getProperties(), undefined);
  assert.deepEqual(back.getInputs().toJavaScript(), {});
});
